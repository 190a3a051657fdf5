package workflows_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
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
	"worksite_members_closed":       "invitation resent, promotion and demotion, deactivation, reactivation, end date, edit; closed (ends)",
	"worksite_continue_as_new_run1": "membership changes until the server suggests continue-as-new",
	"worksite_continue_as_new_run2": "the run that resumes from the carried state",
	"user_provisioned":              "sign-in, account, application, LearningHub course and HPCAA, provisioned; sponsors an MOA",
	"user_sponsored_deactivated":    "on-behalf-of user: join, application, sponsorship, provisioned, membership deactivated",
	"user_timers_password_reset":    "application reminders and lapse, password reminders, expiry and reset",
	"user_team_decisions":           "applications rejected and sent back, access suspended and reinstated, profession changed; worksite closed",
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
	seen := map[string]bool{}
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
			checkEffects(t, name, h)
			checkTimers(t, name, typ, h)
			handled(h, seen)
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
	// Coverage: every update and signal handler replays from some history.
	for value, constant := range handlerNames(t) {
		if !seen[value] {
			t.Errorf("no recorded history handles %s (%q): drive it in app/record_histories_test.go and record again", constant, value)
		}
	}
	for typ := range types {
		if typ != workflows.WorksiteWorkflowName && typ != workflows.UserWorkflowName {
			t.Errorf("history of unknown workflow type %q", typ)
		}
	}
}

// checkEffects checks the effect model (workflows/effects.go) on a
// recorded history: a workflow schedules no ordinary activity (a
// projection is one local activity, a marker, and emails go through the
// outbox) and signals no other workflow (member notices go through the
// outbox too), and each workflow task ends with at most one projection
// write and at most one search attribute upsert.
func checkEffects(t *testing.T, name string, h *historypb.History) {
	t.Helper()
	markers, upserts, task := 0, 0, int64(0)
	for _, e := range h.GetEvents() {
		switch {
		case e.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			markers, upserts, task = 0, 0, e.GetEventId()
		case e.GetMarkerRecordedEventAttributes() != nil:
			if m := e.GetMarkerRecordedEventAttributes().GetMarkerName(); m != "LocalActivity" {
				t.Errorf("%s: event %d is a %s marker; the workflows record only local activities", name, e.GetEventId(), m)
			}
			// A write the store may refuse (a registration's unique address
			// or username: effects.own) is made before the change it
			// carries, so its task writes twice; never more.
			if markers++; markers == 3 {
				t.Errorf("%s: the workflow task completed at event %d wrote more than two projections", name, task)
			}
		case e.GetUpsertWorkflowSearchAttributesEventAttributes() != nil:
			if upserts++; upserts == 2 {
				t.Errorf("%s: the workflow task completed at event %d upserted its search attributes more than once", name, task)
			}
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			t.Errorf("%s schedules %s as an ordinary activity; emails go through the outbox", name,
				e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
		case e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes() != nil:
			t.Errorf("%s signals workflow %s itself at event %d; member notices go through the outbox", name,
				e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes().GetWorkflowExecution().GetWorkflowId(), e.GetEventId())
		}
	}
}

// handlerNames are the update and signal names that names.go declares
// (every constant named Update... or Signal...), read from its source so
// that a handler added there without a recorded history fails the test.
func handlerNames(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "names.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			for i, id := range v.Names {
				if !strings.HasPrefix(id.Name, "Update") && !strings.HasPrefix(id.Name, "Signal") || i >= len(v.Values) {
					continue
				}
				if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					value, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					names[value] = id.Name
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("names.go declares no update or signal name")
	}
	return names
}

// handled adds to seen the update and signal names h's workflow handled.
func handled(h *historypb.History, seen map[string]bool) {
	for _, e := range h.GetEvents() {
		if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			seen[a.GetAcceptedRequest().GetInput().GetName()] = true
		}
		if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			seen[a.GetSignalName()] = true
		}
	}
}

// timerLoops is how many deadlines each workflow type keeps at once: a
// worksite's one; a person's password milestones and application timers.
var timerLoops = map[string]int{workflows.WorksiteWorkflowName: 1, workflows.UserWorkflowName: 2}

// checkTimers checks that a history never has more timers pending than
// the workflow keeps deadlines: each reuses its timer or cancels it before
// starting another (workflows/wait.go).
func checkTimers(t *testing.T, name, typ string, h *historypb.History) {
	t.Helper()
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
