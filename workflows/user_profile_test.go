package workflows_test

import (
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/workflows"
)

// TestUserProfileReachesWorksites: a profession correction, a change of
// name, a change of the address in force, and the confirmation of a new
// address that replaces a confirmed one each queue a member profile notice
// for the person's worksites (numbered, keyed once each), in the same
// projection write as the change; registering, the first confirmation and
// a phone change queue none, and a refused change none either.
func TestUserProfileReachesWorksites(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.update(time.Minute, workflows.UpdateAccountRegistered, "register", workflows.AccountRegistered{
		Username: "psharma", Profession: domain.ProfMOA, At: h.start.Add(time.Minute), RequestID: "register",
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: "n1", Seq: 1, RequestID: "register"}})
	h.update(time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(time.Hour), RequestID: "confirm"})
	h.update(2*time.Hour, workflows.UpdateAccountChanged, "phone", workflows.AccountChanged{RequestID: "phone",
		Write: &domain.Write{Key: "account-change/phone"}})
	physician := domain.IndexProfessions(domain.DefaultProfessions())[domain.ProfPhysician]
	h.update(3*time.Hour, workflows.UpdateProfessionChanged, "correct", workflows.ProfessionChanged{
		From: domain.ProfMOA, To: domain.ProfPhysician, Policy: physician, Actor: "team", Reason: "CPSBC lists her", RequestID: "correct"})
	h.update(4*time.Hour, workflows.UpdateAccountChanged, "rename", workflows.AccountChanged{RequestID: "rename", Profile: true,
		Write: &domain.Write{Key: "account-change/rename"}})
	refused := h.update(5*time.Hour, workflows.UpdateAccountChanged, "refused", workflows.AccountChanged{RequestID: "refused", Profile: true,
		Write: &domain.Write{Key: "account-change/refused"}})
	h.refuseWrite = func(w domain.Write) error {
		if w.Key == "account-change/refused" {
			return domain.Errorf(domain.ECONFLICT, "the account changed meanwhile")
		}
		return nil
	}
	h.update(6*time.Hour, workflows.UpdateAccountChanged, "new-email", workflows.AccountChanged{RequestID: "new-email",
		Write:   &domain.Write{Key: "account-change/new-email"},
		Request: &workflows.EmailConfirmationRequest{Link: "n2", Seq: 1, Change: true, RequestID: "new-email"}})
	h.update(7*time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm-new",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(7 * time.Hour), RequestID: "confirm-new"})
	h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

	if refused.err == nil {
		t.Errorf("the refused change succeeded; want its refusal")
	}
	want := []struct {
		at       time.Duration
		seq      int
		userType domain.UserType
	}{{3 * time.Hour, 1, domain.Authorizer}, {4 * time.Hour, 2, domain.Authorizer}, {7 * time.Hour, 3, domain.Authorizer}}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.profiles) != len(want) {
		t.Fatalf("profile notices = %+v; want %d", h.profiles, len(want))
	}
	for i, w := range want {
		n := h.profiles[i]
		key := "user/" + userSubject + "/profile/" + string(rune('0'+w.seq))
		if n.At != w.at || n.Notice.Seq != w.seq || n.Notice.Key != key || n.Notice.Subject != userSubject ||
			n.Notice.Profession != domain.ProfPhysician || n.Notice.UserType != w.userType {
			t.Errorf("notice %d = %+v at +%v; want seq %d (%s) at +%v, physician %s", i, n.Notice, n.At, w.seq, key, w.at, w.userType)
		}
	}
}

// TestUserWithoutWorksiteWaitsOnApplicant: a registered account that asks
// nothing more and has no active worksite waits on the applicant, who must
// register or join one, in its status and its search attributes; a
// membership approved ends that, and a deactivation brings it back.
func TestUserWithoutWorksiteWaitsOnApplicant(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	registered := h.query(time.Hour)
	notice := func(at time.Duration, seq int, active bool, change string) {
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalMembershipChanged, workflows.MembershipNotice{Seq: seq, Subject: userSubject,
				WorksiteID: "K4T6CLP", Change: change, Active: active, At: h.start.Add(at), WorksiteState: domain.WorksiteApproved})
		}, at)
	}
	notice(2*time.Hour, 1, true, "membership approved")
	member := h.query(3 * time.Hour)
	notice(4*time.Hour, 2, false, "deactivated")
	deactivated := h.query(5 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 6*time.Hour)

	if st := h.mustStatus(registered); st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction {
		t.Errorf("registered, no worksite: %q %q; want the applicant to register or join one", st.WaitingOn, st.NextAction)
	}
	if st := h.mustStatus(member); st.WaitingOn != domain.PartyNone || st.NextAction != "" || !st.WaitingSince.Equal(h.start.Add(2*time.Hour)) {
		t.Errorf("a member: %q %q since %v; want nobody, since the approval", st.WaitingOn, st.NextAction, st.WaitingSince)
	}
	if st := h.mustStatus(deactivated); st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction {
		t.Errorf("deactivated: %q %q; want the applicant to register or join a worksite", st.WaitingOn, st.NextAction)
	}
	if v := h.mustStatus(registered).Visibility(); v.WaitingOn != domain.PartyApplicant {
		t.Errorf("search attributes' waitingOn = %q; want the applicant", v.WaitingOn)
	}
}
