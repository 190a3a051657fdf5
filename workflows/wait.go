package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// waitFor blocks until done() or until the last milestone has passed.
// Before each wait, next is told the coming milestone (nil when none is
// left). At each milestone reached before done(), on is called; on
// returning true ends the wait (a lapse or expiry). With a timer (runs that
// write locally), each wait uses it; without, workflow.AwaitWithTimeout, as
// runs before the local-writes change did.
func waitFor(ctx workflow.Context, timer *deadline, ms []domain.Milestone, done func() bool, next func(*domain.Milestone),
	on func(workflow.Context, domain.Milestone) bool) {
	for i := 0; ; i++ {
		m, ok := domain.NextMilestone(ms, i)
		if !ok {
			next(nil)
			if timer != nil {
				_ = timer.waitForever(ctx, done)
			} else {
				_ = workflow.Await(ctx, done)
			}
			return
		}
		next(&m)
		if timer != nil {
			if ok, err := timer.wait(ctx, m.At, done); ok || err != nil { // err: cancelled
				return
			}
		} else if d := m.At.Sub(workflow.Now(ctx)); d > 0 {
			if ok, err := workflow.AwaitWithTimeout(ctx, d, done); ok || err != nil { // err: cancelled
				return
			}
		} else if done() {
			return
		}
		if on(ctx, m) {
			return
		}
	}
}

// deadline is one durable timer that a loop reuses from wait to wait: a
// wait for the same instant keeps it, a wait for another instant (or for
// none) cancels it first. workflow.AwaitWithTimeout starts a timer on each
// call and, in this SDK, leaves it running when the condition ends the
// wait, so a loop woken by every update left a timer behind each time,
// each firing later into a workflow task with nothing to do.
type deadline struct {
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// wait blocks until cond() holds or at has come; ok reports that cond()
// ended it. err is set when ctx is cancelled.
func (d *deadline) wait(ctx workflow.Context, at time.Time, cond func() bool) (ok bool, err error) {
	if cond() {
		return true, nil
	}
	dur := at.Sub(workflow.Now(ctx))
	if dur <= 0 {
		d.stop()
		return cond(), nil
	}
	if d.timer == nil || !d.at.Equal(at) {
		d.stop()
		tctx, cancel := workflow.WithCancel(ctx)
		d.at, d.timer, d.cancel = at, workflow.NewTimer(tctx, dur), cancel
	}
	if err := workflow.Await(ctx, func() bool { return cond() || d.timer.IsReady() }); err != nil {
		return false, err
	}
	if cond() {
		return true, nil
	}
	d.timer, d.cancel = nil, nil // fired
	return false, nil
}

// waitForever blocks until cond() holds, with no deadline: a pending timer
// is cancelled.
func (d *deadline) waitForever(ctx workflow.Context, cond func() bool) error {
	d.stop()
	return workflow.Await(ctx, cond)
}

// stop cancels the pending timer, if any.
func (d *deadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.timer, d.cancel = nil, nil
}
