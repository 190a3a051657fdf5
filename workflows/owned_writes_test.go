package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"careconnect/domain"
	"careconnect/workflows"
)

// codeOf is the domain code an update's error carries (its application
// error's type), as the API's adapter reads it.
func codeOf(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return domain.ErrorCode(err)
}

// The workflow owns its writes (issue 13): the rows travel in the updates,
// and the projection write makes them. These tests check that a refused
// write leaves no trace, that a run whose registration never arrived ends,
// and that an update arriving after its NotAfter never applies.

// A registration whose address is taken is refused by the store: the
// register update answers ECONFLICT, nothing is projected or emailed, and
// the workflow ends (no row, no workflow: the address stays free).
func TestWorksiteRegisterRefused(t *testing.T) {
	h := newHarness(t)
	h.refuseWrite = func(w domain.Write) error {
		if w.Worksite != nil {
			return domain.Errorf(domain.ECONFLICT, "a worksite is already registered at this address and unit")
		}
		return nil
	}
	h.mustRun(h.input(domain.CommunityPrivatePractice))
	if !h.registered.accepted || codeOf(h.registered.err) != domain.ECONFLICT {
		t.Errorf("register: accepted %v, error %v; want accepted, then ECONFLICT", h.registered.accepted, h.registered.err)
	}
	if len(h.projected) != 0 || len(h.emails) != 0 || len(h.audits) != 0 {
		t.Errorf("projected %d statuses, %d emails, %d audits; want none", len(h.projected), len(h.emails), len(h.audits))
	}
	if len(h.writes) != 1 || h.writes[0].Worksite == nil || h.writes[0].Worksite.ID != worksiteID {
		t.Errorf("writes %+v; want the one registration", h.writes)
	}
}

// A registered worksite's row is written in the projection write before
// its first status (the register update's own write), and the update
// returns the status the worksite begins with.
func TestWorksiteRegisterWritesTheRowFirst(t *testing.T) {
	h := newHarness(t)
	st := h.runUntil(h.input(domain.CommunityPrivatePractice), time.Hour)
	if st.State != domain.WorksiteAwaitingDeclaration {
		t.Fatalf("state %s; want awaiting declaration", st.State)
	}
	if !h.registered.completed || h.registered.err != nil || h.registered.status.State != domain.WorksiteAwaitingDeclaration {
		t.Errorf("register = %+v; want completed with the first status", h.registered)
	}
	if len(h.writes) != 1 || h.writes[0].Key != "worksite" {
		t.Errorf("writes %+v; want the registration once", h.writes)
	}
	// The row, the first status, its audit and email: one projection write
	// (one transaction), so the registration's task ends with one marker.
	if h.projections != 1 || len(h.projected) != 1 || len(h.emails) != 1 {
		t.Errorf("%d projection writes, %d statuses, %d emails; want the row and its first status in one", h.projections, len(h.projected), len(h.emails))
	}
}

// A run that never hears of its register update (the API gave up before
// it was accepted) ends at RegisterBy without writing anything.
func TestWorksiteWithoutRegistrationEnds(t *testing.T) {
	h := newHarness(t)
	p := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[domain.CommunityPrivatePractice]
	in := workflows.WorksiteInput{WorksiteID: worksiteID, TypePolicy: p, RegisteredAt: h.start, Schedule: domain.DefaultSchedule(),
		Registrant: registrant, RegisterBy: h.start.Add(15 * time.Second)}
	h.mustRun(in)
	if len(h.writes) != 0 || len(h.projected) != 0 || len(h.emails) != 0 {
		t.Errorf("writes %d, projected %d, emails %d; want nothing", len(h.writes), len(h.projected), len(h.emails))
	}
	if got := h.env.Now().Sub(h.start); got > time.Minute {
		t.Errorf("ended after %v; want at RegisterBy", got)
	}
}

