package workflows_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"careconnect/activities"
	"careconnect/worker"
	"careconnect/workflows"
)

// historiesDir holds histories recorded from a real Temporal dev server by
// app.TestRecordHistories (see docs/determinism.md).
const historiesDir = "testdata/histories"

// recordedPaths are the histories every change must still replay, one per
// major path of each workflow type; the replay test fails if one is missing.
var recordedPaths = map[string]string{
	"worksite_approved_members":     "registered, declaration signed, approved; join request, invitation, promotion, deactivation; suspended and reinstated",
	"worksite_rejected":             "registered, declaration signed, rejected by the team (ends)",
	"worksite_lapsed":               "declaration reminders, stalled flag, lapse (ends)",
	"worksite_continue_as_new_run1": "membership changes until the server suggests continue-as-new",
	"worksite_continue_as_new_run2": "the run that resumes from the carried state",
	"user_provisioned":              "sign-in, account, application, LearningHub course and HPCAA, provisioned; sponsors an MOA",
	"user_sponsored_deactivated":    "on-behalf-of user: join, application, sponsorship, provisioned, membership deactivated",
	"user_timers_password_reset":    "application reminders and lapse, password reminders, expiry and reset",
	"user_continue_as_new_run1":     "password changes until the server suggests continue-as-new",
	"user_continue_as_new_run2":     "the run that resumes from the carried state",
}

// replayRegistry lets worker.Register register the workflows on a
// replayer exactly as on a worker; a replay runs no activity, so activities
// are not registered.
type replayRegistry struct{ sdkworker.WorkflowReplayer }

func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions) {}

// TestReplayRecordedHistories replays every recorded history against the
// workflow code as it is now. A failure means a change would break running
// workflows: guard it with workflow.GetVersion or, if the change is meant to
// apply only to new workflows and the histories are obsolete, record them
// again (docs/determinism.md).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.Register(replayRegistry{replayer}, &activities.Activities{})
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

	var names []string
	types := map[string]int{}
	continued := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		names = append(names, name)
		t.Run(name, func(t *testing.T) {
			h := mustLoadHistory(t, file)
			typ := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
			types[typ]++
			if last := h.GetEvents()[len(h.GetEvents())-1]; last.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW {
				continued[typ] = true
			}
			if err := replayer.ReplayWorkflowHistory(logger, h); err != nil {
				t.Fatalf("replaying %s (%s, %d events): %v", file, typ, len(h.GetEvents()), err)
			}
			checkWrites(t, name, h)
			checkTimers(t, name, typ, h)
		})
	}

	// Coverage: every major path and both workflow types, each with a
	// run that continued as new.
	for name, path := range recordedPaths {
		if !slices.Contains(names, name) {
			t.Errorf("no recorded history %s/%s.json (%s)", historiesDir, name, path)
		}
	}
	for _, typ := range []string{workflows.WorksiteWorkflowName, workflows.UserWorkflowName} {
		if types[typ] == 0 {
			t.Errorf("no recorded history of workflow type %s", typ)
		}
		if !continued[typ] {
			t.Errorf("no recorded %s history that continued as new", typ)
		}
	}
	for typ := range types {
		if typ != workflows.WorksiteWorkflowName && typ != workflows.UserWorkflowName {
			t.Errorf("history of unknown workflow type %q", typ)
		}
	}
}

// ordinaryWrites are the activities a run that writes locally (the
// local-writes change, workflows/writes.go) must never schedule as ordinary
// activities: they cost a trip through the task queue and a workflow task each.
var ordinaryWrites = []string{"ProjectUserStatus", "ProjectApplication", "ProjectWorksiteStatus", "ProjectMembership", "RecordAudit"}

// checkWrites checks which side of the local-writes change a history is
// on: a history recorded before it (name ending _v0) has no local activity
// and must still replay; every other one took the change, so it writes its
// projections and audit records as local activities and schedules ordinary
// activities only for emails.
func checkWrites(t *testing.T, name string, h *historypb.History) {
	t.Helper()
	local, version := 0, false
	for _, e := range h.GetEvents() {
		if m := e.GetMarkerRecordedEventAttributes(); m != nil {
			switch m.GetMarkerName() {
			case "LocalActivity":
				local++
			case "Version":
				var id string
				if p := m.GetDetails()["change-id"]; p != nil && converter.GetDefaultDataConverter().FromPayloads(p, &id) == nil && id == "local-writes" {
					version = true
				}
			}
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && !strings.HasSuffix(name, "_v0") &&
			slices.Contains(ordinaryWrites, a.GetActivityType().GetName()) {
			t.Errorf("%s schedules %s as an ordinary activity; it must be a local one", name, a.GetActivityType().GetName())
		}
	}
	switch old := strings.HasSuffix(name, "_v0"); {
	case old && (local > 0 || version):
		t.Errorf("%s is named as recorded before the local-writes change, but has %d local activities (version marker %v)", name, local, version)
	case !old && (local == 0 || !version):
		t.Errorf("%s has %d local activities and version marker %v; a history recorded now writes locally", name, local, version)
	}
}

// timerLoops is how many loops of each workflow type wait on a timer at
// once: a worksite's main loop; a person's password cycle and application
// timers.
var timerLoops = map[string]int{workflows.WorksiteWorkflowName: 1, workflows.UserWorkflowName: 2}

// checkTimers checks that a history recorded with the local-writes change
// never has more timers pending than the workflow has loops: each loop
// reuses its timer or cancels it before starting another (workflows/wait.go).
// Histories from before the change (_v0) left one behind at each wake.
func checkTimers(t *testing.T, name, typ string, h *historypb.History) {
	t.Helper()
	if strings.HasSuffix(name, "_v0") {
		return
	}
	pending, most := map[int64]bool{}, 0
	for _, e := range h.GetEvents() {
		switch {
		case e.GetTimerStartedEventAttributes() != nil:
			pending[e.GetEventId()] = true
		case e.GetTimerFiredEventAttributes() != nil:
			delete(pending, e.GetTimerFiredEventAttributes().GetStartedEventId())
		case e.GetTimerCanceledEventAttributes() != nil:
			delete(pending, e.GetTimerCanceledEventAttributes().GetStartedEventId())
		}
		most = max(most, len(pending))
	}
	if most > timerLoops[typ] {
		t.Errorf("%s had %d timers pending at once; %s waits in %d loops, each on one timer", name, most, typ, timerLoops[typ])
	}
}

// mustLoadHistory reads a history in the JSON form the Temporal CLI and
// the recorder write.
func mustLoadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(h.GetEvents()) == 0 || h.GetEvents()[0].GetEventType() != enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		t.Fatalf("%s: does not start with WorkflowExecutionStarted", file)
	}
	return h
}
