package delivery_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/learninghub/delivery"
	"careconnect/store"
	"careconnect/workflows"
)

// fakeStore holds one learner's pending events and who can take them.
type fakeStore struct {
	pending   []store.LearningHubEvent
	subjects  map[string]string // by email: the account that takes its events
	delivered map[string]string // event ID -> subject it was marked delivered to
}

func (s *fakeStore) PendingLearningHubEvents(context.Context, string, string) ([]store.LearningHubEvent, error) {
	return s.pending, nil
}

func (s *fakeStore) LearnerSubject(_ context.Context, email, _ string) (string, error) {
	if sub, ok := s.subjects[email]; ok {
		return sub, nil
	}
	return "", domain.Errorf(domain.ENOTFOUND, "no account")
}

func (s *fakeStore) MarkLearningHubDelivered(_ context.Context, eventID, subject string) error {
	s.delivered[eventID] = subject
	return nil
}

// fakeTemporal records signals; with fail set, every signal fails.
type fakeTemporal struct {
	signals []string
	fail    bool
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, _, name string, arg interface{}) error {
	if f.fail {
		return errors.New("temporal: unavailable")
	}
	e := arg.(workflows.LearningHubEvent)
	f.signals = append(f.signals, workflowID+" "+name+" "+e.EventID)
	return nil
}

// A learner's events go to the account that takes them, oldest first,
// each marked once signalled; one for another course is settled without a
// signal; one no account can take stays pending; a failed signal stops the
// delivery and leaves the rest pending.
func TestLearner(t *testing.T) {
	at := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)
	event := func(id, typ, course, email string) store.LearningHubEvent {
		return store.LearningHubEvent{EventID: id, Type: typ, CourseCode: course, Email: email, OccurredAt: at}
	}
	pending := []store.LearningHubEvent{
		event("e1", learninghub.TypeCourseCompleted, "CC-PRIVACY-COMMUNITY", "owner@example.ca"),
		event("e2", learninghub.TypeCourseCompleted, "SOME-OTHER-COURSE", "owner@example.ca"),
		event("e3", learninghub.TypeAgreementAcknowledged, "CC-HPCAA", "unconfirmed@example.ca"),
		event("e4", learninghub.TypeAgreementAcknowledged, "CC-HPCAA", "owner@example.ca"),
	}
	s := &fakeStore{pending: pending, subjects: map[string]string{"owner@example.ca": "sub-owner"}, delivered: map[string]string{}}
	tc := &fakeTemporal{}
	d := delivery.Deliverer{Store: s, Temporal: tc, CourseCode: "CC-PRIVACY-COMMUNITY", AgreementCode: "CC-HPCAA"}
	if err := d.Learner(context.Background(), "owner@example.ca", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"user/sub-owner " + workflows.SignalLearningHub + " e1", "user/sub-owner " + workflows.SignalLearningHub + " e4"}
	if len(tc.signals) != 2 || tc.signals[0] != want[0] || tc.signals[1] != want[1] {
		t.Errorf("signals = %q; want %q", tc.signals, want)
	}
	if s.delivered["e1"] != "sub-owner" || s.delivered["e4"] != "sub-owner" {
		t.Errorf("delivered = %v; want e1 and e4 to sub-owner", s.delivered)
	}
	if sub, ok := s.delivered["e2"]; !ok || sub != "" {
		t.Errorf("another course's event: delivered %q (%v); want settled with no subject", sub, ok)
	}
	if _, ok := s.delivered["e3"]; ok {
		t.Error("an event no account can take was marked delivered; want it pending")
	}

	failing := &fakeStore{pending: pending, subjects: s.subjects, delivered: map[string]string{}}
	d = delivery.Deliverer{Store: failing, Temporal: &fakeTemporal{fail: true}, CourseCode: "CC-PRIVACY-COMMUNITY", AgreementCode: "CC-HPCAA"}
	if err := d.Learner(context.Background(), "owner@example.ca", ""); err == nil {
		t.Error("Temporal down: got nil; want the error")
	}
	if len(failing.delivered) != 0 {
		t.Errorf("Temporal down: delivered %v; want nothing marked", failing.delivered)
	}
}
