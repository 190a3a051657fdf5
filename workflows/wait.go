package workflows

import (
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// waitFor blocks until done() or until the last milestone has passed.
// Before each wait, next is told the coming milestone (nil when none is
// left). At each milestone reached before done(), on is called; on
// returning true ends the wait (a lapse or expiry).
func waitFor(ctx workflow.Context, ms []domain.Milestone, done func() bool, next func(*domain.Milestone),
	on func(workflow.Context, domain.Milestone) bool) {
	for i := 0; ; i++ {
		m, ok := domain.NextMilestone(ms, i)
		if !ok {
			next(nil)
			_ = workflow.Await(ctx, done)
			return
		}
		next(&m)
		if d := m.At.Sub(workflow.Now(ctx)); d > 0 {
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
