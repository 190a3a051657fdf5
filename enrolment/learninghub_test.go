package enrolment_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// callback is a signed LearningHub callback of the course (or code) at ts.
func (f *fixture) callback(t *testing.T, code string, ts time.Time) (string, []byte) {
	t.Helper()
	body, err := json.Marshal(learninghub.Event{EventID: "evt-1", Type: learninghub.TypeCourseCompleted, CourseCode: code,
		Learner: learninghub.Learner{Email: "ada@clinic.example.ca", LearningHubID: "LH-1"}, OccurredAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return learninghub.Sign([]byte(f.cfg.LearningHub.Secret), ts.Unix(), body), body
}

func TestLearningHubCallback(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		sign    func(*fixture, *testing.T) (string, []byte)
		store   error // RecordLearningHubEvent's
		dup     bool
		learner error // LearnerSubject's
		signal  error
		code    string
		// stored: the event was stored; signalled: sent to ada; marked: the subject it was marked delivered to ("-": not marked).
		stored, signalled bool
		marked            string
	}{
		{"a forged signature", func(f *fixture, t *testing.T) (string, []byte) {
			_, body := f.callback(t, f.cfg.LearningHub.CourseCode, now)
			return learninghub.Sign([]byte("wrong"), now.Unix(), body), body
		}, nil, false, nil, nil, domain.EUNAUTHORIZED, false, false, "-"},
		{"a stale signature", func(f *fixture, t *testing.T) (string, []byte) {
			return f.callback(t, f.cfg.LearningHub.CourseCode, now.Add(-time.Hour))
		}, nil, false, nil, nil, domain.EUNAUTHORIZED, false, false, "-"},
		{"signed, but not an event", func(f *fixture, t *testing.T) (string, []byte) {
			body := []byte(`{"eventId":1}`)
			return learninghub.Sign([]byte(f.cfg.LearningHub.Secret), now.Unix(), body), body
		}, nil, false, nil, nil, domain.EINVALID, false, false, "-"},
		// Never an acknowledgement of an event not stored, whatever the store said.
		{"not stored", course, errors.New("disk full"), false, nil, nil, domain.EUNAVAILABLE, false, false, "-"},
		{"accepted and delivered", course, nil, false, nil, nil, "", true, true, "ada"},
		{"a duplicate, delivered again", course, nil, true, nil, nil, "", true, true, "ada"},
		// Kept until an account confirms the address.
		{"no account yet", course, nil, false, domain.Errorf(domain.ENOTFOUND, "no learner"), nil, "", true, false, "-"},
		{"the workflow down: it stays pending", course, nil, false, nil, errDown, "", true, true, "-"},
		// Another course: nothing to apply, marked without a signal.
		{"another course", func(f *fixture, t *testing.T) (string, []byte) { return f.callback(t, "SOME-OTHER-COURSE", now) },
			nil, false, nil, nil, "", true, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			var stored []domain.LearningHubEvent
			f.store.RecordLearningHubEventFn = func(_ context.Context, e domain.LearningHubEvent) (bool, error) {
				stored = append(stored, e)
				return c.dup, c.store
			}
			f.store.PendingLearningHubEventsFn = func(context.Context, string, string) ([]domain.LearningHubEvent, error) {
				return stored, nil
			}
			f.store.LearnerSubjectFn = func(context.Context, string, string) (string, error) { return "ada", c.learner }
			signalled := false
			f.wf.SignalFn = func(_ context.Context, id, name string, arg any) error {
				signalled = id == "user/ada" && name == workflows.SignalLearningHub && arg.(workflows.LearningHubEvent).EventID == "evt-1"
				return c.signal
			}
			marked := "-"
			f.store.MarkLearningHubDeliveredFn = func(_ context.Context, id, subject string) error { marked = subject; return nil }
			header, body := c.sign(f, t)
			dup, err := f.service().LearningHubCallback(ctx, anonymous, header, body)
			wantCode(t, err, c.code)
			if dup != c.dup && c.code == "" {
				t.Errorf("duplicate %v; want %v", dup, c.dup)
			}
			if (len(stored) == 1 && c.store == nil) != c.stored || signalled != c.signalled || marked != c.marked {
				t.Errorf("stored %d, signalled %v, marked %q; want stored %v, signalled %v, marked %q",
					len(stored), signalled, marked, c.stored, c.signalled, c.marked)
			}
		})
	}
}

func course(f *fixture, t *testing.T) (string, []byte) {
	return f.callback(t, f.cfg.LearningHub.CourseCode, now)
}
