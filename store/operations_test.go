package store_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// TestGaugesAndRequeue: the projection gauges count the worksites by
// state and the outbox's pending and failing emails; an operator's
// requeue makes a failed email due again, and refuses a sent one.
func TestGaugesAndRequeue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := mustCreate(t, s, registration("101"))
		a, b := "worksite/"+w.ID+"/declaration_reminder/1", "worksite/"+w.ID+"/declaration_reminder/2"
		p := domain.Projection{Worksite: &domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingDeclaration,
			WaitingOn: domain.PartySigningAuthority, Seq: 2}, Emails: []domain.Email{outboxEmail(a), outboxEmail(b)}}
		if err := s.SaveProjection(ctx, p); err != nil {
			t.Fatal(err)
		}
		g, err := s.Gauges(ctx)
		if err != nil {
			t.Fatalf("Gauges: %v", err)
		}
		found := false
		for _, c := range g.Enrolments {
			if c.Kind == "worksite" && c.State == string(domain.WorksiteAwaitingDeclaration) && c.WaitingOn == string(domain.PartySigningAuthority) && c.N == 1 {
				found = true
			}
		}
		if !found || g.EmailsPending != 2 || g.EmailsRetrying != 0 || !g.EmailOldestRetrying.IsZero() {
			t.Errorf("Gauges = %+v; want the worksite awaiting its declaration, 2 pending emails, none retrying", g)
		}

		// a fails once (retried later), b fails for good.
		now := time.Now()
		claimed := mustClaimEmails(t, s, now, 10)
		if err := s.FinishEmail(ctx, a, claimed[a], store.Outcome{Status: store.EmailPending, RetryAt: now.Add(time.Hour), Error: "refused"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishEmail(ctx, b, claimed[b], store.Outcome{Status: store.EmailFailed, Error: "refused for good"}); err != nil {
			t.Fatal(err)
		}
		if g, err = s.Gauges(ctx); err != nil || g.EmailsPending != 1 || g.EmailsRetrying != 1 || g.EmailOldestRetrying.IsZero() {
			t.Errorf("Gauges = %+v, %v; want 1 pending, retrying since it was queued", g, err)
		}

		// The operator resends both: each is due now, with no attempts.
		for _, key := range []string{a, b} {
			if err := s.RequeueEmail(ctx, key, now); err != nil {
				t.Fatalf("RequeueEmail(%s): %v", key, err)
			}
		}
		if got := mustClaimEmails(t, s, now, 10); got[a] != 1 || got[b] != 1 {
			t.Errorf("claimed after requeue = %v; want both, at attempt 1", got)
		}
		if err := s.FinishEmail(ctx, a, 1, store.Outcome{Status: store.EmailSent}); err != nil {
			t.Fatal(err)
		}
		if err := s.RequeueEmail(ctx, a, now); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("RequeueEmail(sent) = %v; want ECONFLICT", err)
		}
		if err := s.RequeueEmail(ctx, "worksite/NOPE/x/1", now); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("RequeueEmail(unknown) = %v; want ENOTFOUND", err)
		}

		// The registration's audit record is in a range around now, not outside it.
		in, err := s.AuditRange(ctx, now.Add(-time.Hour), now.Add(time.Hour), 100)
		if err != nil || len(in) == 0 || in[0].Action != "worksite registered" {
			t.Errorf("AuditRange(now±1h) = %+v, %v; want the registration", in, err)
		}
		if out, err := s.AuditRange(ctx, now.Add(-2*time.Hour), now.Add(-time.Hour), 100); err != nil || len(out) != 0 {
			t.Errorf("AuditRange(an hour before) = %+v, %v; want none", out, err)
		}
	})
}

// TestTrace: each statement is a span named by its operation, without
// its arguments.
func TestTrace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		spans := tracetest.NewInMemoryExporter()
		tp := trace.NewTracerProvider(trace.WithSyncer(spans))
		if err := s.Trace(tp.Tracer("test")); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, registration("7"))
		names := map[string]bool{}
		for _, sp := range spans.GetSpans().Snapshots() {
			names[sp.Name()] = true
			for _, a := range sp.Attributes() {
				if v := a.Value.Emit(); v == "dalia@example.ca" || v == "Proctor Clinic" {
					t.Errorf("span %s carries %q", sp.Name(), v)
				}
			}
		}
		if !names["sql INSERT"] {
			t.Errorf("spans %v; want sql INSERT", names)
		}
	})
}

// TestAuditNamesTheActor: an audit record names who acted by name and
// role, not by subject ID: the name recorded with the row when there is
// one (the name at the time), else the person's name now (rows the
// workflows record, and rows from before names were recorded). The
// subject ID stays in Actor, for support.
func TestAuditNamesTheActor(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, p := range [][3]string{{"bcsc-admin", "Marcus", "Chen"}, {"bcsc-renamed", "Now", "Called"}} {
			if err := s.EnsurePerson(ctx, p[0], p[1], p[2]); err != nil {
				t.Fatal(err)
			}
		}
		// A team member has no people row: their name is the one they last signed in with.
		helen := domain.Principal{Subject: "idir-helen", Role: domain.RoleTeam, GivenName: "Helen", FamilyName: "Chow"}
		if err := s.CreateSession(ctx, domain.Session{IDHash: "h1", Principal: helen, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		subject := "worksite:K4T6CLP"
		for i, e := range []domain.AuditEvent{
			{Actor: "idir-jane", ActorName: "Jane Smith", Role: string(domain.RoleTeam), Action: "worksite approved"},
			{Actor: "bcsc-admin", Role: "site_administrator", Action: "member promoted"},
			{Actor: "bcsc-renamed", ActorName: "Then Called", Role: "site_administrator", Action: "member invited"},
			{Actor: "system", Role: "system", Action: "worksite registration lapsed"},
			{Actor: "idir-gone", Role: string(domain.RoleTeam), Action: "worksite reclassified"},
			{Actor: "idir-helen", Role: string(domain.RoleTeam), Action: "worksite rejected"},
		} {
			e.Subject, e.At, e.Key = subject, t0.Add(time.Duration(i)*time.Minute), "k"+string(rune('a'+i))
			if err := s.RecordAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		want := []struct{ actor, name, label string }{
			// Recorded with the row.
			{"idir-jane", "Jane Smith", "Enrolment team: Jane Smith"},
			// Recorded without a name (by a workflow): the person's name now.
			{"bcsc-admin", "Marcus Chen", "Site administrator: Marcus Chen"},
			// The name at the time wins over the name now.
			{"bcsc-renamed", "Then Called", "Site administrator: Then Called"},
			{"system", "", "CareConnect (automatic)"},
			// Nobody by that subject: the role alone, never the ID.
			{"idir-gone", "", "Enrolment team"},
			// A team member recorded without a name (by a workflow): the name they signed in with.
			{"idir-helen", "Helen Chow", "Enrolment team: Helen Chow"},
		}
		check := func(what string, got []domain.AuditEvent) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %d events; want %d", what, len(got), len(want))
			}
			for i, w := range want {
				if g := got[i]; g.Actor != w.actor || g.ActorName != w.name || g.ActorLabel != w.label {
					t.Errorf("%s: event %d actor %q, name %q, label %q; want %q, %q, %q", what, i, g.Actor, g.ActorName, g.ActorLabel, w.actor, w.name, w.label)
				}
			}
		}
		events, err := s.ListAudit(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		check("ListAudit", events)
		events, err = s.AuditRange(ctx, t0, t0.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		check("AuditRange", events)
	})
}
