package store_test

import (
	"context"
	"encoding/json"
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
		if err := s.DeleteAccount(ctx, "sub-a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAccount(ctx, "sub-a"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("after delete: got %v; want ENOTFOUND", err)
		}
	})
}

func TestSessionsAndLoginStates(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st := domain.LoginState{State: "st", Nonce: "n", Verifier: "v", Kind: domain.SignInTeam, ReturnTo: "/x", ExpiresAt: time.Now().Add(time.Minute)}
		if err := s.CreateLoginState(ctx, st); err != nil {
			t.Fatal(err)
		}
		got, err := s.TakeLoginState(ctx, "st")
		if err != nil || got.Nonce != "n" || got.Kind != domain.SignInTeam {
			t.Fatalf("TakeLoginState = %+v, %v", got, err)
		}
		if _, err := s.TakeLoginState(ctx, "st"); domain.ErrorCode(err) != domain.ENOTFOUND {
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
