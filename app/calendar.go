package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"careconnect/config"
	"careconnect/store"
	"careconnect/worker"
)

// Bounds of the worker's push of the calendar at start-up.
const (
	// calendarPushTimeout bounds one attempt (listing and signalling every
	// running enrolment).
	calendarPushTimeout = 10 * time.Minute
	calendarRetryMin    = time.Second
	calendarRetryMax    = 5 * time.Minute
)

// calendarPusher is the pusher of m's task queue.
func (m *Main) calendarPusher() worker.CalendarPusher {
	return worker.CalendarPusher{Temporal: m.Temporal, Store: m.Store, TaskQueue: m.Config.Temporal.TaskQueue}
}

// startCalendarPush sends the configured business calendar to every
// running enrolment when it differs from the one last pushed (the
// workflows take it with SignalCalendarChanged and re-plan their
// business-day deadlines). With Temporal reachable the first attempt runs
// before Run returns, so a workflow started afterwards never receives a
// push meant for those before it; a failed or postponed push is tried
// again in the background, backing off, until it succeeds or Close.
func (m *Main) startCalendarPush(ctx context.Context) {
	if m.WorkerPolling() && m.pushCalendarOnce(ctx) == nil {
		return
	}
	bg, stop := context.WithCancel(context.Background())
	m.stopCalendarPush, m.calendarPushed = stop, make(chan struct{})
	go func() {
		defer close(m.calendarPushed)
		for wait := calendarRetryMin; ; wait = min(2*wait, calendarRetryMax) {
			select {
			case <-bg.Done():
				return
			case <-time.After(wait):
			}
			if m.pushCalendarOnce(bg) == nil || bg.Err() != nil {
				return
			}
		}
	}()
}

// pushCalendarOnce makes one attempt and logs what it did.
func (m *Main) pushCalendarOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, calendarPushTimeout)
	defer cancel()
	res, err := m.calendarPusher().Push(ctx, m.Config.Calendar.DomainCalendar(), false)
	switch {
	case err != nil:
		m.Logger.Warn("calendar not pushed to the running enrolments yet; retrying", "error", err)
	case res.Pushed:
		m.Logger.Info("calendar pushed to the running enrolments", "fingerprint", res.Fingerprint,
			"previous", res.Previous, "workflows", res.Workflows)
	}
	return err
}

// PushCalendar is `careconnect calendar push`: it sends the configured
// business calendar to every running enrolment of temporal.task_queue,
// whether or not it was pushed before (after a rollout during which API
// pods of the old configuration started enrolments, say), and records it
// as the last pushed. It needs the database and Temporal, nothing else.
func PushCalendar(ctx context.Context, cfg config.Config, logger *slog.Logger) (worker.CalendarPushResult, error) {
	if cfg.Temporal.Address == "" {
		return worker.CalendarPushResult{}, errors.New("app: calendar push: temporal.address is required")
	}
	st, err := store.Open(ctx, cfg.Database.URL, cfg.Database.SQLitePath)
	if err != nil {
		return worker.CalendarPushResult{}, err
	}
	defer st.Close()
	c, _, err := temporalClient(cfg, logger, nil, nil)
	if err != nil {
		return worker.CalendarPushResult{}, err
	}
	defer c.Close()
	p := worker.CalendarPusher{Temporal: c, Store: st, TaskQueue: cfg.Temporal.TaskQueue}
	res, err := p.Push(ctx, cfg.Calendar.DomainCalendar(), true)
	if err != nil {
		return res, fmt.Errorf("app: calendar push: %w", err)
	}
	return res, nil
}

// LastCalendarPush returns the calendar last pushed to temporal.task_queue's
// running enrolments (`careconnect calendar show`). Errors: ENOTFOUND.
func LastCalendarPush(ctx context.Context, cfg config.Config) (store.CalendarPush, error) {
	st, err := store.Open(ctx, cfg.Database.URL, cfg.Database.SQLitePath)
	if err != nil {
		return store.CalendarPush{}, err
	}
	defer st.Close()
	return st.LastCalendarPush(ctx, cfg.Temporal.TaskQueue)
}
