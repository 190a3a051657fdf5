// Package devidp is a real, in-memory OpenID Connect issuer for development
// and tests. It stands in for the BC Services Card (and for the enrolment
// team's identity provider) so that the sign-in path of the service runs
// unchanged: discovery, a JWKS, RS256-signed ID tokens, the authorization code
// flow with PKCE (S256 only), state and nonce.
//
// Nobody authenticates here: whoever reaches the persona picker may sign in
// as any persona. That is the point of a dev IdP, and the reason New refuses
// to run in production.
//
// Endpoints, relative to the issuer URL:
//
//	GET  /.well-known/openid-configuration   discovery document
//	GET  /jwks                                public signing keys
//	GET  /authorize                           validates the request, shows the persona picker
//	POST /authorize                           the picker's submission: issues a one-time code
//	POST /token                               authorization_code and refresh_token grants (client_secret_basic or _post)
//	GET  /userinfo                            the persona's current claims for a bearer access token
//	GET  /                                    a page listing the personas and the discovery URL
//	POST /dev/token                           mints an ID token for a persona (curl against the API)
//	POST /dev/personas/{key}/roles            sets a persona's roles (form: roles, comma-separated)
//	POST /dev/personas/{key}/revoke           revokes every token issued to a persona
//
// The last two do what an identity provider's administrator does, so that
// the service's re-checks of a team member (refresh and userinfo) can be
// tried for real: SetRoles and RevokeGrants are the same from Go.
//
// When the issuer URL has a path (e.g. http://host/idp), mount Handler with
// http.StripPrefix so that these paths are seen relative to it.
package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	// envProduction is the environment name in which New refuses to start.
	envProduction = "production"
	// defaultTokenTTL is the lifetime of ID and access tokens when Options.TokenTTL is zero.
	defaultTokenTTL = 10 * time.Minute
	// codeLifetime bounds how long an authorization code may wait for its exchange.
	codeLifetime = 60 * time.Second
	// rsaBits is the size of the signing key.
	rsaBits = 2048
)

// Client is a relying party registered with the Provider.
type Client struct {
	// Secret authenticates the client at the token endpoint
	// (client_secret_basic or client_secret_post). It must not be empty.
	Secret string
	// RedirectURIs are the absolute URIs the client may use as redirect_uri.
	// They are compared exactly: no prefix, pattern or port matching.
	RedirectURIs []string
}

