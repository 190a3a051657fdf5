package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// EmailConfirmationRequest is the argument of
// AccountChanged; AccountRegistered carries one for the
// address given at registration.
type EmailConfirmationRequest struct {
	// Link is the nonce of the one link that may confirm the address; Seq
	// numbers the links sent for it (1 the first). Together they key the
	// email, so each is sent once.
	Link string
	Seq  int
	// Change is set when the address replaces a confirmed one, which
	// stays in force until then.
	Change    bool
	RequestID string
}

// EmailConfirmationSettled is the argument of UpdateEmailConfirmationSettled.
type EmailConfirmationSettled struct {
	// Confirmed: the awaited address was confirmed; otherwise the change
	// of address was withdrawn and the confirmed address stays.
	Confirmed bool
	At        time.Time
	RequestID string
	// Write (an EmailConfirmWrite) confirms the address in the store,
	// first; the store may refuse it (the link replaced, the address
	// confirmed by another account).
	Write    *domain.Write `json:",omitempty"`
	NotAfter time.Time
}

// AccountChanged is the argument of UpdateAccountChanged. Write (an
// AccountChangeWrite or an EmailLinkWrite) is the change, which the
// workflow stores first; the store refuses it (the update answers with the
// refusal, nothing changed) when the account is no longer as the API read
// it. Then Request sends a link to confirm the awaited address, or
// Withdrawn records that the change of address was withdrawn.
type AccountChanged struct {
	Write     *domain.Write `json:",omitempty"`
	NotAfter  time.Time
	Request   *EmailConfirmationRequest `json:",omitempty"`
	Withdrawn bool                      `json:",omitempty"`
	// Profile is set when the change gives the account another display
	// name or address in force: the person's worksites are told
	// (tellWorksites) with the change.
	Profile   bool `json:",omitempty"`
	RequestID string
}

func (u *userRun) registerEmailHandlers(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAccountChanged,
		func(ctx workflow.Context, a AccountChanged) (domain.UserStatus, error) {
			var apply, undo func()
			if a.Profile {
				seq := u.ProfileSeq
				apply = func() { u.tellWorksites(ctx, "name or email address changed") }
				undo = func() { u.ProfileSeq = seq }
			}
			if a.Write != nil {
				if err := u.fx.own(ctx, *a.Write, apply, undo); err != nil {
					return domain.UserStatus{}, appErr(err)
				}
			} else if apply != nil {
				apply()
			}
			switch {
			case a.Request != nil:
				u.requestEmailConfirmation(ctx, *a.Request)
			case a.Withdrawn:
				u.settleEmailConfirmation(ctx, false)
			case a.Profile && a.Write == nil:
			default:
				return u.Status, nil // contact details: nothing the enrolment shows (a profile notice went with the write)
			}
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a AccountChanged) error {
			if err := notAfter(ctx, a.NotAfter); err != nil {
				return appErr(err)
			}
			if a.Request != nil && (a.Request.Link == "" || a.Request.Seq < 1) {
				return appErr(domain.Errorf(domain.EINVALID, "an email confirmation needs its link"))
			}
			return appErr(u.needAccount())
		}}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateEmailConfirmationSettled,
		func(ctx workflow.Context, s EmailConfirmationSettled) (domain.UserStatus, error) {
			if s.Write != nil {
				// One projection write carries the confirmation and the
				// status it makes (a confirmation is on every applicant's
				// path). The store refuses it only when another account
				// confirmed the address in the moment since the API checked:
				// then the status goes back as it was.
				before, seq := u.Status, u.ProfileSeq
				apply := func() { u.settleEmailConfirmation(ctx, s.Confirmed) }
				undo := func() { u.Status, u.ProfileSeq = before, seq }
				if err := u.fx.own(ctx, *s.Write, apply, undo); err != nil {
					return domain.UserStatus{}, appErr(err)
				}
				return u.Status, nil
			}
			u.settleEmailConfirmation(ctx, s.Confirmed)
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, s EmailConfirmationSettled) error {
			if err := notAfter(ctx, s.NotAfter); err != nil {
				return appErr(err)
			}
			if err := u.needAccount(); err != nil {
				return appErr(err)
			}
			if e := u.Status.EmailConfirmation; e != nil && !e.Awaiting {
				return appErr(domain.Errorf(domain.ECONFLICT, "no email address awaits confirmation"))
			}
			return nil
		}})
}

