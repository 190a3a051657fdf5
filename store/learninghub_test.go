package store_test

import (
	"context"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func lhEvent(id, email string, at time.Time) store.LearningHubEvent {
	return store.LearningHubEvent{EventID: id, Type: "course.completed", CourseCode: "CC-PRIVACY-COMMUNITY", Email: email,
		LearningHubID: "LH-1", OccurredAt: at, ReceivedAt: at.Add(time.Second), Body: `{"eventId":"` + id + `"}`}
}

func TestLearningHubEvents(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)
		// Stored lower-case, whatever case it came in.
		if dup, err := s.RecordLearningHubEvent(ctx, lhEvent("evt-2", "Pat@Example.ca", t0.Add(time.Hour))); err != nil || dup {
			t.Fatalf("record evt-2: got %v, %v; want a new event", dup, err)
		}
		if dup, err := s.RecordLearningHubEvent(ctx, lhEvent("evt-1", "pat@example.ca", t0)); err != nil || dup {
			t.Fatalf("record evt-1: got %v, %v; want a new event", dup, err)
		}
		if _, err := s.RecordLearningHubEvent(ctx, lhEvent("evt-3", "other@example.ca", t0)); err != nil {
			t.Fatal(err)
		}
		// The same event again is a duplicate and changes nothing.
		again := lhEvent("evt-1", "changed@example.ca", t0)
		if dup, err := s.RecordLearningHubEvent(ctx, again); err != nil || !dup {
			t.Fatalf("record evt-1 again: got %v, %v; want a duplicate", dup, err)
		}
		if n, err := s.CountLearningHubEvents(ctx); err != nil || n != 3 {
			t.Fatalf("count = %d, %v; want 3", n, err)
		}
		got, err := s.GetLearningHubEvent(ctx, "evt-1")
		if err != nil || got.Email != "pat@example.ca" || !got.OccurredAt.Equal(t0) || got.DeliveredAt != nil || got.Subject != "" {
			t.Fatalf("evt-1 = %+v, %v; want the first recording, undelivered", got, err)
		}

		pending, err := s.PendingLearningHubEvents(ctx, "PAT@example.ca", "")
		if err != nil || len(pending) != 2 || pending[0].EventID != "evt-1" || pending[1].EventID != "evt-2" {
			t.Fatalf("pending = %+v, %v; want evt-1 then evt-2", pending, err)
		}
		if err := s.MarkLearningHubDelivered(ctx, "evt-1", "sub-pat"); err != nil {
			t.Fatal(err)
		}
		// Marking twice keeps the first delivery.
		if err := s.MarkLearningHubDelivered(ctx, "evt-1", "someone-else"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetLearningHubEvent(ctx, "evt-1"); got.DeliveredAt == nil || got.Subject != "sub-pat" {
			t.Errorf("evt-1 after delivery = %+v; want delivered to sub-pat", got)
		}
		if pending, err := s.PendingLearningHubEvents(ctx, "pat@example.ca", ""); err != nil || len(pending) != 1 || pending[0].EventID != "evt-2" {
			t.Errorf("pending after delivery = %+v, %v; want evt-2 alone", pending, err)
		}
		if err := s.MarkLearningHubDelivered(ctx, "no-such", "x"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("mark unknown event: got %v; want ENOTFOUND", err)
		}
		if _, err := s.GetLearningHubEvent(ctx, "no-such"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("get unknown event: got %v; want ENOTFOUND", err)
		}
	})
}

// TestLearnerSubjectByEmail: an event goes to the account that has
// confirmed its address (compared lower-case), never to one that only
// claims it.
func TestLearnerSubjectByEmail(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.EnsurePerson(ctx, "sub-a", "Legal", "Name"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LearnerSubject(ctx, "a@example.ca", ""); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("before the account: got %v; want ENOTFOUND", err)
		}
		a, err := s.CreateAccount(ctx, "sub-a", reg("a@example.ca", "Alice"), "hash", time.Now(), domain.AuditEvent{Subject: "person:sub-a", Action: "account registered"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LearnerSubject(ctx, "a@example.ca", ""); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("before the address is confirmed: got %v; want ENOTFOUND", err)
		}
		if _, _, err := s.ConfirmEmail(ctx, "sub-a", a.EmailLink, time.Now(), domain.AuditEvent{Subject: "person:sub-a"}); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"a@example.ca", "A@Example.CA"} {
			if sub, err := s.LearnerSubject(ctx, email, ""); err != nil || sub != "sub-a" {
				t.Errorf("LearnerSubject(%q) = %q, %v; want sub-a", email, sub, err)
			}
		}
	})
}
