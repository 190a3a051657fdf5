package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
)

// errSkip says an email is no longer wanted (an email confirmation for an
// address that no longer awaits confirmation).
var errSkip = errors.New("relay: not sent")

// emailLoop sends emails until ctx is done. It keeps up to BatchSize sends
// under way at once, each on its own, and claims more whenever one
// finishes, a projection write wakes it, or the interval passes: a slow
// SMTP conversation holds only its own email. It returns once the sends
// under way have finished (each within the lease): a send cut off midway
// would be sent again by another relay.
func (r *Relay) emailLoop(ctx context.Context, wake <-chan struct{}) {
	t := time.NewTicker(r.Config.Interval)
	defer t.Stop()
	done := make(chan struct{}, r.Config.BatchSize) // one per send; never more than BatchSize under way
	var wg sync.WaitGroup
	defer wg.Wait()
	busy, failing := 0, false
	for ctx.Err() == nil {
		if free := r.Config.BatchSize - busy; free > 0 {
			cctx, cancel := context.WithTimeout(ctx, r.Config.Lease)
			claimed, err := r.Store.ClaimEmails(cctx, r.Now(), free, r.Config.Lease)
			cancel()
			failing = r.noteRound(ctx, "emails", failing, err)
			for _, e := range claimed {
				busy++
				wg.Add(1)
				go func() {
					defer wg.Done()
					sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Config.Lease)
					defer cancel()
					if err := r.sendEmail(sctx, e); err != nil {
						r.Log.Warn("relay: email outcome not recorded; its claim will lapse", "error", err)
					}
					done <- struct{}{}
				}()
			}
			if len(claimed) == free {
				continue // more may be due: claim again once a send finishes
			}
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		case <-done:
			busy--
		}
	}
}

// SendEmails is one round of the email loop: it claims up to BatchSize
// due emails, sends them at once, and records each attempt's outcome. It
// returns how many it claimed. An email is sent once per key: it is
// claimed only while pending, marked sent once the SMTP server accepted
// it, and every copy carries the Message-ID its key gives.
func (r *Relay) SendEmails(ctx context.Context) (int, error) {
	r.init()
	claimed, err := r.Store.ClaimEmails(ctx, r.Now(), r.Config.BatchSize, r.Config.Lease)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	for i, e := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.sendEmail(ctx, e)
		}()
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// sendEmail renders and sends one claimed email and records the outcome.
// An error is returned only when the outcome could not be recorded: the
// claim then lapses and the email is tried again (if it was delivered, that
// is the one duplicate SMTP allows, under the same Message-ID).
func (r *Relay) sendEmail(ctx context.Context, e store.OutboxEmail) error {
	key, kind := e.Email.Key(), e.Email.Kind()
	to, rendered, err := r.render(ctx, e)
	var o store.Outcome
	switch {
	case errors.Is(err, errSkip):
		o = store.Outcome{Status: store.EmailSkipped, Error: err.Error()}
		r.Log.Info("email not sent: no longer wanted", "key", key, "reason", err)
	case err != nil && final(err):
		o = failedForGood("could not be prepared: " + domain.ErrorMessage(err))
	case err != nil:
		o = r.retry(r.Now(), e.QueuedAt, e.Attempt, "could not be prepared: "+err.Error())
	default:
		sendErr := r.Mailer.Send(ctx, mail.Message{To: to, Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML, IdempotencyKey: key})
		switch {
		case sendErr == nil:
			o = store.Outcome{Status: store.EmailSent, To: to, Subject: rendered.Subject}
		case mail.IsPermanent(sendErr):
			o = failedForGood("the mail server refused it: " + sendErr.Error())
		default:
			o = r.retry(r.Now(), e.QueuedAt, e.Attempt, sendErr.Error())
		}
		if o.Status != store.EmailSent {
			o.To, o.Subject = to, rendered.Subject
		}
	}
	switch o.Status {
	case store.EmailFailed:
		// Marked failed with an audit record on the worksite's or the
		// person's timeline, in the same transaction (what the team sees).
		o.Audit = failureAudit(e, r.Now(), o.Error)
		r.Log.Error("email not delivered: failed for good", "key", key, "kind", kind, "attempts", e.Attempt, "error", o.Error)
	case store.EmailPending:
		r.Log.Warn("email not delivered; will retry", "key", key, "kind", kind, "attempt", e.Attempt, "retry_at", o.RetryAt, "error", o.Error)
	}
	if err := r.Store.FinishEmail(ctx, key, e.Attempt, o); err != nil {
		return fmt.Errorf("relay: email %s: outcome %s not recorded: %w", key, o.Status, err)
	}
	if r.Metrics != nil {
		r.Metrics.EmailAttempt(string(kind), attemptOutcome[o.Status])
	}
	return nil
}

// attemptOutcome names an outcome's status for EmailMetrics.
var attemptOutcome = map[string]string{store.EmailSent: "sent", store.EmailPending: "retry",
	store.EmailFailed: "failed", store.EmailSkipped: "skipped"}

// failedForGood is the outcome of an email that no retry can send.
func failedForGood(reason string) store.Outcome {
	return store.Outcome{Status: store.EmailFailed, Error: reason}
}

// failureAudit is the audit record of an email that failed for good, on
// the timeline of the worksite or the person it was about, so the team
// sees it there (DOMAIN "Emails": each email is recorded with its delivery
// outcome).
func failureAudit(e store.OutboxEmail, at time.Time, reason string) *domain.AuditEvent {
	a := domain.AuditEvent{Key: e.Email.Key() + "/failed", At: at, Actor: "system", Role: "system",
		Action: "email not delivered", Detail: string(e.Email.Kind()) + ": " + reason}
	switch {
	case e.Email.Worksite != nil:
		a.WorksiteID, a.Subject = e.Email.Worksite.WorksiteID, "worksite:"+e.Email.Worksite.WorksiteID
	case e.Email.User != nil:
		a.WorksiteID, a.Subject = e.Email.User.WorksiteID, "person:"+e.Email.User.Subject
	}
	return &a
}

// final reports whether err is one no retry mends: a missing record or an
// invalid email.
func final(err error) bool {
	c := domain.ErrorCode(err)
	return c == domain.ENOTFOUND || c == domain.EINVALID
}
