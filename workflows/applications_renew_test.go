package workflows_test

import (
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
	"careconnect/workflows"
)

// TestProvisionedApplicationWaitsOnNobody: once provisioned, no
// requirement of the application is outstanding, the team's step included.
func TestProvisionedApplicationWaitsOnNobody(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.notify(2*time.Minute, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP", Active: true,
		WorksiteState: domain.WorksiteApproved, Change: "membership approved"})
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(3*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.update(4*time.Hour, workflows.UpdateProvisionApplication, "provision", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	// A later signal re-evaluates: the provisioned application still waits on nobody.
	h.learn(5*time.Hour, "evt-course-2", learninghub.TypeCourseCompleted)
	final := h.query(6 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 7*time.Hour)

	a := onlyApplication(t, h.mustStatus(final))
	if a.State != domain.AppProvisioned {
		t.Fatalf("state %s; want provisioned", a.State)
	}
	for _, r := range a.Requirements {
		if !r.Done || r.WaitingOn != domain.PartyNone {
			t.Errorf("requirement %s: done %v, waiting on %q; want done, on nobody", r.Key, r.Done, r.WaitingOn)
		}
	}
	if _, ok := a.Blocker(); ok {
		t.Errorf("provisioned application has a blocker; want none")
	}
	if st := h.lastProjection(); len(st.Applications) != 1 || hasOutstanding(st.Applications[0], "team") {
		t.Errorf("projected application still waits on the team: %+v", st.Applications)
	}
	// The applicant hears of each LearningHub step once: the course (not
	// again for a second completion) and the HPCAA.
	if got := h.kindsAt(mail.KindLearningAcknowledged); len(got) != 2 || got[0] != 2*time.Hour || got[1] != 3*time.Hour {
		t.Errorf("LearningHub acknowledgements at %v; want at 2h and 3h", got)
	}
}

// TestApplicationRenewedAfterItFinished: a lapsed application, and access
// that ended with the membership, can each be replaced by a new
// application; the earlier one's events stay on the timeline, and the new
// one's emails have keys of their own so that none is swallowed as a
// duplicate. An open or provisioned application cannot be replaced.
func TestApplicationRenewedAfterItFinished(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.notify(2*time.Minute, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP", Active: true,
		WorksiteState: domain.WorksiteApproved, Change: "membership approved"})
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	twice := h.update(2*time.Hour, workflows.UpdateSubmitApplication, "apply-open", submit(profession(t, domain.ProfPhysician)))
	lapsed := h.query(61 * day)
	again := h.update(62*day, workflows.UpdateSubmitApplication, "apply-again", submit(profession(t, domain.ProfPhysician)))
	h.learn(62*day+time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(62*day+2*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.update(63*day, workflows.UpdateProvisionApplication, "provision", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	provisioned := h.update(63*day+time.Hour, workflows.UpdateSubmitApplication, "apply-provisioned", submit(profession(t, domain.ProfPhysician)))
	// Going on leave: deactivated, then reactivated; access ends and may be applied for again.
	h.notify(64*day, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP", Active: false,
		WorksiteState: domain.WorksiteApproved, Change: "membership deactivated"})
	ended := h.query(64*day + time.Minute)
	h.notify(65*day, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "K4T6CLP", Active: true,
		WorksiteState: domain.WorksiteApproved, Change: "membership reactivated"})
	third := h.update(65*day+time.Hour, workflows.UpdateSubmitApplication, "apply-third", submit(profession(t, domain.ProfPhysician)))
	h.update(65*day+2*time.Hour, workflows.UpdateProvisionApplication, "provision-3", workflows.ApplicationDecision{WorksiteID: "K4T6CLP", Actor: "team-1"})
	final := h.query(66 * day)
	h.runUntil(userInput(domain.DefaultSchedule()), 67*day)

	if twice.accepted || twice.rejected == nil || userRejectedType(t, twice.rejected) != domain.ECONFLICT {
		t.Errorf("applying twice while open: accepted %v, rejected %v; want a conflict", twice.accepted, twice.rejected)
	}
	if a := onlyApplication(t, h.mustStatus(lapsed)); a.State != domain.AppLapsed {
		t.Fatalf("after 60 days: %s; want lapsed", a.State)
	}
	h.mustAccepted("apply again after the lapse", again)
	if provisioned.accepted || provisioned.rejected == nil {
		t.Errorf("applying while provisioned was accepted; want a conflict")
	}
	if a := onlyApplication(t, h.mustStatus(ended)); a.State != domain.AppEnded {
		t.Fatalf("after deactivation: %s; want ended", a.State)
	}
	h.mustAccepted("apply again after reactivation", third)
	st := h.mustStatus(final)
	a := onlyApplication(t, st)
	if a.State != domain.AppProvisioned || a.Attempt != 2 {
		t.Errorf("third application: %s, attempt %d; want provisioned, attempt 2", a.State, a.Attempt)
	}
	submitted := 0
	for _, e := range st.Timeline {
		if e.Kind == "application_submitted" {
			submitted++
		}
	}
	if submitted != 3 {
		t.Errorf("timeline has %d submissions; want all 3", submitted)
	}
	welcome, keys := 0, map[string]bool{}
	for _, e := range h.sent() {
		if keys[e.Key] {
			t.Errorf("email key %s used twice", e.Key)
		}
		keys[e.Key] = true
		if e.Kind == mail.KindWelcomePackage {
			welcome++
		}
	}
	if welcome != 2 {
		t.Errorf("%d welcome packages; want one per provisioned application (2)", welcome)
	}
}

// TestResidentSponsoredByAPhysicianOnly: a nurse practitioner may sponsor
// an MOA but not a resident; a physician may (the policy table's "may
// sponsor residents").
func TestResidentSponsoredByAPhysicianOnly(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfResident)))
	h.update(2*time.Hour, workflows.UpdateRequestSponsorship, "ask", workflows.SponsorshipRequest{WorksiteID: "K4T6CLP",
		Authorizers: []domain.Person{{Name: "Dr Lee", Email: "lee@example.ca"}}})
	start, end := defaultStart, defaultStart.Add(300*day)
	approval := func(p domain.Profession) workflows.SponsorshipApproval {
		return workflows.SponsorshipApproval{WorksiteID: "K4T6CLP", SponsorSubject: "lee", SponsorName: "Lee", SponsorEmail: "lee@example.ca",
			SponsorProfession: p, ResidencyStart: &start, ResidencyEnd: &end}
	}
	byNP := h.update(3*time.Hour, workflows.UpdateApproveSponsorship, "np", approval(profession(t, domain.ProfNursePractitioner)))
	byDoc := h.update(4*time.Hour, workflows.UpdateApproveSponsorship, "doc", approval(profession(t, domain.ProfPhysician)))
	h.runUntil(userInput(domain.DefaultSchedule()), 5*time.Hour)

	if byNP.accepted || byNP.rejected == nil || userRejectedType(t, byNP.rejected) != domain.EUNPROCESSABLE {
		t.Errorf("a nurse practitioner sponsoring a resident: accepted %v, rejected %v; want refused (422)", byNP.accepted, byNP.rejected)
	}
	if st := h.mustAccepted("a physician sponsors", byDoc); st.Applications[0].Sponsorship == nil {
		t.Errorf("no sponsorship after the physician approved")
	}
}

