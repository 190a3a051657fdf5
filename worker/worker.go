// Package worker registers the enrolment workflows and activities on the
// task queue. main and the integration tests both build workers with it.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"careconnect/activities"
	"careconnect/workflows"
)

// New returns a worker polling taskQueue (workflows.TaskQueue unless a
// test isolates itself) with every workflow and activity registered. The
// caller starts and stops it.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	Register(w, acts)
	return w
}

// Register registers the workflows and activities on any registry (a
// worker or a test environment), under their constant names.
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivityWithOptions(any, activity.RegisterOptions)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.WorksiteEnrolment, workflow.RegisterOptions{Name: workflows.WorksiteWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.UserEnrolment, workflow.RegisterOptions{Name: workflows.UserWorkflowName})
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
}
