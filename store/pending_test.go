package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// A person's open join requests and the invitations to their address are
// found by subject and address, with the worksite's name; a decided
// request, an expired invitation or another person's are not.
func TestPendingForPerson(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "", "sub-reg")
		b := mustCreateAt(t, s, "Harbour Pharmacy", "12", "Water St", "Vancouver", "", "sub-reg2")
		now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		mustSaveMembership(t, s, a.ID, domain.Membership{Members: []domain.Member{}, Requests: []domain.JoinRequest{
			{ID: "jr-1", Subject: "sub-moa", RequestedAt: now.Add(-48 * time.Hour), Overdue: true},
			{ID: "jr-2", Subject: "sub-other", RequestedAt: now}}, Invitations: []domain.Invitation{}}, 1)
		mustSaveMembership(t, s, b.ID, domain.Membership{Members: []domain.Member{}, Requests: []domain.JoinRequest{},
			Invitations: []domain.Invitation{
				{ID: "inv-1", Email: "moa@example.ca", InvitedOn: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
				{ID: "inv-old", Email: "moa@example.ca", InvitedOn: now.Add(-20 * 24 * time.Hour), ExpiresAt: now.Add(-time.Hour)}}}, 1)

		got, err := s.PendingForPerson(ctx, "sub-moa", "MOA@example.ca", now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d pending (%+v); want the join request and the live invitation", len(got), got)
		}
		if got[0].Kind != domain.PendingJoinRequest || got[0].ID != "jr-1" || got[0].WorksiteName != "Proctor Clinic" || !got[0].Overdue {
			t.Errorf("first = %+v; want jr-1 at Proctor Clinic, overdue", got[0])
		}
		if got[1].Kind != domain.PendingInvitation || got[1].ID != "inv-1" || got[1].WorksiteID != b.ID || got[1].ExpiresAt == nil {
			t.Errorf("second = %+v; want inv-1 at %s", got[1], b.ID)
		}

		// The request decided: the worksite's next projection drops it.
		mustSaveMembership(t, s, a.ID, domain.Membership{Members: []domain.Member{}, Requests: []domain.JoinRequest{}, Invitations: []domain.Invitation{}}, 2)
		if got, err := s.PendingForPerson(ctx, "sub-moa", "", now); err != nil || len(got) != 0 {
			t.Errorf("after the decision, without an address: %+v, %v; want none", got, err)
		}
	})
}

// PersonWorksites lists where a change of a person's profile must reach:
// their memberships (active or not), their open join requests, and a
// worksite they registered whose membership is not projected yet.
func TestPersonWorksites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := mustCreateAt(t, s, "Proctor Clinic", "370", "Broadway E", "Vancouver", "", "sub-reg")
		b := mustCreateAt(t, s, "Harbour Pharmacy", "12", "Water St", "Vancouver", "", "sub-reg2")
		c := mustCreateAt(t, s, "Fraser Clinic", "9", "Fraser St", "Vancouver", "", "sub-moa")
		mustCreateAt(t, s, "Other Clinic", "10", "Main St", "Vancouver", "", "sub-reg3")
		now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		mustSaveMembership(t, s, a.ID, domain.Membership{Members: []domain.Member{{Subject: "sub-moa", Name: "M", Since: now}},
			Requests: []domain.JoinRequest{}, Invitations: []domain.Invitation{}}, 1)
		mustSaveMembership(t, s, b.ID, domain.Membership{Members: []domain.Member{}, Requests: []domain.JoinRequest{
			{ID: "jr-1", Subject: "sub-moa", RequestedAt: now}}, Invitations: []domain.Invitation{}}, 1)
		got, err := s.PersonWorksites(ctx, "sub-moa")
		want := []string{a.ID, b.ID, c.ID}
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("PersonWorksites = %v, %v; want %v", got, err, want)
		}
		if got, err := s.PersonWorksites(ctx, "sub-nobody"); err != nil || len(got) != 0 {
			t.Errorf("PersonWorksites(nobody) = %v, %v; want none", got, err)
		}
	})
}
