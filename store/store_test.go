package store_test

import (
	"context"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func registration(unit string) domain.WorksiteRegistration {
	return domain.WorksiteRegistration{
		Name: "Proctor Clinic", Phone: "(604) 555-4555", Email: "clinic@example.ca",
		Address: domain.Address{Unit: unit, StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver",
			Province: "BC", PostalCode: "V5T 4G5"},
		LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR",
		Administrator: domain.Person{Name: "Dalia Eighteen", Email: "dalia@example.ca"},
	}
}

func mustCreate(t *testing.T, s *store.Store, reg domain.WorksiteRegistration) domain.Worksite {
	t.Helper()
	w, err := s.CreateWorksite(context.Background(), reg, time.Now(), domain.AuditEvent{Actor: "dalia@example.ca", Role: "applicant", Action: "worksite registered"})
	if err != nil {
		t.Fatalf("CreateWorksite: %v", err)
	}
	return w
}

func TestWorksiteLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration("101"))
		if !domain.ValidWorksiteID(w.ID) {
			t.Fatalf("got ID %q; want 7 uppercase letters and digits", w.ID)
		}
		got, err := s.GetWorksite(ctx, w.ID)
		if err != nil {
			t.Fatalf("GetWorksite: %v", err)
		}
		if got.Address.String() != "101-370 Broadway E, Vancouver, BC V5T 4G5" || got.Administrator.Email != "dalia@example.ca" {
			t.Errorf("got %+v; want the stored registration", got)
		}

		// The same address and unit, written differently, is a conflict.
		dup := registration("Suite 101")
		dup.Address.StreetName = "broadway east"
		if _, err := s.CreateWorksite(ctx, dup, time.Now(), domain.AuditEvent{}); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("duplicate address: got %v; want ECONFLICT", err)
		}
		// Another unit at the same address is a different worksite.
		w102 := mustCreate(t, s, registration("102"))
		if n, _ := s.CountWorksites(ctx); n != 2 {
			t.Errorf("got %d worksites; want 2", n)
		}
		// Only a live worksite holds its address: once it has ended
		// (lapsed, rejected, closed), the address may be registered again,
		// and then the new one holds it.
		for i, ended := range domain.EndedWorksiteStates() {
			if err := s.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: w102.ID, State: ended, Seq: i + 1}); err != nil {
				t.Fatal(err)
			}
			again, err := s.CreateWorksite(ctx, registration("102"), time.Now(), domain.AuditEvent{})
			if err != nil {
				t.Fatalf("register again after %s: %v; want it registered", ended, err)
			}
			if _, err := s.CreateWorksite(ctx, registration("102"), time.Now(), domain.AuditEvent{}); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Errorf("a second live registration after %s: %v; want ECONFLICT", ended, err)
			}
			w102 = again
		}
		// The contact name is stored.
		withContact := registration("103")
		withContact.ContactName = "Dana Lee"
		if got, err := s.GetWorksite(ctx, mustCreate(t, s, withContact).ID); err != nil || got.ContactName != "Dana Lee" {
			t.Errorf("contact name: %+v, %v; want Dana Lee", got, err)
		}

		if _, err := s.GetWorksite(ctx, "ZZZZZZZ"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("missing worksite: got %v; want ENOTFOUND", err)
		}
		audit, err := s.ListAudit(ctx, "worksite:"+w.ID)
		if err != nil || len(audit) != 1 || audit[0].Action != "worksite registered" {
			t.Errorf("audit = %+v, %v; want the registration", audit, err)
		}
	})
}

func TestWorksiteStatusProjection(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration(""))
		since := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		st := domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingDeclaration, WaitingOn: domain.PartySigningAuthority,
			WaitingSince: since, NextMilestone: &domain.Milestone{Kind: domain.MilestoneReminder, At: since.Add(72 * time.Hour), Seq: 1}, Seq: 5}
		if err := s.SaveWorksiteStatus(ctx, st); err != nil {
			t.Fatalf("SaveWorksiteStatus: %v", err)
		}
		// An older status (lower Seq) arriving late is ignored.
		old := st
		old.State, old.Seq = domain.WorksiteState("registering"), 3
		if err := s.SaveWorksiteStatus(ctx, old); err != nil {
			t.Fatalf("SaveWorksiteStatus(old): %v", err)
		}
		got, err := s.GetWorksiteStatus(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != domain.WorksiteAwaitingDeclaration || got.Seq != 5 || !got.WaitingSince.Equal(since) {
			t.Errorf("got %+v; want the newer status", got)
		}
		list, err := s.ListWorksites(ctx, store.WorksiteFilter{WaitingOn: string(domain.PartySigningAuthority)})
		if err != nil || len(list) != 1 || list[0].NextMilestoneAt == nil || !list[0].NextMilestoneAt.Equal(since.Add(72*time.Hour)) {
			t.Errorf("list = %+v, %v; want one row with its next milestone", list, err)
		}
		if list, _ := s.ListWorksites(ctx, store.WorksiteFilter{State: "approved"}); len(list) != 0 {
			t.Errorf("state filter: got %d rows; want 0", len(list))
		}
		if err := s.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: "NOPE123", Seq: 1}); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("status of a missing worksite: got %v; want ENOTFOUND", err)
		}
	})
}

func TestDeclaration(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration(""))
		d := domain.Declaration{WorksiteID: w.ID, SignerName: "Dr. Lead", SignerTitle: "Clinical Lead",
			Attestation: []string{"policies"}, SignedAt: time.Now(), Screenshot: []byte{0x89, 'P', 'N', 'G', 0, 1, 2},
			ScreenshotType: "image/png", ScreenshotSHA: "abc"}
		if err := s.CreateDeclaration(ctx, d, "req-1"); err != nil {
			t.Fatalf("CreateDeclaration: %v", err)
		}
		if err := s.CreateDeclaration(ctx, d, "req-2"); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("second declaration: got %v; want ECONFLICT", err)
		}
		got, err := s.GetDeclaration(ctx, w.ID)
		if err != nil || string(got.Screenshot) != string(d.Screenshot) || got.Attestation[0] != "policies" {
			t.Errorf("got %+v, %v; want the stored declaration", got, err)
		}
	})
}
