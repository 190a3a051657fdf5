// Package identity signs people in over OpenID Connect and says who is
// calling: applicants through the BC Services Card issuer, the enrolment
// team through their own issuer or a role claim. Browsers use the code flow
// with PKCE, state and nonce, bound to the browser by a pre-login cookie,
// and a server-side session; API clients send bearer ID tokens. Tokens are
// verified with go-oidc: signature against the issuer's JWKS (RS256/ES256
// only, so "alg: none" never passes), issuer, audience and expiry; an
// identity assurance level below the minimum is refused.
//
// A session ends at its absolute lifetime, or earlier when unused for the
// idle timeout. A team session also asks its issuer again, at most every
// RoleRecheck, whether the person is still on the team (a refresh-token
// grant, then userinfo); a refusal, a missing role or an issuer that cannot
// answer ends it.
//
// An issuer that is down when the service starts does not stop it: its
// discovery is retried in the background, and until it succeeds browser
// sign-in and bearer tokens answer 503 while sessions keep working. Once
// discovered, an issuer's signing keys are kept, so tokens it signed
// verify through its later outages.
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
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

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
	// SessionTTL is a session's absolute lifetime.
	SessionTTL time.Duration
	// IdleTimeout ends a session unused this long; zero means 30 minutes.
	IdleTimeout time.Duration
	// RoleRecheck is how often a team session's role is confirmed with
	// the issuer; zero means 5 minutes.
	RoleRecheck time.Duration
	Now         func() time.Time
	// Logger records ended team sessions; nil means slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultRoleRecheck = 5 * time.Minute
	// touchEvery is how stale a session's recorded last use may be before a
	// request records it again: one write a minute, not one a request.
	touchEvery = time.Minute
	// recheckTimeout bounds one conversation with the issuer.
	recheckTimeout = 10 * time.Second
)

// SessionStore keeps login states and sessions. *store.Store implements it.
type SessionStore interface {
	CreateLoginState(ctx context.Context, s domain.LoginState) error
	// TakeLoginState returns and deletes the state (one use) when the
	// browser with browserHash started it. Errors: ENOTFOUND (unknown, used,
	// or started by another browser; that browser's state is left alone).
	TakeLoginState(ctx context.Context, state, browserHash string) (domain.LoginState, error)
	CreateSession(ctx context.Context, s domain.Session) error
	// GetSession returns an unexpired session. Errors: ENOTFOUND.
	GetSession(ctx context.Context, idHash string, now time.Time) (domain.Session, error)
	// TouchSession records a use of the session at at.
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	// RecordSessionCheck records a confirmed team role and the tokens, sealed.
	RecordSessionCheck(ctx context.Context, idHash string, at time.Time, sealed string) error
	DeleteSession(ctx context.Context, idHash string) error
}

// issuer is one OIDC issuer, discovered at start or, when it could not be
// reached then, in the background later (see New).
type issuer struct {
	cfg   IssuerConfig
	found atomic.Pointer[discovered] // nil until discovery succeeds
}

// discovered is what discovery yields: the endpoints and a verifier whose
// key set fetches the issuer's keys when it meets a new key ID and keeps
// them (so tokens signed with known keys verify while the issuer is down).
type discovered struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// ErrIssuerUnavailable answers what needs an issuer not discovered yet:
// browser sign-in, and bearer tokens (whose keys are not known yet).
var ErrIssuerUnavailable = &domain.Error{Code: domain.EUNAVAILABLE,
	Message: "sign-in is unavailable: the identity provider cannot be reached; try again in a few minutes"}

// get returns the discovered issuer, or ErrIssuerUnavailable.
func (i *issuer) get() (*discovered, error) {
	if d := i.found.Load(); d != nil {
		return d, nil
	}
	return nil, ErrIssuerUnavailable
}

// Authenticator verifies tokens and runs the browser sign-in.
type Authenticator struct {
	cfg       Config
	applicant *issuer
	team      *issuer // nil in role-claim mode
	sessions  SessionStore
	verified  verifiedTokens
	// rechecks runs one issuer conversation per session at a time: the
	// requests of a busy console share it rather than spend the refresh
	// token in parallel.
	rechecks singleflight.Group
	// stop ends the background discoveries (Close); done counts them.
	stop     chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup
}

