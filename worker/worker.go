// Package worker registers the enrolment workflows and activities on the
// task queue. main and the integration tests both build workers with it.
package worker

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
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
func New(c client.Client, taskQueue string, cacheSize int, acts *activities.Activities) sdkworker.Worker {
	// The cache is the SDK's, shared by every worker of the process; it
	// bounds the worker's memory, whatever the number of open enrolments.
	sdkworker.SetStickyWorkflowCacheSize(cacheSize)
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
	// The workflows call activities by name (they do not import package
	// activities, which links the SMTP client): register each under its name.
	r.RegisterActivityWithOptions(acts.Project, activity.RegisterOptions{Name: workflows.ActivityProject})
}

// EnsureSearchAttributes registers the enrolment workflows' search
// attributes in namespace, adding only the missing ones; a worker calls it
// before it polls when temporal.register_search_attributes is set (dev and
// tests), so the workflows' upserts and the Web UI's filters work on a
// fresh Temporal as on the dev server. In production an operator creates
// them (README "Search attributes"): Temporal Cloud refuses the
// OperatorService.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("worker: list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range workflows.SearchAttributes() {
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return fmt.Errorf("worker: search attribute %s is registered as %s; the workflows need %s", name, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) { // another worker registered them first
		return fmt.Errorf("worker: add search attributes: %w", err)
	}
	return nil
}
