package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/workflows"
)

// CalendarStore records the calendar last pushed to a task queue's
// running enrolments. *store.Store implements it.
type CalendarStore interface {
	// LastCalendarPush returns the last push. Errors: ENOTFOUND, EUNAVAILABLE.
	LastCalendarPush(ctx context.Context, taskQueue string) (store.CalendarPush, error)
	// SaveCalendarPush records a push. Errors: EUNAVAILABLE.
	SaveCalendarPush(ctx context.Context, p store.CalendarPush) error
}

// CalendarPusher sends the business calendar to the running enrolments
// of one task queue, the worker's.
type CalendarPusher struct {
	Temporal  client.Client
	Store     CalendarStore
	TaskQueue string
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time
}

// CalendarPushResult says what a push did.
type CalendarPushResult struct {
	// Fingerprint is the calendar's (domain.Calendar.Fingerprint).
	Fingerprint string
	// Previous is the fingerprint last pushed ("" for none).
	Previous string
	// Pushed is false when the calendar was the one last pushed and the
	// push was not forced: nothing was sent.
	Pushed bool
	// Workflows counts the running enrolments sent the calendar.
	Workflows int
}

// pushPageSize is how many running enrolments one visibility page lists.
const pushPageSize = 500

// Push sends cal to every running enrolment on the task queue
// (workflows.SignalCalendarChanged) when it differs from the calendar
// last pushed there, or always when force, and then records it as the
// last pushed. The workflows ignore a calendar they already have, so a
// push cut short (an error, a crash) is simply made again: the record is
// written only once every running enrolment was sent it. Running
// enrolments are found through visibility (ListWorkflow), which may lag
// a workflow started a moment ago; that one was started with the
// configuration's calendar already. An enrolment that ends meanwhile is
// skipped.
func (p CalendarPusher) Push(ctx context.Context, cal domain.Calendar, force bool) (CalendarPushResult, error) {
	cal = cal.Normalize()
	if err := cal.Validate(); err != nil {
		return CalendarPushResult{}, fmt.Errorf("worker: calendar: %w", err)
	}
	if strings.ContainsAny(p.TaskQueue, `'"\`) {
		return CalendarPushResult{}, fmt.Errorf("worker: task queue %q: quotes cannot be listed", p.TaskQueue)
	}
	res := CalendarPushResult{Fingerprint: cal.Fingerprint()}
	last, err := p.Store.LastCalendarPush(ctx, p.TaskQueue)
	switch {
	case err == nil:
		res.Previous = last.Fingerprint
	case domain.ErrorCode(err) != domain.ENOTFOUND:
		return res, fmt.Errorf("worker: the calendar last pushed: %w", err)
	}
	if res.Previous == res.Fingerprint && !force {
		return res, nil
	}
	query := fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running' AND WorkflowType IN ('%s', '%s')",
		p.TaskQueue, workflows.WorksiteWorkflowName, workflows.UserWorkflowName)
	arg := workflows.CalendarChanged{Calendar: cal}
	var token []byte
	for {
		page, err := p.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: pushPageSize, NextPageToken: token, Query: query})
		if err != nil {
			return res, fmt.Errorf("worker: listing running enrolments: %w", err)
		}
		for _, e := range page.GetExecutions() {
			// No run ID: the current run, should the listed one have
			// continued as new since.
			err := p.Temporal.SignalWorkflow(ctx, e.GetExecution().GetWorkflowId(), "", workflows.SignalCalendarChanged, arg)
			var gone *serviceerror.NotFound
			switch {
			case errors.As(err, &gone):
				continue // it ended since it was listed
			case err != nil:
				return res, fmt.Errorf("worker: sending the calendar to %s: %w", e.GetExecution().GetWorkflowId(), err)
			}
			res.Workflows++
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if err := p.Store.SaveCalendarPush(ctx, store.CalendarPush{TaskQueue: p.TaskQueue, Fingerprint: res.Fingerprint,
		Calendar: cal, Workflows: res.Workflows, PushedAt: now()}); err != nil {
		return res, fmt.Errorf("worker: recording the calendar pushed: %w", err)
	}
	res.Pushed = true
	return res, nil
}
