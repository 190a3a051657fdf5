// Package identity signs people in over OpenID Connect and says who is
// calling: applicants through the BC Services Card issuer, the enrolment
// team through their own issuer or a role claim. Browsers use the code flow
// with PKCE, state and nonce and a server-side session; API clients send
// bearer ID tokens. Tokens are verified with go-oidc: signature against the
// issuer's JWKS (RS256/ES256 only, so "alg: none" never passes), issuer,
// audience and expiry; an identity assurance level below the minimum is refused.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"careconnect/domain"
)

// IssuerConfig names one OIDC client registration.
type IssuerConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
}

// Config configures the Authenticator.
type Config struct {
	Applicant IssuerConfig
	// Team is the team's own issuer; an empty Issuer means team members sign
	// in through the applicant issuer and are recognised by RoleClaim.
	Team        IssuerConfig
	RoleClaim   string
	RoleValue   string
	MinIAL      int
	IALClaim    string
	RedirectURL string
	SessionTTL  time.Duration
	Now         func() time.Time
}

// SessionStore keeps login states and sessions. *store.Store implements it.
type SessionStore interface {
	CreateLoginState(ctx context.Context, s domain.LoginState) error
	// TakeLoginState returns and deletes the state (one use). Errors: ENOTFOUND.
	TakeLoginState(ctx context.Context, state string) (domain.LoginState, error)
	CreateSession(ctx context.Context, s domain.Session) error
	// GetSession returns an unexpired session. Errors: ENOTFOUND.
	GetSession(ctx context.Context, idHash string, now time.Time) (domain.Session, error)
	DeleteSession(ctx context.Context, idHash string) error
}

type issuer struct {
	cfg      IssuerConfig
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// Authenticator verifies tokens and runs the browser sign-in.
type Authenticator struct {
	cfg       Config
	applicant *issuer
	team      *issuer // nil in role-claim mode
	sessions  SessionStore
	verified  verifiedTokens
}

// New discovers the issuers (they must be reachable) and returns an Authenticator.
func New(ctx context.Context, cfg Config, sessions SessionStore) (*Authenticator, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Authenticator{cfg: cfg, sessions: sessions}
	var err error
	if a.applicant, err = discover(ctx, cfg.Applicant, cfg.RedirectURL, cfg.Now); err != nil {
		return nil, err
	}
	if cfg.Team.Issuer != "" {
		if a.team, err = discover(ctx, cfg.Team, cfg.RedirectURL, cfg.Now); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func discover(ctx context.Context, c IssuerConfig, redirect string, now func() time.Time) (*issuer, error) {
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("identity: discovering %s: %w", c.Issuer, err)
	}
	v := p.Verifier(&oidc.Config{ClientID: c.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}, Now: now})
	return &issuer{cfg: c, verifier: v, oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}}, nil
}

// errBadToken is every token failure as the caller sees it: the reason is
// logged by the caller, never returned.
var errBadToken = &domain.Error{Code: domain.EUNAUTHORIZED, Message: "the token is not valid; sign in again"}

// VerifyBearer verifies a bearer ID token and returns its principal. A
// token verified a moment ago is answered from memory (verifiedTokens).
// Errors: EUNAUTHORIZED for any bad token, EFORBIDDEN for low assurance.
func (a *Authenticator) VerifyBearer(ctx context.Context, raw string) (domain.Principal, error) {
	now := a.cfg.Now()
	if p, ok := a.verified.get(raw, now); ok {
		return p, nil
	}
	iss := a.applicant
	if a.team != nil && unverifiedIssuer(raw) == a.team.cfg.Issuer {
		iss = a.team
	}
	tok, err := iss.verifier.Verify(ctx, raw)
	if err != nil {
		return domain.Principal{}, errors.Join(errBadToken, err)
	}
	p, err := a.principal(tok, iss)
	if err == nil {
		a.verified.put(raw, p, tok.Expiry, now)
	}
	return p, err
}

// claims are the ID token claims the service reads.
type claims struct {
	GivenName  string         `json:"given_name"`
	FamilyName string         `json:"family_name"`
	Email      string         `json:"email"`
	Extra      map[string]any `json:"-"`
}

func (a *Authenticator) principal(tok *oidc.IDToken, iss *issuer) (domain.Principal, error) {
	var c claims
	var all map[string]any
	if err := tok.Claims(&c); err != nil {
		return domain.Principal{}, errors.Join(errBadToken, err)
	}
	if err := tok.Claims(&all); err != nil {
		return domain.Principal{}, errors.Join(errBadToken, err)
	}
	// Legal names are cleaned, not refused: the person cannot edit them.
	p := domain.Principal{Subject: tok.Subject, Issuer: tok.Issuer, Role: domain.RoleApplicant, GivenName: domain.CleanName(c.GivenName),
		FamilyName: domain.CleanName(c.FamilyName), Email: c.Email, IAL: intClaim(all[a.cfg.IALClaim])}
	if p.Subject == "" {
		return domain.Principal{}, errBadToken
	}
	switch {
	case iss == a.team:
		p.Role = domain.RoleTeam
	case hasRole(all[a.cfg.RoleClaim], a.cfg.RoleValue):
		p.Role = domain.RoleTeam
	}
	// Assurance is BC Services Card's; a separate team issuer may not state it.
	if iss == a.applicant && p.IAL < a.cfg.MinIAL {
		return domain.Principal{}, domain.Errorf(domain.EFORBIDDEN,
			"your BC Services Card sign-in has identity assurance level %d; CareConnect needs level %d (verify your identity in the BC Services Card app)", p.IAL, a.cfg.MinIAL)
	}
	return p, nil
}

