package domain

// Visibility is what an enrolment workflow shows the Temporal Web UI's
// filters: its status, who must act, the profession and the worksites.
type Visibility struct {
	Status     string
	WaitingOn  Party
	Profession string
	Worksites  []string
}

// Visibility of a worksite enrolment.
func (s WorksiteStatus) Visibility() Visibility {
	return Visibility{Status: string(s.State), WaitingOn: s.WaitingOn, Worksites: []string{s.WorksiteID}}
}

// Visibility of a person's enrolment: while an application is open, its
// state and first outstanding requirement's party (the oldest open one
// first, as the team's queue orders them); otherwise the most recent
// application's state, or the account's state before any application.
func (s UserStatus) Visibility() Visibility {
	v := Visibility{Status: string(s.State), WaitingOn: s.WaitingOn, Profession: s.Profession}
	var open, latest *Application
	for i := range s.Applications {
		a := &s.Applications[i]
		v.Worksites = append(v.Worksites, a.Worksite.ID)
		if a.Open() && (open == nil || a.SubmittedAt.Before(open.SubmittedAt)) {
			open = a
		}
		if latest == nil || a.SubmittedAt.After(latest.SubmittedAt) {
			latest = a
		}
	}
	switch {
	case open != nil:
		v.Status, v.WaitingOn = string(open.State), PartyNone
		if b, ok := open.Blocker(); ok {
			v.WaitingOn = b.WaitingOn
		}
	case latest != nil:
		v.Status, v.WaitingOn = string(latest.State), PartyNone
	}
	if s.AccessSuspended != nil {
		v.Status, v.WaitingOn = "access_suspended", PartyEnrolmentTeam
	}
	return v
}
