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
		// A profession is its label, as the emails and the portal show it.
		{"profession", l.Professions, ProfRegisteredNurse, "Registered Nurse"},
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

func TestAuditActor(t *testing.T) {
	l := DefaultLabels()
	tests := []struct {
		name string
		e    AuditEvent
		want string
	}{
		// A team member is named, with the team's name for their role.
		{"team member", AuditEvent{Actor: "idir-jane", ActorName: "Jane Smith", Role: string(RoleTeam), Subject: "worksite:K4T6CLP"}, "Enrolment team: Jane Smith"},
		// A site administrator acting on a worksite.
		{"site administrator", AuditEvent{Actor: "bcsc-1", ActorName: "Marcus Chen", Role: "site_administrator", Subject: "worksite:K4T6CLP"}, "Site administrator: Marcus Chen"},
		// A person acting on their own record is the applicant.
		{"the applicant", AuditEvent{Actor: "bcsc-1", ActorName: "Marcus Chen", Role: string(RoleApplicant), Subject: "person:bcsc-1"}, "The applicant"},
		// An applicant acting on someone else's record is named.
		{"another applicant", AuditEvent{Actor: "bcsc-2", ActorName: "Ada Lee", Role: string(RoleApplicant), Subject: "person:bcsc-1"}, "Applicant: Ada Lee"},
		// The system and LearningHub are not people.
		{"system", AuditEvent{Actor: "system", Role: "system", Subject: "person:bcsc-1"}, "CareConnect (automatic)"},
		{"learninghub", AuditEvent{Actor: "learninghub", Role: "learninghub", Subject: "person:bcsc-1"}, "LearningHub"},
		// A person whose name is not known is named by role, never by subject ID.
		{"nameless", AuditEvent{Actor: "idir-x", Role: string(RoleTeam), Subject: "worksite:K4T6CLP"}, "Enrolment team"},
		// A signing authority has no account: the workflow records them by name.
		{"signing authority", AuditEvent{Actor: "Dr. Jane Doe", Role: "signing_authority", Subject: "worksite:K4T6CLP"}, "Signing authority: Dr. Jane Doe"},
		// A role the table lacks is made readable.
		{"unknown role", AuditEvent{Actor: "x", ActorName: "Pat Doe", Role: "auditor_general", Subject: "worksite:K4T6CLP"}, "Auditor general: Pat Doe"},
	}
	for _, tt := range tests {
		if got := l.AuditActor(tt.e); got != tt.want {
			t.Errorf("%s: AuditActor = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestWithProfessions: the configured profession table renames; an empty one keeps the default.
func TestWithProfessions(t *testing.T) {
	l := DefaultLabels().WithProfessions([]Profession{{Code: ProfRegisteredNurse, Label: "RN"}})
	if got := Label(l.Professions, ProfRegisteredNurse); got != "RN" {
		t.Errorf("configured: %q; want RN", got)
	}
	if got := Label(DefaultLabels().WithProfessions(nil).Professions, ProfRegisteredNurse); got != "Registered Nurse" {
		t.Errorf("no table: %q; want Registered Nurse", got)
	}
}
