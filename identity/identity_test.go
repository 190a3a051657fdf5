package identity_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/identity"
	"careconnect/store"
	"careconnect/store/storetest"
)

const (
	applicantClient = "careconnect-test"
	teamClient      = "careconnect-team-test"
	redirectURL     = "http://careconnect.test/auth/callback"
	minIAL          = 3
)

// clock is an adjustable clock for login-state and session expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is an Authenticator against a real dev identity provider (and,
// in team-issuer mode, a second one for the team) and a real PostgreSQL
// session store.
type fixture struct {
	auth  *identity.Authenticator
	idp   *devidp.Provider
	team  *devidp.Provider // nil in role-claim mode
	store *store.Store
	clock *clock
	// browser is the pre-login cookie of the fixture's browser: its
	// sign-ins are bound to it.
	browser string
}

// mustStartIDP starts a dev identity provider with one client.
func mustStartIDP(t *testing.T, clientID string) *devidp.Provider {
	t.Helper()
	idp, err := devidp.Start("127.0.0.1:0", devidp.Options{Env: "test", Clients: map[string]devidp.Client{
		clientID: {Secret: clientID + "-secret", RedirectURIs: []string{redirectURL}}}})
	if err != nil {
		t.Fatalf("devidp.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := idp.Close(); err != nil {
			t.Errorf("devidp Close: %v", err)
		}
	})
	return idp
}

// newFixture builds the fixture; withTeamIssuer adds a separate team
// issuer, and edits change the Authenticator's configuration.
func newFixture(t *testing.T, withTeamIssuer bool, edits ...func(*identity.Config)) *fixture {
	t.Helper()
	fx := &fixture{idp: mustStartIDP(t, applicantClient), store: storetest.New(t, store.Postgres), clock: &clock{t: time.Now()}}
	cfg := identity.Config{
		Applicant: identity.IssuerConfig{Issuer: fx.idp.Issuer(), ClientID: applicantClient, ClientSecret: applicantClient + "-secret"},
		RoleClaim: "roles", RoleValue: devidp.RoleEnrolmentTeam, MinIAL: minIAL, IALClaim: "identity_assurance_level",
		RedirectURL: redirectURL, SessionTTL: time.Hour, IdleTimeout: 30 * time.Minute, RoleRecheck: 5 * time.Minute,
		Now: fx.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if withTeamIssuer {
		fx.team = mustStartIDP(t, teamClient)
		cfg.Team = identity.IssuerConfig{Issuer: fx.team.Issuer(), ClientID: teamClient, ClientSecret: teamClient + "-secret"}
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := identity.New(ctx, cfg, fx.store)
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	fx.auth = a
	return fx
}

// mustToken mints an ID token from idp for the persona, failing the test on error.
func mustToken(t *testing.T, idp *devidp.Provider, persona, audience string, opts ...devidp.TokenOption) string {
	t.Helper()
	tok, err := idp.IDToken(persona, audience, opts...)
	if err != nil {
		t.Fatalf("IDToken(%s): %v", persona, err)
	}
	return tok
}

// mustPersona returns a persona of idp.
func mustPersona(t *testing.T, idp *devidp.Provider, key string) devidp.Persona {
	t.Helper()
	p, ok := idp.Persona(key)
	if !ok {
		t.Fatalf("no persona %q", key)
	}
	return p
}

// checkCode fails unless err carries the domain code want.
func checkCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != want {
		t.Errorf("%s: error %v (code %q); want code %q", what, err, got, want)
	}
}

func TestVerifyBearerAccepts(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	tests := []struct {
		name    string
		persona string
		opts    []devidp.TokenOption
		role    domain.Role
		ial     int
	}{
		{"physician", devidp.PersonaPhysician, nil, domain.RoleApplicant, 3},
		{"moa", devidp.PersonaMOA, nil, domain.RoleApplicant, 3},
		// The team persona carries roles: ["enrolment_team"].
		{"team by roles claim", devidp.PersonaTeam, nil, domain.RoleTeam, 3},
		// A single string roles claim counts too.
		{"team by string roles claim", devidp.PersonaPhysician,
			[]devidp.TokenOption{devidp.WithClaims(map[string]any{"roles": devidp.RoleEnrolmentTeam})}, domain.RoleTeam, 3},
		// Other roles do not make anyone staff.
		{"other role", devidp.PersonaPhysician,
			[]devidp.TokenOption{devidp.WithClaims(map[string]any{"roles": []string{"admin", "enrolment_team_x"}})}, domain.RoleApplicant, 3},
		// The team persona with its role removed is an applicant.
		{"team without roles", devidp.PersonaTeam, []devidp.TokenOption{devidp.WithClaims(map[string]any{"roles": nil})},
			domain.RoleApplicant, 3},
		// Some issuers send the level as a string.
		{"IAL as a string", devidp.PersonaPhysician,
			[]devidp.TokenOption{devidp.WithClaims(map[string]any{"identity_assurance_level": "3"})}, domain.RoleApplicant, 3},
		{"IAL above the minimum", devidp.PersonaPhysician,
			[]devidp.TokenOption{devidp.WithClaims(map[string]any{"identity_assurance_level": 4})}, domain.RoleApplicant, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			per := mustPersona(t, fx.idp, tt.persona)
			p, err := fx.auth.VerifyBearer(ctx, mustToken(t, fx.idp, tt.persona, applicantClient, tt.opts...))
			if err != nil {
				t.Fatalf("VerifyBearer: %v; want a principal", err)
			}
			want := domain.Principal{Subject: per.Subject, Issuer: fx.idp.Issuer(), Role: tt.role, GivenName: per.GivenName,
				FamilyName: per.FamilyName, Email: per.Email, IAL: tt.ial}
			if p != want {
				t.Errorf("principal = %+v; want %+v", p, want)
			}
		})
	}
}