// An update that reaches the workflow after its NotAfter is refused by its
// validator (EUNAVAILABLE: the API has answered 503 by then), so it never
// applies; one in time applies, with its write in the same projection.
func TestWriteUpdatesAfterNotAfterAreRefused(t *testing.T) {
	h := newHarness(t)
	decl := func(id string) *domain.Write {
		return &domain.Write{Key: "declaration/" + worksiteID, Declaration: &domain.DeclarationWrite{WorksiteID: worksiteID, UploadID: id}}
	}
	late := h.update(time.Hour, workflows.UpdateSignDeclaration, "late", workflows.SignDeclaration{SignerName: "Dr Lee",
		SignerTitle: "Lead", RequestID: "late", NotAfter: h.start.Add(time.Hour - time.Second), Write: decl("up-late")})
	inTime := h.update(2*time.Hour, workflows.UpdateSignDeclaration, "in-time", workflows.SignDeclaration{SignerName: "Dr Lee",
		SignerTitle: "Lead", RequestID: "in-time", NotAfter: h.start.Add(2*time.Hour + 10*time.Second), Write: decl("up-ok")})
	h.runUntil(h.input(domain.CommunityPrivatePractice), 3*time.Hour)
	if codeOf(late.rejected) != domain.EUNAVAILABLE || late.accepted {
		t.Errorf("late: rejected %v, accepted %v; want refused EUNAVAILABLE", late.rejected, late.accepted)
	}
	if !inTime.completed || inTime.err != nil || inTime.status.State != domain.WorksiteAwaitingReview {
		t.Errorf("in time: %+v; want applied", inTime)
	}
	var uploads []string
	for _, w := range h.writes {
		if w.Declaration != nil {
			uploads = append(uploads, w.Declaration.UploadID)
		}
	}
	if len(uploads) != 1 || uploads[0] != "up-ok" {
		t.Errorf("declaration writes from %v; want only the one in time", uploads)
	}
}

// The worksite's decision, membership and worksite-level updates carry
// NotAfter too (workflows.Bounded): one that reaches the workflow after it
// is refused (EUNAVAILABLE: the API has answered 503 by then) and changes
// nothing; the same change in time applies.
func TestWorksiteUpdatesAfterNotAfterAreRefused(t *testing.T) {
	h := newHarness(t)
	late := func(at time.Duration) time.Time { return h.start.Add(at - time.Second) }
	inTime := func(at time.Duration) time.Time { return h.start.Add(at + 10*time.Second) }
	h.sign(time.Hour, "sign")
	lateDecide := h.update(2*time.Hour, workflows.UpdateDecide, "late-decide", workflows.Decision{Approve: true,
		Actor: "alice@team.example.ca", RequestID: "late-decide", NotAfter: late(2 * time.Hour)})
	decide := h.update(3*time.Hour, workflows.UpdateDecide, "decide", workflows.Decision{Approve: true,
		Actor: "alice@team.example.ca", RequestID: "decide", NotAfter: inTime(3 * time.Hour)})
	lateJoin := h.update(4*time.Hour, workflows.UpdateRequestJoin, "late-join", workflows.JoinRequestArgs{Requester: carol,
		Comment: "front desk", RequestID: "late-join", NotAfter: late(4 * time.Hour)})
	h.join(5*time.Hour, bob)
	latePromote := h.update(6*time.Hour, workflows.UpdatePromote, "late-promote", workflows.MemberChange{Actor: ada.Subject,
		Target: bob.Subject, RequestID: "late-promote", NotAfter: late(6 * time.Hour)})
	suspend := teamChange("late-suspend", "audit finding")
	suspend.NotAfter = late(7 * time.Hour)
	lateSuspend := h.update(7*time.Hour, workflows.UpdateSuspend, "late-suspend", suspend)
	promote := h.update(8*time.Hour, workflows.UpdatePromote, "promote", workflows.MemberChange{Actor: ada.Subject,
		Target: bob.Subject, RequestID: "promote", NotAfter: inTime(8 * time.Hour)})
	m := h.membership(9 * time.Hour)
	st := h.runUntil(h.input(domain.CommunityPrivatePractice), 10*time.Hour)

	for name, o := range map[string]*updateOutcome{"decide": lateDecide, "request-join": lateJoin, "promote": latePromote,
		"suspend": lateSuspend} {
		if codeOf(o.rejected) != domain.EUNAVAILABLE || o.accepted {
			t.Errorf("late %s: rejected %v, accepted %v; want refused EUNAVAILABLE", name, o.rejected, o.accepted)
		}
	}
	h.mustAccepted("decide in time", decide)
	h.mustAccepted("promote in time", promote)
	if st.State != domain.WorksiteApproved || st.Suspended {
		t.Errorf("worksite %s, suspended %v; want approved by the decision in time, not suspended", st.State, st.Suspended)
	}
	mem := h.mustMembership(m)
	if len(mem.Requests) != 0 {
		t.Errorf("join requests %+v; want none (the late one never applied)", mem.Requests)
	}
	for _, x := range mem.Members {
		if x.Subject == carol.Subject {
			t.Errorf("carol is a member: %+v; want her late request never applied", x)
		}
		if x.Subject == bob.Subject && !x.Admin {
			t.Errorf("bob %+v; want an administrator after the promotion in time", x)
		}
	}
}