// Discovery retry bounds: the first retry after DiscoveryRetryMin,
// doubling up to DiscoveryRetryMax.
const (
	DiscoveryRetryMin = time.Second
	DiscoveryRetryMax = 30 * time.Second
	// discoveryTimeout bounds one discovery attempt.
	discoveryTimeout = 10 * time.Second
)

// New returns an Authenticator and discovers the issuers. An issuer that
// cannot be reached (ctx ends, or it fails) does not stop it: discovery is
// retried in the background until it succeeds or Close, and meanwhile
// what needs that issuer answers ErrIssuerUnavailable (503): browser
// sign-in and bearer tokens. Sessions, which live in the store, keep
// working. Only a configuration error is returned.
func New(ctx context.Context, cfg Config, sessions SessionStore) (*Authenticator, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.RoleRecheck <= 0 {
		cfg.RoleRecheck = DefaultRoleRecheck
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Applicant.Issuer == "" {
		return nil, errors.New("identity: no applicant issuer configured")
	}
	a := &Authenticator{cfg: cfg, sessions: sessions, stop: make(chan struct{}), applicant: &issuer{cfg: cfg.Applicant}}
	issuers := []*issuer{a.applicant}
	if cfg.Team.Issuer != "" {
		a.team = &issuer{cfg: cfg.Team}
		issuers = append(issuers, a.team)
	}
	for _, iss := range issuers {
		if err := a.discover(ctx, iss); err != nil {
			cfg.Logger.Warn("identity provider unreachable; sign-in answers 503 until it is discovered (retrying in the background)",
				"issuer", iss.cfg.Issuer, "error", err)
			a.done.Add(1)
			go a.rediscover(iss)
		}
	}
	return a, nil
}

// Ready reports whether every issuer has been discovered.
func (a *Authenticator) Ready() bool {
	return a.applicant.found.Load() != nil && (a.team == nil || a.team.found.Load() != nil)
}

// Close stops the background discoveries. The Authenticator keeps
// answering with what it has discovered.
func (a *Authenticator) Close() {
	a.stopOnce.Do(func() { close(a.stop) })
	a.done.Wait()
}

// discover fetches iss's discovery document (within ctx and
// discoveryTimeout) and records it.
func (a *Authenticator) discover(ctx context.Context, iss *issuer) error {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, iss.cfg.Issuer)
	if err != nil {
		return fmt.Errorf("identity: discovering %s: %w", iss.cfg.Issuer, err)
	}
	c := iss.cfg
	v := p.Verifier(&oidc.Config{ClientID: c.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}, Now: a.cfg.Now})
	iss.found.Store(&discovered{provider: p, verifier: v, oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: a.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}})
	return nil
}