func TestVerifyBearerRejects(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	phys := devidp.PersonaPhysician
	must := func(tok string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"expired", mustToken(t, fx.idp, phys, applicantClient, devidp.WithExpiry(time.Now().Add(-time.Minute))), domain.EUNAUTHORIZED},
		{"wrong audience", mustToken(t, fx.idp, phys, "some-other-client"), domain.EUNAUTHORIZED},
		{"wrong issuer", mustToken(t, fx.idp, phys, applicantClient, devidp.WithIssuer("https://evil.example")), domain.EUNAUTHORIZED},
		// The issuer URL with a trailing slash is another issuer.
		{"issuer with trailing slash", mustToken(t, fx.idp, phys, applicantClient, devidp.WithIssuer(fx.idp.Issuer()+"/")),
			domain.EUNAUTHORIZED},
		{"alg none", fx.idp.UnsignedToken(phys, applicantClient), domain.EUNAUTHORIZED},
		{"bad signature", must(fx.idp.ForeignSignedToken(phys, applicantClient)), domain.EUNAUTHORIZED},
		// A token with every field right except the signature bytes.
		{"tampered payload", tamper(t, mustToken(t, fx.idp, phys, applicantClient)), domain.EUNAUTHORIZED},
		{"no subject", mustToken(t, fx.idp, phys, applicantClient, devidp.WithClaims(map[string]any{"sub": nil})), domain.EUNAUTHORIZED},
		{"garbage", "not-a-token", domain.EUNAUTHORIZED},
		{"three garbage parts", "a.b.c", domain.EUNAUTHORIZED},
		{"empty", "", domain.EUNAUTHORIZED},
		// A verified identity below IAL 3 is refused, not "unauthenticated".
		{"low assurance persona", mustToken(t, fx.idp, devidp.PersonaLowAssurance, applicantClient), domain.EFORBIDDEN},
		{"IAL 2", mustToken(t, fx.idp, phys, applicantClient, devidp.WithClaims(map[string]any{"identity_assurance_level": 2})),
			domain.EFORBIDDEN},
		{"no IAL claim", mustToken(t, fx.idp, phys, applicantClient, devidp.WithClaims(map[string]any{"identity_assurance_level": nil})),
			domain.EFORBIDDEN},
		{"unreadable IAL", mustToken(t, fx.idp, phys, applicantClient, devidp.WithClaims(map[string]any{"identity_assurance_level": "high"})),
			domain.EFORBIDDEN},
		// A team member signing in through BCSC still needs its assurance level.
		{"team role with IAL 1", mustToken(t, fx.idp, devidp.PersonaTeam, applicantClient,
			devidp.WithClaims(map[string]any{"identity_assurance_level": 1})), domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fx.auth.VerifyBearer(ctx, tt.token)
			checkCode(t, "VerifyBearer", err, tt.want)
			if err == nil {
				t.Errorf("principal = %+v; want none", p)
			}
			// The reason a token failed stays in the log, never in the caller's message.
			if msg := domain.ErrorMessage(err); tt.want == domain.EUNAUTHORIZED && msg != "the token is not valid; sign in again" {
				t.Errorf("message = %q; want the one generic token message", msg)
			}
		})
	}
}

// tamper changes one character of a token's payload, keeping it decodable.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) < 10 {
		t.Fatalf("token %q is not a JWS", tok)
	}
	b := []byte(parts[1])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}

