package workflows_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
	"careconnect/workflows"
)

// signalCalendar sends the calendar-changed signal at start+at.
func (h *harness) signalCalendar(at time.Duration, holidays ...string) {
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalCalendarChanged, workflows.CalendarChanged{
			Calendar: domain.Calendar{TimeZone: "America/Vancouver", Holidays: holidays}})
	}, at)
}

// projectionsAt counts the projection writes made by start+at.
func (h *harness) projectionsAt(at time.Duration) *int {
	n := new(int)
	h.env.RegisterDelayedCallback(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		*n = h.projections
	}, at)
	return n
}

// A calendar pushed to a running worksite re-plans the team's review from
// the day it began: a holiday added mid-wait moves the escalation and the
// breach later, a holiday taken away brings them sooner (at once when
// their day has passed), a milestone already reached is not repeated, and
// the same calendar again changes nothing.
func TestWorksiteCalendarChangeMovesTheReview(t *testing.T) {
	van := mustVancouver(t)
	nov := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, van) }
	tests := []struct {
		name string
		// initial are the input's holidays; the review starts Tue 3 Nov 09:00.
		initial []string
		// At signalAt the calendar becomes pushed.
		signalAt time.Duration
		pushed   []string
		// wantBefore is the escalation before the push; wantEscalate and
		// wantBreach are when they came.
		wantBefore, wantEscalate, wantBreach time.Time
	}{
		// Mon 9 and Wed 11 added on Thu 5: escalated Thu 12, breached Mon 16
		// (without them: Tue 10 and Thu 12).
		{"holidays added mid-wait", nil, 3 * day, []string{"2026-11-09", "2026-11-11"},
			nov(10, 9), nov(12, 9), nov(16, 9)},
		// Escalated on Tue 10; Wed 11 and Thu 12 added on Wed 11 at 10:00
		// move only the breach, to Mon 16.
		{"after the escalation", nil, 9*day + time.Hour, []string{"2026-11-11", "2026-11-12"},
			nov(10, 9), nov(10, 9), nov(16, 9)},
		// Wed 4 and Thu 5 were holidays: escalation due Thu 12. Taken away on
		// Wed 11 at 10:00, the escalation (now due Tue 10) comes at once,
		// and the breach on Thu 12.
		{"holidays taken away", []string{"2026-11-04", "2026-11-05"}, 9*day + time.Hour, nil,
			nov(12, 9), nov(11, 10), nov(12, 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			in := h.input(domain.CommunityPrivatePractice)
			in.Calendar = domain.Calendar{Holidays: tt.initial}
			h.sign(day, "req-sign")
			before := h.query(day + time.Minute)
			h.signalCalendar(tt.signalAt, tt.pushed...)
			after := h.query(tt.signalAt + time.Minute)
			projected := h.projectedAt(tt.signalAt + time.Minute)
			breach := tt.wantBreach.Sub(h.start)
			h.decide(breach+day, "req-approve", true, "")
			st := h.runUntil(in, breach+2*day)

			checkMilestone(t, "before the push", h.mustStatus(before).NextMilestone, domain.MilestoneEscalate, tt.wantBefore, 1)
			a := h.mustStatus(after)
			if tt.wantEscalate.After(h.start.Add(tt.signalAt)) {
				checkMilestone(t, "after the push", a.NextMilestone, domain.MilestoneEscalate, tt.wantEscalate, 1)
			} else {
				checkMilestone(t, "after the push", a.NextMilestone, domain.MilestoneBreach, tt.wantBreach, 1)
			}
			escalations, breaches := h.kindsSent(mail.KindReviewEscalated), h.kindsSent(mail.KindReviewBreached)
			if len(escalations) != 1 || escalations[0] != tt.wantEscalate.Sub(h.start) {
				t.Errorf("escalation emails at %v; want one at +%v (%v)", escalations, tt.wantEscalate.Sub(h.start), tt.wantEscalate)
			}
			if len(breaches) != 1 || breaches[0] != breach {
				t.Errorf("breach emails at %v; want one at +%v (%v)", breaches, breach, tt.wantBreach)
			}
			if !st.Escalated || !st.Breached || st.State != domain.WorksiteApproved {
				t.Errorf("final = %s escalated %v breached %v; want approved, both true", st.State, st.Escalated, st.Breached)
			}
			// The re-planned milestone reached the projection with the push.
			if p := projected; p.NextMilestone == nil || !p.NextMilestone.At.Equal(a.NextMilestone.At) {
				t.Errorf("projected next milestone = %+v; want the re-planned %+v", p.NextMilestone, a.NextMilestone)
			}
		})
	}

	t.Run("same calendar", func(t *testing.T) {
		h := newHarness(t)
		in := h.input(domain.CommunityPrivatePractice)
		in.Calendar = domain.Calendar{Holidays: []string{"2026-11-11"}}
		h.sign(day, "req-sign")
		n0 := h.projectionsAt(3 * day)
		// The same days, written otherwise: the default zone named, a date twice.
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalCalendarChanged, workflows.CalendarChanged{
				Calendar: domain.Calendar{TimeZone: "America/Vancouver", Holidays: []string{"2026-11-11", "2026-11-11"}}})
		}, 3*day+time.Minute)
		n1 := h.projectionsAt(3*day + 2*time.Minute)
		q := h.query(3*day + 3*time.Minute)
		h.runUntil(in, 4*day)
		if *n1 != *n0 {
			t.Errorf("projection writes %d before the push, %d after; want none for the same calendar", *n0, *n1)
		}
		checkMilestone(t, "after the push", h.mustStatus(q).NextMilestone, domain.MilestoneEscalate, nov(10, 9), 1)
	})

	// A calendar that does not validate (holidays that are not dates) is
	// ignored: the workflow cannot refuse a signal, and counting with it
	// would count wrongly.
	t.Run("invalid calendar", func(t *testing.T) {
		h := newHarness(t)
		in := h.input(domain.CommunityPrivatePractice)
		h.sign(day, "req-sign")
		h.signalCalendar(3*day, "2026-11-09", "Remembrance Day")
		q := h.query(3*day + time.Minute)
		h.runUntil(in, 4*day)
		checkMilestone(t, "after the push", h.mustStatus(q).NextMilestone, domain.MilestoneEscalate, nov(10, 9), 1)
	})
}

