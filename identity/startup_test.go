package identity_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/identity"
	"careconnect/store"
	"careconnect/store/storetest"
	"careconnect/testnet"
)

// TestIssuerDownAtStart: an issuer that cannot be reached at start does
// not stop the Authenticator. Until it answers, sign-in and bearer tokens
// get 503 (EUNAVAILABLE) with a plain message; once it is up, discovery in
// the background finds it and sign-in works, with no restart.
func TestIssuerDownAtStart(t *testing.T) {
	addr := testnet.MustFreeAddr(t)
	cfg := identity.Config{
		Applicant: identity.IssuerConfig{Issuer: "http://" + addr, ClientID: applicantClient, ClientSecret: applicantClient + "-secret"},
		RoleClaim: "roles", RoleValue: devidp.RoleEnrolmentTeam, MinIAL: minIAL, IALClaim: "identity_assurance_level",
		RedirectURL: redirectURL, SessionTTL: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	a, err := identity.New(ctx, cfg, storetest.New(t, store.Postgres))
	if err != nil {
		t.Fatalf("identity.New with the issuer down: %v; want an Authenticator that waits for it", err)
	}
	t.Cleanup(a.Close)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("New took %v with the issuer refusing connections; want it to return at once", took)
	}
	if a.Ready() {
		t.Fatal("Ready() with the issuer down")
	}
	_, _, err = a.LoginURL(ctx, domain.SignInApplicant, "/", "")
	checkCode(t, "sign-in with the issuer down", err, domain.EUNAVAILABLE)
	if msg := domain.ErrorMessage(err); msg != identity.ErrIssuerUnavailable.Message {
		t.Errorf("sign-in with the issuer down says %q; want %q", msg, identity.ErrIssuerUnavailable.Message)
	}
	_, err = a.VerifyBearer(ctx, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	checkCode(t, "a bearer token with the issuer's keys unknown", err, domain.EUNAVAILABLE)

	idp, err := devidp.Start(addr, devidp.Options{Env: "test", Clients: map[string]devidp.Client{
		applicantClient: {Secret: applicantClient + "-secret", RedirectURIs: []string{redirectURL}}}})
	if err != nil {
		t.Fatalf("starting the issuer on %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = idp.Close() })
	// The first retries come 1s, 2s and 4s after start.
	for deadline := time.Now().Add(20 * time.Second); !a.Ready() && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	if !a.Ready() {
		t.Fatal("the issuer is up but was not discovered within 20s")
	}
	if _, _, err := a.LoginURL(ctx, domain.SignInApplicant, "/", ""); err != nil {
		t.Errorf("sign-in once the issuer is up: %v", err)
	}
	p, err := a.VerifyBearer(ctx, mustToken(t, idp, devidp.PersonaPhysician, applicantClient))
	if err != nil || p.Subject == "" {
		t.Errorf("a bearer token once the issuer is up: %+v, %v", p, err)
	}
}

// TestCachedKeysWhileIssuerDown: once the issuer's keys are known, a token
// it signed verifies while the issuer is down (the key set is kept), and
// sign-in itself still starts (the authorization URL needs no call).
func TestCachedKeysWhileIssuerDown(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	// One verification fetches and keeps the keys.
	if _, err := fx.auth.VerifyBearer(ctx, mustToken(t, fx.idp, devidp.PersonaMOA, applicantClient)); err != nil {
		t.Fatal(err)
	}
	fresh := mustToken(t, fx.idp, devidp.PersonaPhysician, applicantClient) // never verified: not in the token cache
	if err := fx.idp.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := fx.auth.VerifyBearer(ctx, fresh)
	if err != nil {
		t.Fatalf("a token signed with a known key, issuer down: %v", err)
	}
	if want := mustPersona(t, fx.idp, devidp.PersonaPhysician).Subject; p.Subject != want {
		t.Errorf("subject = %q; want %q", p.Subject, want)
	}
}
