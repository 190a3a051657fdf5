package workflows_test

import (
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
	"careconnect/workflows"
)

func profession(t *testing.T, code string) domain.Profession {
	t.Helper()
	p, ok := domain.IndexProfessions(domain.DefaultProfessions())[code]
	if !ok {
		t.Fatalf("no profession %q", code)
	}
	return p
}

// approvedFacts is an approved private practice the applicant belongs to.
func approvedFacts() domain.WorksiteFacts {
	return domain.WorksiteFacts{ID: "K4T6CLP", Name: "Proctor Clinic",
		Type:  domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[domain.CommunityPrivatePractice],
		State: domain.WorksiteApproved, Member: true}
}

func submit(p domain.Profession) workflows.SubmitApplication {
	return workflows.SubmitApplication{Worksite: approvedFacts(), Profession: p, Questions: domain.DefaultQuestions(),
		Answers: map[string]bool{"direct_clinical_care": true}, RequestID: "req-apply"}
}

// TestApplicationReadyThenProvisioned: a physician's application waits for
// the course and the HPCAA, joins the team's queue when both arrive, leaves
// it while the worksite is suspended, and is provisioned with the default
// business role and a welcome email.
func TestApplicationReadyThenProvisioned(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	applied := h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	waiting := h.query(2*time.Hour + time.Minute)
	h.learn(3*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	ready := h.query(3*time.Hour + time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalMembershipChanged, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP",
			Active: true, WorksiteState: domain.WorksiteApproved, Suspended: true, Change: "worksite suspended"})
	}, 4*time.Hour)
	suspended := h.query(4*time.Hour + time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalMembershipChanged, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP",
			Active: true, WorksiteState: domain.WorksiteApproved, Change: "worksite reinstated"})
	}, 5*time.Hour)
	early := h.update(4*time.Hour+30*time.Minute, workflows.UpdateProvisionApplication, "provision-early",
		workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	done := h.update(6*time.Hour, workflows.UpdateProvisionApplication, "provision",
		workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1", RequestID: "req-prov"})
	final := h.query(7 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

	h.mustAccepted("submit", applied)
	app := func(st domain.UserStatus) domain.Application { t.Helper(); return onlyApplication(t, st) }
	if a := app(h.mustStatus(waiting)); a.State != domain.AppWaiting || !hasOutstanding(a, "hpcaa") || hasOutstanding(a, "course") {
		t.Errorf("after the course: %s, outstanding %v; want waiting on the HPCAA only", a.State, a.Requirements)
	}
	if a := app(h.mustStatus(waiting)); a.Next == nil || a.Next.Kind != "reminder" || !a.Next.At.Equal(defaultStart.Add(time.Hour+3*day)) {
		t.Errorf("waiting on the HPCAA, next = %+v; want the first reminder 3 days after submission", a.Next)
	}
	if a := app(h.mustStatus(ready)); a.State != domain.AppReady || !hasOutstanding(a, "team") {
		t.Errorf("after the HPCAA: %s; want ready, waiting on the team", a.State)
	} else if a.Next == nil || a.Next.Kind != "escalate" {
		t.Errorf("ready, next = %+v; want the team's escalation", a.Next)
	}
	if a := app(h.mustStatus(suspended)); a.State != domain.AppWaiting || !hasOutstanding(a, "worksite") {
		t.Errorf("worksite suspended: %s; want back to waiting on the worksite", a.State)
	}
	if early.rejected == nil || early.accepted {
		t.Errorf("provisioning while the worksite is suspended was accepted; want it refused")
	} else if got := userRejectedType(t, early.rejected); got != domain.EUNPROCESSABLE {
		t.Errorf("early provision rejected as %q; want %q", got, domain.EUNPROCESSABLE)
	}
	h.mustAccepted("provision", done)
	a := app(h.mustStatus(final))
	if a.State != domain.AppProvisioned || a.BusinessRole == nil || a.BusinessRole.FunctionalDescription != "Prescriber" ||
		a.BusinessRole.RoleContext != "Community Services" || a.DecidedBy != "team-1" {
		t.Errorf("provisioned application = %+v; want the default physician role, decided by team-1", a)
	}
	var kinds []mail.Kind
	for _, e := range h.sent() {
		kinds = append(kinds, e.Kind)
	}
	if !containsKind(kinds, mail.KindApplicationReceived) || !containsKind(kinds, mail.KindWelcomePackage) {
		t.Errorf("emails = %v; want application received and the welcome package", kinds)
	}
}

// TestApplicationOnBehalfOfNamesTheMissingSponsor: an MOA's application
// never reaches the queue without a sponsor, and says who must act: the
// applicant until they request sponsorship, then the sponsor. Once an
// authorizer approves and the course is in, it is ready, and provisioning
// gives the sponsor's business role.
func TestApplicationOnBehalfOfNamesTheMissingSponsor(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	authorizers := []domain.Person{{Name: "Dr Jane Smith", Email: "jane@example.test", Subject: "bcsc-jane"},
		{Name: "Dr Omar Haddad", Email: "omar@example.test", Subject: "bcsc-omar"}}
	sponsorRole := domain.BusinessRole{RoleContext: "Community Services", FunctionalDescription: "Prescriber"}
	approval := workflows.SponsorshipApproval{WorksiteID: "K4T6CLP", SponsorProfession: profession(t, domain.ProfPhysician), SponsorSubject: "bcsc-jane", SponsorName: "Dr Jane Smith",
		Role: sponsorRole, RequestID: "req-approve"}
	h.registered(time.Minute, "register")
	applied := h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfMOA)))
	before := h.query(2 * time.Hour)
	unrequested := h.update(2*time.Hour+30*time.Minute, workflows.UpdateApproveSponsorship, "approve-unrequested", approval)
	nobody := h.update(2*time.Hour+45*time.Minute, workflows.UpdateRequestSponsorship, "request-nobody",
		workflows.SponsorshipRequest{WorksiteID: "K4T6CLP", RequestID: "req-nobody"})
	elsewhere := h.update(2*time.Hour+50*time.Minute, workflows.UpdateRequestSponsorship, "request-elsewhere",
		workflows.SponsorshipRequest{WorksiteID: "ZZZ9999", Authorizers: authorizers, RequestID: "req-elsewhere"})
	requested := h.update(3*time.Hour, workflows.UpdateRequestSponsorship, "request",
		workflows.SponsorshipRequest{WorksiteID: "K4T6CLP", Authorizers: authorizers, RequestID: "req-request"})
	afterRequest := h.query(3*time.Hour + time.Minute)
	approved := h.update(4*time.Hour, workflows.UpdateApproveSponsorship, "approve", approval)
	afterApproval := h.query(4*time.Hour + time.Minute)
	h.learn(5*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	ready := h.query(5*time.Hour + time.Minute)
	again := h.update(5*time.Hour+30*time.Minute, workflows.UpdateApproveSponsorship, "approve-again", approval)
	reRequest := h.update(5*time.Hour+40*time.Minute, workflows.UpdateRequestSponsorship, "request-again",
		workflows.SponsorshipRequest{WorksiteID: "K4T6CLP", Authorizers: authorizers, RequestID: "req-again"})
	provisioned := h.update(6*time.Hour, workflows.UpdateProvisionApplication, "provision",
		workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1", RequestID: "req-prov"})
	final := h.query(7 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

	h.mustAccepted("submit", applied)
	app := func(st domain.UserStatus) domain.Application { t.Helper(); return onlyApplication(t, st) }
	sponsor := func(a domain.Application) domain.Requirement {
		t.Helper()
		for _, r := range a.Requirements {
			if r.Key == "sponsor" {
				return r
			}
		}
		t.Fatalf("requirements %+v; want a sponsor requirement", a.Requirements)
		return domain.Requirement{}
	}

	// Before a request: the applicant must ask an authorizer.
	a := app(h.mustStatus(before))
	if a.State != domain.AppWaiting || !hasOutstanding(a, "sponsor") || hasOutstanding(a, "hpcaa") {
		t.Errorf("MOA application: %s %+v; want waiting on a sponsor, no HPCAA", a.State, a.Requirements)
	}
	if r := sponsor(a); r.WaitingOn != domain.PartyApplicant {
		t.Errorf("before a request the sponsor requirement waits on %q; want the applicant", r.WaitingOn)
	}
	if a.SponsorshipRequestedAt != nil || a.Sponsorship != nil {
		t.Errorf("before a request: requested %v, sponsorship %+v; want neither", a.SponsorshipRequestedAt, a.Sponsorship)
	}
	for name, tc := range map[string]struct {
		o    *userUpdate
		want string
	}{
		"approval before a request":     {unrequested, domain.EUNPROCESSABLE},
		"a request without authorizers": {nobody, domain.EUNPROCESSABLE},
		"a request at another worksite": {elsewhere, domain.ENOTFOUND},
		"a second approval":             {again, domain.ECONFLICT},
		"a request once sponsored":      {reRequest, domain.ECONFLICT},
	} {
		if tc.o.rejected == nil || tc.o.accepted {
			t.Errorf("%s was accepted; want it refused", name)
		} else if got := userRejectedType(t, tc.o.rejected); got != tc.want {
			t.Errorf("%s rejected as %q; want %q", name, got, tc.want)
		}
	}

	// After the request: the sponsor must act, since the request.
	h.mustAccepted("request-sponsorship", requested)
	a = app(h.mustStatus(afterRequest))
	if r := sponsor(a); r.Done || r.WaitingOn != domain.PartySponsor || !r.Since.Equal(defaultStart.Add(3*time.Hour)) {
		t.Errorf("after a request the sponsor requirement is %+v; want it waiting on the sponsor since the request", r)
	}
	if a.SponsorshipRequestedAt == nil || !a.SponsorshipRequestedAt.Equal(defaultStart.Add(3*time.Hour)) {
		t.Errorf("sponsorship requested at %v; want %v", a.SponsorshipRequestedAt, defaultStart.Add(3*time.Hour))
	}

	// After the approval: sponsored, still waiting on the course.
	h.mustAccepted("approve-sponsorship", approved)
	a = app(h.mustStatus(afterApproval))
	if r := sponsor(a); !r.Done || r.WaitingOn != domain.PartyNone {
		t.Errorf("after approval the sponsor requirement is %+v; want it done", r)
	}
	if a.Sponsorship == nil || a.Sponsorship.SponsorSubject != "bcsc-jane" || a.Sponsorship.SponsorName != "Dr Jane Smith" ||
		a.Sponsorship.Role != sponsorRole || !a.Sponsorship.ApprovedAt.Equal(defaultStart.Add(4*time.Hour)) {
		t.Errorf("sponsorship = %+v; want Dr Jane Smith's, with her role, approved at the approval", a.Sponsorship)
	}
	if a.State != domain.AppWaiting || !hasOutstanding(a, "course") {
		t.Errorf("sponsored without the course: %s %+v; want waiting on the course", a.State, a.Requirements)
	}

	// The course completes it.
	if a := app(h.mustStatus(ready)); a.State != domain.AppReady || !hasOutstanding(a, "team") {
		t.Errorf("sponsored with the course: %s %+v; want ready, waiting on the team", a.State, a.Requirements)
	}

	// Provisioning gives the sponsor's role, not the MOA default.
	h.mustAccepted("provision", provisioned)
	if a := app(h.mustStatus(final)); a.State != domain.AppProvisioned || a.BusinessRole == nil || *a.BusinessRole != sponsorRole {
		t.Errorf("provisioned application = %+v; want the sponsor's role %+v", a, sponsorRole)
	}

	// One request email per authorizer (keyed by email: a Person's subject is not
	// serialised), and the approval to the applicant.
	var kinds []mail.Kind
	keys := map[string]bool{}
	for _, e := range h.sent() {
		kinds = append(kinds, e.Kind)
		if e.Kind == mail.KindSponsorshipRequest {
			keys[e.Key] = true
		}
	}
	for _, p := range authorizers {
		if k := "user/" + userSubject + "/sponsorship_request/K4T6CLP/" + p.Email; !keys[k] {
			t.Errorf("sponsorship request keys %v; want %q", keys, k)
		}
	}
	if len(keys) != len(authorizers) {
		t.Errorf("sponsorship request keys %v; want one per authorizer", keys)
	}
	for _, k := range []mail.Kind{mail.KindApplicationReceived, mail.KindSponsorshipApproved, mail.KindWelcomePackage} {
		if !containsKind(kinds, k) {
			t.Errorf("emails = %v; want %s", kinds, k)
		}
	}
}

// onlyApplication returns st's one application, failing unless there is exactly one.
func onlyApplication(t *testing.T, st domain.UserStatus) domain.Application {
	t.Helper()
	if len(st.Applications) != 1 {
		t.Fatalf("applications = %+v; want one", st.Applications)
	}
	return st.Applications[0]
}

func hasOutstanding(a domain.Application, key string) bool {
	for _, r := range a.Requirements {
		if r.Key == key && !r.Done {
			return true
		}
	}
	return false
}

func containsKind(ks []mail.Kind, k mail.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// noticeTimes lists when application notices were sent, by the Change they carried.
func (h *userHarness) kindsAt(kind mail.Kind) []time.Duration {
	var out []time.Duration
	for _, e := range h.sent() {
		if e.Kind == kind {
			out = append(out, e.At)
		}
	}
	return out
}

// TestApplicationRemindersAndLapse: while the course and HPCAA are
// outstanding the applicant is reminded at 3, 7 and 14 days and the
// application lapses at 60.
func TestApplicationRemindersAndLapse(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	final := h.query(61 * day)
	h.runUntil(userInput(domain.DefaultSchedule()), 62*day)

	got := h.kindsAt(mail.KindApplicationNotice)
	want := []time.Duration{time.Hour + 3*day, time.Hour + 7*day, time.Hour + 14*day, time.Hour + 60*day}
	if len(got) != len(want) {
		t.Fatalf("notices at %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notice %d at %v; want %v", i+1, got[i], want[i])
		}
	}
	if a := h.mustStatus(final).Applications[0]; a.State != domain.AppLapsed || a.RemindersSent != 3 {
		t.Errorf("after 60 days: %s with %d reminders; want lapsed after 3", a.State, a.RemindersSent)
	}
}

// TestApplicationEarlyCompletionStopsReminders: completing the course and
// HPCAA before the first reminder sends none and nothing lapses.
func TestApplicationEarlyCompletionStopsReminders(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(day, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(2*day, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	final := h.query(61 * day)
	h.runUntil(userInput(domain.DefaultSchedule()), 62*day)
	a := h.mustStatus(final).Applications[0]
	if a.RemindersSent != 0 || a.State == domain.AppLapsed {
		t.Errorf("early completion: %d reminders, state %s; want none and not lapsed", a.RemindersSent, a.State)
	}
	// Ready since day 2 (a Wednesday): escalated 5 and breached 7 business days later.
	if !a.Escalated || !a.Breached {
		t.Errorf("ready for weeks: escalated %v, breached %v; want both", a.Escalated, a.Breached)
	}
	sla := h.kindsAt(mail.KindApplicationNotice)
	want := []time.Duration{2*day + 7*day, 2*day + 9*day} // Wed+5 business days = next Wed; +7 = next Fri
	if len(sla) != 2 || sla[0] != want[0] || sla[1] != want[1] {
		t.Errorf("SLA notices at %v; want %v", sla, want)
	}
}

// TestResidentAccessEndsWithResidency: a sponsored resident is told 14
// days before the residency ends, with the sponsor, and access ends on the date.
func TestResidentAccessEndsWithResidency(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfResident)))
	h.update(2*time.Hour, workflows.UpdateRequestSponsorship, "ask", workflows.SponsorshipRequest{WorksiteID: "K4T6CLP",
		Authorizers: []domain.Person{{Name: "Dr Lee", Email: "lee@example.ca"}}})
	start, end := defaultStart, defaultStart.Add(30*day)
	h.update(3*time.Hour, workflows.UpdateApproveSponsorship, "sponsor", workflows.SponsorshipApproval{WorksiteID: "K4T6CLP", SponsorProfession: profession(t, domain.ProfPhysician),
		SponsorSubject: "lee", SponsorName: "Dr Lee", SponsorEmail: "lee@example.ca",
		Role: domain.BusinessRole{RoleContext: "Community Services", FunctionalDescription: "Prescriber"}, ResidencyStart: &start, ResidencyEnd: &end})
	h.learn(4*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(5*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.update(day, workflows.UpdateProvisionApplication, "provision", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	before := h.query(15 * day)
	final := h.query(31 * day)
	h.runUntil(userInput(domain.DefaultSchedule()), 32*day)

	if a := h.mustStatus(before).Applications[0]; a.State != domain.AppProvisioned || a.ResidencyNoticeSent {
		t.Errorf("day 15: %s, notice %v; want provisioned, not yet told", a.State, a.ResidencyNoticeSent)
	}
	a := h.mustStatus(final).Applications[0]
	if a.State != domain.AppEnded || !a.ResidencyNoticeSent {
		t.Errorf("after the residency: %s, notice %v; want ended, told", a.State, a.ResidencyNoticeSent)
	}
	var at []time.Duration
	for _, e := range h.sent() {
		if e.Kind == mail.KindApplicationNotice && e.At >= 15*day {
			at = append(at, e.At)
		}
	}
	want := []time.Duration{16 * day, 16 * day, 30 * day, 30 * day} // resident and sponsor, each time
	if len(at) != len(want) || at[0] != want[0] || at[2] != want[2] {
		t.Errorf("residency notices at %v; want %v", at, want)
	}
}

// TestProvisionedAccessFollowsTheWorksite: suspending the worksite suspends
// provisioned access, reinstating restores it, and deactivating the
// membership ends it; each change is audited.
func TestProvisionedAccessFollowsTheWorksite(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	var audited []string
	h.onAudit = func(e domain.AuditEvent) {
		audited = append(audited, e.Action)
	}
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(3*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.update(4*time.Hour, workflows.UpdateProvisionApplication, "provision", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	notice := func(at time.Duration, active, suspended bool) {
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalMembershipChanged, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP",
				Active: active, WorksiteState: domain.WorksiteApproved, Suspended: suspended, Change: "changed"})
		}, at)
	}
	notice(5*time.Hour, true, true)
	susp := h.query(5*time.Hour + time.Minute)
	notice(6*time.Hour, true, false)
	back := h.query(6*time.Hour + time.Minute)
	notice(7*time.Hour, false, false)
	ended := h.query(7*time.Hour + time.Minute)
	h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

	for _, c := range []struct {
		q    *userQuery
		want domain.ApplicationState
	}{{susp, domain.AppSuspended}, {back, domain.AppProvisioned}, {ended, domain.AppEnded}} {
		if got := h.mustStatus(c.q).Applications[0].State; got != c.want {
			t.Errorf("state %s; want %s", got, c.want)
		}
	}
	want := []string{"access suspended", "access restored", "access ended"}
	if len(audited) != len(want) || audited[0] != want[0] || audited[1] != want[1] || audited[2] != want[2] {
		t.Errorf("audited %v; want %v", audited, want)
	}
}

// TestApplicationByProfession: an independent pharmacist needs the course
// and HPCAA but no sponsor; a home office application is refused until the
// physician is provisioned at a physical worksite, then accepted.
func TestApplicationByProfession(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPharmacist)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	waiting := h.query(2*time.Hour + time.Minute)
	h.learn(3*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	ready := h.query(3*time.Hour + time.Minute)

	home := submit(profession(t, domain.ProfPhysician))
	home.Worksite.ID = "HOME001"
	home.Worksite.Type = domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[domain.HomeOffice]
	refused := h.update(4*time.Hour, workflows.UpdateSubmitApplication, "home-refused", home)
	home.ProvisionedPhysical = true
	accepted := h.update(5*time.Hour, workflows.UpdateSubmitApplication, "home-accepted", home)
	h.runUntil(userInput(domain.DefaultSchedule()), 6*time.Hour)

	if a := h.mustStatus(waiting).Applications[0]; a.State != domain.AppWaiting || !hasOutstanding(a, "hpcaa") || hasOutstanding(a, "sponsor") {
		t.Errorf("pharmacist after the course: %s %+v; want waiting on the HPCAA, no sponsor", a.State, a.Requirements)
	}
	if a := h.mustStatus(ready).Applications[0]; a.State != domain.AppReady {
		t.Errorf("pharmacist after the HPCAA: %s; want ready", a.State)
	}
	if refused.rejected == nil || userRejectedType(t, refused.rejected) != domain.EUNPROCESSABLE {
		t.Errorf("home office without a physical provisioning: rejected %v; want EUNPROCESSABLE", refused.rejected)
	}
	h.mustAccepted("home office after a physical provisioning", accepted)
}

// An application's email never holds its update: the handler queues it,
// and the projection write the update waits for puts it in the outbox
// (the relay sends it); nothing in the workflow waits for SMTP.
func TestApplicationEmailsDoNotHoldTheirUpdate(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	applied := h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.runUntil(userInput(domain.DefaultSchedule()), 2*time.Hour)

	h.mustAccepted("submit", applied)
	if applied.at != time.Hour {
		t.Errorf("the application update completed at +%v; want +1h, when it was sent", applied.at)
	}
	if sent := h.kindsAt(mail.KindApplicationReceived); len(sent) != 1 || sent[0] != time.Hour {
		t.Errorf("application received email stored at %v; want once, with the update's own write at +1h", sent)
	}
}