// settleEmailConfirmation records that the awaited address was confirmed,
// or that the change of address was withdrawn.
func (u *userRun) settleEmailConfirmation(ctx workflow.Context, confirmed bool) {
	// A confirmed address replaced by another one confirmed now: the
	// worksites must use the new one (the first confirmation changes no
	// address).
	replaced := confirmed && u.Status.EmailConfirmation != nil && u.Status.EmailConfirmation.Awaiting && u.Status.EmailConfirmation.Confirmed
	if replaced {
		defer u.tellWorksites(ctx, "email address changed")
	}
	u.setEmailConfirmation(func(e *domain.EmailConfirmation) {
		e.Awaiting, e.Since, e.LinksSent = false, nil, 0
		e.Confirmed = e.Confirmed || confirmed
	})
	if confirmed {
		u.event(ctx, "email_confirmed", "email address confirmed through the link sent to it")
	} else {
		u.event(ctx, "email_change_withdrawn", "the change of email address was withdrawn; the confirmed address stays")
	}
	u.nextAction(ctx)
}

// setEmailConfirmation changes a copy of the status's email confirmation
// and puts it in place, so that no status handed out before (an update's
// result, a queued projection) shares what changes.
func (u *userRun) setEmailConfirmation(change func(*domain.EmailConfirmation)) {
	var e domain.EmailConfirmation
	if u.Status.EmailConfirmation != nil {
		e = *u.Status.EmailConfirmation
	}
	change(&e)
	u.Status.EmailConfirmation = &e
}

// requestEmailConfirmation records that the address awaits confirmation
// and sends link r.Seq to it, once per link; the applicant must act next.
func (u *userRun) requestEmailConfirmation(ctx workflow.Context, r EmailConfirmationRequest) {
	now := workflow.Now(ctx)
	u.setEmailConfirmation(func(e *domain.EmailConfirmation) {
		if !e.Awaiting || r.Seq == 1 {
			e.Since = &now // a new address
		}
		e.Awaiting, e.Confirmed, e.LinksSent = true, r.Change, r.Seq
	})
	which := "the account's address"
	change := ""
	if r.Change {
		which, change = "the new address", "changed"
	}
	u.event(ctx, "email_confirmation_sent", fmt.Sprintf("link %d sent to confirm %s", r.Seq, which))
	u.sendUserEmail(domain.UserEmail{Key: fmt.Sprintf("user/%s/%s/%s/%d", u.in.Subject, domain.MailEmailConfirmation, r.Link, r.Seq),
		Kind: domain.MailEmailConfirmation, Subject: u.in.Subject, Seq: r.Seq, EmailLink: r.Link, Change: change})
	u.nextAction(ctx)
}

// nextAction sets who must act next from the state, the email
// confirmation and the worksites (domain.UserStatus.NextStep); a changed
// action starts a new wait.
func (u *userRun) nextAction(ctx workflow.Context) {
	u.refreshNextAction(ctx)
	u.Status.Seq++
}

// refreshNextAction is nextAction for a change that counts its own Seq.
func (u *userRun) refreshNextAction(ctx workflow.Context) {
	party, action := u.Status.NextStep()
	if party != u.Status.WaitingOn || action != u.Status.NextAction {
		u.Status.WaitingOn, u.Status.NextAction, u.Status.WaitingSince = party, action, workflow.Now(ctx)
	}
}
