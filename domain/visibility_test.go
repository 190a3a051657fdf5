package domain_test

import (
	"reflect"
	"testing"
	"time"

	"careconnect/domain"
)

func TestVisibility(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	app := func(id string, st domain.ApplicationState, at time.Time, reqs ...domain.Requirement) domain.Application {
		return domain.Application{Worksite: domain.WorksiteFacts{ID: id}, State: st, SubmittedAt: at, Requirements: reqs}
	}
	course := domain.Requirement{Key: "course", WaitingOn: domain.PartyApplicant}
	done := domain.Requirement{Key: "membership", Done: true}
	team := domain.Requirement{Key: "team", WaitingOn: domain.PartyEnrolmentTeam}
	for name, c := range map[string]struct {
		st   domain.UserStatus
		want domain.Visibility
	}{
		"no account yet": {domain.UserStatus{State: domain.UserIdentityValidated, WaitingOn: domain.PartyApplicant},
			domain.Visibility{Status: "identity_validated", WaitingOn: domain.PartyApplicant}},
		"an open application waits on its first outstanding requirement": {domain.UserStatus{State: domain.UserAccountRegistered,
			Profession: "physician", Applications: []domain.Application{app("AAAAAAA", domain.AppWaiting, t0, done, course)}},
			domain.Visibility{Status: "waiting", WaitingOn: domain.PartyApplicant, Profession: "physician", Worksites: []string{"AAAAAAA"}}},
		"the oldest open application wins over a newer decided one": {domain.UserStatus{State: domain.UserAccountRegistered,
			Applications: []domain.Application{app("BBBBBBB", domain.AppReady, t0, done, team), app("CCCCCCC", domain.AppProvisioned, t0.Add(time.Hour))}},
			domain.Visibility{Status: "ready_for_provisioning", WaitingOn: domain.PartyEnrolmentTeam, Worksites: []string{"BBBBBBB", "CCCCCCC"}}},
		"nothing open: the latest decision": {domain.UserStatus{State: domain.UserAccountRegistered, WaitingOn: domain.PartyApplicant,
			Applications: []domain.Application{app("BBBBBBB", domain.AppRejected, t0), app("CCCCCCC", domain.AppProvisioned, t0.Add(time.Hour))}},
			domain.Visibility{Status: "provisioned", Worksites: []string{"BBBBBBB", "CCCCCCC"}}},
		"suspended by the team": {domain.UserStatus{State: domain.UserAccountRegistered, AccessSuspended: &domain.AccessSuspension{Reason: "x"},
			Applications: []domain.Application{app("CCCCCCC", domain.AppSuspended, t0)}},
			domain.Visibility{Status: "access_suspended", WaitingOn: domain.PartyEnrolmentTeam, Worksites: []string{"CCCCCCC"}}},
	} {
		if got := c.st.Visibility(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v; want %+v", name, got, c.want)
		}
	}
	w := domain.WorksiteStatus{WorksiteID: "K4T6CLP", State: domain.WorksiteAwaitingReview, WaitingOn: domain.PartyEnrolmentTeam}
	if got, want := w.Visibility(), (domain.Visibility{Status: "awaiting_team_review", WaitingOn: domain.PartyEnrolmentTeam,
		Worksites: []string{"K4T6CLP"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("worksite: %+v; want %+v", got, want)
	}
}
