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
	reg := h.update(time.Minute, workflows.UpdateAccountRegistered, "register", workflows.AccountRegistered{
		Username: "psharma", Profession: domain.ProfPhysician, At: h.start.Add(time.Minute), RequestID: "register",
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: "n1", Seq: 1, RequestID: "register"}})
	resend := h.update(time.Hour, workflows.UpdateAccountChanged, "resend",
		workflows.AccountChanged{Request: &workflows.EmailConfirmationRequest{Link: "n1", Seq: 2, RequestID: "resend"}})
	noLink := h.update(2*time.Hour, workflows.UpdateAccountChanged, "no-link",
		workflows.AccountChanged{Request: &workflows.EmailConfirmationRequest{RequestID: "no-link"}})
	confirmed := h.update(3*time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(3 * time.Hour), RequestID: "confirm"})
	again := h.update(4*time.Hour, workflows.UpdateEmailConfirmationSettled, "confirm-again",
		workflows.EmailConfirmationSettled{Confirmed: true, At: h.start.Add(4 * time.Hour), RequestID: "confirm-again"})
	change := h.update(5*time.Hour, workflows.UpdateAccountChanged, "change",
		workflows.AccountChanged{Request: &workflows.EmailConfirmationRequest{Link: "n2", Seq: 1, Change: true, RequestID: "change"}})
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
	if st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction || !st.EmailConfirmation.Confirmed || st.EmailConfirmation.Awaiting {
		t.Errorf("after confirming: %s %q %+v; want the email settled, the applicant to register or join a worksite", st.WaitingOn, st.NextAction, st.EmailConfirmation)
	}
	if got := userRejectedType(t, again.rejected); got != domain.ECONFLICT {
		t.Errorf("confirming twice: rejected as %q; want %q", got, domain.ECONFLICT)
	}
	st = h.mustAccepted("change", change)
	if !strings.Contains(st.NextAction, "confirm your new email address") || !st.EmailConfirmation.Confirmed {
		t.Errorf("after a change: %q %+v; want the new address to confirm, the old one still confirmed", st.NextAction, st.EmailConfirmation)
	}
	st = h.mustAccepted("withdraw", withdrawn)
	if st.NextAction != domain.NoWorksiteAction || st.EmailConfirmation.Awaiting || !st.EmailConfirmation.Confirmed {
		t.Errorf("after withdrawing: %q %+v; want no email step (a worksite to register or join), the address confirmed", st.NextAction, st.EmailConfirmation)
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
	reg := h.registered(time.Minute, "register")
	h.runUntil(userInput(domain.DefaultSchedule()), time.Hour)
	st := h.mustAccepted("account-registered", reg)
	if st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction || st.EmailConfirmation != nil {
		t.Errorf("status = %s %q %+v; want only a worksite to register or join, and no email confirmation", st.WaitingOn, st.NextAction, st.EmailConfirmation)
	}
	for _, e := range h.sent() {
		if e.Kind == mail.KindEmailConfirmation {
			t.Errorf("sent %+v; want no confirmation email", e)
		}
	}
}

