package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

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
	h.env.OnActivity("ProjectApplication", mock.Anything, mock.Anything).Return(nil).Maybe()
	h.validated(0, "sign-in")
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
	app := func(st domain.UserStatus) domain.Application {
		t.Helper()
		if len(st.Applications) != 1 {
			t.Fatalf("applications = %+v; want one", st.Applications)
		}
		return st.Applications[0]
	}
	if a := app(h.mustStatus(waiting)); a.State != domain.AppWaiting || !hasOutstanding(a, "hpcaa") || hasOutstanding(a, "course") {
		t.Errorf("after the course: %s, outstanding %v; want waiting on the HPCAA only", a.State, a.Requirements)
	}
	if a := app(h.mustStatus(ready)); a.State != domain.AppReady || !hasOutstanding(a, "team") {
		t.Errorf("after the HPCAA: %s; want ready, waiting on the team", a.State)
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
// never reaches the queue without a sponsor, and says who must act.
func TestApplicationOnBehalfOfNamesTheMissingSponsor(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.env.OnActivity("ProjectApplication", mock.Anything, mock.Anything).Return(nil).Maybe()
	h.validated(0, "sign-in")
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfMOA)))
	h.learn(2*time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	q := h.query(3 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 4*time.Hour)
	st := h.mustStatus(q)
	if len(st.Applications) != 1 {
		t.Fatalf("applications = %+v", st.Applications)
	}
	a := st.Applications[0]
	if a.State != domain.AppWaiting || !hasOutstanding(a, "sponsor") || hasOutstanding(a, "hpcaa") {
		t.Errorf("MOA application: %s %+v; want waiting on a sponsor, no HPCAA", a.State, a.Requirements)
	}
	for _, r := range a.Requirements {
		if r.Key == "sponsor" && r.WaitingOn != domain.PartySponsor {
			t.Errorf("sponsor requirement waits on %q; want the sponsor", r.WaitingOn)
		}
	}
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