// Options configures a Provider. The zero value of each optional field picks
// the documented default.
type Options struct {
	// Env is the service's configured environment; "production" makes New fail.
	Env string
	// Issuer is the base URL the IdP is reachable at, e.g. "http://127.0.0.1:8090".
	// A trailing slash is removed. If empty, Start sets it from its listener;
	// New requires it.
	Issuer string
	// Clients maps client_id to its registration.
	Clients map[string]Client
	// Personas are the identities offered on the picker; nil means DefaultPersonas().
	Personas []Persona
	// TokenTTL is the lifetime of ID and access tokens; zero means 10 minutes.
	TokenTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider is an OpenID Connect issuer. It is safe for concurrent use.
// Everything it issues lives in memory and is lost when it stops.
type Provider struct {
	issuer   string
	clients  map[string]Client  // read-only after New
	personas []Persona          // display order; read-only after New
	byKey    map[string]Persona // read-only after New
	ttl      time.Duration
	now      func() time.Time
	kid      string
	key      *rsa.PrivateKey
	signer   jose.Signer
	pages    *template.Template
	handler  http.Handler

	foreignOnce   sync.Once
	foreignSigner jose.Signer // guarded by foreignOnce
	foreignErr    error       // guarded by foreignOnce

	mu      sync.Mutex
	codes   map[string]*authCode     // guarded by mu
	tokens  map[string]*accessGrant  // guarded by mu
	refresh map[string]*refreshGrant // guarded by mu
	// roles overrides a persona's Roles after SetRoles, and names its
	// legal names after SetLegalName; guarded by mu.
	roles map[string][]string
	names map[string][2]string

	srv       *http.Server // set by Start before it returns
	serveDone chan error   // receives Serve's result; set by Start
	closeOnce sync.Once
	closeErr  error // guarded by closeOnce
}

// ErrProduction is returned by New and Start when Options.Env is "production".
var ErrProduction = errors.New("devidp: refusing to run in production: the dev identity provider signs anyone in as any persona")

// New builds a Provider with a fresh RSA-2048 signing key whose key ID is
// random. It returns an error when Options.Env is "production", when the
// issuer is not an absolute http(s) URL, or when a client or persona is
// malformed (a client without secret or redirect URI, a duplicate persona key
// or subject).
func New(o Options) (*Provider, error) {
	if isProduction(o.Env) {
		return nil, ErrProduction
	}
	issuer, err := normaliseIssuer(o.Issuer)
	if err != nil {
		return nil, err
	}
	if o.TokenTTL < 0 {
		return nil, fmt.Errorf("devidp: token TTL %v is negative", o.TokenTTL)
	}
	clients, err := copyClients(o.Clients)
	if err != nil {
		return nil, err
	}
	personas := o.Personas
	if personas == nil {
		personas = DefaultPersonas()
	}
	personas, byKey, err := copyPersonas(personas)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("devidp: generate signing key: %w", err)
	}
	kid, err := randomKeyID()
	if err != nil {
		return nil, err
	}
	signer, err := newRS256Signer(key, kid)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		issuer:   issuer,
		clients:  clients,
		personas: personas,
		byKey:    byKey,
		ttl:      o.TokenTTL,
		now:      o.Now,
		kid:      kid,
		key:      key,
		signer:   signer,
		pages:    pages,
		codes:    make(map[string]*authCode),
		tokens:   make(map[string]*accessGrant),
		refresh:  make(map[string]*refreshGrant),
		roles:    make(map[string][]string),
		names:    make(map[string][2]string),
	}
	if p.ttl == 0 {
		p.ttl = defaultTokenTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.handler = p.routes()
	return p, nil
}

// Start listens on addr (e.g. "127.0.0.1:0"), sets Options.Issuer from the
// listener's address when it is empty, and serves Handler until Close.
func Start(addr string, o Options) (*Provider, error) {
	if isProduction(o.Env) {
		return nil, ErrProduction
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devidp: listen on %s: %w", addr, err)
	}
	if o.Issuer == "" {
		o.Issuer = "http://" + dialableAddr(ln.Addr())
	}
	p, err := New(o)
	if err != nil {
		// The listener never served; its close error adds nothing to err.
		_ = ln.Close()
		return nil, err
	}
	p.srv = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	p.serveDone = make(chan error, 1)
	go func() { p.serveDone <- p.srv.Serve(ln) }()
	return p, nil
}

// Issuer returns the issuer URL, without trailing slash: the value of the
// iss claim and the URL to give an OIDC client for discovery.
func (p *Provider) Issuer() string { return p.issuer }

// Handler returns the HTTP handler serving the endpoints listed in the
// package documentation.
func (p *Provider) Handler() http.Handler { return p.handler }

// Persona returns the persona with the given key, if the Provider has
// one, with the roles SetRoles and the names SetLegalName last gave it.
func (p *Provider) Persona(key string) (Persona, bool) {
	per, ok := p.byKey[key]
	if !ok {
		return Persona{}, false
	}
	per = per.clone()
	p.mu.Lock()
	defer p.mu.Unlock()
	if roles, set := p.roles[key]; set {
		per.Roles = append([]string(nil), roles...)
	}
	if n, set := p.names[key]; set {
		per.GivenName, per.FamilyName = n[0], n[1]
	}
	return per, true
}

