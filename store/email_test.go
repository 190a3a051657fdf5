package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// mustAccountOf registers an account for subject with email.
func mustAccountOf(t *testing.T, s *store.Store, subject, email, username string) domain.Account {
	t.Helper()
	ctx := context.Background()
	if err := s.EnsurePerson(ctx, subject, "Legal", "Name"); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, subject, reg(email, username), "hash", time.Now(), domain.AuditEvent{Subject: "person:" + subject, Action: "account registered"})
	if err != nil {
		t.Fatalf("CreateAccount(%s, %s): %v", subject, email, err)
	}
	return a
}

// TestEmailConfirmation: an address is unique among confirmed ones; the
// first to confirm keeps it; a link works for the one address it was sent
// for; a change waits as pending beside the confirmed address.
func TestEmailConfirmation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		audit := func(sub string) domain.AuditEvent {
			return domain.AuditEvent{Subject: "person:" + sub, Actor: sub, RequestID: "req-" + sub}
		}
		// Two accounts claim the same address; neither is confirmed, neither blocks the other.
		squat := mustAccountOf(t, s, "sub-squat", "owner@example.ca", "squatter")
		owner := mustAccountOf(t, s, "sub-owner", "owner@example.ca", "owner")
		if owner.EmailConfirmed || owner.EmailLink == "" || owner.EmailLinksSent != 1 || owner.EmailLink == squat.EmailLink {
			t.Fatalf("a new account: %+v; want unconfirmed, with a link of its own, counted as sent", owner)
		}
		for _, sub := range []string{"sub-squat", "sub-owner"} {
			if got, err := s.LearnerSubject(ctx, "owner@example.ca", ""); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Fatalf("%s: LearnerSubject of an unconfirmed address = %q, %v; want ENOTFOUND", sub, got, err)
			}
		}
		// Another account's link, or a made-up one, confirms nothing.
		if _, _, err := s.ConfirmEmail(ctx, "sub-owner", squat.EmailLink, time.Now(), audit("sub-owner")); domain.ErrorCode(err) != domain.EUNPROCESSABLE {
			t.Errorf("another account's nonce: got %v; want EUNPROCESSABLE", err)
		}
		// The owner confirms first and keeps the address.
		a, outcome, err := s.ConfirmEmail(ctx, "sub-owner", owner.EmailLink, time.Now(), audit("sub-owner"))
		if err != nil || outcome != domain.EmailLinkConfirms || !a.EmailConfirmed || a.EmailLink != "" {
			t.Fatalf("ConfirmEmail = %+v, %q, %v; want confirmed with no link left", a, outcome, err)
		}
		if got, err := s.LearnerSubject(ctx, "OWNER@example.ca", ""); err != nil || got != "sub-owner" {
			t.Errorf("LearnerSubject after confirming = %q, %v; want sub-owner", got, err)
		}
		if _, _, err := s.ConfirmEmail(ctx, "sub-squat", squat.EmailLink, time.Now(), audit("sub-squat")); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("the squatter confirms too: got %v; want ECONFLICT", err)
		}
		// A replay changes nothing.
		if _, outcome, err := s.ConfirmEmail(ctx, "sub-owner", owner.EmailLink, time.Now(), audit("sub-owner")); err != nil || outcome != domain.EmailLinkAlreadyUsed {
			t.Errorf("replay = %q, %v; want already confirmed", outcome, err)
		}
		// Registering or switching to a confirmed address is refused.
		if err := s.EnsurePerson(ctx, "sub-late", "Legal", "Name"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, "sub-late", reg("owner@example.ca", "late"), "hash", time.Now(), audit("sub-late")); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("registering a confirmed address: got %v; want ECONFLICT", err)
		}
		taken := "owner@example.ca"
		mustAccountOf(t, s, "sub-third", "third@example.ca", "third")
		if _, _, err := s.UpdateAccount(ctx, "sub-third", store.AccountUpdate{Email: &taken}, audit("sub-third")); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("switching to a confirmed address: got %v; want ECONFLICT", err)
		}

		// A change waits as pending; its link is new; the old address stays in force.
		next := "Owner.New@example.ca"
		a, change, err := s.UpdateAccount(ctx, "sub-owner", store.AccountUpdate{Email: &next}, audit("sub-owner"))
		if err != nil || change != domain.EmailPending || a.Email != "owner@example.ca" || a.PendingEmail != "owner.new@example.ca" || a.EmailLink == "" {
			t.Fatalf("change = %+v, %v, %v; want the new address pending with a link", a, change, err)
		}
		first := a.EmailLink
		// A second change replaces the pending one and its link.
		other := "owner.other@example.ca"
		a, change, err = s.UpdateAccount(ctx, "sub-owner", store.AccountUpdate{Email: &other}, audit("sub-owner"))
		if err != nil || change != domain.EmailPending || a.PendingEmail != other || a.EmailLink == first {
			t.Fatalf("second change = %+v, %v, %v; want it pending with a new link", a, change, err)
		}
		if _, _, err := s.ConfirmEmail(ctx, "sub-owner", first, time.Now(), audit("sub-owner")); domain.ErrorCode(err) != domain.EUNPROCESSABLE {
			t.Errorf("the replaced address's link: got %v; want EUNPROCESSABLE", err)
		}
		// Resends count up to the limit.
		for want := 2; want <= domain.MaxEmailConfirmationLinks; want++ {
			nonce, seq, err := s.NextEmailLink(ctx, "sub-owner")
			if err != nil || nonce != a.EmailLink || seq != want {
				t.Fatalf("NextEmailLink = %q, %d, %v; want %q, %d", nonce, seq, err, a.EmailLink, want)
			}
		}
		if _, _, err := s.NextEmailLink(ctx, "sub-owner"); domain.ErrorCode(err) != domain.EUNPROCESSABLE {
			t.Errorf("a resend past the limit: got %v; want EUNPROCESSABLE", err)
		}
		// Giving the confirmed address again withdraws the change.
		back := "owner@example.ca"
		a, change, err = s.UpdateAccount(ctx, "sub-owner", store.AccountUpdate{Email: &back}, audit("sub-owner"))
		if err != nil || change != domain.EmailWithdrawn || a.PendingEmail != "" || a.EmailLink != "" {
			t.Fatalf("withdraw = %+v, %v, %v; want nothing pending", a, change, err)
		}
		if _, _, err := s.NextEmailLink(ctx, "sub-owner"); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("a resend with nothing to confirm: got %v; want ECONFLICT", err)
		}
		// Change, confirm: the new address is in force, the old one is free.
		a, _, err = s.UpdateAccount(ctx, "sub-owner", store.AccountUpdate{Email: &next}, audit("sub-owner"))
		if err != nil {
			t.Fatal(err)
		}
		if a, _, err = s.ConfirmEmail(ctx, "sub-owner", a.EmailLink, time.Now(), audit("sub-owner")); err != nil || a.Email != "owner.new@example.ca" || a.PendingEmail != "" {
			t.Fatalf("confirming the change = %+v, %v; want the new address in force", a, err)
		}
		if got, err := s.LearnerSubject(ctx, "owner@example.ca", ""); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("LearnerSubject of the given-up address = %q, %v; want ENOTFOUND", got, err)
		}
		// The email changes are audited, the addresses masked.
		events, err := s.ListAudit(ctx, "person:sub-owner")
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
			if strings.Contains(e.Detail, "owner@example.ca") || strings.Contains(e.Detail, "owner.new@example.ca") {
				t.Errorf("audit detail %q shows an address unmasked", e.Detail)
			}
			if strings.HasPrefix(e.Action, "email") && (e.Actor != "sub-owner" || e.RequestID != "req-sub-owner") {
				t.Errorf("audit event %+v; want the actor and request ID", e)
			}
		}
		for _, want := range []string{"email confirmed", "email change requested", "email change withdrawn"} {
			if !strings.Contains(strings.Join(actions, "|"), want) {
				t.Errorf("audit actions %v; want %q", actions, want)
			}
		}
		// An unconfirmed address is simply replaced, with a new link.
		typo := "typo@example.ca"
		sq, change, err := s.UpdateAccount(ctx, "sub-squat", store.AccountUpdate{Email: &typo}, audit("sub-squat"))
		if err != nil || change != domain.EmailReplaced || sq.Email != typo || sq.EmailConfirmed || sq.EmailLink == squat.EmailLink {
			t.Errorf("replacing an unconfirmed address = %+v, %v, %v; want it replaced with a new link", sq, change, err)
		}
	})
}

