package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

func reg(email, username string) domain.AccountRegistration {
	no := false
	return domain.AccountRegistration{Profession: domain.ProfMOA, ProfessionIDs: map[string]string{}, Email: email,
		Phone: "(604) 555-0100", HasHANetworkAccount: &no, Username: username}
}

func TestAccounts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, sub := range []string{"sub-a", "sub-b"} {
			if err := s.EnsurePerson(ctx, sub, "Legal", "Name"); err != nil {
				t.Fatal(err)
			}
		}
		// A second sign-in keeps the legal names first recorded.
		if err := s.EnsurePerson(ctx, "sub-a", "Changed", "Names"); err != nil {
			t.Fatal(err)
		}
		a, err := s.CreateAccount(ctx, "sub-a", reg("a@example.ca", "Alice"), "hash", time.Now(), domain.AuditEvent{Subject: "person:sub-a", Action: "account registered"})
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		if a.LegalFirstName != "Legal" || a.Username != "Alice" {
			t.Errorf("got %+v; want legal names from the first sign-in", a)
		}
		// Addresses are unique once confirmed: confirm Alice's.
		if _, _, err := s.ConfirmEmail(ctx, "sub-a", a.EmailLink, time.Now(), domain.AuditEvent{Subject: "person:sub-a"}); err != nil {
			t.Fatalf("ConfirmEmail: %v", err)
		}
		cases := []struct {
			name, subject, email, username, field string
		}{
			{"same email", "sub-b", "a@example.ca", "bob", "email"},
			{"same username, other case", "sub-b", "b@example.ca", "ALICE", "username"},
			{"second account for a person", "sub-a", "c@example.ca", "carol", ""},
		}
		for _, c := range cases {
			_, err := s.CreateAccount(ctx, c.subject, reg(c.email, c.username), "hash", time.Now(), domain.AuditEvent{Subject: "person:" + c.subject, Action: "account registered"})
			var de *domain.Error
			if domain.ErrorCode(err) != domain.ECONFLICT {
				t.Errorf("%s: got %v; want ECONFLICT", c.name, err)
				continue
			}
			if c.field != "" {
				if de, _ = err.(*domain.Error); de == nil || de.Fields[c.field] == "" {
					t.Errorf("%s: got %v; want the field %q named", c.name, err, c.field)
				}
			}
		}
		if n, _ := s.CountAccounts(ctx); n != 1 {
			t.Errorf("got %d accounts; want 1 (refused registrations leave nothing)", n)
		}
		if ev, _ := s.ListAudit(ctx, "person:sub-b"); len(ev) != 0 {
			t.Errorf("refused registrations left audit records: %+v", ev)
		}
		email := "new@example.ca"
		got, change, err := s.UpdateAccount(ctx, "sub-a", store.AccountUpdate{Email: &email}, domain.AuditEvent{Subject: "person:sub-a", Action: "contact details updated"})
		if err != nil || got.Email != "a@example.ca" || got.PendingEmail != email || change != domain.EmailPending {
			t.Errorf("UpdateAccount = %+v, %v, %v; want the new email pending beside the confirmed one", got, change, err)
		}
	})
}

func TestSessionsAndLoginStates(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := domain.LoginState{State: "st", Nonce: "n", Verifier: "v", BrowserHash: "browser-a", Kind: domain.SignInTeam,
			ReturnTo: "/x", ExpiresAt: time.Now().Add(time.Minute)}
		if err := s.CreateLoginState(ctx, st); err != nil {
			t.Fatal(err)
		}
		// Another browser's attempt finds nothing and leaves the state alone.
		for _, other := range []string{"browser-b", "", "browser-a "} {
			if _, err := s.TakeLoginState(ctx, "st", other); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("take by browser %q: got %v; want ENOTFOUND", other, err)
			}
		}
		got, err := s.TakeLoginState(ctx, "st", "browser-a")
		if err != nil || got.Nonce != "n" || got.Kind != domain.SignInTeam || got.BrowserHash != "browser-a" {
			t.Fatalf("TakeLoginState = %+v, %v", got, err)
		}
		if _, err := s.TakeLoginState(ctx, "st", "browser-a"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("second take: got %v; want ENOTFOUND (single use)", err)
		}
		p := domain.Principal{Subject: "sub", Role: domain.RoleTeam, GivenName: "Casey", IAL: 3}
		if err := s.CreateSession(ctx, domain.Session{IDHash: "h", Principal: p, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		se, err := s.GetSession(ctx, "h", time.Now())
		if err != nil || se.Principal.Role != domain.RoleTeam || se.CSRFToken != "c" {
			t.Errorf("GetSession = %+v, %v", se, err)
		}
		if _, err := s.GetSession(ctx, "h", time.Now().Add(2*time.Hour)); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("expired session: got %v; want ENOTFOUND", err)
		}
		if err := s.DeleteSession(ctx, "h"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, "h", time.Now()); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("deleted session: got %v; want ENOTFOUND", err)
		}
	})
}