// rediscover retries discovering iss, backing off from DiscoveryRetryMin
// to DiscoveryRetryMax, until it succeeds or Close.
func (a *Authenticator) rediscover(iss *issuer) {
	defer a.done.Done()
	wait := DiscoveryRetryMin
	for {
		select {
		case <-a.stop:
			return
		case <-time.After(wait):
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-a.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := a.discover(ctx, iss)
		cancel()
		if err == nil {
			a.cfg.Logger.Info("identity provider discovered; sign-in is available", "issuer", iss.cfg.Issuer)
			return
		}
		a.cfg.Logger.Debug("identity provider still unreachable", "issuer", iss.cfg.Issuer, "error", err)
		wait = min(2*wait, DiscoveryRetryMax)
	}
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
	d, err := iss.get()
	if err != nil {
		return domain.Principal{}, err
	}
	tok, err := d.verifier.Verify(ctx, raw)
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
		return domain.Principal{}, errors.Join(domain.Errorf(domain.EFORBIDDEN,
			"your BC Services Card sign-in has identity assurance level %d; CareConnect needs level %d (verify your identity in the BC Services Card app)", p.IAL, a.cfg.MinIAL),
			domain.ErrLowAssurance)
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

// LoginStateTTL is how long a browser has to come back from the issuer.
const LoginStateTTL = 10 * time.Minute

// LoginURL starts a browser sign-in and returns the issuer's authorization
// URL and the browser key: the value of the pre-login cookie that binds the
// sign-in's state, nonce and PKCE verifier to this browser, so that only
// this browser can complete it (Callback). browserKey is the pre-login
// cookie the browser already holds, if any, so that two tabs signing in at
// once both complete; a missing or malformed one is replaced by a new
// random key.
func (a *Authenticator) LoginURL(ctx context.Context, kind domain.SignInKind, returnTo, browserKey string) (string, string, error) {
	iss := a.applicant
	if kind == domain.SignInTeam && a.team != nil {
		iss = a.team
	}
	d, err := iss.get()
	if err != nil {
		return "", "", err
	}
	if !validBrowserKey(browserKey) {
		browserKey = randomString(32)
	}
	st := domain.LoginState{State: randomString(24), Nonce: randomString(24), Verifier: oauth2.GenerateVerifier(),
		BrowserHash: HashBrowserKey(browserKey), Kind: kind, ReturnTo: safeReturnTo(returnTo),
		ExpiresAt: a.cfg.Now().Add(LoginStateTTL)}
	if err := a.sessions.CreateLoginState(ctx, st); err != nil {
		return "", "", err
	}
	return d.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), browserKey, nil
}

// validBrowserKey reports whether k looks like a key LoginURL made: 43
// base64url characters (32 random bytes).
func validBrowserKey(k string) bool {
	if len(k) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(k)
	return err == nil && len(b) == 32
}

// HashBrowserKey is how a browser key is stored with its login states:
// a copy of the database does not yield the cookie.
func HashBrowserKey(k string) string {
	sum := sha256.Sum256([]byte("careconnect pre-login\x00" + k))
	return hex.EncodeToString(sum[:])
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

// errOtherBrowser refuses a callback without the pre-login cookie of the
// browser that started the sign-in.
var errOtherBrowser = domain.Errorf(domain.EUNAUTHORIZED,
	"this sign-in was not started in this browser, has expired or was already used; sign in again")

// Callback completes a browser sign-in: it checks that state was started by
// this browser (browserKey, its pre-login cookie) and is unused, exchanges
// the code with the PKCE verifier, verifies the ID token and its nonce, and
// creates a session. It returns the principal, the session cookie value and
// where to go next. A callback from another browser (an attacker's
// unfinished sign-in opened in a victim's browser) is refused and leaves
// the state to the browser that started it.
func (a *Authenticator) Callback(ctx context.Context, state, code, browserKey string) (domain.Principal, string, string, error) {
	if state == "" || code == "" {
		return domain.Principal{}, "", "", domain.Errorf(domain.EINVALID, "the sign-in response is incomplete; sign in again")
	}
	if !validBrowserKey(browserKey) {
		return domain.Principal{}, "", "", errOtherBrowser
	}
	st, err := a.sessions.TakeLoginState(ctx, state, HashBrowserKey(browserKey))
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return domain.Principal{}, "", "", errOtherBrowser
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
	d, err := iss.get()
	if err != nil {
		return domain.Principal{}, "", "", err
	}
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return domain.Principal{}, "", "", errors.Join(domain.Errorf(domain.EUNAUTHORIZED, "the identity provider refused the sign-in; sign in again"), err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := d.verifier.Verify(ctx, raw)
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
		return domain.Principal{}, "", "", errors.Join(domain.Errorf(domain.EFORBIDDEN, "this account is not a member of the enrolment team"), domain.ErrNotTeam)
	}
	id := randomString(32)
	now := a.cfg.Now()
	sess := domain.Session{IDHash: HashSessionID(id), Principal: p, CSRFToken: randomString(24), ExpiresAt: now.Add(a.cfg.SessionTTL),
		LastSeenAt: now, CheckedAt: now}
	if p.Role == domain.RoleTeam {
		// Kept to ask the issuer again whether they are still on the team.
		if sess.Sealed, err = seal(id, tok); err != nil {
			return domain.Principal{}, "", "", err
		}
	}
	if err := a.sessions.CreateSession(ctx, sess); err != nil {
		return domain.Principal{}, "", "", err
	}
	p.SessionID, p.CSRFToken = sess.IDHash, sess.CSRFToken
	return p, id, st.ReturnTo, nil
}

// Session returns the principal of a session cookie value. A session past
// its lifetime or unused for the idle timeout has ended; a team session
// whose role was last confirmed RoleRecheck ago is confirmed with the
// issuer first, and ends if it cannot be. Its use is recorded at most once
// a minute. Errors: EUNAUTHORIZED, or the store's.
func (a *Authenticator) Session(ctx context.Context, cookie string) (domain.Principal, error) {
	if cookie == "" || len(cookie) > 128 {
		return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "sign in first")
	}
	now := a.cfg.Now()
	s, err := a.sessions.GetSession(ctx, HashSessionID(cookie), now)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "your session has ended; sign in again")
		}
		return domain.Principal{}, err
	}
	if now.Sub(s.LastSeenAt) >= a.cfg.IdleTimeout {
		if err := a.sessions.DeleteSession(ctx, s.IDHash); err != nil {
			return domain.Principal{}, err
		}
		return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED,
			"your session ended after %d minutes without use; sign in again", int(a.cfg.IdleTimeout.Minutes()))
	}
	if s.Principal.Role == domain.RoleTeam && now.Sub(s.CheckedAt) >= a.cfg.RoleRecheck {
		if err := a.recheckTeam(ctx, cookie, s, now); err != nil {
			return domain.Principal{}, err
		}
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := a.sessions.TouchSession(ctx, s.IDHash, now); err != nil {
			return domain.Principal{}, err
		}
	}
	p := s.Principal
	p.SessionID, p.CSRFToken = s.IDHash, s.CSRFToken
	return p, nil
}

