package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// waitFor blocks until done() or until the last milestone has passed.
// Before each wait, next is told the coming milestone (nil when none is
// left). At each milestone reached before done(), on is called; on
// returning true ends the wait (a lapse or expiry). Each wait is
// timer.until's (a nil timer waits as runs before local-writes did).
func waitFor(ctx workflow.Context, timer *deadline, ms []domain.Milestone, done func() bool, next func(*domain.Milestone),
	on func(workflow.Context, domain.Milestone) bool) {
	for i := 0; ; i++ {
		m, ok := domain.NextMilestone(ms, i)
		if !ok {
			next(nil)
			_, _ = timer.until(ctx, time.Time{}, false, done)
			return
		}
		next(&m)
		if ok, err := timer.until(ctx, m.At, true, done); ok || err != nil { // err: cancelled
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

// until blocks until cond() holds or, when hasAt, at has come; ok reports
// that cond() ended it, err that ctx was cancelled. It is how every waiting
// loop waits. A nil d waits as runs before the local-writes change did, so
// their histories replay: a new workflow.AwaitWithTimeout on each call (its
// timer left running), none when at has passed.
func (d *deadline) until(ctx workflow.Context, at time.Time, hasAt bool, cond func() bool) (ok bool, err error) {
	switch {
	case d != nil && hasAt:
		return d.wait(ctx, at, cond)
	case d != nil:
		d.stop()
		return true, workflow.Await(ctx, cond)
	case !hasAt:
		return true, workflow.Await(ctx, cond)
	}
	if dur := at.Sub(workflow.Now(ctx)); dur > 0 {
		return workflow.AwaitWithTimeout(ctx, dur, cond)
	}
	return cond(), nil
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

// stop cancels the pending timer, if any.
func (d *deadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.timer, d.cancel = nil, nil
}
