package bench

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Names of the floor's no-op workflow.
const (
	floorWorkflowName = "BenchFloor"
	floorUpdate       = "floor-update"
	floorSignal       = "floor-signal"
)

// floorInput says how many signals and updates the no-op workflow waits for.
type floorInput struct {
	Signals, Updates int
}

// floorWorkflow does nothing but count: it ends once it has received
// in.Signals signals and completed in.Updates updates.
func floorWorkflow(ctx workflow.Context, in floorInput) (int, error) {
	updates, signals := 0, 0
	if err := workflow.SetUpdateHandler(ctx, floorUpdate, func(ctx workflow.Context, n int) (int, error) {
		updates++
		return updates, nil
	}); err != nil {
		return 0, err
	}
	ch := workflow.GetSignalChannel(ctx, floorSignal)
	for signals < in.Signals {
		ch.Receive(ctx, nil)
		signals++
	}
	if err := workflow.Await(ctx, func() bool { return updates >= in.Updates && workflow.AllHandlersFinished(ctx) }); err != nil {
		return 0, err
	}
	return updates + signals, nil
}

// journeyShape is what one physician journey asks of Temporal, counted
// from the histories of its two workflows.
type journeyShape struct {
	UserSignals, UserUpdates         int
	WorksiteSignals, WorksiteUpdates int
	UserEvents, WorksiteEvents       int
	// ByType counts both workflows' history events by type.
	ByType map[string]int
}

// shapeOf counts the signals received and updates accepted in a workflow's history.
func shapeOf(ctx context.Context, c client.Client, workflowID string, byType map[string]int) (signals, updates, events int, err error) {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, 0, 0, err
		}
		events++
		byType[strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")]++
		switch e.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			signals++
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			updates++
		}
	}
	return signals, updates, events, nil
}

// floor runs the no-op workflow pair of one journey: the first workflow
// starts with update-with-start (as a person's does), the second with a
// plain start (as a worksite's does); then each gets its journey's signals
// and updates, and the floor journey ends when both have completed.
func floorJourney(ctx context.Context, c client.Client, taskQueue string, i int, sh journeyShape) error {
	ids := floorWorkflowIDs(taskQueue, i)
	userID, siteID := ids[0], ids[1]
	op := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{ID: userID, TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
		floorWorkflowName, floorInput{Signals: sh.UserSignals, Updates: sh.UserUpdates})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: floorUpdate, Args: []any{0}, WaitForStage: client.WorkflowUpdateStageCompleted}})
	if err != nil {
		return err
	}
	if err := h.Get(ctx, nil); err != nil {
		return err
	}
	site, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: siteID, TaskQueue: taskQueue}, floorWorkflowName,
		floorInput{Signals: sh.WorksiteSignals, Updates: sh.WorksiteUpdates})
	if err != nil {
		return err
	}
	send := func(id string, updates, signals int) error {
		for k := 0; k < updates; k++ {
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: floorUpdate, Args: []any{k},
				WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				return err
			}
		}
		for k := 0; k < signals; k++ {
			if err := c.SignalWorkflow(ctx, id, "", floorSignal, k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := send(siteID, sh.WorksiteUpdates, sh.WorksiteSignals); err != nil {
		return err
	}
	if err := send(userID, sh.UserUpdates-1, sh.UserSignals); err != nil {
		return err
	}
	if err := site.Get(ctx, nil); err != nil {
		return err
	}
	return c.GetWorkflow(ctx, userID, "").Get(ctx, nil)
}

// floorWorkflowIDs are the IDs of floor journey i's two workflows: the
// person's counterpart, then the worksite's.
func floorWorkflowIDs(taskQueue string, i int) []string {
	return []string{fmt.Sprintf("floor-user-%s-%d", taskQueue, i), fmt.Sprintf("floor-site-%s-%d", taskQueue, i)}
}

// startFloorWorker runs the no-op workflow's worker on its own task queue.
func startFloorWorker(c client.Client, taskQueue string) (sdkworker.Worker, error) {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(floorWorkflow, workflow.RegisterOptions{Name: floorWorkflowName})
	return w, w.Start()
}
