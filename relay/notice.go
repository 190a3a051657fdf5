package relay

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/workflows"
)

// SendNotices is one round of the notice loop: it claims up to BatchSize
// due member notices and signals each to its person's workflow, in the
// order the worksite queued them (and each member profile notice to the
// person's worksites: sendProfile), and records the outcomes. It returns
// how many it claimed. At the first failed signal (Temporal is likely
// down) it stops: the rest of the batch is put back, due when the failed
// one is retried, so that the worksite's order holds.
func (r *Relay) SendNotices(ctx context.Context) (int, error) {
	r.init()
	claimed, err := r.Store.ClaimNotices(ctx, r.Now(), r.Config.BatchSize, r.Config.Lease)
	if err != nil {
		return 0, err
	}
	for i, c := range claimed {
		key := c.Key()
		var o store.Outcome
		var err error
		if c.Profile != nil {
			o, err = r.sendProfile(ctx, *c.Profile)
		} else {
			o, err = r.sendMembership(ctx, c.Notice)
		}
		if err != nil {
			o = r.retry(r.Now(), c.QueuedAt, c.Attempt, err.Error())
			if o.Status == store.EmailFailed {
				r.Log.Error("member notice not delivered: failed for good", "key", key, "attempts", c.Attempt, "error", err)
			}
		}
		if ferr := r.Store.FinishNotice(ctx, key, c.Attempt, o); ferr != nil {
			return len(claimed), fmt.Errorf("relay: notice %s: outcome %s not recorded: %w", key, o.Status, ferr)
		}
		if o.Status == store.EmailPending {
			for _, rest := range claimed[i+1:] {
				back := store.Outcome{Status: store.EmailPending, RetryAt: o.RetryAt, Error: "an earlier notice was not delivered"}
				if ferr := r.Store.FinishNotice(ctx, rest.Key(), rest.Attempt, back); ferr != nil {
					break // its claim lapses instead
				}
			}
			return len(claimed), fmt.Errorf("relay: notice %s not delivered: %w", key, err)
		}
	}
	return len(claimed), nil
}

// sendMembership signals member notice n to its person's workflow. The
// outcome is sent (or skipped: the person never signed in, so has no
// enrolment workflow to tell) when err is nil; an error is the failed
// signal.
func (r *Relay) sendMembership(ctx context.Context, n domain.MembershipNotice) (store.Outcome, error) {
	err := r.Temporal.SignalWorkflow(ctx, workflows.UserWorkflowID(n.Subject), "", workflows.SignalMembershipChanged, n)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return store.Outcome{Status: store.EmailSent}, nil
	case errors.As(err, &notFound):
		return store.Outcome{Status: store.EmailSkipped, Error: "the person has no enrolment workflow"}, nil
	}
	return store.Outcome{}, err
}

// sendProfile signals member profile notice n to the workflow of every
// worksite where its person is a member or has asked to join, as they are
// now, with the account's display name and address in force now (as an
// email is rendered when it is sent). A worksite whose workflow has ended
// is passed over. The outcome is sent (or skipped: no account) when err is
// nil; an error is the first failed signal, and the whole notice is tried
// again (a worksite applies each Seq once).
func (r *Relay) sendProfile(ctx context.Context, n domain.MemberProfileNotice) (store.Outcome, error) {
	acct, err := r.Store.GetAccount(ctx, n.Subject)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return store.Outcome{Status: store.EmailSkipped, Error: "the person has no account"}, nil
	}
	if err != nil {
		return store.Outcome{}, err
	}
	n.Name, n.Email = acct.DisplayName(), acct.Email
	ids, err := r.Store.PersonWorksites(ctx, n.Subject)
	if err != nil {
		return store.Outcome{}, err
	}
	for _, id := range ids {
		err := r.Temporal.SignalWorkflow(ctx, workflows.WorksiteWorkflowID(id), "", workflows.SignalMemberProfileChanged, n)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return store.Outcome{}, err
		}
	}
	return store.Outcome{Status: store.EmailSent}, nil
}