// TestProfessionCorrectionReevaluatesApplications: an MOA corrected to
// physician by the team no longer waits on a sponsor (nor are authorizers
// reminded), now needs the HPCAA, and is ready once it is acknowledged.
func TestProfessionCorrectionReevaluatesApplications(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfMOA)))
	h.update(2*time.Hour, workflows.UpdateRequestSponsorship, "ask", workflows.SponsorshipRequest{WorksiteID: "K4T6CLP",
		Authorizers: []domain.Person{{Name: "Dr Lee", Email: "lee@example.ca"}}})
	h.learn(3*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	before := h.query(4 * time.Hour)
	h.update(5*time.Hour, workflows.UpdateProfessionChanged, "correct", workflows.ProfessionChanged{From: domain.ProfMOA,
		To: domain.ProfPhysician, Policy: profession(t, domain.ProfPhysician), Actor: "team-1", Reason: "she is a physician"})
	after := h.query(6 * time.Hour)
	h.learn(7*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	ready := h.query(8 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 10*day)

	if a := onlyApplication(t, h.mustStatus(before)); !hasOutstanding(a, "sponsor") || a.State != domain.AppWaiting {
		t.Fatalf("as an MOA: %s, requirements %+v; want waiting on the sponsor", a.State, a.Requirements)
	}
	a := onlyApplication(t, h.mustStatus(after))
	if hasOutstanding(a, "sponsor") || !hasOutstanding(a, "hpcaa") {
		t.Errorf("after the correction: requirements %+v; want no sponsor, the HPCAA outstanding", a.Requirements)
	}
	if a := onlyApplication(t, h.mustStatus(ready)); a.State != domain.AppReady {
		t.Errorf("after the HPCAA: %s; want ready", a.State)
	}
	for _, e := range h.sent() {
		if e.Kind == mail.KindSponsorshipRequest && e.At > 5*time.Hour {
			t.Errorf("a sponsorship reminder at %v after the correction; want none", e.At)
		}
	}
}
