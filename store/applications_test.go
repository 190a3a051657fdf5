package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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
		got, err := s.ListApplications(ctx, store.ApplicationFilter{State: string(domain.AppReady)})
		if err != nil || len(got) != 1 || got[0].State != domain.AppReady || got[0].Name != "Priya Sharma" ||
			got[0].ReadySince == nil || !got[0].ReadySince.Equal(ready) {
			t.Fatalf("queue = %+v, %v; want the ready application", got, err)
		}
		// The application passes through as SaveApplication encoded it.
		if want, _ := json.Marshal(a); string(got[0].Application) != string(want) {
			t.Errorf("queued application = %s; want %s", got[0].Application, want)
		}
		provisioned := a
		provisioned.State = domain.AppProvisioned
		if err := s.SaveApplication(ctx, "sub-a", "Priya Sharma", "physician", provisioned, 6); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ListApplications(ctx, store.ApplicationFilter{State: string(domain.AppReady)}); len(got) != 0 {
			t.Errorf("queue after provisioning = %+v; want empty", got)
		}
	})
}

// TestApplicationFiltersSponsorshipsAndFunnel: the queue filters by state,
// profession and worksite type; an authorizer's list holds only the open,
// requested, unsponsored applications at their worksite; the funnel counts
// applications by their first outstanding requirement.
func TestApplicationFiltersSponsorshipsAndFunnel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
		pharmacy := domain.WorksiteTypePolicy{Type: domain.CommunityPharmacy}
		clinic := domain.WorksiteTypePolicy{Type: domain.CommunityPrivatePractice}
		course := domain.Requirement{Key: "course", WaitingOn: domain.PartyApplicant}
		sponsor := domain.Requirement{Key: "sponsor", WaitingOn: domain.PartySponsor}
		team := domain.Requirement{Key: "team", WaitingOn: domain.PartyEnrolmentTeam}
		save := func(subject, profession string, a domain.Application) {
			t.Helper()
			a.SubmittedAt = at
			if err := s.SaveApplication(ctx, subject, subject, profession, a, 1); err != nil {
				t.Fatal(err)
			}
		}
		save("doc", domain.ProfPhysician, domain.Application{Worksite: domain.WorksiteFacts{ID: "CLINIC1", Type: clinic}, State: domain.AppReady,
			ReadySince: &at, Requirements: []domain.Requirement{{Key: "course", Done: true}, team}})
		save("moa-asked", domain.ProfMOA, domain.Application{Worksite: domain.WorksiteFacts{ID: "CLINIC1", Type: clinic}, State: domain.AppWaiting,
			SponsorshipRequestedAt: &at, Requirements: []domain.Requirement{sponsor, course}})
		save("moa-not-asked", domain.ProfMOA, domain.Application{Worksite: domain.WorksiteFacts{ID: "CLINIC1", Type: clinic}, State: domain.AppWaiting,
			Requirements: []domain.Requirement{{Key: "sponsor", WaitingOn: domain.PartyApplicant}}})
		save("moa-sponsored", domain.ProfMOA, domain.Application{Worksite: domain.WorksiteFacts{ID: "CLINIC1", Type: clinic}, State: domain.AppWaiting,
			SponsorshipRequestedAt: &at, Sponsorship: &domain.Sponsorship{SponsorSubject: "doc"}, Requirements: []domain.Requirement{course}})
		save("moa-elsewhere", domain.ProfMOA, domain.Application{Worksite: domain.WorksiteFacts{ID: "CLINIC2", Type: clinic}, State: domain.AppWaiting,
			SponsorshipRequestedAt: &at, Requirements: []domain.Requirement{sponsor}})
		save("pharm", domain.ProfPharmacist, domain.Application{Worksite: domain.WorksiteFacts{ID: "PHARM01", Type: pharmacy}, State: domain.AppWaiting,
			Requirements: []domain.Requirement{course}})

		subjects := func(qs []store.QueuedApplication, err error) string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, q := range qs {
				out = append(out, q.Subject)
			}
			sort.Strings(out)
			return strings.Join(out, " ")
		}
		for _, c := range []struct {
			f    store.ApplicationFilter
			want string
		}{
			{store.ApplicationFilter{State: string(domain.AppReady)}, "doc"},
			{store.ApplicationFilter{Profession: domain.ProfPharmacist}, "pharm"},
			{store.ApplicationFilter{LocationType: string(domain.CommunityPharmacy)}, "pharm"},
			{store.ApplicationFilter{State: string(domain.AppWaiting), Profession: domain.ProfMOA}, "moa-asked moa-elsewhere moa-not-asked moa-sponsored"},
			{store.ApplicationFilter{Profession: domain.ProfPhysician, LocationType: string(domain.CommunityPharmacy)}, ""},
		} {
			if got := subjects(s.ListApplications(ctx, c.f)); got != c.want {
				t.Errorf("ListApplications(%+v) = %q; want %q", c.f, got, c.want)
			}
		}
		reqs, err := s.SponsorshipRequests(ctx, "CLINIC1")
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || reqs[0].Subject != "moa-asked" || reqs[0].Application.SponsorshipRequestedAt == nil {
			t.Errorf("sponsorship requests at CLINIC1 = %+v; want only the open, requested, unsponsored one", reqs)
		}

		counts, err := s.Funnel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range counts {
			if c.Kind == "application" {
				got[c.State+"/"+c.Blocker+"/"+string(c.WaitingOn)] += c.Count
			}
		}
		want := map[string]int{"ready_for_provisioning/team/enrolment_team": 1, "waiting/sponsor/sponsor": 2,
			"waiting/sponsor/applicant": 1, "waiting/course/applicant": 2}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("funnel = %v; want %v", got, want)
		}
	})
}
