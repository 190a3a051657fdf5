package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// effects is how both enrolment workflows act on the world, one mechanism
// for both. Update handlers, signal handlers and timers only change the
// run's state, queue audit records, emails and member notices here, and
// mark the change. The run's main loop then flushes, and a flush is:
//
//   - at most one projection write: one local activity (ActivityProject)
//     carrying what changed since the last write (the status, and the
//     membership or the applications), the queued audit records, and the
//     queued emails and member notices, which the store writes in one
//     transaction; none when nothing changed. The emails and notices go
//     into the outbox there, so each exists exactly when the change that
//     caused it committed, and the worker's relay sends them: an email is
//     no activity, and nothing in the workflow waits for SMTP or for
//     another workflow;
//   - at most one search attribute upsert, only when what the Temporal Web
//     UI shows (domain.Visibility) changed.
//
// An update handler marks its change and returns once a flush has written
// it (settle), so the API reads the caller's own change from the
// projection. Because a flush first lets every coroutine woken by the
// task's events run, a workflow task ends with one projection write however
// many updates, signals and timers it carried (the replay test checks each
// recorded history for it). Temporal runs one coroutine at a time, so no
// field needs a lock.
type effects struct {
	queued
	// writes are the business writes (domain.Write) the next projection
	// write makes first; refused are the writes it refused that an update
	// handler waits to hear of (own), and owned their keys.
	writes  []domain.Write
	refused []domain.WriteRefusal
	owned   []string
	// carried are the changes that owned writes carry (own's apply): their
	// effects, written with the write or not at all.
	carried []*carried
	// marked counts the changes marked; flushed is what marked was when
	// the last finished flush began, so every change up to it is written.
	marked, flushed int
}

// queued is what a projection write carries besides the run's state: its
// audit records and its outbox.
type queued struct {
	audits  []domain.AuditEvent
	emails  []domain.Email
	notices []domain.MembershipNotice
	// profiles are the person's profile notices to their worksites.
	profiles []domain.MemberProfileNotice
}

// then is q followed by o; it never writes to q's arrays.
func (q queued) then(o queued) queued {
	return queued{audits: append(slices.Clip(q.audits), o.audits...), emails: append(slices.Clip(q.emails), o.emails...),
		notices: append(slices.Clip(q.notices), o.notices...), profiles: append(slices.Clip(q.profiles), o.profiles...)}
}

// into sets p's audit records and outbox to q's.
func (q queued) into(p *domain.Projection) {
	p.Audits, p.Emails, p.Notices, p.ProfileNotices = q.audits, q.emails, q.notices, q.profiles
}

// projector is a workflow run's part in the effect model.
type projector interface {
	// changes returns the projection of what changed since the last write
	// (audit records and outbox aside) and a func that records it written.
	changes() (domain.Projection, func())
	// visibility is what the search attributes should show now.
	visibility() domain.Visibility
}

// mark records a change that the next flush must write and returns its number.
func (fx *effects) mark() int {
	fx.marked++
	return fx.marked
}

// pending reports whether a marked change waits for a flush.
func (fx *effects) pending() bool { return fx.marked > fx.flushed }

// audit queues an audit record for the next projection write.
func (fx *effects) audit(e domain.AuditEvent) { fx.audits = append(fx.audits, e) }

// email queues an email for the next projection write, which puts it in
// the outbox; a change is marked, so a flush follows.
func (fx *effects) email(e domain.Email) {
	fx.emails = append(fx.emails, e)
	fx.mark()
}

// notice queues a member notice for the next projection write, as email does.
func (fx *effects) notice(n domain.MembershipNotice) {
	fx.notices = append(fx.notices, n)
	fx.mark()
}

// profile queues a member profile notice for the next projection write, as email does.
func (fx *effects) profile(n domain.MemberProfileNotice) {
	fx.profiles = append(fx.profiles, n)
	fx.mark()
}

