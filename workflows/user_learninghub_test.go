package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// learn signals a LearningHub event to the workflow at start+at.
func (h *userHarness) learn(at time.Duration, id, typ string) workflows.LearningHubEvent {
	e := workflows.LearningHubEvent{EventID: id, Type: typ, CourseCode: "CC-" + id, OccurredAt: h.start.Add(at - time.Minute)}
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalLearningHub, e) }, at)
	return e
}

// countKinds counts st's timeline events of kind.
func countKinds(st domain.UserStatus, kind string) int {
	n := 0
	for _, e := range st.Timeline {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// A completion and an acknowledgement show on the status and the timeline
// and are projected; a redelivered event changes nothing; a later
// completion is on the timeline but the first one's time stays.
func TestUserLearningHubEvents(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	course := h.learn(time.Hour, "evt-course", learninghub.TypeCourseCompleted)
	agreement := h.learn(2*time.Hour, "evt-hpcaa", learninghub.TypeAgreementAcknowledged)
	h.learn(3*time.Hour, "evt-course", learninghub.TypeCourseCompleted)                  // redelivered
	h.learn(3*time.Hour+time.Minute, "evt-hpcaa", learninghub.TypeAgreementAcknowledged) // redelivered
	h.learn(4*time.Hour, "evt-again", learninghub.TypeCourseCompleted)
	h.learn(5*time.Hour, "evt-odd", "course.started") // not a type the API sends: ignored
	before := h.query(30 * time.Minute)
	afterTwo := h.query(2*time.Hour + time.Minute)
	final := h.query(6 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 7*time.Hour)

	b, two, st := h.mustStatus(before), h.mustStatus(afterTwo), h.mustStatus(final)
	if b.CourseCompletedAt != nil || b.AgreementAcknowledgedAt != nil {
		t.Errorf("before any event: %v, %v; want neither set", b.CourseCompletedAt, b.AgreementAcknowledgedAt)
	}
	if st.CourseCompletedAt == nil || !st.CourseCompletedAt.Equal(course.OccurredAt) {
		t.Errorf("CourseCompletedAt = %v; want the first completion's %v", st.CourseCompletedAt, course.OccurredAt)
	}
	if st.AgreementAcknowledgedAt == nil || !st.AgreementAcknowledgedAt.Equal(agreement.OccurredAt) {
		t.Errorf("AgreementAcknowledgedAt = %v; want %v", st.AgreementAcknowledgedAt, agreement.OccurredAt)
	}
	if n := countKinds(st, "course_completed"); n != 2 {
		t.Errorf("course_completed events = %d; want 2 (evt-course once, evt-again)", n)
	}
	if n := countKinds(st, "agreement_acknowledged"); n != 1 {
		t.Errorf("agreement_acknowledged events = %d; want 1", n)
	}
	if two.Seq != b.Seq+2 || st.Seq != b.Seq+3 {
		t.Errorf("Seq %d, %d, %d; want one more per applied event only", b.Seq, two.Seq, st.Seq)
	}
	if p := h.lastProjection(); p.Seq != st.Seq || p.CourseCompletedAt == nil || p.AgreementAcknowledgedAt == nil {
		t.Errorf("last projection = seq %d %v %v; want seq %d with both times", p.Seq, p.CourseCompletedAt, p.AgreementAcknowledgedAt, st.Seq)
	}
}

// A completion that reaches the workflow before the account (the API
// delivers when the account registers, but the workflow does not rely on
// it) is recorded all the same.
func TestUserLearningHubBeforeAccount(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	e := h.learn(time.Minute, "evt-early", learninghub.TypeCourseCompleted)
	h.registered(time.Hour, "register")
	q := h.query(2 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 3*time.Hour)
	st := h.mustStatus(q)
	if st.State != domain.UserAccountRegistered || st.CourseCompletedAt == nil || !st.CourseCompletedAt.Equal(e.OccurredAt) {
		t.Errorf("status = %s, CourseCompletedAt %v; want account_registered with %v", st.State, st.CourseCompletedAt, e.OccurredAt)
	}
}

// Events that arrive just before continue-as-new are drained into the
// carry with their IDs, so the next run still refuses a redelivery.
func TestUserLearningHubCarriedAcrossContinueAsNew(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	at := time.Hour
	e := workflows.LearningHubEvent{EventID: "evt-1", Type: learninghub.TypeCourseCompleted, CourseCode: "CC", OccurredAt: h.start}
	h.env.RegisterDelayedCallback(func() {
		h.env.SetContinueAsNewSuggested(true)
		h.env.SignalWorkflow(workflows.SignalLearningHub, e)
		h.env.UpdateWorkflow(workflows.UpdatePasswordChanged, "reset", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {},
		}, workflows.PasswordChanged{At: h.start.Add(at), RequestID: "reset"})
	}, at)
	h.env.ExecuteWorkflow(workflows.UserWorkflowName, userInput(domain.DefaultSchedule()))

	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v; want *workflow.ContinueAsNewError", err)
	}
	var next workflows.UserInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Carry
	if c == nil || c.Status.CourseCompletedAt == nil || len(c.LearningHubEventIDs) != 1 || c.LearningHubEventIDs[0] != "evt-1" {
		t.Fatalf("carry = %+v; want the completion and its event ID", c)
	}

	h2 := newUserHarness(t, h.env.Now())
	h2.learn(time.Hour, "evt-1", learninghub.TypeCourseCompleted) // redelivered to the new run
	q := h2.query(2 * time.Hour)
	h2.runUntil(next, 3*time.Hour)
	st := h2.mustStatus(q)
	if st.Seq != c.Status.Seq || countKinds(st, "course_completed") != 1 {
		t.Errorf("next run: seq %d, %d completions; want the carried seq %d and one completion",
			st.Seq, countKinds(st, "course_completed"), c.Status.Seq)
	}
}
