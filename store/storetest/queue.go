package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
)

// QueueScale sizes SeedQueue.
type QueueScale struct {
	// People is the number of people with a user status.
	People int
	// Worksites is the number of worksites; AwaitingReview of them wait
	// for the team's approval, the rest are approved.
	Worksites, AwaitingReview int
	// Ready applications wait for the team; Other applications are in the
	// other states (waiting, provisioned, rejected, sent back, lapsed).
	Ready, Other int
}

// IssueScale is the team queue's target scale: 20,000 user enrolments and
// 2,000 worksites, with 200 ready applications and 300 worksites awaiting
// approval in the queue.
var IssueScale = QueueScale{People: 20_000, Worksites: 2_000, AwaitingReview: 300, Ready: 200, Other: 12_000}

// QueueNow is the clock of a SeedQueue database: ready applications and
// worksites awaiting review became so in the 16 days before it.
var QueueNow = time.Date(2026, 3, 13, 18, 0, 0, 0, time.UTC)

// SeedQueue fills s through its own Create and Save methods with people,
// worksites and applications at scale n, as the user and worksite
// workflows would project them. Waits of more than the default escalation
// threshold (5 business days) are flagged escalated, as the workflows'
// timers would have. It runs a few writers at once: tens of thousands of
// single-row commits one after another take minutes.
func SeedQueue(tb testing.TB, s *store.Store, n QueueScale) {
	tb.Helper()
	ctx := context.Background()
	cal := domain.Calendar{TimeZone: "America/Vancouver"}
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	escalated := func(since time.Time) bool {
		return !cal.AddBusinessDays(since, domain.DefaultSchedule().TeamReviewEscalateDays).After(QueueNow)
	}
	// since spreads waits over the 16 days before QueueNow, minute by minute.
	since := func(i int) time.Time { return QueueNow.Add(-time.Duration(i*7919%(16*24*60)) * time.Minute) }

	siteTypes := []domain.LocationType{domain.CommunityPrivatePractice, domain.CommunityPrivatePractice,
		domain.CommunityPharmacy, domain.LongTermCareFacility, domain.FirstNationsFacility}
	sites := make([]domain.WorksiteFacts, n.Worksites)
	parallel(tb, n.Worksites, func(i int) error {
		lt := siteTypes[i%len(siteTypes)]
		reg := domain.WorksiteRegistration{Name: fmt.Sprintf("Seeded Clinic %d", i), Phone: "(604) 555-0100", Email: "clinic@example.ca",
			Address:      domain.Address{StreetNumber: fmt.Sprint(100 + i), StreetName: "Main St", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"},
			LocationType: lt, EMR: "OSCAR", Administrator: domain.Person{Name: "Admin", Email: "admin@example.ca", Subject: fmt.Sprintf("admin-%d", i)}}
		if opts := types[lt].SubOptions; len(opts) > 0 {
			reg.SubOption = opts[0].Value
		}
		registered := QueueNow.AddDate(-1, 0, 0).Add(time.Duration(i) * 3 * time.Hour)
		w, err := s.CreateWorksite(ctx, reg, registered, domain.AuditEvent{At: registered, Actor: reg.Administrator.Subject,
			Role: "applicant", Action: "worksite_registered"})
		if err != nil {
			return err
		}
		st := domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteApproved, WaitingSince: registered.Add(48 * time.Hour), Seq: 3,
			Timeline: []domain.TimelineEvent{{At: registered, Kind: "registered"}}}
		if i%(n.Worksites/max(n.AwaitingReview, 1)) == 0 && i/(n.Worksites/max(n.AwaitingReview, 1)) < n.AwaitingReview {
			st.State, st.WaitingOn, st.WaitingSince = domain.WorksiteAwaitingReview, domain.PartyEnrolmentTeam, since(i)
			st.Escalated = escalated(st.WaitingSince)
			st.NextMilestone = &domain.Milestone{Kind: domain.MilestoneBreach, At: cal.AddBusinessDays(st.WaitingSince, 7)}
		}
		sites[i] = domain.WorksiteFacts{ID: w.ID, Name: w.Name, Type: types[lt], State: domain.WorksiteApproved, Member: true,
			StateSince: st.WaitingSince}
		return s.SaveWorksiteStatus(ctx, st)
	})

	profCodes := []string{domain.ProfPhysician, domain.ProfNursePractitioner, domain.ProfRegisteredNurse, domain.ProfPharmacist,
		domain.ProfMOA, domain.ProfLPN}
	others := []domain.ApplicationState{domain.AppWaiting, domain.AppProvisioned, domain.AppWaiting, domain.AppProvisioned,
		domain.AppProvisioned, domain.AppRejected, domain.AppSentBack, domain.AppLapsed}
	apps := n.Ready + n.Other
	parallel(tb, max(n.People, apps), func(i int) error {
		subject := fmt.Sprintf("seed-person-%06d", i)
		name := fmt.Sprintf("Person %d", i)
		if i < n.People {
			if err := s.EnsurePerson(ctx, subject, "Person", fmt.Sprint(i)); err != nil {
				return err
			}
			if err := s.SaveUserStatus(ctx, domain.UserStatus{Subject: subject, State: domain.UserAccountRegistered,
				WaitingOn: domain.PartyApplicant, WaitingSince: since(i), Seq: 2,
				Timeline: []domain.TimelineEvent{{At: since(i), Kind: "identity_validated"}, {At: since(i), Kind: "account_registered"}}}); err != nil {
				return err
			}
		}
		if i >= apps {
			return nil
		}
		p := profs[profCodes[i%len(profCodes)]]
		w := sites[(i*31)%len(sites)]
		submitted := since(i).Add(-72 * time.Hour)
		done := submitted.Add(24 * time.Hour)
		person := domain.PersonFacts{CourseCompletedAt: &done, AgreementAcknowledgedAt: &done}
		if p.NeedsSponsor {
			person.SponsorshipRequestedAt, person.Sponsored = &done, true
		}
		a := domain.Application{Worksite: w, State: domain.AppReady, SubmittedAt: submitted,
			Answers: map[string]bool{"direct_clinical_care": true}}
		a.Requirements = domain.ApplicationRequirements(p, w, person, submitted)
		if p.NeedsSponsor {
			a.SponsorshipRequestedAt = &done
			a.Sponsorship = &domain.Sponsorship{SponsorSubject: "seed-sponsor", SponsorName: "Dr Sponsor", ApprovedAt: done,
				Role: domain.DefaultBusinessRole(p, w.Type.Type)}
		}
		if i < n.Ready {
			ready := since(i)
			a.ReadySince, a.Escalated = &ready, escalated(ready)
			a.Breached = !cal.AddBusinessDays(ready, domain.DefaultSchedule().TeamReviewBreachDays).After(QueueNow)
			a.Requirements = append(a.Requirements, domain.Requirement{Key: "team", WaitingOn: domain.PartyEnrolmentTeam,
				Description: "the enrolment team must provision access", Since: ready})
			a.Next = &domain.DueTimer{Kind: "escalate", At: cal.AddBusinessDays(ready, 5), Seq: 1}
		} else {
			a.State = others[i%len(others)]
			switch a.State {
			case domain.AppWaiting:
				a.Requirements = domain.ApplicationRequirements(p, w, domain.PersonFacts{}, submitted)
				a.Next = &domain.DueTimer{Kind: "reminder", At: submitted.AddDate(0, 0, 3), Seq: 1}
			case domain.AppProvisioned:
				r := domain.DefaultBusinessRole(p, w.Type.Type)
				a.BusinessRole, a.DecidedBy, a.DecidedAt = &r, "team-member", &done
			case domain.AppRejected, domain.AppSentBack:
				a.Reason, a.DecidedBy, a.DecidedAt = "the profession IDs do not match the college register", "team-member", &done
			case domain.AppLapsed:
				a.Reason = "the LearningHub steps were not completed in time"
			}
		}
		return s.SaveApplication(ctx, subject, name, p.Code, a, 4)
	})
}

// parallel runs f(0) ... f(n-1) on a few goroutines and fails tb on the first error.
func parallel(tb testing.TB, n int, f func(i int) error) {
	tb.Helper()
	const writers = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("item %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		tb.Fatalf("storetest: seed: %v", first)
	}
}
