package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// effects is how both enrolment workflows act on the world, one mechanism
// for both. Update handlers, signal handlers and timers only change the
// run's state, queue audit records, emails and member notices here, and
// mark the change. The run's main loop then flushes, and a flush is, in
// this order:
//
//   - the queued emails (ordinary activities: their retries outlast SMTP
//     outages for days) and member notices (signals to people's workflows),
//     started together; a coroutine records their outcome, so nothing waits
//     for SMTP;
//   - at most one projection write: one local activity (ActivityProject)
//     carrying what changed since the last write (the status, and the
//     membership or the applications) and the queued audit records, which
//     the store writes in one transaction; none when nothing changed;
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
	audits []domain.AuditEvent
	sends  []send
	// marked counts the changes marked; flushed is what marked was when
	// the last finished flush began, so every change up to it is written.
	marked, flushed int
	// inflight counts emails and notices started and not yet settled.
	inflight int
}

// send is one email or member notice to start at the next flush.
type send struct {
	worksiteEmail *domain.WorksiteEmail
	userEmail     *domain.UserEmail
	notice        *MembershipNotice
	// onTimeline: a delivery that fails for good goes on the timeline
	// (email_failed), not only in the log.
	onTimeline bool
}

// projector is a workflow run's part in the effect model.
type projector interface {
	// changes returns the projection of what changed since the last write
	// (audit records aside) and a func that records it written.
	changes() (domain.Projection, func())
	// visibility is what the search attributes should show now.
	visibility() domain.Visibility
	// failed records a send that failed for good.
	failed(ctx workflow.Context, s send, err error)
}

// mark records a change that the next flush must write and returns its number.
func (fx *effects) mark() int {
	fx.marked++
	return fx.marked
}

// pending reports whether a marked change waits for a flush.
func (fx *effects) pending() bool { return fx.marked > fx.flushed || len(fx.sends) > 0 }

// audit queues an audit record for the next projection write.
func (fx *effects) audit(e domain.AuditEvent) { fx.audits = append(fx.audits, e) }

// queue queues an email or a notice for the next flush.
func (fx *effects) queue(s send) { fx.sends = append(fx.sends, s) }

// settle marks an update handler's change and blocks until a flush has
// written it. ctx is the handler's own.
func (fx *effects) settle(ctx workflow.Context) {
	target := fx.mark()
	_ = workflow.Await(ctx, func() bool { return fx.flushed >= target })
}

// flush starts the queued sends, writes what changed, and upserts the
// search attributes if they changed. ctx carries the activity options.
func (fx *effects) flush(ctx workflow.Context, r projector) {
	// Every other coroutine this task's events woke (update handlers,
	// signals, sends settling) runs first, so one write carries all their
	// changes: a coroutine started now runs after them.
	yielded := false
	workflow.Go(ctx, func(workflow.Context) { yielded = true })
	_ = workflow.Await(ctx, func() bool { return yielded })
	target := fx.marked
	p, wrote := r.changes()
	p.Audits, fx.audits = fx.audits, nil
	// The sends go first: they need no projection, and while the database
	// is down (the write retrying) an email is scheduled and retries on its
	// own, as the fault tests expect, rather than waiting to be scheduled.
	sends := fx.sends
	fx.sends = nil
	fx.start(ctx, sends, r)
	if !p.Empty() {
		lctx := workflow.WithLocalActivityOptions(ctx, localActivityOptions())
		if err := workflow.ExecuteLocalActivity(lctx, ActivityProject, p).Get(ctx, nil); err != nil {
			// Retried for a day (a database outage) or refused for good: the
			// next change writes the whole state again, which mends it.
			workflow.GetLogger(ctx).Error("projection not written", "error", err)
		} else {
			wrote()
		}
	}
	upsertVisibility(ctx, r.visibility())
	fx.flushed = max(fx.flushed, target)
}

// start starts sends together and settles them in one coroutine.
func (fx *effects) start(ctx workflow.Context, sends []send, r projector) {
	if len(sends) == 0 {
		return
	}
	started := make([]workflow.Future, len(sends))
	ectx := workflow.WithScheduleToCloseTimeout(ctx, emailScheduleToClose)
	for i, s := range sends {
		switch {
		case s.worksiteEmail != nil:
			started[i] = workflow.ExecuteActivity(ectx, ActivitySendWorksiteEmail, *s.worksiteEmail)
		case s.userEmail != nil:
			started[i] = workflow.ExecuteActivity(ectx, ActivitySendUserEmail, *s.userEmail)
		default:
			started[i] = workflow.SignalExternalWorkflow(ctx, UserWorkflowID(s.notice.Subject), "", SignalMembershipChanged, *s.notice)
		}
	}
	fx.inflight += len(sends)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for i, f := range started {
			if err := f.Get(ctx, nil); err != nil {
				r.failed(ctx, sends[i], err)
			}
			fx.inflight--
		}
	})
}

// quiet reports whether nothing is left to do: no change unwritten, no
// send queued or in flight, no update handler running.
func (fx *effects) quiet(ctx workflow.Context) bool {
	return !fx.pending() && fx.inflight == 0 && workflow.AllHandlersFinished(ctx)
}

// drain flushes until the run is quiet, so that it can end or continue as
// new with nothing lost: running update handlers finish (each waits for a
// flush), and every email and notice has settled.
func (fx *effects) drain(ctx workflow.Context, r projector) error {
	for {
		fx.flush(ctx, r)
		if fx.quiet(ctx) {
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

// activityOptions are the options of the ordinary activities (emails).
func activityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		RetryPolicy:            retryPolicy(),
		ScheduleToCloseTimeout: activityScheduleToClose,
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
