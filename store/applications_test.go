package store_test

import (
	"context"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func TestApplicationQueue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ready := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
		a := domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP"}, State: domain.AppReady, SubmittedAt: ready, ReadySince: &ready}
		if err := s.SaveApplication(ctx, "sub-a", "Priya Sharma", "physician", a, 5); err != nil {
			t.Fatal(err)
		}
		// An older projection arriving late is ignored.
		old := a
		old.State, old.ReadySince = domain.AppWaiting, nil
		if err := s.SaveApplication(ctx, "sub-a", "Priya Sharma", "physician", old, 3); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListApplications(ctx, string(domain.AppReady), 0)
		if err != nil || len(got) != 1 || got[0].Application.State != domain.AppReady || got[0].Name != "Priya Sharma" {
			t.Fatalf("queue = %+v, %v; want the ready application", got, err)
		}
		provisioned := a
		provisioned.State = domain.AppProvisioned
		if err := s.SaveApplication(ctx, "sub-a", "Priya Sharma", "physician", provisioned, 6); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ListApplications(ctx, string(domain.AppReady), 0); len(got) != 0 {
			t.Errorf("queue after provisioning = %+v; want empty", got)
		}
	})
}
