package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// CalendarChanged is the payload of SignalCalendarChanged: the business
// calendar a running enrolment counts business days with from now on.
type CalendarChanged struct {
	Calendar domain.Calendar
}

// pushedCalendar is what a run makes of a pushed calendar: its normalized
// form, and whether it should replace the calendar in force (cur). One
// that does not validate is ignored (a signal cannot be refused), and so
// is the same calendar again, which changes nothing.
func pushedCalendar(ctx workflow.Context, cur domain.Calendar, c CalendarChanged) (domain.Calendar, bool) {
	next := c.Calendar.Normalize()
	if err := next.Validate(); err != nil {
		workflow.GetLogger(ctx).Warn("calendar-changed: calendar ignored", "error", err)
		return cur, false
	}
	return next, !next.Equal(cur)
}

// receiveCalendars applies every calendar-changed signal as it comes, in a
// coroutine of its own; apply reports whether the change needs a write.
func receiveCalendars(ctx workflow.Context, ch workflow.ReceiveChannel, fx *effects, apply func(workflow.Context, CalendarChanged) bool) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var c CalendarChanged
			ch.Receive(ctx, &c)
			if apply(ctx, c) {
				fx.mark()
			}
		}
	})
}

// drainCalendars applies the calendars received but not yet applied, so
// none is lost with a run that continues as new.
func drainCalendars(ctx workflow.Context, ch workflow.ReceiveChannel, apply func(workflow.Context, CalendarChanged) bool) {
	for {
		var c CalendarChanged
		if !ch.ReceiveAsync(&c) {
			return
		}
		apply(ctx, c)
	}
}

// calendar is the business calendar in force: the last pushed, else the input's.
func (w *worksiteRun) calendar() domain.Calendar {
	if w.Calendar != nil {
		return *w.Calendar
	}
	return w.in.Calendar
}

// changeCalendar applies a pushed calendar. A review waiting for the team
// has its milestones re-planned from the day it began, with those already
// reached kept as reached (the escalation always comes before the breach,
// so their order holds); one now due fires at once. The join requests'
// reminders are computed with the calendar in force each time. It reports
// whether the calendar changed.
func (w *worksiteRun) changeCalendar(ctx workflow.Context, c CalendarChanged) bool {
	cal, changed := pushedCalendar(ctx, w.calendar(), c)
	if !changed {
		return false
	}
	w.Calendar = &cal
	if w.Status.State != domain.WorksiteAwaitingReview {
		return true
	}
	before := w.Status.NextMilestone
	w.Milestones = domain.TeamReviewMilestones(w.Status.WaitingSince, w.in.Schedule, cal)
	w.setNextMilestone()
	if m := w.Status.NextMilestone; m != nil && (before == nil || !before.At.Equal(m.At)) {
		w.event(ctx, "calendar_changed", "the business calendar changed: the review's "+string(m.Kind)+" is now due "+localTime(m.At, cal))
	}
	return true
}

// calendar is the business calendar in force: the last pushed, else the input's.
func (u *userRun) calendar() domain.Calendar {
	if u.Calendar != nil {
		return *u.Calendar
	}
	return u.in.Calendar
}

// changeCalendar applies a pushed calendar: every application's
// business-day timers (sponsorship reminders, the team's SLA) count with
// it from now on, from the day their wait began. It reports whether the
// calendar changed.
func (u *userRun) changeCalendar(ctx workflow.Context, c CalendarChanged) bool {
	cal, changed := pushedCalendar(ctx, u.calendar(), c)
	if !changed {
		return false
	}
	before := make([]*domain.DueTimer, len(u.Status.Applications))
	for i, a := range u.Status.Applications {
		before[i] = a.Next
	}
	u.Calendar = &cal
	u.planNext()
	for i, a := range u.Status.Applications {
		if a.Next != nil && (before[i] == nil || !before[i].At.Equal(a.Next.At)) {
			u.event(ctx, "calendar_changed", fmt.Sprintf("the business calendar changed: %s: the %s is now due %s",
				a.Worksite.ID, a.Next.Kind, localTime(a.Next.At, cal)))
		}
	}
	return true
}

// localTime writes t in the calendar's zone, as the timeline says it.
func localTime(t time.Time, c domain.Calendar) string {
	if loc, err := c.Location(); err == nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 2006 15:04 MST")
}