func TestVerifyBearerTeamIssuer(t *testing.T) {
	fx := newFixture(t, true)
	ctx := context.Background()
	tests := []struct {
		name  string
		token string
		role  domain.Role
		want  string
	}{
		// Whoever the team issuer vouches for is staff, roles claim or not.
		{"team issuer", mustToken(t, fx.team, devidp.PersonaTeam, teamClient, devidp.WithClaims(map[string]any{"roles": nil})),
			domain.RoleTeam, ""},
		// The team issuer does not state BCSC's assurance level; none is required of it.
		{"team issuer, IAL 1", mustToken(t, fx.team, devidp.PersonaTeam, teamClient,
			devidp.WithClaims(map[string]any{"identity_assurance_level": 1})), domain.RoleTeam, ""},
		{"applicant issuer", mustToken(t, fx.idp, devidp.PersonaPhysician, applicantClient), domain.RoleApplicant, ""},
		// The team issuer's token for the applicant client is not the team's.
		{"team issuer, applicant audience", mustToken(t, fx.team, devidp.PersonaTeam, applicantClient), "", domain.EUNAUTHORIZED},
		// An applicant token claiming the team issuer is checked against the team's keys and fails.
		{"forged team issuer", mustToken(t, fx.idp, devidp.PersonaTeam, teamClient, devidp.WithIssuer(fx.team.Issuer())), "",
			domain.EUNAUTHORIZED},
		{"team issuer, expired", mustToken(t, fx.team, devidp.PersonaTeam, teamClient, devidp.WithExpiry(time.Now().Add(-time.Minute))), "",
			domain.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fx.auth.VerifyBearer(ctx, tt.token)
			checkCode(t, "VerifyBearer", err, tt.want)
			if err == nil && p.Role != tt.role {
				t.Errorf("role = %q; want %q", p.Role, tt.role)
			}
		})
	}
}

var (
	hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	formActionRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// noRedirects is a browser that reports redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// mustAuthorize plays the browser at the identity provider: it opens the
// authorization URL, picks persona on the picker and returns the query of
// the redirect back to the callback URL, which it does not follow.
func mustAuthorize(t *testing.T, authURL, persona string) url.Values {
	t.Helper()
	c := noRedirects()
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authURL, err)
	}
	body := mustRead(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET authorize: %d; want the persona picker\n%s", res.StatusCode, body)
	}
	m := formActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("picker has no form:\n%s", body)
	}
	action, err := res.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for _, f := range hiddenInputRE.FindAllStringSubmatch(body, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	form.Set("persona", persona)
	res, err = c.PostForm(action.String(), form)
	if err != nil {
		t.Fatalf("POST picker: %v", err)
	}
	body = mustRead(t, res)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("POST picker: %d; want 302 to the callback\n%s", res.StatusCode, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURL {
		t.Fatalf("redirected to %s; want the callback %s", got, redirectURL)
	}
	return loc.Query()
}

func mustRead(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustLoginURL starts a sign-in in the fixture's browser and returns the
// authorization URL.
func (fx *fixture) mustLoginURL(t *testing.T, kind domain.SignInKind, returnTo string) string {
	t.Helper()
	u, key, err := fx.auth.LoginURL(context.Background(), kind, returnTo, fx.browser)
	if err != nil {
		t.Fatalf("LoginURL: %v", err)
	}
	if fx.browser != "" && key != fx.browser {
		t.Fatalf("LoginURL replaced the browser's pre-login key %q with %q; want it kept", fx.browser, key)
	}
	fx.browser = key
	return u
}

// signedIn is the outcome of a completed sign-in.
type signedIn struct {
	p        domain.Principal
	cookie   string
	returnTo string
	at       time.Time // the fixture's clock at sign-in
}

// mustSignIn runs the whole code flow for persona and fails unless it succeeds.
func (fx *fixture) mustSignIn(t *testing.T, kind domain.SignInKind, persona, returnTo string) signedIn {
	t.Helper()
	q := mustAuthorize(t, fx.mustLoginURL(t, kind, returnTo), persona)
	p, cookie, back, err := fx.auth.Callback(context.Background(), q.Get("state"), q.Get("code"), fx.browser)
	if err != nil {
		t.Fatalf("Callback(%s): %v", persona, err)
	}
	return signedIn{p: p, cookie: cookie, returnTo: back, at: fx.clock.Now()}
}

func TestLoginURL(t *testing.T) {
	fx := newFixture(t, true)
	tests := []struct {
		kind   domain.SignInKind
		issuer string
		client string
	}{
		{domain.SignInApplicant, fx.idp.Issuer(), applicantClient},
		// With a team issuer, team sign-in goes there.
		{domain.SignInTeam, fx.team.Issuer(), teamClient},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			u, err := url.Parse(fx.mustLoginURL(t, tt.kind, "/"))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host; got != tt.issuer {
				t.Errorf("authorization URL host = %s; want the issuer %s", got, tt.issuer)
			}
			q := u.Query()
			checks := map[string]string{"client_id": tt.client, "redirect_uri": redirectURL, "response_type": "code",
				"code_challenge_method": "S256"}
			for k, want := range checks {
				if got := q.Get(k); got != want {
					t.Errorf("%s = %q; want %q", k, got, want)
				}
			}
			for _, k := range []string{"state", "nonce", "code_challenge"} {
				if len(q.Get(k)) < 20 {
					t.Errorf("%s = %q; want a long random value", k, q.Get(k))
				}
			}
			if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
				t.Errorf("scope = %q; want openid", q.Get("scope"))
			}
			// Each sign-in gets fresh state and nonce.
			u2, err := url.Parse(fx.mustLoginURL(t, tt.kind, "/"))
			if err != nil {
				t.Fatal(err)
			}
			if u2.Query().Get("state") == q.Get("state") || u2.Query().Get("nonce") == q.Get("nonce") {
				t.Errorf("two sign-ins share state or nonce")
			}
		})
	}
}

