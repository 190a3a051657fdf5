package store_test

import (
	"context"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// SaveProjection writes a worksite's status, membership and audit records
// together, or none of them; a retry and an older write change nothing.
func TestSaveWorksiteProjection(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration("101"))
		ada := domain.Member{Subject: "sub-ada", Name: "Ada", Email: "ada@example.ca", Admin: true, Active: true, Since: time.Now()}
		audit := domain.AuditEvent{Key: "worksite/" + w.ID + "/audit/declaration/r1", At: time.Now(), Actor: "Dr Lee",
			Role: "signing_authority", WorksiteID: w.ID, Subject: "worksite:" + w.ID, Action: "declaration signed"}
		p := domain.Projection{
			Worksite:   &domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingReview, Seq: 4},
			Membership: &domain.MembershipProjection{WorksiteID: w.ID, Membership: domain.Membership{Members: []domain.Member{ada}}, Seq: 1},
			Audits:     []domain.AuditEvent{audit},
		}
		for i := 0; i < 2; i++ { // the second is a retried activity
			if err := s.SaveProjection(ctx, p); err != nil {
				t.Fatalf("SaveProjection (try %d): %v", i+1, err)
			}
		}
		if st, err := s.GetWorksiteStatus(ctx, w.ID); err != nil || st.State != domain.WorksiteAwaitingReview || st.Seq != 4 {
			t.Errorf("status = %+v, %v; want awaiting review at seq 4", st, err)
		}
		if m, err := s.GetMembership(ctx, w.ID); err != nil || len(m.Members) != 1 || m.Members[0].Subject != ada.Subject {
			t.Errorf("membership = %+v, %v; want ada", m, err)
		}
		if n := countAudits(t, s, "worksite:"+w.ID, "declaration signed"); n != 1 {
			t.Errorf("declaration audits = %d; want 1 (recorded once per key)", n)
		}

		// An older status changes nothing.
		old := domain.Projection{Worksite: &domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingDeclaration, Seq: 2}}
		if err := s.SaveProjection(ctx, old); err != nil {
			t.Fatalf("SaveProjection (older): %v", err)
		}
		if st, _ := s.GetWorksiteStatus(ctx, w.ID); st.State != domain.WorksiteAwaitingReview {
			t.Errorf("status after an older write = %s; want awaiting review kept", st.State)
		}

		// One transaction: a membership that cannot be written (a subject
		// listed twice) leaves the status and the audit record unwritten too.
		bad := domain.Projection{
			Worksite:   &domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteApproved, Seq: 6},
			Membership: &domain.MembershipProjection{WorksiteID: w.ID, Membership: domain.Membership{Members: []domain.Member{ada, ada}}, Seq: 2},
			Audits: []domain.AuditEvent{{Key: "worksite/" + w.ID + "/audit/decision/r2", At: time.Now(), Actor: "team",
				Role: "enrolment_team", WorksiteID: w.ID, Subject: "worksite:" + w.ID, Action: "worksite approved"}},
		}
		if err := s.SaveProjection(ctx, bad); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("SaveProjection (subject twice) = %v; want ECONFLICT", err)
		}
		if st, _ := s.GetWorksiteStatus(ctx, w.ID); st.State != domain.WorksiteAwaitingReview || st.Seq != 4 {
			t.Errorf("status after a failed write = %s (seq %d); want awaiting review at seq 4, nothing written", st.State, st.Seq)
		}
		if n := countAudits(t, s, "worksite:"+w.ID, "worksite approved"); n != 0 {
			t.Errorf("approval audits after a failed write = %d; want 0", n)
		}

		// An unknown worksite is ENOTFOUND.
		missing := domain.Projection{Worksite: &domain.WorksiteStatus{WorksiteID: "ZZZZZZZ", Seq: 1}}
		if err := s.SaveProjection(ctx, missing); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("SaveProjection (unknown worksite) = %v; want ENOTFOUND", err)
		}
	})
}

// SaveProjection writes a person's status, applications and audit records together.
func TestSaveUserProjection(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.EnsurePerson(ctx, "sub-a", "Priya", "Sharma"); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		app := domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP", Name: "Proctor Clinic"}, State: domain.AppReady,
			SubmittedAt: now, ReadySince: &now}
		p := domain.Projection{
			User:         &domain.UserStatus{Subject: "sub-a", State: domain.UserAccountRegistered, Seq: 7, Applications: []domain.Application{app}},
			Applications: []domain.ApplicationProjection{{Subject: "sub-a", Name: "Priya Sharma", Profession: domain.ProfPhysician, Application: app, Seq: 7}},
			Audits: []domain.AuditEvent{{Key: "user/sub-a/audit/access ended/1", At: now, Actor: "system", Role: "system",
				Subject: "person:sub-a", Action: "access ended"}},
		}
		for i := 0; i < 2; i++ {
			if err := s.SaveProjection(ctx, p); err != nil {
				t.Fatalf("SaveProjection (try %d): %v", i+1, err)
			}
		}
		if st, err := s.GetUserStatus(ctx, "sub-a"); err != nil || st.Seq != 7 || len(st.Applications) != 1 {
			t.Errorf("status = %+v, %v; want seq 7 with the application", st, err)
		}
		q, err := s.ListApplications(ctx, store.ApplicationFilter{})
		if err != nil || len(q) != 1 || q[0].Subject != "sub-a" || q[0].State != domain.AppReady {
			t.Errorf("queue = %+v, %v; want sub-a's ready application", q, err)
		}
		if n := countAudits(t, s, "person:sub-a", "access ended"); n != 1 {
			t.Errorf("audits = %d; want 1", n)
		}
		if err := s.SaveProjection(ctx, domain.Projection{}); err != nil {
			t.Errorf("SaveProjection (empty) = %v; want nil", err)
		}
	})
}

