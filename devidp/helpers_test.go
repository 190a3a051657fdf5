package devidp

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	testClientID     = "careconnect-portal"
	testClientSecret = "portal-secret"
	otherClientID    = "other-app"
	otherSecret      = "other-secret"
)

// fixture is a running Provider with one relying party whose redirect URI is
// a real HTTP server that answers with the query it received as JSON.
type fixture struct {
	idp      *Provider
	callback *httptest.Server
	hits     *atomic.Int64 // requests the callback server received
	cfg      oauth2.Config
	clock    *fakeClock
}

// fakeClock is an adjustable clock for code expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustFixture starts a Provider on a loopback port with testClientID (and
// otherClientID) registered, and a callback server as their redirect target.
func mustFixture(t *testing.T, style oauth2.AuthStyle) *fixture {
	t.Helper()
	hits := new(atomic.Int64)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(r.URL.Query()); err != nil {
			t.Errorf("callback: encode: %v", err)
		}
	}))
	t.Cleanup(cb.Close)
	clock := &fakeClock{t: time.Now()}
	idp, err := Start("127.0.0.1:0", Options{
		Env: "test",
		Clients: map[string]Client{
			testClientID:  {Secret: testClientSecret, RedirectURIs: []string{cb.URL + "/callback"}},
			otherClientID: {Secret: otherSecret, RedirectURIs: []string{cb.URL + "/other"}},
		},
		Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := idp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{
		idp:      idp,
		callback: cb,
		hits:     hits,
		clock:    clock,
		cfg: oauth2.Config{
			ClientID:     testClientID,
			ClientSecret: testClientSecret,
			RedirectURL:  cb.URL + "/callback",
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
			Endpoint: oauth2.Endpoint{
				AuthURL:   idp.Issuer() + "/authorize",
				TokenURL:  idp.Issuer() + "/token",
				AuthStyle: style,
			},
		},
	}
}

// noRedirectClient returns a client that reports redirects instead of following them.
func noRedirectClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

var (
	hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	formActionRE  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// pickerForm is what a browser would read off the persona picker.
type pickerForm struct {
	action *url.URL
	fields url.Values
	body   string
}

// mustGetPicker GETs the authorization URL and parses the picker form.
func mustGetPicker(t *testing.T, client *http.Client, authURL string) pickerForm {
	t.Helper()
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	body := mustReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET authorize: status %d; want 200; body:\n%s", resp.StatusCode, body)
	}
	m := formActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("picker has no POST form:\n%s", body)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatalf("form action %q: %v", m[1], err)
	}
	fields := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(body, -1) {
		fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return pickerForm{action: action, fields: fields, body: body}
}

// mustSignIn runs the browser part of the code flow: it opens the picker,
// submits persona, follows the redirect to the callback server and returns
// the query the callback received.
func mustSignIn(t *testing.T, fx *fixture, authURL, persona string) url.Values {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	form := mustGetPicker(t, client, authURL)
	form.fields.Set("persona", persona)
	resp, err := client.PostForm(form.action.String(), form.fields)
	if err != nil {
		t.Fatalf("POST picker: %v", err)
	}
	body := mustReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST picker: status %d; want 200 from the callback; body:\n%s", resp.StatusCode, body)
	}
	if got, want := resp.Request.URL.Host, mustParseURL(t, fx.callback.URL).Host; got != want {
		t.Fatalf("POST picker ended at host %s; want the callback %s", got, want)
	}
	var q url.Values
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatalf("callback body %q: %v", body, err)
	}
	return q
}

// mustCode runs the browser part of the flow for the physician and returns
// the code issued for verifier.
func mustCode(t *testing.T, fx *fixture, verifier string) string {
	t.Helper()
	q := mustSignIn(t, fx, fx.cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1")), PersonaPhysician)
	code := q.Get("code")
	if code == "" {
		t.Fatalf("callback got no code: %v", q)
	}
	return code
}

// mustVerifier returns an ID token verifier for clientID, configured by discovery.
func mustVerifier(t *testing.T, idp *Provider, clientID string) *oidc.IDTokenVerifier {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), idp.Issuer())
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	return provider.Verifier(&oidc.Config{ClientID: clientID})
}

func mustReadBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u
}

// idClaims are the claims the tests read from an ID token.
type idClaims struct {
	Subject       string   `json:"sub"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	IAL           int      `json:"identity_assurance_level"`
	Roles         []string `json:"roles"`
	Nonce         string   `json:"nonce"`
	AuthTime      int64    `json:"auth_time"`
}
