package enrolment

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

// fullStatus has every field of a status set, so each is in its JSON.
func fullStatus() domain.UserStatus {
	at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	return domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, LegalFirstName: "Ada", LegalLastName: "Lovelace",
		Username: "ada", Profession: "physician", WaitingOn: domain.PartySiteAdmin, WaitingSince: at, NextAction: "wait",
		PasswordExpiresAt: &at, NextMilestone: &domain.Milestone{At: at},
		Worksites:         []domain.UserWorksite{{WorksiteID: "K4T6CLP", Active: true, Admin: true, Since: at}, {WorksiteID: "B7Q2ZZA"}},
		CourseCompletedAt: &at, AgreementAcknowledgedAt: &at,
		EmailConfirmation: &domain.EmailConfirmation{Confirmed: true, Awaiting: true, Since: &at, LinksSent: 2},
		Applications:      []domain.Application{{State: domain.AppProvisioned, SubmittedAt: at}},
		AccessSuspended:   &domain.AccessSuspension{At: at},
		Timeline:          []domain.TimelineEvent{{At: at, Kind: "application_provisioned"}}, Seq: 9}
}

// decodeStatusHead stops at the applications: every field it reads must
// come before them in a stored status, which encoding/json writes in
// declaration order.
func TestStatusHeadPrecedesTheRest(t *testing.T) {
	raw, err := json.Marshal(fullStatus())
	if err != nil {
		t.Fatal(err)
	}
	first := len(raw)
	for _, stop := range []string{"applications", "accessSuspended", "timeline"} {
		i := strings.Index(string(raw), `"`+stop+`":`)
		if i < 0 {
			t.Fatalf("%s is not in %s", stop, raw)
		}
		first = min(first, i)
	}
	for _, key := range []string{"state", "waitingOn", "waitingSince", "nextAction", "worksites", "emailConfirmation"} {
		if i := strings.Index(string(raw), `"`+key+`":`); i < 0 || i > first {
			t.Errorf("%s at %d; want it before the applications, timeline and seq (at %d)", key, i, first)
		}
	}
}

func TestDecodeStatusHead(t *testing.T) {
	st := fullStatus()
	raw, _ := json.Marshal(st)
	head, err := decodeStatusHead(raw)
	if err != nil {
		t.Fatal(err)
	}
	if head.State != st.State || head.WaitingOn != st.WaitingOn || !head.WaitingSince.Equal(st.WaitingSince) ||
		head.NextAction != st.NextAction || len(head.Worksites) != 2 || head.Worksites[0].WorksiteID != "K4T6CLP" ||
		!head.Worksites[0].Active || head.Worksites[1].Active || head.EmailConfirmation == nil || !head.EmailConfirmation.Awaiting {
		t.Errorf("head %+v; want the status's %+v", head, st)
	}
	for _, bad := range []string{``, `[]`, `{"state": }`, `{"worksites": {}}`} {
		if _, err := decodeStatusHead(json.RawMessage(bad)); err == nil {
			t.Errorf("decodeStatusHead(%q): no error", bad)
		}
	}
}
