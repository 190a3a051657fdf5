// Package temporal implements enrolment.Workflows over a Temporal client,
// and turns Temporal's errors into domain errors: the one place that knows
// how the workflow service fails.
package temporal

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"careconnect/domain"
	"careconnect/enrolment"
)

// Workflows is enrolment.Workflows on a Temporal client; it starts
// workflows on one task queue.
type Workflows struct {
	client    client.Client
	taskQueue string
}

var _ enrolment.Workflows = (*Workflows)(nil)

// New returns the Workflows of c, starting workflows on taskQueue.
func New(c client.Client, taskQueue string) *Workflows {
	return &Workflows{client: c, taskQueue: taskQueue}
}

// Start starts a workflow whose ID never ran before (the ID is a business
// key: a second registration of it is refused).
func (w *Workflows) Start(ctx context.Context, id, workflowType string, input any) error {
	_, err := w.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: w.taskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflowType, input)
	return DomainError(err)
}

// Update sends an update and waits until it has completed.
func (w *Workflows) Update(ctx context.Context, id, updateID, name string, arg, out any) error {
	h, err := w.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: updateID, WorkflowID: id, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, out)
	}
	return DomainError(err)
}

// Ensure starts a workflow unless one runs under its ID, which is then
// left as it is: a conflict policy of use-existing, so a second caller
// neither fails nor adds to its history.
func (w *Workflows) Ensure(ctx context.Context, id, workflowType string, input any) error {
	_, err := w.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: w.taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflowType, input)
	return DomainError(err)
}

// acceptMargin is how long after a write's NotAfter the adapter still waits
// for it to be accepted: the clocks of the API and of Temporal's history
// service may differ by this much, and an update the validator accepted
// just before NotAfter needs a moment to be reported.
const acceptMargin = 2 * time.Second

// resultReserve is what the adapter leaves of the request's deadline for
// the answer, once an update was accepted.
const resultReserve = time.Second

// Write sends a write update: it waits until the update is accepted (its
// validator passed, the update is in the workflow's history and survives
// any restart) until NotAfter plus acceptMargin, then for its result with
// what is left of ctx. Not accepted in time: EUNAVAILABLE (the validator
// refuses it after NotAfter, so it never happens). Accepted, but no result
// in time: *domain.Accepted (it will happen).
func (w *Workflows) Write(ctx context.Context, c enrolment.WriteCall) error {
	actx, cancel := context.WithDeadline(ctx, c.NotAfter.Add(acceptMargin))
	defer cancel()
	up := client.UpdateWorkflowOptions{UpdateID: c.UpdateID, WorkflowID: c.WorkflowID, UpdateName: c.Name,
		Args: []any{c.Arg}, WaitForStage: client.WorkflowUpdateStageAccepted}
	var h client.WorkflowUpdateHandle
	var err error
	if c.WorkflowType != "" {
		op := w.client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID: c.WorkflowID, TaskQueue: w.taskQueue,
			WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, c.WorkflowType, c.Input)
		up.WorkflowID = ""
		h, err = w.client.UpdateWithStartWorkflow(actx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op, UpdateOptions: up})
	} else {
		h, err = w.client.UpdateWorkflow(actx, up)
	}
	if err != nil {
		if refused(err) {
			return DomainError(err)
		}
		if _, nf := err.(*serviceerror.NotFound); nf || errors.As(err, new(*serviceerror.NotFound)) {
			return DomainError(err)
		}
		return errors.Join(domain.Unavailable(), err)
	}
	rctx, rcancel := ctx, context.CancelFunc(func() {})
	if d, ok := ctx.Deadline(); ok {
		rctx, rcancel = context.WithDeadline(ctx, d.Add(-resultReserve))
	}
	defer rcancel()
	if err := h.Get(rctx, c.Out); err != nil {
		if refused(err) {
			return DomainError(err)
		}
		return &domain.Accepted{Message: domain.AcceptedMessage}
	}
	return nil
}

// refused reports whether err is the workflow's answer (a validator's or
// handler's domain error) rather than the service failing to give one.
func refused(err error) bool {
	var appErr *sdktemporal.ApplicationError
	return errors.As(err, &appErr) && domain.KnownCode(appErr.Type())
}

// Query asks a workflow's query.
func (w *Workflows) Query(ctx context.Context, id, name string, out any) error {
	v, err := w.client.QueryWorkflow(ctx, id, "", name)
	if err == nil {
		err = v.Get(out)
	}
	return DomainError(err)
}

// Signal signals a workflow's current run.
func (w *Workflows) Signal(ctx context.Context, id, name string, arg any) error {
	return DomainError(w.client.SignalWorkflow(ctx, id, "", name, arg))
}

// Ping checks the service's health.
func (w *Workflows) Ping(ctx context.Context) error {
	_, err := w.client.CheckHealth(ctx, &client.CheckHealthRequest{})
	return DomainError(err)
}

// DomainError maps a Temporal client error to a domain error. A refused
// update's validator error arrives as an application error whose type is
// a domain code (workflows.appErr), with field errors as its details. A
// workflow that is not running is ENOTFOUND with enrolment.ErrNoWorkflow.
// An error that is already a domain error passes unchanged, and so does
// one this cannot place (an internal error).
func DomainError(err error) error {
	var appErr *sdktemporal.ApplicationError
	var notFound *serviceerror.NotFound
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	var ours *domain.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ours):
		// Already ours: its text may say "connection refused" too, but it
		// is not about Temporal.
		return err
	case errors.As(err, &appErr):
		if domain.KnownCode(appErr.Type()) && appErr.Type() != domain.EINTERNAL {
			de := &domain.Error{Code: appErr.Type(), Message: appErr.Message()}
			if appErr.HasDetails() {
				_ = appErr.Details(&de.Fields) // field errors travel as the details
			}
			return de
		}
	case errors.As(err, &notFound):
		return errors.Join(domain.Errorf(domain.ENOTFOUND, "no enrolment workflow found for this record"), enrolment.ErrNoWorkflow, err)
	case errors.As(err, &already):
		return errors.Join(domain.Errorf(domain.ECONFLICT, "this enrolment is already running"), err)
	case errors.As(err, &unavailable), errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly"), err)
	case strings.Contains(err.Error(), "connection refused"):
		return errors.Join(domain.Errorf(domain.EUNAVAILABLE, "the workflow service is unavailable; try again shortly"), err)
	}
	return err
}
