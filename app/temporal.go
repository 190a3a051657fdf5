package app

import (
	"context"

	"go.temporal.io/sdk/client"

	"careconnect/workflows"
)

// startingClient is the Temporal client the API is given. It starts the
// enrolment workflows with the search attributes their first task would
// set (workflows.StartAttributes), so a new enrolment shows its status in
// the Temporal Web UI from the moment it starts, and its first task needs
// no upsert: one history event less for each workflow (issue 13's events
// budget). Whoever starts the workflows may set the attributes itself
// instead; a start that already carries some is left as it is.
type startingClient struct {
	client.Client
}

// ExecuteWorkflow starts a workflow, with its start attributes.
func (c startingClient) ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	withStartAttributes(&options, workflow, args)
	return c.Client.ExecuteWorkflow(ctx, options, workflow, args...)
}

// NewWithStartWorkflowOperation is the start of an update-with-start, with
// the workflow's start attributes.
func (c startingClient) NewWithStartWorkflowOperation(options client.StartWorkflowOptions, workflow any, args ...any) client.WithStartWorkflowOperation {
	withStartAttributes(&options, workflow, args)
	return c.Client.NewWithStartWorkflowOperation(options, workflow, args...)
}

// withStartAttributes sets o's search attributes for a start of workflow
// with args, unless o has some or the workflow is not an enrolment.
func withStartAttributes(o *client.StartWorkflowOptions, workflow any, args []any) {
	name, ok := workflow.(string)
	if !ok || o.TypedSearchAttributes.Size() > 0 {
		return
	}
	if sa, ok := workflows.StartAttributes(name, args); ok {
		o.TypedSearchAttributes = sa
	}
}