// countAudits counts subject's audit records with action.
func countAudits(t *testing.T, s *store.Store, subject, action string) int {
	t.Helper()
	es, err := s.ListAudit(context.Background(), subject)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

// A refused owned write (an address and unit taken) rolls its whole
// projection back: the status and audit record it carried are not stored,
// and the result names the refusal.
func TestApplyProjectionRefusedWriteRollsBack(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		mustCreate(t, s, registration("202")) // the address and unit taken
		other := mustCreate(t, s, registration("203"))
		p := domain.Projection{
			Writes: []domain.Write{{Key: "worksite", Worksite: &domain.WorksiteWrite{ID: "NEWSITE1", Registration: registration("202"),
				RegisteredAt: time.Now()}}},
			Worksite: &domain.WorksiteStatus{WorksiteID: other.ID, State: domain.WorksiteAwaitingReview, Seq: 9},
			Audits: []domain.AuditEvent{{Key: "worksite/" + other.ID + "/audit/rollback", At: time.Now(), Actor: "x",
				Role: "system", WorksiteID: other.ID, Subject: "worksite:" + other.ID, Action: "rolled back"}},
		}
		res, err := s.ApplyProjection(ctx, p)
		if err != nil {
			t.Fatalf("ApplyProjection: %v", err)
		}
		if !res.RolledBack || len(res.Refused) != 1 || res.Refused[0].Key != "worksite" || res.Refused[0].Code != domain.ECONFLICT {
			t.Fatalf("result %+v; want the registration refused (ECONFLICT) and the projection rolled back", res)
		}
		if st, err := s.GetWorksiteStatus(ctx, other.ID); err == nil && st.Seq == 9 {
			t.Errorf("the status carried with a refused write was stored: %+v", st)
		}
		if n := countAudits(t, s, "worksite:"+other.ID, "rolled back"); n != 0 {
			t.Errorf("audits carried with a refused write = %d; want 0", n)
		}
	})
}

// A person's row is their workflow's write (domain.PersonWrite): the first
// projection makes it with the status, a retry changes nothing, and a later
// one with new legal names changes the names and nothing else.
func TestPersonWrite(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)
		person := func(last string) domain.Write {
			return domain.Write{Key: "person", Person: &domain.PersonWrite{Subject: "sub-p", LegalFirst: "Priya", LegalLast: last, At: at}}
		}
		first := domain.Projection{Writes: []domain.Write{person("Sharma")},
			User: &domain.UserStatus{Subject: "sub-p", State: domain.UserIdentityValidated, LegalFirstName: "Priya", LegalLastName: "Sharma", Seq: 2}}
		for i := 0; i < 2; i++ { // the second is a retried activity
			if res, err := s.ApplyProjection(ctx, first); err != nil || len(res.Refused) > 0 {
				t.Fatalf("ApplyProjection (try %d): %+v, %v", i+1, res, err)
			}
		}
		name := func() (string, int64) {
			t.Helper()
			page, err := s.FindPeople(ctx, domain.ListQuery{Text: "priya", Limit: 10})
			if err != nil || len(page.People) != 1 {
				t.Fatalf("people named Priya: %+v, %v; want one", page, err)
			}
			return page.People[0].LegalFirstName + " " + page.People[0].LegalLastName, page.Total
		}
		if got, _ := name(); got != "Priya Sharma" {
			t.Errorf("legal name %q; want Priya Sharma", got)
		}
		if _, seq, err := s.UserStatusJSON(ctx, "sub-p"); err != nil || seq != 2 {
			t.Errorf("status seq %d, %v; want 2, written with the row", seq, err)
		}
		renamed := domain.Projection{Writes: []domain.Write{person("Sharma-Lee")},
			User: &domain.UserStatus{Subject: "sub-p", State: domain.UserIdentityValidated, LegalFirstName: "Priya", LegalLastName: "Sharma-Lee", Seq: 3}}
		if _, err := s.ApplyProjection(ctx, renamed); err != nil {
			t.Fatal(err)
		}
		if got, _ := name(); got != "Priya Sharma-Lee" {
			t.Errorf("legal name after the change %q; want Priya Sharma-Lee", got)
		}
		if st, err := s.GetUserStatus(ctx, "sub-p"); err != nil || st.Seq != 3 || st.State != domain.UserIdentityValidated {
			t.Errorf("status %+v, %v; want seq 3", st, err)
		}
	})
}
