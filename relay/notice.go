package relay

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"careconnect/store"
	"careconnect/workflows"
)

// SendNotices is one round of the notice loop: it claims up to BatchSize
// due member notices and signals each to its person's workflow, in the
// order the worksite queued them, and records the outcomes. It returns
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
		n := c.Notice
		var o store.Outcome
		err := r.Temporal.SignalWorkflow(ctx, workflows.UserWorkflowID(n.Subject), "", workflows.SignalMembershipChanged, n)
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			o = store.Outcome{Status: store.EmailSent}
		case errors.As(err, &notFound):
			// The person never signed in, so has no enrolment workflow: nothing to tell.
			o = store.Outcome{Status: store.EmailSkipped, Error: "the person has no enrolment workflow"}
		default:
			o = r.retry(r.Now(), c.QueuedAt, c.Attempt, err.Error())
			if o.Status == store.EmailFailed {
				r.Log.Error("member notice not delivered: failed for good", "key", n.Key, "attempts", c.Attempt, "error", err)
			}
		}
		if ferr := r.Store.FinishNotice(ctx, n.Key, c.Attempt, o); ferr != nil {
			return len(claimed), fmt.Errorf("relay: notice %s: outcome %s not recorded: %w", n.Key, o.Status, ferr)
		}
		if o.Status == store.EmailPending {
			for _, rest := range claimed[i+1:] {
				back := store.Outcome{Status: store.EmailPending, RetryAt: o.RetryAt, Error: "an earlier notice was not delivered"}
				if ferr := r.Store.FinishNotice(ctx, rest.Notice.Key, rest.Attempt, back); ferr != nil {
					break // its claim lapses instead
				}
			}
			return len(claimed), fmt.Errorf("relay: notice %s not delivered: %w", n.Key, err)
		}
	}
	return len(claimed), nil
}
