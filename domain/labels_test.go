package domain

import "testing"

func TestLabel(t *testing.T) {
	l := DefaultLabels()
	tests := []struct {
		name  string
		table map[string]string
		code  string
		want  string
	}{
		// A known state has its words.
		{"worksite state", l.WorksiteStates, string(WorksiteAwaitingReview), "Waiting for the enrolment team's review"},
		// A party never shows as its code.
		{"party", l.Parties, string(PartySiteAdmin), "Site administrator"},
		// A code the table lacks is made readable, not shown raw.
		{"unknown code", l.Events, "some_new_event", "Some new event"},
		// The empty code stays empty.
		{"empty", l.Events, "", ""},
	}
	for _, tt := range tests {
		if got := Label(tt.table, tt.code); got != tt.want {
			t.Errorf("%s: Label(%q) = %q; want %q", tt.name, tt.code, got, tt.want)
		}
	}
}

// TestLabelsCoverCodes checks that every state, party and milestone the
// domain defines has words in the table.
func TestLabelsCoverCodes(t *testing.T) {
	l := DefaultLabels()
	for _, s := range []WorksiteState{WorksiteAwaitingDeclaration, WorksiteAwaitingReview, WorksiteApproved, WorksiteRejected, WorksiteLapsed, WorksiteRegisteredOnly, WorksiteClosed} {
		if _, ok := l.WorksiteStates[string(s)]; !ok {
			t.Errorf("worksite state %q has no label", s)
		}
	}
	for _, s := range []ApplicationState{AppWaiting, AppReady, AppProvisioned, AppRejected, AppSentBack, AppLapsed, AppEnded, AppSuspended} {
		if _, ok := l.ApplicationStates[string(s)]; !ok {
			t.Errorf("application state %q has no label", s)
		}
	}
	for _, p := range []Party{PartyApplicant, PartySiteAdmin, PartySigningAuthority, PartySponsor, PartyLearningHub, PartyEnrolmentTeam} {
		if _, ok := l.Parties[string(p)]; !ok {
			t.Errorf("party %q has no label", p)
		}
	}
	for _, m := range []MilestoneKind{MilestoneReminder, MilestoneStalled, MilestoneLapse, MilestoneEscalate, MilestoneBreach} {
		if _, ok := l.Milestones[string(m)]; !ok {
			t.Errorf("milestone %q has no label", m)
		}
	}
	for _, m := range l.TeamOnlyMilestones {
		if _, ok := l.Milestones[m]; !ok {
			t.Errorf("team-only milestone %q has no label", m)
		}
	}
}
