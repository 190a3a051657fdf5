// Package temporal implements enrolment.Workflows over a Temporal client,
// and turns Temporal's errors into domain errors: the one place that knows
// how the workflow service fails.
package temporal

import (
	"context"
	"errors"
	"strings"

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

// UpdateWithStart sends an update, starting the workflow first unless one
// runs under its ID (which is then used as it is).
func (w *Workflows) UpdateWithStart(ctx context.Context, id, workflowType string, input any, name string, arg, out any) error {
	op := w.client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: w.taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflowType, input)
	h, err := w.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{arg}}})
	if err == nil {
		err = h.Get(ctx, out)
	}
	return DomainError(err)
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