func TestCallbackCreatesSession(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	per := mustPersona(t, fx.idp, devidp.PersonaPhysician)
	s := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPhysician, "/worksites/K4T6CLP?tab=status")

	if s.p.Subject != per.Subject || s.p.Role != domain.RoleApplicant || s.p.GivenName != per.GivenName ||
		s.p.FamilyName != per.FamilyName || s.p.Email != per.Email || s.p.IAL != per.IAL || s.p.Issuer != fx.idp.Issuer() {
		t.Errorf("principal = %+v; want the physician %+v as an applicant", s.p, per)
	}
	if len(s.cookie) < 32 || s.p.CSRFToken == "" || s.p.SessionID != identity.HashSessionID(s.cookie) {
		t.Errorf("cookie %q, CSRF %q, session ID %q; want a long cookie, a CSRF token and the cookie's hash",
			s.cookie, s.p.CSRFToken, s.p.SessionID)
	}
	if s.p.CSRFToken == s.cookie {
		t.Errorf("CSRF token equals the session cookie; want them independent")
	}
	if s.returnTo != "/worksites/K4T6CLP?tab=status" {
		t.Errorf("returnTo = %q; want the path asked for", s.returnTo)
	}

	// The session reads back as the same principal.
	got, err := fx.auth.Session(ctx, s.cookie)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if got != s.p {
		t.Errorf("Session principal = %+v; want %+v", got, s.p)
	}
	// Only the hash of the cookie is stored: the raw value finds nothing.
	if _, err := fx.store.GetSession(ctx, s.cookie, time.Now()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("store lookup by the raw cookie: %v; want not found (only hashes are stored)", err)
	}
	if _, err := fx.store.GetSession(ctx, identity.HashSessionID(s.cookie), time.Now()); err != nil {
		t.Errorf("store lookup by hash: %v; want the session", err)
	}

	// A second sign-in is a separate session; ending one leaves the other.
	s2 := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPhysician, "")
	if s2.cookie == s.cookie || s2.p.CSRFToken == s.p.CSRFToken {
		t.Errorf("two sign-ins share a cookie or CSRF token")
	}
	if s2.returnTo != "/" {
		t.Errorf("returnTo without one = %q; want /", s2.returnTo)
	}
	if err := fx.auth.Logout(ctx, s.cookie); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err = fx.auth.Session(ctx, s.cookie)
	checkCode(t, "Session after Logout", err, domain.EUNAUTHORIZED)
	if _, err := fx.auth.Session(ctx, s2.cookie); err != nil {
		t.Errorf("other session after Logout: %v; want it still valid", err)
	}
	// Logging out twice, or with no cookie, is harmless.
	if err := fx.auth.Logout(ctx, s.cookie); err != nil {
		t.Errorf("second Logout: %v; want nil", err)
	}
	if err := fx.auth.Logout(ctx, ""); err != nil {
		t.Errorf("Logout(\"\"): %v; want nil", err)
	}
}