// write queues a business write the workflow owns for the next projection
// write, in the same transaction as the change that carries it. Use it for
// a write the store cannot refuse (an update of the person's own row);
// own, for one it can.
func (fx *effects) write(w domain.Write) {
	fx.writes = append(fx.writes, w)
	fx.mark()
}

// own makes a business write the store may refuse (a unique address or
// username) and waits for it. apply (nil: none) makes the change the write
// carries: it changes the run's state and queues its effects at once, so
// the next flush writes the row, the change's status, audit records and
// outbox in one projection write (one transaction). A refusal rolls that
// transaction back; the flush then drops the change's effects and calls
// undo, which must restore the state apply changed, so a refused write
// leaves no trace; own returns the refusal as a domain error. ctx is the
// update handler's.
func (fx *effects) own(ctx workflow.Context, w domain.Write, apply, undo func()) error {
	fx.owned = append(fx.owned, w.Key)
	fx.writes = append(fx.writes, w)
	c := &carried{key: w.Key, undo: undo}
	if apply != nil {
		saved := fx.queued
		fx.queued = queued{}
		apply()
		c.queued, fx.queued = fx.queued, saved
	}
	fx.carried = append(fx.carried, c)
	target := fx.mark()
	_ = workflow.Await(ctx, func() bool {
		return fx.flushed >= target || slices.ContainsFunc(fx.refused, func(r domain.WriteRefusal) bool { return r.Key == w.Key })
	})
	fx.owned = slices.DeleteFunc(fx.owned, func(k string) bool { return k == w.Key })
	for i, r := range fx.refused {
		if r.Key == w.Key {
			fx.refused = slices.Delete(fx.refused, i, i+1)
			return r.Err()
		}
	}
	return nil
}

// carried is the change an owned write carries: its effects, and how to
// undo its state change when the store refuses the write.
type carried struct {
	key string
	queued
	undo func()
}

// notAfter refuses a write update that reaches the workflow after its
// NotAfter (zero: none): the API has answered 503 "nothing was changed" by
// then, so it must never apply.
func notAfter(ctx workflow.Context, at time.Time) error {
	if !at.IsZero() && workflow.Now(ctx).After(at) {
		return domain.Unavailable()
	}
	return nil
}

// settle marks an update handler's change and blocks until a flush has
// written it. ctx is the handler's own.
func (fx *effects) settle(ctx workflow.Context) {
	target := fx.mark()
	_ = workflow.Await(ctx, func() bool { return fx.flushed >= target })
}

// flush writes what changed, with the queued audit records, emails and
// notices, and upserts the search attributes if they changed. ctx
// carries the activity options.
func (fx *effects) flush(ctx workflow.Context, r projector) {
	// Every other coroutine this task's events woke (update handlers,
	// signals) runs first, so one write carries all their changes: a
	// coroutine started now runs after them.
	yielded := false
	workflow.Go(ctx, func(workflow.Context) { yielded = true })
	_ = workflow.Await(ctx, func() bool { return yielded })
	target := fx.marked
	carries := fx.carried
	fx.carried = nil
	kept, out := fx.queued, fx.queued
	for _, c := range carries {
		out = out.then(c.queued)
	}
	p, wrote := r.changes()
	out.into(&p)
	p.Writes = fx.writes
	fx.queued, fx.writes = queued{}, nil
	if !p.Empty() {
		lctx := workflow.WithLocalActivityOptions(ctx, localActivityOptions())
		var res domain.ProjectResult
		if err := workflow.ExecuteLocalActivity(lctx, ActivityProject, p).Get(ctx, &res); err != nil {
			// Retried for a day (a database outage) or refused for good. The
			// next change writes the whole state again, which mends it, and
			// carries what this write would have: its audit records, emails
			// and notices wait for it (they mark nothing, so a refused write
			// is not retried at once, forever). An owned write's handler
			// hears of the failure, and the change it carries is undone.
			workflow.GetLogger(ctx).Error("projection not written", "error", err)
			var failed []domain.WriteRefusal
			for _, w := range p.Writes {
				if slices.Contains(fx.owned, w.Key) {
					failed = append(failed, domain.WriteRefusal{Key: w.Key, Code: domain.EUNPROCESSABLE,
						Message: "the change could not be stored; nothing was changed; try again"})
				}
			}
			fx.requeue(ctx, kept, p.Writes, carries, failed, false)
		} else if res.RolledBack {
			// A write was refused and nothing was stored: the refused
			// writes' changes are undone, everything else is written again
			// at once.
			fx.requeue(ctx, kept, p.Writes, carries, res.Refused, true)
			target = fx.flushed // the changes that were not refused are not written yet
		} else {
			wrote()
			fx.hear(ctx, res.Refused) // a result from before RolledBack
		}
	}
	if v := r.visibility(); v.Status != "" { // nothing to show before the first state
		upsertVisibility(ctx, v)
	}
	fx.flushed = max(fx.flushed, target)
}