// The user workflow's write updates refuse a late arrival the same way,
// and an account whose username the store refuses is not registered.
func TestUserWriteUpdates(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.refuseWrite = func(w domain.Write) error {
		if w.Account != nil && w.Account.Registration.Username == "taken" {
			return domain.Errorf(domain.ECONFLICT, "that username is taken")
		}
		return nil
	}
	account := func(username string) *domain.Write {
		return &domain.Write{Key: "account/" + username, Account: &domain.AccountWrite{Subject: userSubject,
			Registration: domain.AccountRegistration{Username: username}, PasswordHash: "hash"}}
	}
	taken := h.update(time.Minute, workflows.UpdateAccountRegistered, "taken", workflows.AccountRegistered{Username: "taken",
		Profession: domain.ProfPhysician, At: defaultStart.Add(time.Minute), RequestID: "taken", Write: account("taken")})
	ok := h.update(2*time.Minute, workflows.UpdateAccountRegistered, "ok", workflows.AccountRegistered{Username: "psharma",
		Profession: domain.ProfPhysician, At: defaultStart.Add(2 * time.Minute), RequestID: "ok", Write: account("psharma"),
		NotAfter: defaultStart.Add(2*time.Minute + 10*time.Second)})
	late := h.update(time.Hour, workflows.UpdatePasswordChanged, "late", workflows.PasswordChanged{At: defaultStart.Add(time.Hour),
		RequestID: "late", NotAfter: defaultStart.Add(time.Hour - time.Second),
		Write: &domain.Write{Key: "password/late", Password: &domain.PasswordWrite{Subject: userSubject, Hash: "new"}}})
	h.runUntil(userInput(domain.DefaultSchedule()), 2*time.Hour)
	if !taken.completed || codeOf(taken.err) != domain.ECONFLICT {
		t.Errorf("taken: %+v; want completed with ECONFLICT", taken)
	}
	if !ok.completed || ok.err != nil || ok.status.State != domain.UserAccountRegistered || ok.status.Username != "psharma" {
		t.Errorf("ok: %+v; want registered as psharma", ok)
	}
	if late.accepted || codeOf(late.rejected) != domain.EUNAVAILABLE || late.completed {
		t.Errorf("late password: accepted %v, rejected %v; want refused EUNAVAILABLE", late.accepted, late.rejected)
	}
	for _, st := range h.projected {
		if st.Username == "taken" {
			t.Errorf("a refused account's status was projected: %+v", st)
		}
	}
	for _, e := range h.emails {
		if e.At < 2*time.Minute && e.Kind == domain.MailAccountRegistered {
			t.Errorf("a refused account was emailed: %+v", e)
		}
	}
	for _, w := range h.writes {
		if w.Password != nil {
			t.Errorf("a late password reset was written: %+v", w)
		}
	}
}