// errTeamUnconfirmed ends a team session whose role the issuer did not confirm.
var errTeamUnconfirmed = domain.Errorf(domain.EUNAUTHORIZED,
	"your enrolment team access could not be confirmed; sign in again")

// teamUnconfirmed is the issuer's refusal (or silence) behind errTeamUnconfirmed.
type teamUnconfirmed struct{ cause error }

func (e teamUnconfirmed) Error() string {
	return "identity: team role not confirmed: " + e.cause.Error()
}
func (e teamUnconfirmed) Unwrap() error { return e.cause }

// recheckTeam confirms a team session's role with its issuer, once per
// session at a time, and ends the session when the issuer does not.
func (a *Authenticator) recheckTeam(ctx context.Context, cookie string, s domain.Session, now time.Time) error {
	_, err, _ := a.rechecks.Do(s.IDHash, func() (any, error) {
		// Shared by every waiting request: one of them going away must not end it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recheckTimeout)
		defer cancel()
		return nil, a.confirmTeam(ctx, cookie, s, now)
	})
	var refused teamUnconfirmed
	if !errors.As(err, &refused) {
		return err // nil, or the store failing: the session stands
	}
	a.cfg.Logger.Warn("team session ended: the issuer did not confirm the team role",
		"subject", s.Principal.Subject, "issuer", s.Principal.Issuer, "reason", refused.cause)
	if err := a.sessions.DeleteSession(ctx, s.IDHash); err != nil {
		return err
	}
	return errors.Join(errTeamUnconfirmed, refused)
}

// confirmTeam asks the session's issuer whether its subject still holds
// the team role: a refresh-token grant (where the issuer checks the
// account) when it gave one, then userinfo with the access token. With a
// team issuer its answer is the confirmation; with the role claim, the
// claim must still be there. The tokens are kept, sealed, for next time.
func (a *Authenticator) confirmTeam(ctx context.Context, cookie string, s domain.Session, now time.Time) error {
	iss := a.applicant
	if a.team != nil && s.Principal.Issuer == a.team.cfg.Issuer {
		iss = a.team
	}
	d, err := iss.get()
	if err != nil {
		return teamUnconfirmed{err}
	}
	tok, err := unseal(cookie, s.Sealed)
	if err != nil {
		return teamUnconfirmed{err}
	}
	if tok.RefreshToken != "" {
		fresh, err := d.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			return teamUnconfirmed{err}
		}
		tok = fresh
	}
	info, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return teamUnconfirmed{err}
	}
	if info.Subject != s.Principal.Subject {
		return teamUnconfirmed{fmt.Errorf("userinfo names subject %q", info.Subject)}
	}
	if iss != a.team {
		var claims map[string]any
		if err := info.Claims(&claims); err != nil {
			return teamUnconfirmed{err}
		}
		if !hasRole(claims[a.cfg.RoleClaim], a.cfg.RoleValue) {
			return teamUnconfirmed{fmt.Errorf("the %s claim no longer holds %q", a.cfg.RoleClaim, a.cfg.RoleValue)}
		}
	}
	sealed, err := seal(cookie, tok)
	if err != nil {
		return err
	}
	return a.sessions.RecordSessionCheck(ctx, s.IDHash, now, sealed)
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