// SetRoles replaces a persona's roles claim (nil or empty removes it): the
// tokens, refreshes and userinfo answers that follow carry the new roles,
// as when an administrator takes someone off the enrolment team. Tokens
// already issued keep the claims they were signed with.
func (p *Provider) SetRoles(personaKey string, roles []string) error {
	if _, ok := p.byKey[personaKey]; !ok {
		return fmt.Errorf("devidp: unknown persona %q", personaKey)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roles[personaKey] = append([]string(nil), roles...)
	return nil
}

// SetLegalName replaces a persona's given and family names: the tokens
// and userinfo answers that follow carry them, as when a card holder's
// legal name changes. Tokens already issued keep their claims.
func (p *Provider) SetLegalName(personaKey, given, family string) error {
	if _, ok := p.byKey[personaKey]; !ok {
		return fmt.Errorf("devidp: unknown persona %q", personaKey)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names[personaKey] = [2]string{given, family}
	return nil
}

// RevokeGrants forgets every access and refresh token issued to the
// persona, as when an account is disabled: userinfo refuses the access
// tokens and the refresh tokens are refused. It returns how many it revoked.
func (p *Provider) RevokeGrants(personaKey string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, g := range p.tokens {
		if g.persona == personaKey {
			delete(p.tokens, k)
			n++
		}
	}
	for k, g := range p.refresh {
		if g.persona == personaKey {
			delete(p.refresh, k)
			n++
		}
	}
	return n
}

// Close stops the server that Start began. It is a no-op for a Provider from
// New, and safe to call more than once.
func (p *Provider) Close() error {
	if p.srv == nil {
		return nil
	}
	p.closeOnce.Do(func() {
		if err := p.srv.Close(); err != nil {
			p.closeErr = fmt.Errorf("devidp: close server: %w", err)
			return
		}
		if err := <-p.serveDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.closeErr = fmt.Errorf("devidp: serve: %w", err)
		}
	})
	return p.closeErr
}

// isProduction reports whether env names the production environment,
// forgiving case and surrounding space so that a typo cannot slip past.
func isProduction(env string) bool {
	return strings.EqualFold(strings.TrimSpace(env), envProduction)
}

// normaliseIssuer checks that raw is an absolute http(s) URL without query or
// fragment and strips its trailing slashes.
func normaliseIssuer(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("devidp: issuer URL is required (Start sets it from the listener)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("devidp: issuer URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("devidp: issuer URL %q must be an absolute http or https URL without query, fragment or user info", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// copyClients validates the registrations and copies them so the caller's
// later changes cannot race with request handling.
func copyClients(in map[string]Client) (map[string]Client, error) {
	out := make(map[string]Client, len(in))
	for id, c := range in {
		if id == "" {
			return nil, errors.New("devidp: client_id must not be empty")
		}
		if c.Secret == "" {
			return nil, fmt.Errorf("devidp: client %q has no secret", id)
		}
		if len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("devidp: client %q has no redirect URI", id)
		}
		for _, ru := range c.RedirectURIs {
			u, err := url.Parse(ru)
			if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
				return nil, fmt.Errorf("devidp: client %q: redirect URI %q must be absolute, with a host and no fragment", id, ru)
			}
		}
		out[id] = Client{Secret: c.Secret, RedirectURIs: append([]string(nil), c.RedirectURIs...)}
	}
	return out, nil
}

// copyPersonas validates the personas (non-empty, unique keys and subjects)
// and returns a private copy with an index by key.
func copyPersonas(in []Persona) ([]Persona, map[string]Persona, error) {
	out := make([]Persona, 0, len(in))
	byKey := make(map[string]Persona, len(in))
	subjects := make(map[string]string, len(in))
	for _, per := range in {
		if per.Key == "" {
			return nil, nil, errors.New("devidp: persona key must not be empty")
		}
		if per.Subject == "" {
			return nil, nil, fmt.Errorf("devidp: persona %q has no subject", per.Key)
		}
		if _, dup := byKey[per.Key]; dup {
			return nil, nil, fmt.Errorf("devidp: duplicate persona key %q", per.Key)
		}
		if other, dup := subjects[per.Subject]; dup {
			return nil, nil, fmt.Errorf("devidp: personas %q and %q share subject %q", other, per.Key, per.Subject)
		}
		subjects[per.Subject] = per.Key
		c := per.clone()
		out = append(out, c)
		byKey[c.Key] = c
	}
	return out, byKey, nil
}

// dialableAddr turns a listener address into a host:port a client can dial:
// a wildcard listener (":0", "0.0.0.0", "::") is reached through loopback.
func dialableAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// randomKeyID returns a fresh random key ID for the JWKS.
func randomKeyID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("devidp: generate key id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
