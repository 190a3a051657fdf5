package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// deadline is one durable timer that a loop keeps for its next instant
// from wait to wait: set for the same instant keeps it, set for another
// instant (or for none) cancels it first. A loop woken by an update does
// not leave a timer behind (workflow.AwaitWithTimeout, in this SDK, leaves
// its timer running when the condition ends the wait, each later firing
// into a workflow task with nothing to do).
type deadline struct {
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// set makes the timer fire at at; without at (hasAt false) there is no
// timer. An instant that has passed needs no timer: the caller fires what
// is due before it waits (overdue tells it).
func (d *deadline) set(ctx workflow.Context, at time.Time, hasAt bool) {
	if d.timer != nil && d.timer.IsReady() {
		d.timer, d.cancel = nil, nil // fired: nothing to cancel
	}
	if !hasAt {
		d.stop()
		return
	}
	if d.timer != nil && d.at.Equal(at) {
		return
	}
	d.stop()
	dur := at.Sub(workflow.Now(ctx))
	if dur <= 0 {
		return
	}
	tctx, cancel := workflow.WithCancel(ctx)
	d.at, d.timer, d.cancel = at, workflow.NewTimer(tctx, dur), cancel
}

// fired reports whether the timer has fired.
func (d *deadline) fired() bool { return d.timer != nil && d.timer.IsReady() }

// stop cancels the pending timer, if any.
func (d *deadline) stop() {
	if d.cancel != nil && !d.timer.IsReady() {
		d.cancel()
	}
	d.timer, d.cancel = nil, nil
}

// overdue reports whether a loop's next instant has already come, so it
// must fire it now rather than wait.
func overdue(ctx workflow.Context, at time.Time, hasAt bool) bool {
	return hasAt && !at.After(workflow.Now(ctx))
}