// TestLearnerBinding: the first event delivered to an account binds its
// learningHubId; later events with that ID reach it whatever address they
// carry; an ID bound to one account is never bound to another.
func TestLearnerBinding(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, sub := range []string{"sub-1", "sub-2"} {
			a := mustAccountOf(t, s, sub, sub+"@example.ca", sub)
			if _, _, err := s.ConfirmEmail(ctx, sub, a.EmailLink, time.Now(), domain.AuditEvent{Subject: "person:" + sub}); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)
		ev := func(id, email, lhid string) store.LearningHubEvent {
			e := lhEvent(id, email, at)
			e.LearningHubID = lhid
			return e
		}
		for _, e := range []store.LearningHubEvent{ev("e1", "sub-1@example.ca", "LH-1"), ev("e2", "sub-2@example.ca", "LH-1"), ev("e3", "elsewhere@example.ca", "LH-1")} {
			if _, err := s.RecordLearningHubEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if pending, err := s.PendingLearningHubEvents(ctx, "nobody@example.ca", "LH-1"); err != nil || len(pending) != 3 {
			t.Errorf("pending by learningHubId = %d events, %v; want 3", len(pending), err)
		}
		if pending, err := s.PendingLearningHubEvents(ctx, "sub-1@example.ca", ""); err != nil || len(pending) != 1 {
			t.Errorf("pending by email = %d events, %v; want 1", len(pending), err)
		}
		// Before any binding, the confirmed address decides.
		if got, err := s.LearnerSubject(ctx, "sub-1@example.ca", "LH-1"); err != nil || got != "sub-1" {
			t.Fatalf("LearnerSubject before binding = %q, %v; want sub-1", got, err)
		}
		if err := s.MarkLearningHubDelivered(ctx, "e1", "sub-1"); err != nil {
			t.Fatal(err)
		}
		if a, err := s.GetAccount(ctx, "sub-1"); err != nil || a.LearningHubID != "LH-1" {
			t.Fatalf("after the first delivery: %+v, %v; want LH-1 bound", a, err)
		}
		// Bound: the ID decides, over another account's confirmed address.
		for _, email := range []string{"sub-2@example.ca", "elsewhere@example.ca"} {
			if got, err := s.LearnerSubject(ctx, email, "LH-1"); err != nil || got != "sub-1" {
				t.Errorf("LearnerSubject(%s, LH-1) = %q, %v; want sub-1", email, got, err)
			}
		}
		// The ID is never bound to a second account, nor rebound.
		if err := s.MarkLearningHubDelivered(ctx, "e2", "sub-2"); err != nil {
			t.Fatal(err)
		}
		if a, err := s.GetAccount(ctx, "sub-2"); err != nil || a.LearningHubID != "" {
			t.Errorf("sub-2 after an event with a bound ID: %+v, %v; want no ID", a, err)
		}
	})
}