// TestUserAccountChangedOwnsItsWrites: PATCH /me/account, a resend and a
// confirmation carry their store writes (issue 13): each is made in the
// projection write before the change it means for the enrolment; a write
// the store refuses (the account moved on, the address confirmed by
// another account) answers the refusal and changes nothing; an update
// after its NotAfter never applies.
func TestUserAccountChangedOwnsItsWrites(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.refuseWrite = func(w domain.Write) error {
		switch {
		case w.AccountChange != nil && w.AccountChange.Nonce == "moved":
			return domain.Errorf(domain.ECONFLICT, "your account changed meanwhile; nothing was changed; try again")
		case w.EmailConfirm != nil && w.EmailConfirm.Nonce == "n2" && w.Key == "taken":
			return domain.Errorf(domain.ECONFLICT, "another HxBC account has already confirmed this email address")
		}
		return nil
	}
	h.update(time.Minute, workflows.UpdateAccountRegistered, "register", workflows.AccountRegistered{
		Username: "psharma", Profession: domain.ProfPhysician, At: h.start.Add(time.Minute), RequestID: "register",
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: "n1", Seq: 1, RequestID: "register"}})
	in := func(at time.Duration) time.Time { return h.start.Add(at + 10*time.Second) }
	change := func(at time.Duration, id, nonce string, notAfter time.Time) *userUpdate {
		return h.update(at, workflows.UpdateAccountChanged, id, workflows.AccountChanged{NotAfter: notAfter, RequestID: id,
			Write: &domain.Write{Key: "account-change/" + id, AccountChange: &domain.AccountChangeWrite{Subject: userSubject,
				Change: domain.EmailReplaced, Nonce: nonce}},
			Request: &workflows.EmailConfirmationRequest{Link: nonce, Seq: 1, RequestID: id}})
	}
	phone := h.update(time.Hour, workflows.UpdateAccountChanged, "phone", workflows.AccountChanged{NotAfter: in(time.Hour),
		RequestID: "phone", Write: &domain.Write{Key: "account-change/phone", AccountChange: &domain.AccountChangeWrite{Subject: userSubject}}})
	moved := change(2*time.Hour, "moved", "moved", in(2*time.Hour))
	late := change(3*time.Hour, "late", "late", h.start.Add(3*time.Hour-time.Second))
	replaced := change(4*time.Hour, "replace", "n2", in(4*time.Hour))
	resend := h.update(5*time.Hour, workflows.UpdateAccountChanged, "resend", workflows.AccountChanged{NotAfter: in(5 * time.Hour),
		RequestID: "resend", Write: &domain.Write{Key: "email-link/n2/2", EmailLink: &domain.EmailLinkWrite{Subject: userSubject,
			Nonce: "n2", Seq: 2, PrevNonce: "n2", PrevSeq: 1}},
		Request: &workflows.EmailConfirmationRequest{Link: "n2", Seq: 2, RequestID: "resend"}})
	confirm := func(at time.Duration, key string) *userUpdate {
		return h.update(at, workflows.UpdateEmailConfirmationSettled, key, workflows.EmailConfirmationSettled{Confirmed: true,
			At: h.start.Add(at), RequestID: key, NotAfter: in(at),
			Write: &domain.Write{Key: key, EmailConfirm: &domain.EmailConfirmWrite{Subject: userSubject, Nonce: "n2"}}})
	}
	taken := confirm(6*time.Hour, "taken")
	confirmed := confirm(7*time.Hour, "confirm")
	h.runUntil(userInput(domain.DefaultSchedule()), 8*time.Hour)

	if st := h.mustAccepted("phone", phone); st.EmailConfirmation == nil || st.EmailConfirmation.LinksSent != 1 {
		t.Errorf("after a phone change: %+v; want the email confirmation as it was", st.EmailConfirmation)
	}
	if !moved.completed || codeOf(moved.err) != domain.ECONFLICT {
		t.Errorf("moved: %+v; want completed with ECONFLICT", moved)
	}
	if late.accepted || codeOf(late.rejected) != domain.EUNAVAILABLE {
		t.Errorf("late: accepted %v, rejected %v; want refused EUNAVAILABLE", late.accepted, late.rejected)
	}
	if st := h.mustAccepted("replace", replaced); !st.EmailConfirmation.Awaiting || st.EmailConfirmation.LinksSent != 1 {
		t.Errorf("after a change: %+v; want the new address awaiting, one link", st.EmailConfirmation)
	}
	if st := h.mustAccepted("resend", resend); st.EmailConfirmation.LinksSent != 2 {
		t.Errorf("after a resend: %+v; want two links", st.EmailConfirmation)
	}
	if !taken.completed || codeOf(taken.err) != domain.ECONFLICT {
		t.Errorf("taken: %+v; want completed with ECONFLICT", taken)
	}
	if st := h.mustAccepted("confirm", confirmed); st.EmailConfirmation.Awaiting || !st.EmailConfirmation.Confirmed || st.NextAction != domain.NoWorksiteAction {
		t.Errorf("after confirming: %+v %q; want confirmed, only a worksite to register or join", st.EmailConfirmation, st.NextAction)
	}
	var keys []string
	for _, w := range h.writes {
		keys = append(keys, w.Key)
		if w.Key == "account-change/late" {
			t.Errorf("a late change was written: %+v", w)
		}
	}
	var links []string
	for _, e := range h.sent() {
		if e.Kind == mail.KindEmailConfirmation {
			links = append(links, e.Key)
		}
	}
	want := []string{emailKey("email_confirmation/n1", 1), emailKey("email_confirmation/n2", 1), emailKey("email_confirmation/n2", 2)}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("confirmation emails %v; want %v (none for a refused or late change); writes %v", links, want, keys)
	}
}