func TestCallbackTeam(t *testing.T) {
	t.Run("role claim", func(t *testing.T) {
		fx := newFixture(t, false)
		s := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaTeam, "/staff")
		if s.p.Role != domain.RoleTeam {
			t.Errorf("role = %q; want %q", s.p.Role, domain.RoleTeam)
		}
		got, err := fx.auth.Session(context.Background(), s.cookie)
		if err != nil || got.Role != domain.RoleTeam {
			t.Errorf("Session = %+v, %v; want the team role kept", got, err)
		}
		// A team member may also use the applicant sign-in; the role comes from the token.
		s = fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaTeam, "")
		if s.p.Role != domain.RoleTeam {
			t.Errorf("team persona through the applicant sign-in: role = %q; want %q", s.p.Role, domain.RoleTeam)
		}
		// An applicant choosing the team sign-in is refused, with no session.
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInTeam, "/"), devidp.PersonaPhysician)
		p, cookie, _, err := fx.auth.Callback(context.Background(), q.Get("state"), q.Get("code"), fx.browser)
		checkCode(t, "applicant through team sign-in", err, domain.EFORBIDDEN)
		if cookie != "" || p.Subject != "" {
			t.Errorf("refused sign-in returned principal %+v cookie %q; want neither", p, cookie)
		}
	})
	t.Run("team issuer", func(t *testing.T) {
		fx := newFixture(t, true)
		// Signing in at the team issuer makes the persona staff, whatever its claims.
		s := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaRegisteredNurse, "")
		if s.p.Role != domain.RoleTeam || s.p.Issuer != fx.team.Issuer() {
			t.Errorf("principal = %+v; want the team role from the team issuer", s.p)
		}
	})
}

func TestCallbackRefusals(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()

	t.Run("low assurance", func(t *testing.T) {
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaLowAssurance)
		p, cookie, _, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), fx.browser)
		checkCode(t, "low assurance Callback", err, domain.EFORBIDDEN)
		if cookie != "" || p.Subject != "" {
			t.Errorf("refused sign-in returned principal %+v cookie %q; want neither", p, cookie)
		}
		if !strings.Contains(domain.ErrorMessage(err), "assurance") {
			t.Errorf("message %q; want it to explain the assurance level", domain.ErrorMessage(err))
		}
	})

	t.Run("state is single use", func(t *testing.T) {
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaPhysician)
		if _, _, _, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), fx.browser); err != nil {
			t.Fatalf("first Callback: %v", err)
		}
		_, cookie, _, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), fx.browser)
		checkCode(t, "replayed Callback", err, domain.EUNAUTHORIZED)
		if cookie != "" {
			t.Errorf("replay returned a cookie")
		}
	})

	t.Run("unknown state", func(t *testing.T) {
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaPhysician)
		_, _, _, err := fx.auth.Callback(ctx, "forged-"+q.Get("state"), q.Get("code"), fx.browser)
		checkCode(t, "Callback with an unknown state", err, domain.EUNAUTHORIZED)
	})

	t.Run("incomplete response", func(t *testing.T) {
		_, _, _, err := fx.auth.Callback(ctx, "", "code", fx.browser)
		checkCode(t, "Callback without state", err, domain.EINVALID)
		_, _, _, err = fx.auth.Callback(ctx, "state", "", fx.browser)
		checkCode(t, "Callback without code", err, domain.EINVALID)
	})

	// The ID token's nonce must be the one this sign-in sent: a user agent
	// that swaps it gets a token for another sign-in.
	t.Run("nonce mismatch", func(t *testing.T) {
		u, err := url.Parse(fx.mustLoginURL(t, domain.SignInApplicant, "/"))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("nonce", "attacker-chosen-nonce-0000000000")
		u.RawQuery = q.Encode()
		back := mustAuthorize(t, u.String(), devidp.PersonaPhysician)
		_, cookie, _, err := fx.auth.Callback(ctx, back.Get("state"), back.Get("code"), fx.browser)
		checkCode(t, "Callback with a swapped nonce", err, domain.EUNAUTHORIZED)
		if cookie != "" {
			t.Errorf("nonce mismatch returned a cookie")
		}
	})

	// A code issued to another sign-in does not complete this one: the PKCE
	// verifier of this state does not match that code's challenge.
	t.Run("code of another sign-in", func(t *testing.T) {
		mine := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaPhysician)
		theirs := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaMOA)
		_, _, _, err := fx.auth.Callback(ctx, mine.Get("state"), theirs.Get("code"), fx.browser)
		checkCode(t, "Callback with another sign-in's code", err, domain.EUNAUTHORIZED)
		// The refused attempt used up its state.
		_, _, _, err = fx.auth.Callback(ctx, mine.Get("state"), mine.Get("code"), fx.browser)
		checkCode(t, "Callback after a refused attempt", err, domain.EUNAUTHORIZED)
	})

	t.Run("made-up code", func(t *testing.T) {
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaPhysician)
		_, _, _, err := fx.auth.Callback(ctx, q.Get("state"), "made-up-code", fx.browser)
		checkCode(t, "Callback with a made-up code", err, domain.EUNAUTHORIZED)
	})

	t.Run("login state expires", func(t *testing.T) {
		q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/"), devidp.PersonaPhysician)
		fx.clock.Advance(11 * time.Minute)
		defer fx.clock.Advance(-11 * time.Minute)
		_, _, _, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), fx.browser)
		checkCode(t, "Callback 11 minutes later", err, domain.EUNAUTHORIZED)
	})
}