// hear passes each refused write to the update handler that owns it
// (own), and logs the others.
func (fx *effects) hear(ctx workflow.Context, refused []domain.WriteRefusal) {
	for _, rf := range refused {
		if slices.Contains(fx.owned, rf.Key) {
			fx.refused = append(fx.refused, rf)
		} else {
			workflow.GetLogger(ctx).Error("a write was refused", "key", rf.Key, "code", rf.Code, "error", rf.Message)
		}
	}
}

// requeue puts back what a projection write that stored nothing carried
// (kept, writes and the changes carries that were not refused) for the next write;
// an owned write refused (or failed) is dropped, its handler hears of it,
// and the change it carried is undone; another refused write is dropped
// with a log. again marks a change, so that the next write follows at once.
func (fx *effects) requeue(ctx workflow.Context, kept queued, writes []domain.Write, carries []*carried, refused []domain.WriteRefusal, again bool) {
	isRefused := func(key string) bool {
		return slices.ContainsFunc(refused, func(r domain.WriteRefusal) bool { return r.Key == key })
	}
	fx.hear(ctx, refused)
	var back []*carried
	for _, c := range carries {
		if isRefused(c.key) {
			if c.undo != nil {
				c.undo()
			}
		} else {
			back = append(back, c)
		}
	}
	fx.carried = append(back, fx.carried...)
	fx.queued = kept.then(fx.queued)
	var still []domain.Write
	for _, w := range writes {
		if !isRefused(w.Key) {
			still = append(still, w)
		}
	}
	fx.writes = append(still, fx.writes...)
	if again {
		fx.mark()
	}
}

// quiet reports whether nothing is left to do: no change unwritten and no
// update handler running.
func (fx *effects) quiet(ctx workflow.Context) bool {
	return !fx.pending() && workflow.AllHandlersFinished(ctx)
}

// drain flushes until the run is quiet, so that it can end or continue as
// new with nothing lost: running update handlers finish (each waits for a
// flush).
func (fx *effects) drain(ctx workflow.Context, r projector) error {
	for {
		fx.flush(ctx, r)
		if fx.quiet(ctx) {
			if len(fx.audits)+len(fx.emails)+len(fx.notices)+len(fx.profiles) > 0 {
				workflow.GetLogger(ctx).Error("the run ends with effects its last projection write could not store",
					"audits", len(fx.audits), "emails", len(fx.emails), "notices", len(fx.notices), "profiles", len(fx.profiles))
			}
			return nil
		}
		if err := workflow.Await(ctx, func() bool { return fx.pending() || fx.quiet(ctx) }); err != nil {
			return err
		}
	}
}

// localActivityOptions bound a projection write like an ordinary activity:
// each attempt within activityStartToClose, retried with back-off (a
// database outage) for up to a day.
func localActivityOptions() workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		ScheduleToCloseTimeout: activityScheduleToClose,
		RetryPolicy:            retryPolicy(),
	}
}

// retryPolicy retries an activity with back-off, except for the domain's
// invalid and not-found errors, which no retry mends.
func retryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        activityMaxInterval,
		NonRetryableErrorTypes: []string{domain.EINVALID, domain.ENOTFOUND},
	}
}
