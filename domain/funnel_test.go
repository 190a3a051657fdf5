package domain_test

import (
	"testing"

	"careconnect/domain"
)

func TestFunnel(t *testing.T) {
	counts := []domain.FunnelCount{
		{Kind: "person", State: "identity_validated", WaitingOn: domain.PartyApplicant, Count: 4},
		{Kind: "person", State: "account_registered", Count: 9}, // not a wait of the funnel
		{Kind: "worksite", State: "awaiting_declaration", WaitingOn: domain.PartySigningAuthority, Count: 3},
		{Kind: "worksite", State: "awaiting_team_review", WaitingOn: domain.PartyEnrolmentTeam, Count: 2},
		{Kind: "worksite", State: "rejected", Count: 7},
		{Kind: "application", State: "waiting", Blocker: "course", WaitingOn: domain.PartyApplicant, Count: 5},
		{Kind: "application", State: "waiting", Blocker: "sponsor", WaitingOn: domain.PartyApplicant, Count: 1},
		{Kind: "application", State: "waiting", Blocker: "sponsor", WaitingOn: domain.PartySponsor, Count: 6},
		{Kind: "application", State: "ready_for_provisioning", Blocker: "team", WaitingOn: domain.PartyEnrolmentTeam, Count: 8},
		{Kind: "application", State: "provisioned", Count: 10},
		{Kind: "application", State: "lapsed", Count: 11},
	}
	got := domain.Funnel(counts)
	want := map[string]int{"account": 4, "declaration": 3, "worksite_review": 2, "membership": 0, "application_worksite": 0,
		"course": 5, "hpcaa": 0, "sponsor_request": 1, "sponsor_approval": 6, "provisioning": 8, "provisioned": 10}
	if len(got) != len(want) {
		t.Fatalf("%d steps; want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		if s.Count != want[s.Step] {
			t.Errorf("step %s (%s) = %d; want %d", s.Step, s.Label, s.Count, want[s.Step])
		}
		if s.Finished != (s.Step == "provisioned") {
			t.Errorf("step %s finished = %v; only provisioned is", s.Step, s.Finished)
		}
		if s.Label == "" {
			t.Errorf("step %s has no label", s.Step)
		}
	}
	if got[0].Step != "account" || got[len(got)-1].Step != "provisioned" {
		t.Errorf("steps out of order: first %s, last %s", got[0].Step, got[len(got)-1].Step)
	}
	if n := domain.FunnelWaiting(got); n != 29 {
		t.Errorf("waiting = %d; want 29 (everything but provisioned)", n)
	}
}