// TestCallbackBoundToBrowser: a sign-in completes only with the pre-login
// key of the browser that started it. Another browser's attempt (none, a
// malformed one, or its own) is refused and does not spend the state.
func TestCallbackBoundToBrowser(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	q := mustAuthorize(t, fx.mustLoginURL(t, domain.SignInApplicant, "/portal"), devidp.PersonaPhysician)
	mine := fx.browser

	_, otherKey, err := fx.auth.LoginURL(ctx, domain.SignInApplicant, "/", "")
	if err != nil {
		t.Fatal(err)
	}
	if otherKey == mine || len(otherKey) < 43 {
		t.Fatalf("a new browser got key %q (first browser %q); want a fresh random key", otherKey, mine)
	}
	for _, tt := range []struct{ name, key string }{
		{"no pre-login cookie", ""},
		{"a malformed one", "x"},
		{"the stored hash is not the key", strings.Repeat("A", 43)},
		{"another browser's", otherKey},
	} {
		p, cookie, _, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), tt.key)
		checkCode(t, "Callback with "+tt.name, err, domain.EUNAUTHORIZED)
		if cookie != "" || p.Subject != "" {
			t.Errorf("Callback with %s returned principal %+v cookie %q; want neither", tt.name, p, cookie)
		}
	}
	p, cookie, back, err := fx.auth.Callback(ctx, q.Get("state"), q.Get("code"), mine)
	if err != nil || cookie == "" || back != "/portal" {
		t.Fatalf("Callback in the browser that started it: %+v %q %q %v; want a session back to /portal", p, cookie, back, err)
	}

	// A malformed key is replaced; a good one is kept for the browser's next sign-in.
	for _, held := range []string{"", "short", strings.Repeat("!", 43)} {
		_, key, err := fx.auth.LoginURL(ctx, domain.SignInApplicant, "/", held)
		if err != nil || key == held || len(key) != 43 {
			t.Errorf("LoginURL with held key %q: key %q, %v; want a new 43-character key", held, key, err)
		}
	}
}

func TestSession(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	s := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPharmacist, "")

	for _, tt := range []struct {
		name, cookie string
	}{
		{"empty", ""},
		{"unknown", "c2Vzc2lvbi10aGF0LW5ldmVyLWV4aXN0ZWQtMDAwMDAwMDAwMA"},
		// The stored hash is not a cookie.
		{"the stored hash", identity.HashSessionID(s.cookie)},
		{"oversized", strings.Repeat("x", 200)},
	} {
		_, err := fx.auth.Session(ctx, tt.cookie)
		checkCode(t, "Session("+tt.name+")", err, domain.EUNAUTHORIZED)
	}

	// The session ends after its TTL (an hour here), however busy.
	for _, at := range []time.Duration{20 * time.Minute, 40 * time.Minute, 59 * time.Minute} {
		fx.clock.Advance(at - fx.clock.Now().Sub(s.at))
		if _, err := fx.auth.Session(ctx, s.cookie); err != nil {
			t.Fatalf("Session after %v: %v; want valid", at, err)
		}
	}
	fx.clock.Advance(2 * time.Minute)
	_, err := fx.auth.Session(ctx, s.cookie)
	checkCode(t, "Session after 61 minutes", err, domain.EUNAUTHORIZED)
}

// sameTime compares times as the database keeps them (to the microsecond).
func sameTime(a, b time.Time) bool { return a.Sub(b).Abs() < time.Microsecond }

// mustSessionRow reads a session's stored row as it is at the fixture's now.
func (fx *fixture) mustSessionRow(t *testing.T, cookie string) domain.Session {
	t.Helper()
	se, err := fx.store.GetSession(context.Background(), identity.HashSessionID(cookie), fx.clock.Now())
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	return se
}

// mustUse uses the session at the fixture's now, failing unless it is valid.
func (fx *fixture) mustUse(t *testing.T, cookie, when string) domain.Principal {
	t.Helper()
	p, err := fx.auth.Session(context.Background(), cookie)
	if err != nil {
		t.Fatalf("Session %s: %v; want it valid", when, err)
	}
	return p
}