// kindsSent lists when emails of kind were queued, relative to the start.
func (h *harness) kindsSent(kind mail.Kind) []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Duration
	for _, e := range h.emails {
		if e.Kind == kind {
			out = append(out, e.At)
		}
	}
	return out
}

// projectedAt is the last status projected by start+at.
func (h *harness) projectedAt(at time.Duration) *domain.WorksiteStatus {
	st := &domain.WorksiteStatus{}
	h.env.RegisterDelayedCallback(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if n := len(h.projected); n > 0 {
			*st = h.projected[n-1]
		}
	}, at)
	return st
}

// The pushed calendar goes with the worksite's state into the next run
// (continue-as-new), which counts business days with it: a join request
// in the next run is reminded two business days later, skipping the
// pushed holidays.
func TestWorksiteCalendarCarriedAcrossContinueAsNew(t *testing.T) {
	van := mustVancouver(t)
	nov := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, van) }
	pushed := domain.Calendar{TimeZone: "America/Vancouver", Holidays: []string{"2026-11-06", "2026-11-09"}}

	h := newHarness(t)
	in := h.input(domain.CommunityPrivatePractice)
	h.sign(day, "req-sign")
	h.env.RegisterDelayedCallback(func() {
		h.env.SetContinueAsNewSuggested(true)
		h.env.SignalWorkflow(workflows.SignalCalendarChanged, workflows.CalendarChanged{Calendar: pushed})
	}, 2*day)
	h.env.ExecuteWorkflow(workflows.WorksiteWorkflowName, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !h.env.IsWorkflowCompleted() || !errors.As(err, &can) {
		t.Fatalf("completed %v, error %v; want continue-as-new", h.env.IsWorkflowCompleted(), err)
	}
	var next workflows.WorksiteInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carry == nil || next.Carry.Calendar == nil || !next.Carry.Calendar.Equal(pushed) {
		t.Fatalf("carried calendar = %+v; want the pushed %+v", next.Carry, pushed)
	}

	// The next run starts Wed 4 Nov 09:00; the request comes a minute later.
	h2 := newHarnessAt(t, h.env.Now())
	h2.update(time.Minute, workflows.UpdateRequestJoin, "req-join", workflows.JoinRequestArgs{
		Requester: domain.Member{Subject: "bcsc-moa-0001", Name: "Mo Assistant", Email: "mo@clinic.example.ca",
			Profession: domain.ProfMOA, UserType: domain.OnBehalfOf}, RequestID: "req-join"})
	q := h2.query(2 * time.Minute)
	h2.runUntil(next, 7*day)
	// Thu 5 is the first business day, Tue 10 the second (Fri 6 and Mon 9 pushed).
	var reminders []time.Time
	for _, e := range h2.emails {
		if e.Kind == mail.KindJoinRequest && e.Seq == 1 {
			reminders = append(reminders, h2.start.Add(e.At))
		}
	}
	if want := nov(10, 9, 1); len(reminders) != 1 || !reminders[0].Equal(want) {
		t.Errorf("first join request reminder at %v; want %v", reminders, want)
	}
	// The review's milestones, re-planned in the first run, came along too.
	checkMilestone(t, "next run", h2.mustStatus(q).NextMilestone, domain.MilestoneEscalate, nov(12, 9, 0), 1)
}