func intClaim(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

func hasRole(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		return slices.ContainsFunc(x, func(e any) bool { s, ok := e.(string); return ok && s == want })
	}
	return false
}

// unverifiedIssuer reads the iss claim without trusting it, only to pick
// which verifier to use; that verifier then checks everything.
func unverifiedIssuer(raw string) string {
	parts := splitJWT(raw)
	if parts == nil {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Iss
}

// LoginURL starts a browser sign-in and returns the issuer's authorization URL.
func (a *Authenticator) LoginURL(ctx context.Context, kind domain.SignInKind, returnTo string) (string, error) {
	iss := a.applicant
	if kind == domain.SignInTeam && a.team != nil {
		iss = a.team
	}
	st := domain.LoginState{State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(),
		Kind: kind, ReturnTo: safeReturnTo(returnTo), ExpiresAt: a.cfg.Now().Add(10 * time.Minute)}
	if err := a.sessions.CreateLoginState(ctx, st); err != nil {
		return "", err
	}
	return iss.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), nil
}

// safeReturnTo keeps redirects after sign-in on this site.
func safeReturnTo(s string) string {
	// Browsers drop tabs and newlines inside URLs, so "/\t/evil" would become "//evil".
	if len(s) == 0 || s[0] != '/' || (len(s) > 1 && (s[1] == '/' || s[1] == '\\')) || len(s) > 512 ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return s
}

// Callback completes a browser sign-in: it checks state, exchanges the code
// with the PKCE verifier, verifies the ID token and its nonce, and creates a
// session. It returns the principal, the session cookie value and where to go next.
func (a *Authenticator) Callback(ctx context.Context, state, code string) (domain.Principal, string, string, error) {
	if state == "" || code == "" {
		return domain.Principal{}, "", "", domain.Errorf(domain.EINVALID, "the sign-in response is incomplete; sign in again")
	}
	st, err := a.sessions.TakeLoginState(ctx, state)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return domain.Principal{}, "", "", domain.Errorf(domain.EUNAUTHORIZED, "this sign-in has expired or was already used; sign in again")
		}
		return domain.Principal{}, "", "", err
	}
	if a.cfg.Now().After(st.ExpiresAt) {
		return domain.Principal{}, "", "", domain.Errorf(domain.EUNAUTHORIZED, "this sign-in has expired; sign in again")
	}
	iss := a.applicant
	if st.Kind == domain.SignInTeam && a.team != nil {
		iss = a.team
	}
	tok, err := iss.oauth.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return domain.Principal{}, "", "", errors.Join(domain.Errorf(domain.EUNAUTHORIZED, "the identity provider refused the sign-in; sign in again"), err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := iss.verifier.Verify(ctx, raw)
	if err != nil {
		return domain.Principal{}, "", "", errors.Join(errBadToken, err)
	}
	if idt.Nonce != st.Nonce {
		return domain.Principal{}, "", "", errors.Join(errBadToken, errors.New("nonce mismatch"))
	}
	p, err := a.principal(idt, iss)
	if err != nil {
		return domain.Principal{}, "", "", err
	}
	if st.Kind == domain.SignInTeam && p.Role != domain.RoleTeam {
		return domain.Principal{}, "", "", domain.Errorf(domain.EFORBIDDEN, "this account is not a member of the enrolment team")
	}
	id := randomString(32)
	sess := domain.Session{IDHash: HashSessionID(id), Principal: p, CSRFToken: randomString(24), ExpiresAt: a.cfg.Now().Add(a.cfg.SessionTTL)}
	if err := a.sessions.CreateSession(ctx, sess); err != nil {
		return domain.Principal{}, "", "", err
	}
	p.SessionID, p.CSRFToken = sess.IDHash, sess.CSRFToken
	return p, id, st.ReturnTo, nil
}

// Session returns the principal of a session cookie value. Errors: EUNAUTHORIZED.
func (a *Authenticator) Session(ctx context.Context, cookie string) (domain.Principal, error) {
	if cookie == "" || len(cookie) > 128 {
		return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "sign in first")
	}
	s, err := a.sessions.GetSession(ctx, HashSessionID(cookie), a.cfg.Now())
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "your session has ended; sign in again")
		}
		return domain.Principal{}, err
	}
	p := s.Principal
	p.SessionID, p.CSRFToken = s.IDHash, s.CSRFToken
	return p, nil
}

// Logout ends a session.
func (a *Authenticator) Logout(ctx context.Context, cookie string) error {
	if cookie == "" {
		return nil
	}
	return a.sessions.DeleteSession(ctx, HashSessionID(cookie))
}

// HashSessionID is how session IDs are stored: a stolen database does not
// yield usable cookies.
func HashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error()) // the OS entropy source is gone
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