// mustEnded checks that the session is refused and gone from the store.
func (fx *fixture) mustEnded(t *testing.T, cookie, when string) {
	t.Helper()
	_, err := fx.auth.Session(context.Background(), cookie)
	checkCode(t, "Session "+when, err, domain.EUNAUTHORIZED)
	if _, err := fx.store.GetSession(context.Background(), identity.HashSessionID(cookie), fx.clock.Now()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("the ended session is still stored (%v); want it deleted", err)
	}
}

// TestSessionIdleTimeout: a session unused for the idle timeout (30
// minutes here) ends, well before its lifetime (8 hours here). Its last use
// is recorded at most once a minute, not on every request.
func TestSessionIdleTimeout(t *testing.T) {
	fx := newFixture(t, false, func(c *identity.Config) { c.SessionTTL = 8 * time.Hour })
	s := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPharmacist, "")
	signedIn := fx.mustSessionRow(t, s.cookie).LastSeenAt
	if !sameTime(signedIn, s.at) {
		t.Errorf("last use at sign-in = %v; want the sign-in time %v", signedIn, s.at)
	}

	fx.clock.Advance(30 * time.Second)
	fx.mustUse(t, s.cookie, "30 seconds in")
	if got := fx.mustSessionRow(t, s.cookie).LastSeenAt; !got.Equal(signedIn) {
		t.Errorf("a use within a minute of the last recorded one wrote last use %v; want it left at %v", got, signedIn)
	}

	// Used every 29 minutes, it lives on, each use recorded.
	for i := 1; i <= 3; i++ {
		fx.clock.Advance(29 * time.Minute)
		fx.mustUse(t, s.cookie, fmt.Sprintf("after %d idle spells of 29 minutes", i))
		if got := fx.mustSessionRow(t, s.cookie).LastSeenAt; !sameTime(got, fx.clock.Now()) {
			t.Errorf("last use = %v; want this use, %v", got, fx.clock.Now())
		}
	}
	fx.clock.Advance(31 * time.Minute)
	fx.mustEnded(t, s.cookie, "after 31 idle minutes")
}

// TestTeamRoleRecheck: a team session asks its issuer again (refresh
// grant, then userinfo) once its re-check interval (5 minutes here) has
// passed; a team member whose role was taken away, whose grants were
// revoked, or whose issuer cannot answer, loses the session then.
func TestTeamRoleRecheck(t *testing.T) {
	t.Run("role claim taken away", func(t *testing.T) {
		fx := newFixture(t, false)
		s := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaTeam, "")
		fx.clock.Advance(4 * time.Minute)
		fx.mustUse(t, s.cookie, "4 minutes in")
		checked := fx.mustSessionRow(t, s.cookie).CheckedAt
		if !sameTime(checked, s.at) {
			t.Errorf("role checked at %v before the interval passed; want only at sign-in, %v", checked, s.at)
		}
		// Past the interval the issuer is asked; still on the team, the session goes on.
		fx.clock.Advance(2 * time.Minute)
		if p := fx.mustUse(t, s.cookie, "6 minutes in"); p.Role != domain.RoleTeam {
			t.Errorf("role = %q; want the team role kept", p.Role)
		}
		if got := fx.mustSessionRow(t, s.cookie).CheckedAt; !sameTime(got, fx.clock.Now()) {
			t.Errorf("role checked at %v; want now, %v", got, fx.clock.Now())
		}

		if err := fx.idp.SetRoles(devidp.PersonaTeam, nil); err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(5*time.Minute - time.Second)
		fx.mustUse(t, s.cookie, "until the next re-check")
		fx.clock.Advance(time.Second)
		fx.mustEnded(t, s.cookie, "at the re-check after the role was taken away")
	})

	t.Run("team issuer revokes the grants", func(t *testing.T) {
		fx := newFixture(t, true)
		s := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaRegisteredNurse, "")
		fx.clock.Advance(6 * time.Minute)
		fx.mustUse(t, s.cookie, "after a re-check at the team issuer")
		fx.team.RevokeGrants(devidp.PersonaRegisteredNurse)
		fx.clock.Advance(6 * time.Minute)
		fx.mustEnded(t, s.cookie, "after the team issuer revoked the grants")
	})

	t.Run("issuer unreachable", func(t *testing.T) {
		fx := newFixture(t, false)
		s := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaTeam, "")
		if err := fx.idp.Close(); err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(6 * time.Minute)
		fx.mustEnded(t, s.cookie, "when the issuer cannot be asked")
	})

	t.Run("tokens kept sealed, and only for the team", func(t *testing.T) {
		fx := newFixture(t, false)
		team := fx.mustSignIn(t, domain.SignInTeam, devidp.PersonaTeam, "")
		applicant := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPhysician, "")
		sealed := fx.mustSessionRow(t, team.cookie).Sealed
		if sealed == "" {
			t.Fatalf("the team session keeps no token; want its tokens sealed in the row")
		}
		for _, plain := range []string{"access_token", "refresh_token", "Bearer", "AccessToken", "RefreshToken"} {
			if strings.Contains(sealed, plain) {
				t.Errorf("the stored token shows %q; want it sealed", plain)
			}
		}
		if got := fx.mustSessionRow(t, applicant.cookie).Sealed; got != "" {
			t.Errorf("an applicant's session keeps a token (%d bytes); want none", len(got))
		}
		// Applicant sessions are not re-checked: their issuer is not asked.
		if err := fx.idp.Close(); err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(6 * time.Minute)
		fx.mustUse(t, applicant.cookie, "with the issuer gone")
	})
}