func TestSessionUseAndRevocation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		mk := func(hash, subject string) {
			t.Helper()
			err := s.CreateSession(ctx, domain.Session{IDHash: hash, Principal: domain.Principal{Subject: subject, Role: domain.RoleTeam},
				CSRFToken: "c", ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0, CheckedAt: t0, Sealed: "sealed-" + hash})
			if err != nil {
				t.Fatal(err)
			}
		}
		get := func(hash string) domain.Session {
			t.Helper()
			se, err := s.GetSession(ctx, hash, t0)
			if err != nil {
				t.Fatalf("GetSession(%s): %v", hash, err)
			}
			return se
		}
		mk("a1", "alice")
		mk("a2", "alice")
		mk("b1", "bob")
		if se := get("a1"); !se.LastSeenAt.Equal(t0) || !se.CheckedAt.Equal(t0) || se.Sealed != "sealed-a1" {
			t.Errorf("stored session = %+v; want last use and check at %v and the sealed token", se, t0)
		}

		// Last use only moves forward.
		if err := s.TouchSession(ctx, "a1", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, "a1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := get("a1").LastSeenAt; !got.Equal(t0.Add(2 * time.Minute)) {
			t.Errorf("last use = %v; want the later use, %v", got, t0.Add(2*time.Minute))
		}
		if err := s.RecordSessionCheck(ctx, "a1", t0.Add(5*time.Minute), "resealed"); err != nil {
			t.Fatal(err)
		}
		if se := get("a1"); !se.CheckedAt.Equal(t0.Add(5*time.Minute)) || se.Sealed != "resealed" {
			t.Errorf("after the check: %+v; want checked at +5m with the new seal", se)
		}

		n, err := s.RevokeSessions(ctx, "alice", func(ended int64) domain.AuditEvent {
			return domain.AuditEvent{Subject: "person:alice", Actor: "team-1", Role: "enrolment_team", Action: "sessions revoked",
				Detail: fmt.Sprintf("%d ended", ended)}
		})
		if err != nil || n != 2 {
			t.Fatalf("RevokeSessions = %d, %v; want alice's 2", n, err)
		}
		for _, h := range []string{"a1", "a2"} {
			if _, err := s.GetSession(ctx, h, t0); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("session %s after the revocation: %v; want ENOTFOUND", h, err)
			}
		}
		get("b1") // another subject's session stands
		ev, err := s.ListAudit(ctx, "person:alice")
		if err != nil || len(ev) != 1 || ev[0].Detail != "2 ended" || ev[0].Actor != "team-1" {
			t.Errorf("audit = %+v, %v; want one record of 2 ended by team-1", ev, err)
		}
	})
}

// UserStatusJSON hands out the projection as the workflow wrote it, with its
// sequence number: 0 until the first projection, the newest after.
func TestUserStatusJSON(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, _, err := s.UserStatusJSON(ctx, "nobody"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("unknown subject: error %v; want ENOTFOUND", err)
		}
		if err := s.EnsurePerson(ctx, "sub-j", "Legal", "Name"); err != nil {
			t.Fatal(err)
		}
		if _, seq, err := s.UserStatusJSON(ctx, "sub-j"); err != nil || seq != 0 {
			t.Errorf("before any projection: seq %d, error %v; want 0, nil", seq, err)
		}
		for _, st := range []domain.UserStatus{
			{Subject: "sub-j", State: domain.UserAccountRegistered, Seq: 5, Username: "newer"},
			{Subject: "sub-j", State: domain.UserIdentityValidated, Seq: 3, Username: "older"}, // late and older: ignored
		} {
			if err := s.SaveUserStatus(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		raw, seq, err := s.UserStatusJSON(ctx, "sub-j")
		if err != nil {
			t.Fatal(err)
		}
		var got domain.UserStatus
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("stored status %s: %v", raw, err)
		}
		if seq != 5 || got.Seq != 5 || got.Username != "newer" || got.State != domain.UserAccountRegistered {
			t.Errorf("got seq %d and %+v; want the seq 5 status", seq, got)
		}
	})
}
