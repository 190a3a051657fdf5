package devidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// mustTeamToken signs the team persona in through the code flow and
// returns the token response.
func mustTeamToken(t *testing.T, fx *fixture) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := mustSignIn(t, fx, fx.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n")), PersonaTeam)
	tok, err := fx.cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("the code exchange issued no refresh token")
	}
	return tok
}

// refresh runs the refresh_token grant as fx's client.
func refresh(t *testing.T, fx *fixture, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	return fx.cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// userinfoRoles asks userinfo with the access token; ok is false when it is refused.
func userinfoRoles(t *testing.T, fx *fixture, tok *oauth2.Token) (roles []string, ok bool) {
	t.Helper()
	p, err := oidc.NewProvider(context.Background(), fx.idp.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	ui, err := p.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, false
	}
	var c idClaims
	if err := ui.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c.Roles, true
}

// The refresh_token grant issues a new access token and ID token with
// the persona's current claims; the refresh token is bound to its client.
func TestRefreshTokenGrant(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	tok := mustTeamToken(t, fx)
	fresh, err := refresh(t, fx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
		t.Errorf("refreshed access token %q; want a new one", fresh.AccessToken)
	}
	rawID, _ := fresh.Extra("id_token").(string)
	idTok, err := mustVerifier(t, fx.idp, testClientID).Verify(context.Background(), rawID)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	var c idClaims
	if err := idTok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if want, _ := fx.idp.Persona(PersonaTeam); c.Subject != want.Subject || !slices.Equal(c.Roles, want.Roles) {
		t.Errorf("refreshed ID token claims %+v; want the team persona's", c)
	}
	if roles, ok := userinfoRoles(t, fx, fresh); !ok || !slices.Contains(roles, RoleEnrolmentTeam) {
		t.Errorf("userinfo with the refreshed token: roles %v, ok %v; want the team role", roles, ok)
	}

	for _, tt := range []struct {
		name, clientID, secret, refreshToken string
	}{
		{"unknown refresh token", testClientID, testClientSecret, "not-a-refresh-token"},
		{"another client's refresh token", otherClientID, otherSecret, tok.RefreshToken},
		// An access token is not a refresh token.
		{"an access token", testClientID, testClientSecret, tok.AccessToken},
	} {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tt.refreshToken}}
		req, _ := http.NewRequest(http.MethodPost, fx.idp.Issuer()+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(tt.clientID, tt.secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		if err := json.Unmarshal([]byte(mustReadBody(t, resp)), &body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("%s: %d %v; want 400 invalid_grant", tt.name, resp.StatusCode, body)
		}
	}

	// Refresh tokens expire too.
	fx.clock.Advance(refreshTokenLifetime + time.Minute)
	if _, err := refresh(t, fx, tok.RefreshToken); err == nil {
		t.Errorf("refresh after the refresh token's lifetime: got a token; want invalid_grant")
	}
}

// SetRoles takes a persona's team role away: userinfo and every later
// refresh say so at once, as an identity provider does when an
// administrator removes someone from a group.
func TestSetRoles(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	tok := mustTeamToken(t, fx)
	if err := fx.idp.SetRoles(PersonaTeam, nil); err != nil {
		t.Fatalf("SetRoles: %v", err)
	}
	if roles, ok := userinfoRoles(t, fx, tok); !ok || len(roles) != 0 {
		t.Errorf("userinfo after the role was removed: roles %v, ok %v; want none", roles, ok)
	}
	fresh, err := refresh(t, fx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	rawID, _ := fresh.Extra("id_token").(string)
	idTok, err := mustVerifier(t, fx.idp, testClientID).Verify(context.Background(), rawID)
	if err != nil {
		t.Fatal(err)
	}
	var c idClaims
	if err := idTok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if len(c.Roles) != 0 {
		t.Errorf("refreshed ID token roles %v; want none", c.Roles)
	}
	// Persona reports the change, and minted tokens carry it.
	if p, _ := fx.idp.Persona(PersonaTeam); len(p.Roles) != 0 {
		t.Errorf("Persona roles %v; want none", p.Roles)
	}
	if err := fx.idp.SetRoles(PersonaTeam, []string{RoleEnrolmentTeam}); err != nil {
		t.Fatal(err)
	}
	if roles, ok := userinfoRoles(t, fx, tok); !ok || !slices.Equal(roles, []string{RoleEnrolmentTeam}) {
		t.Errorf("userinfo after the role was restored: roles %v, ok %v", roles, ok)
	}
	if err := fx.idp.SetRoles("nobody", nil); err == nil {
		t.Errorf("SetRoles of an unknown persona: got nil; want an error")
	}
}

// RevokeGrants ends everything issued to a persona, as an identity
// provider does when an account is disabled: userinfo refuses its access
// tokens and its refresh tokens no longer work; others are untouched.
func TestRevokeGrants(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	tok := mustTeamToken(t, fx)
	verifier := oauth2.GenerateVerifier()
	q := mustSignIn(t, fx, fx.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n")), PersonaPhysician)
	other, err := fx.cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if n := fx.idp.RevokeGrants(PersonaTeam); n != 2 {
		t.Errorf("RevokeGrants = %d; want 2 (the access and refresh token)", n)
	}
	if _, ok := userinfoRoles(t, fx, tok); ok {
		t.Errorf("userinfo with a revoked access token: accepted")
	}
	if _, err := refresh(t, fx, tok.RefreshToken); err == nil {
		t.Errorf("refresh with a revoked refresh token: got a token")
	}
	if _, ok := userinfoRoles(t, fx, other); !ok {
		t.Errorf("another persona's access token was revoked too")
	}
	if _, err := refresh(t, fx, other.RefreshToken); err != nil {
		t.Errorf("another persona's refresh: %v", err)
	}
}

// The dev endpoints do the same over HTTP, for people trying it by hand.
func TestDevPersonaEndpoints(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	tok := mustTeamToken(t, fx)
	post := func(path string, form url.Values) int {
		t.Helper()
		resp, err := http.PostForm(fx.idp.Issuer()+path, form)
		if err != nil {
			t.Fatal(err)
		}
		mustReadBody(t, resp)
		return resp.StatusCode
	}
	if code := post("/dev/personas/"+PersonaTeam+"/roles", url.Values{"roles": {""}}); code != http.StatusNoContent {
		t.Fatalf("POST roles: %d; want 204", code)
	}
	if roles, ok := userinfoRoles(t, fx, tok); !ok || len(roles) != 0 {
		t.Errorf("userinfo after POST roles: %v %v; want no roles", roles, ok)
	}
	if code := post("/dev/personas/"+PersonaTeam+"/roles", url.Values{"roles": {"enrolment_team, auditor"}}); code != http.StatusNoContent {
		t.Fatalf("POST roles: %d; want 204", code)
	}
	if roles, _ := userinfoRoles(t, fx, tok); !slices.Equal(roles, []string{RoleEnrolmentTeam, "auditor"}) {
		t.Errorf("roles %v; want [enrolment_team auditor]", roles)
	}
	if code := post("/dev/personas/"+PersonaTeam+"/revoke", nil); code != http.StatusNoContent {
		t.Fatalf("POST revoke: %d; want 204", code)
	}
	if _, ok := userinfoRoles(t, fx, tok); ok {
		t.Errorf("userinfo after POST revoke: accepted")
	}
	if code := post("/dev/personas/nobody/revoke", nil); code != http.StatusNotFound {
		t.Errorf("POST revoke of an unknown persona: %d; want 404", code)
	}
}

// SetLegalName renames a persona: Persona and the tokens minted after it
// carry the new names; another persona keeps its own.
func TestSetLegalName(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	if err := fx.idp.SetLegalName("nobody", "A", "B"); err == nil {
		t.Errorf("SetLegalName of an unknown persona: nil error; want one")
	}
	if err := fx.idp.SetLegalName(PersonaPhysician, "Priya", "Sharma-Lee"); err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.idp.Persona(PersonaPhysician); p.GivenName != "Priya" || p.FamilyName != "Sharma-Lee" {
		t.Errorf("Persona names %s %s; want Priya Sharma-Lee", p.GivenName, p.FamilyName)
	}
	claims, err := fx.idp.mintClaims(PersonaPhysician, testClientID, nil)
	if err != nil || claims["family_name"] != "Sharma-Lee" || claims["name"] != "Priya Sharma-Lee" {
		t.Errorf("minted claims %v, %v; want family_name Sharma-Lee", claims, err)
	}
	if p, _ := fx.idp.Persona(PersonaMOA); p.FamilyName == "Sharma-Lee" {
		t.Errorf("another persona renamed too: %+v", p)
	}
}