// A calendar pushed to a person's workflow re-plans their applications'
// business-day timers: the team's SLA on a ready application escalates a
// business day later when a holiday is added in its wait, and it rides
// across continue-as-new.
func TestUserCalendarChangeMovesTheApplicationSLA(t *testing.T) {
	h := newUserHarness(t, defaultStart) // Mon 2 Nov 2026, 09:00 Pacific
	h.registered(time.Minute, "register")
	h.update(time.Hour, workflows.UpdateSubmitApplication, "apply", submit(profession(t, domain.ProfPhysician)))
	h.learn(day, "evt-course", learninghub.TypeCourseCompleted)
	h.learn(2*day, "evt-hpcaa", learninghub.TypeAgreementAcknowledged) // ready Wed 4 Nov 09:00
	before := h.query(2*day + time.Minute)
	pushed := domain.Calendar{TimeZone: "America/Vancouver", Holidays: []string{"2026-11-11"}}
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalCalendarChanged, workflows.CalendarChanged{Calendar: pushed})
	}, 3*day)
	after := h.query(3*day + time.Minute)
	h.runUntil(userInput(domain.DefaultSchedule()), 20*day)

	ready := defaultStart.Add(2 * day)
	if a := h.mustStatus(before).Applications[0]; a.Next == nil || a.Next.Kind != domain.TimerEscalate || !a.Next.At.Equal(ready.Add(7*day)) {
		t.Errorf("before the push, next = %+v; want the escalation 5 business days after %v: Wed 11", a.Next, ready)
	}
	if a := h.mustStatus(after).Applications[0]; a.Next == nil || a.Next.Kind != domain.TimerEscalate || !a.Next.At.Equal(ready.Add(8*day)) {
		t.Errorf("after the push, next = %+v; want the escalation on Thu 12 (Remembrance Day pushed)", a.Next)
	}
	// Escalated Thu 12 (+8 days), breached Mon 16 (+12).
	if sla, want := h.kindsAt(mail.KindApplicationNotice), []time.Duration{2*day + 8*day, 2*day + 12*day}; !reflect.DeepEqual(sla, want) {
		t.Errorf("SLA notices at %v; want %v", sla, want)
	}

	// Across continue-as-new, the pushed calendar goes with the state.
	h2 := newUserHarness(t, defaultStart)
	h2.env.RegisterDelayedCallback(func() {
		h2.env.SetContinueAsNewSuggested(true)
		h2.env.SignalWorkflow(workflows.SignalCalendarChanged, workflows.CalendarChanged{Calendar: pushed})
	}, time.Hour)
	h2.env.ExecuteWorkflow(workflows.UserWorkflowName, userInput(domain.DefaultSchedule()))
	var can *workflow.ContinueAsNewError
	if err := h2.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v; want continue-as-new", err)
	}
	var next workflows.UserInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carry == nil || next.Carry.Calendar == nil || !next.Carry.Calendar.Equal(pushed) {
		t.Errorf("carried calendar = %+v; want the pushed %+v", next.Carry, pushed)
	}
}
