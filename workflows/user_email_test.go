package workflows_test

import (
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/mail"
	"careconnect/workflows"
)

// TestUserEmailConfirmation: registering with a link sends it (once per
// link) and makes confirming the email the applicant's next action; a
// resend sends the next link; a change of a confirmed address says so;
// settling clears the action; a settled confirmation is not settled twice.
func TestUserEmailConfirmation(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.validated(0, "sign-in")
	reg := h.update(time.Minute, workflows.UpdateAccountRegistered, "register", workflows.AccountRegistered{
		Username: "psharma", Profession: domain.ProfPhysician, At: h.start.Add(time.Minute), RequestID: "register",
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: "n1", Seq: 1, RequestID: "register"}})
	resend := h.update(time.Hour, workflows.UpdateEmailConfirmationRequested, "resend",
		workflows.EmailConfirmationRequest{Link: "n1", Seq: 2, RequestID: "resend"})
	noLink := h.update(2*time.Hour, workflows.UpdateEmailConfirmationRequested, "no-link",
		workflows.EmailConfirmationRequest{RequestID: "no-link"})
	confirmed := h.update(3*time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(3 * time.Hour), RequestID: "confirm"})
	again := h.update(4*time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm-again",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(4 * time.Hour), RequestID: "confirm-again"})
	change := h.update(5*time.Hour, workflows.UpdateEmailConfirmationRequested, "change",
		workflows.EmailConfirmationRequest{Link: "n2", Seq: 1, Change: true, RequestID: "change"})
	withdrawn := h.update(6*time.Hour, workflows.UpdateEmailConfirmationSettled, "withdraw",
		workflows.EmailConfirmationSettled{At: h.start.Add(6 * time.Hour), RequestID: "withdraw"})
	h.runUntil(userInput(domain.DefaultSchedule()), 7*time.Hour)

	st := h.mustAccepted("account-registered", reg)
	if st.WaitingOn != domain.PartyApplicant || !strings.Contains(st.NextAction, "confirm your email address") ||
		st.EmailConfirmation == nil || !st.EmailConfirmation.Awaiting || st.EmailConfirmation.Confirmed || st.EmailConfirmation.LinksSent != 1 {
		t.Errorf("after registering: %s %q %+v; want the applicant to confirm the address, one link sent", st.WaitingOn, st.NextAction, st.EmailConfirmation)
	}
	if p := reg.projected; !strings.Contains(p.NextAction, "confirm your email address") {
		t.Errorf("projection after registering: %q; want the next action projected before the update returns", p.NextAction)
	}
	if st := h.mustAccepted("resend", resend); st.EmailConfirmation.LinksSent != 2 || !strings.Contains(st.NextAction, "confirm your email address") {
		t.Errorf("after a resend: %+v %q; want two links, still waiting", st.EmailConfirmation, st.NextAction)
	}
	if got := userRejectedType(t, noLink.rejected); got != domain.EINVALID {
		t.Errorf("a request without a link: rejected as %q; want %q", got, domain.EINVALID)
	}
	st = h.mustAccepted("confirm", confirmed)
	if st.WaitingOn != domain.PartyNone || st.NextAction != "" || !st.EmailConfirmation.Confirmed || st.EmailConfirmation.Awaiting {
		t.Errorf("after confirming: %s %q %+v; want nothing waiting", st.WaitingOn, st.NextAction, st.EmailConfirmation)
	}
	if got := userRejectedType(t, again.rejected); got != domain.ECONFLICT {
		t.Errorf("confirming twice: rejected as %q; want %q", got, domain.ECONFLICT)
	}
	st = h.mustAccepted("change", change)
	if !strings.Contains(st.NextAction, "confirm your new email address") || !st.EmailConfirmation.Confirmed {
		t.Errorf("after a change: %q %+v; want the new address to confirm, the old one still confirmed", st.NextAction, st.EmailConfirmation)
	}
	st = h.mustAccepted("withdraw", withdrawn)
	if st.NextAction != "" || st.EmailConfirmation.Awaiting || !st.EmailConfirmation.Confirmed {
		t.Errorf("after withdrawing: %q %+v; want nothing waiting, the address confirmed", st.NextAction, st.EmailConfirmation)
	}
	kinds := userTimeline(st)
	for _, want := range []string{"email_confirmation_sent", "email_confirmed", "email_change_withdrawn"} {
		if !strings.Contains(strings.Join(kinds, " "), want) {
			t.Errorf("timeline %v lacks %s", kinds, want)
		}
	}
	var links []string
	for _, e := range h.sent() {
		if e.Kind == mail.KindEmailConfirmation {
			links = append(links, e.Key)
		}
	}
	want := []string{emailKey("email_confirmation/n1", 1), emailKey("email_confirmation/n1", 2), emailKey("email_confirmation/n2", 1)}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("confirmation emails %v; want %v (one per link)", links, want)
	}
}

// TestUserRegisteredWithoutLink: a registration that carries no link (as
// before addresses were confirmed) asks nothing of the applicant and sends
// no confirmation email, as those runs did.
func TestUserRegisteredWithoutLink(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.validated(0, "sign-in")
	reg := h.registered(time.Minute, "register")
	h.runUntil(userInput(domain.DefaultSchedule()), time.Hour)
	st := h.mustAccepted("account-registered", reg)
	if st.WaitingOn != domain.PartyNone || st.NextAction != "" || st.EmailConfirmation != nil {
		t.Errorf("status = %s %q %+v; want nothing waiting and no email confirmation", st.WaitingOn, st.NextAction, st.EmailConfirmation)
	}
	for _, e := range h.sent() {
		if e.Kind == mail.KindEmailConfirmation {
			t.Errorf("sent %+v; want no confirmation email", e)
		}
	}
}
