package backend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"careconnect/store"
)

type fakeSource struct {
	g   store.Gauges
	err error
}

func (f fakeSource) Gauges(context.Context) (store.Gauges, error) { return f.g, f.err }

// TestProjectionCollector: the counts become gauges with bounded labels,
// ages are measured from now, and a failed read reports the scrape error
// and nothing stale.
func TestProjectionCollector(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	src := fakeSource{g: store.Gauges{
		Enrolments: []store.StateCount{
			{Kind: "worksite", State: "awaiting_review", WaitingOn: "enrolment_team", Escalated: true, N: 2},
			{Kind: "worksite", State: "awaiting_review", WaitingOn: "enrolment_team", Escalated: true, Breached: true, N: 1},
			{Kind: "application", State: "ready", WaitingOn: "enrolment_team", N: 4},
		},
		LearningHubPending: 5, LearningHubDeliverable: 1, LearningHubOldest: now.Add(-20 * time.Minute),
		EmailsPending: 3, EmailsRetrying: 1, EmailOldestRetrying: now.Add(-2 * time.Hour),
	}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(ProjectionCollector{Source: src, Now: func() time.Time { return now }})
	want := `
# HELP careconnect_enrolments Open and closed enrolments by kind (worksite, person, application), state and who must act next (waiting_on).
# TYPE careconnect_enrolments gauge
careconnect_enrolments{kind="application",state="ready",waiting_on="enrolment_team"} 4
careconnect_enrolments{kind="worksite",state="awaiting_review",waiting_on="enrolment_team"} 3
# HELP careconnect_enrolments_breached Enrolments now past the team's SLA, by kind.
# TYPE careconnect_enrolments_breached gauge
careconnect_enrolments_breached{kind="worksite"} 1
# HELP careconnect_learninghub_oldest_pending_age_seconds Age of the oldest undelivered LearningHub event an account can take now (0 when none).
# TYPE careconnect_learninghub_oldest_pending_age_seconds gauge
careconnect_learninghub_oldest_pending_age_seconds 1200
# HELP careconnect_email_oldest_retrying_age_seconds Age of the oldest email that keeps failing, from when it was queued (0 when none).
# TYPE careconnect_email_oldest_retrying_age_seconds gauge
careconnect_email_oldest_retrying_age_seconds 7200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "careconnect_enrolments", "careconnect_enrolments_breached",
		"careconnect_learninghub_oldest_pending_age_seconds", "careconnect_email_oldest_retrying_age_seconds"); err != nil {
		t.Error(err)
	}

	bad := prometheus.NewRegistry()
	bad.MustRegister(ProjectionCollector{Source: fakeSource{err: errors.New("down")}})
	if n, err := testutil.GatherAndCount(bad); err != nil || n != 1 {
		t.Errorf("a failed read gathers %d series (%v); want the scrape error alone", n, err)
	}
}