func TestReturnToStaysOnSite(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	tests := []struct {
		in, want string
	}{
		{"/", "/"},
		{"/worksites/K4T6CLP", "/worksites/K4T6CLP"},
		{"/search?q=a%2Fb#top", "/search?q=a%2Fb#top"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"http://evil.example", "/"},
		{"//evil.example", "/"},
		{"//evil.example/path", "/"},
		{`/\evil.example`, "/"},
		{"evil.example", "/"},
		{"javascript:alert(1)", "/"},
		// Browsers drop tabs and newlines inside URLs: these become //evil.example.
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/" + strings.Repeat("a", 600), "/"},
	}
	for _, tt := range tests {
		u, err := url.Parse(fx.mustLoginURL(t, domain.SignInApplicant, tt.in))
		if err != nil {
			t.Fatal(err)
		}
		st, err := fx.store.TakeLoginState(ctx, u.Query().Get("state"), identity.HashBrowserKey(fx.browser))
		if err != nil {
			t.Fatalf("TakeLoginState: %v", err)
		}
		if st.ReturnTo != tt.want {
			t.Errorf("returnTo %q stored as %q; want %q", tt.in, st.ReturnTo, tt.want)
		}
	}
	// Through the whole flow, an off-site returnTo comes back as "/".
	if s := fx.mustSignIn(t, domain.SignInApplicant, devidp.PersonaPhysician, "//evil.example"); s.returnTo != "/" {
		t.Errorf("Callback returnTo = %q; want /", s.returnTo)
	}
}

// A verified token is answered from memory on later calls, but never past
// its expiry, and a refused one is never remembered.
func TestVerifyBearerRemembersOnlyGoodTokens(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	tok := mustToken(t, fx.idp, devidp.PersonaPhysician, applicantClient, devidp.WithExpiry(fx.clock.Now().Add(2*time.Minute)))
	for i := range 3 {
		if _, err := fx.auth.VerifyBearer(ctx, tok); err != nil {
			t.Fatalf("call %d: %v; want the token accepted", i, err)
		}
	}
	fx.clock.Advance(3 * time.Minute)
	_, err := fx.auth.VerifyBearer(ctx, tok)
	checkCode(t, "the same token after its expiry", err, domain.EUNAUTHORIZED)

	low := mustToken(t, fx.idp, devidp.PersonaLowAssurance, applicantClient)
	for i := range 2 {
		_, err := fx.auth.VerifyBearer(ctx, low)
		checkCode(t, fmt.Sprintf("low assurance, call %d", i), err, domain.EFORBIDDEN)
	}
	_, err = fx.auth.VerifyBearer(ctx, tamper(t, mustToken(t, fx.idp, devidp.PersonaPhysician, applicantClient)))
	checkCode(t, "a tampered copy", err, domain.EUNAUTHORIZED)
}

// TestVerifyBearerCleansLegalNames: legal names come from the token, which
// the person cannot edit, so control characters in them are replaced by a
// space at sign-in (domain.CleanName) rather than refused: the name stays
// one readable line and the person is not locked out.
func TestVerifyBearerCleansLegalNames(t *testing.T) {
	fx := newFixture(t, false)
	tok := mustToken(t, fx.idp, devidp.PersonaPhysician, applicantClient, devidp.WithClaims(map[string]any{
		"given_name": "Mary\r\nAnne", "family_name": "\tLee\u202eSmith\n"}))
	p, err := fx.auth.VerifyBearer(context.Background(), tok)
	if err != nil {
		t.Fatalf("VerifyBearer: %v; want a principal", err)
	}
	if p.GivenName != "Mary Anne" || p.FamilyName != "Lee Smith" {
		t.Errorf("names = %q, %q; want %q, %q", p.GivenName, p.FamilyName, "Mary Anne", "Lee Smith")
	}
}
