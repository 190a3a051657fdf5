package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/store"
)

// TestQueuePageIsEncodingJSON: queuePage writes what encoding/json writes
// for the same page, so a field added to store.QueuedApplication without
// queuePage learning it fails here.
func TestQueuePageIsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.FixedZone("PST", -8*3600))
	app, err := json.Marshal(domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP", Name: "Smith & <Sons>"},
		State: domain.AppReady, SubmittedAt: at, ReadySince: &at, Reason: "line\u2028separator", Answers: map[string]bool{"b": true, "a": false}})
	if err != nil {
		t.Fatal(err)
	}
	apps := []store.QueuedApplication{
		// HTML-sensitive, non-ASCII and line-separator characters, escaped alike.
		{Subject: "sub-<1>", Name: "Zoë \"Z\" O'Neil & Co\u2028", Profession: "physician", Application: app,
			BusinessDaysWaiting: 7, WorkflowID: "user/sub-<1>", State: domain.AppReady, ReadySince: &at},
		{Subject: "sub-2", Name: "", Profession: "", Application: json.RawMessage(`{}`)},
	}
	worksites := []store.WorksiteSummary{{ID: "K4T6CLP", Name: "Clinic <A>", LocationType: domain.CommunityPharmacy, Address: "1 Main St",
		State: "awaiting_team_review", WaitingOn: "enrolment_team", WaitingSince: &at, NextMilestoneKind: "breach", NextMilestoneAt: &at,
		Stalled: true, Escalated: true, Breached: true, RegisteredAt: at, BusinessDaysWaiting: 3, WorkflowID: "worksite/K4T6CLP"}, {ID: "B"}}
	for _, c := range []struct {
		name      string
		apps      []store.QueuedApplication
		worksites []store.WorksiteSummary
	}{
		{"full", apps, worksites},
		{"no applications", []store.QueuedApplication{}, worksites},
		{"no worksites (a profession filter)", apps, nil},
		{"nothing", nil, nil},
	} {
		got, err := queuePage(c.apps, c.worksites)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want, err := json.Marshal(gin.H{"applications": nonNil(c.apps), "worksitesAwaitingApproval": nonNil(c.worksites)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: queuePage =\n%s\nwant\n%s", c.name, got, want)
		}
	}
	for _, bad := range []string{"", "null", `{"state":"ready_for_provisioning"`} {
		if _, err := queuePage([]store.QueuedApplication{{Subject: "s", Application: json.RawMessage(bad)}}, nil); err == nil {
			t.Errorf("stored application %q: no error; want one", bad)
		}
	}
}
