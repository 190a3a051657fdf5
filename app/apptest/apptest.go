// Package apptest starts the whole system for end-to-end tests: the real
// app.Main on port 0 with its own PostgreSQL database, its own mail
// catcher and its own task queue, against one Temporal dev server shared by
// every test in the package (started on first use, stopped by Main).
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"careconnect/app"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
	"careconnect/domain"
	"careconnect/logging"
	"careconnect/store/storetest"
)

// shared is the package's one dev server; guarded by mu.
type shared struct {
	mu     sync.Mutex
	server *devtemporal.Server
	err    error
}

var dev shared // one per test binary, like the *testing.M it belongs to

// Main runs the package's tests and then stops the shared dev server. Call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	dev.mu.Lock()
	if dev.server != nil {
		_ = dev.server.Stop()
	}
	dev.mu.Unlock()
	os.Exit(code)
}

// Temporal returns the shared dev server's address, starting it on first use.
func Temporal(t testing.TB) string {
	t.Helper()
	bin := devtemporaltest.Binary(t)
	dev.mu.Lock()
	defer dev.mu.Unlock()
	if dev.server == nil && dev.err == nil {
		dev.server, dev.err = devtemporal.Start(context.Background(), devtemporal.Options{Binary: bin, UIPort: -1})
	}
	if dev.err != nil {
		t.Fatalf("apptest: Temporal dev server: %v", dev.err)
	}
	return dev.server.Address()
}

// Env is one running system.
type Env struct {
	*app.Main
	T testing.TB
	// Base is the API's base URL.
	Base string
	// Auth, when set, is the Authorization header of requests that carry none.
	Auth string
}

// Start runs the whole system for t: API, worker, mail catcher, a fresh
// PostgreSQL database and a private task queue. edit may adjust the
// configuration first. Everything stops when t ends.
func Start(t testing.TB, edit func(*config.Config)) *Env {
	t.Helper()
	return StartWith(t, edit, Options{})
}

// Options are what StartWith may add to Start.
type Options struct {
	// Log, when set, receives the system's log as it runs in production
	// (logging.New: JSON, redacted) at info level.
	Log io.Writer
	// SpanExporters receive every span (an in-memory exporter).
	SpanExporters []sdktrace.SpanExporter
}

// StartWith is Start with opts.
func StartWith(t testing.TB, edit func(*config.Config), opts Options) *Env {
	t.Helper()
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.AdminAddr = "127.0.0.1:0"
	cfg.HTTP.PublicBaseURL = "" // the listener's URL, so emailed links reach this system
	cfg.SMTP.Port = 0
	cfg.Database.URL = storetest.NewPostgresURL(t)
	cfg.Temporal.Address = Temporal(t)
	cfg.Temporal.TaskQueue = "test-" + randomHex(t, 6)
	cfg.Links.Secret = randomHex(t, 32)
	// Payloads are encrypted as in production, under a key of this system's own.
	cfg.Codec.Keys, cfg.Codec.ActiveKey = []string{"test:" + RandomCodecKey(t)}, "test"
	cfg.Auth.DevIDP.Addr = "127.0.0.1:0"
	cfg.Auth.Applicant.ClientSecret = randomHex(t, 16)
	cfg.Auth.CookieSecure = false // the test client talks plain http
	cfg.Auth.BcryptCost = 4       // fast hashes; the cost is a setting, not behaviour
	cfg.Auth.RateLimitPerMinute = 10000
	// Tests call from one address far faster than a person; rate-limit tests set their own.
	cfg.HTTP.RateLimits = config.RateLimits{Declarations: 10000, Links: 10000, Search: 10000, Webhook: 100000}
	if edit != nil {
		edit(&cfg)
	}
	logOut := io.Discard
	if os.Getenv("CARECONNECT_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	if opts.Log != nil {
		logger = logging.New(opts.Log, slog.LevelInfo)
	}
	m := app.New(cfg, logger)
	m.SpanExporters = opts.SpanExporters
	// Personas get subjects of their own in every test: user workflow IDs
	// come from subjects, and tests share one Temporal server.
	suffix := "-" + randomHex(t, 4)
	m.DevIDPPersonas = devidp.DefaultPersonas()
	for i := range m.DevIDPPersonas {
		m.DevIDPPersonas[i].Subject += suffix
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Run(ctx, app.Roles{API: true, Worker: true, Migrate: true}); err != nil {
		t.Fatalf("apptest: starting the system: %v", err)
	}
	// The worker stops before the database it writes to is dropped.
	t.Cleanup(func() { _ = m.Close() })
	return &Env{Main: m, T: t, Base: m.URL()}
}

// RandomCodecKey returns a fresh AES-256 key in base64, as codec.keys takes it.
func RandomCodecKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, config.CodecKeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response body is not JSON: %v\n%s", err, r.Body)
	}
}

// Do sends a request with an optional body and headers ("Key", "Value", ...).
func (e *Env) Do(method, path, contentType string, body []byte, headers ...string) Response {
	e.T.Helper()
	req, err := http.NewRequest(method, e.Base+path, bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if e.Auth != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", e.Auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// PostJSON sends v as JSON.
func (e *Env) PostJSON(path string, v any, headers ...string) Response {
	e.T.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.T.Fatal(err)
	}
	return e.Do(http.MethodPost, path, "application/json", b, headers...)
}

// Staff sends v as JSON with the staff token.
func (e *Env) Staff(method, path string, v any) Response {
	e.T.Helper()
	var b []byte
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.T.Fatal(err)
		}
	}
	return e.Do(method, path, "application/json", b, "Authorization", e.Bearer(devidp.PersonaTeam))
}

// Bearer returns an Authorization header value with a fresh ID token for
// the dev identity provider's persona (devidp.PersonaPhysician, ...).
func (e *Env) Bearer(persona string) string {
	e.T.Helper()
	tok, err := e.DevIDP.IDToken(persona, e.Config.Auth.Applicant.ClientID)
	if err != nil {
		e.T.Fatalf("apptest: token for %s: %v", persona, err)
	}
	return "Bearer " + tok
}

// AccountFor returns a valid account registration for a persona's profession.
func AccountFor(persona string) map[string]any {
	no := false
	a := map[string]any{"email": persona + "@clinic.example.ca", "phone": "604-555-0100",
		"hasHealthAuthorityNetworkAccount": false, "username": persona + "_user", "password": "Secret!42"}
	switch persona {
	case devidp.PersonaPhysician:
		a["profession"], a["isResident"] = domain.ProfPhysician, &no
		a["professionIds"] = map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}
	case devidp.PersonaPhysician2:
		a["profession"], a["isResident"] = domain.ProfPhysician, &no
		a["professionIds"] = map[string]string{"msp_billing_number": "C3456", "cpsid": "34567"}
	case devidp.PersonaResident:
		yes := true
		a["profession"], a["isResident"] = domain.ProfPhysician, &yes
		a["professionIds"] = map[string]string{"msp_billing_number": "B2345", "cpsid": "23456"}
	case devidp.PersonaNursePractitioner:
		a["profession"], a["professionIds"] = domain.ProfNursePractitioner, map[string]string{"college_id": "NP-1001"}
	case devidp.PersonaRegisteredNurse:
		a["profession"], a["professionIds"] = domain.ProfRegisteredNurse, map[string]string{"college_id": "RN-2002"}
	case devidp.PersonaPharmacist:
		a["profession"], a["professionIds"] = domain.ProfPharmacist, map[string]string{"college_id": "PH-3003"}
	default:
		a["profession"] = domain.ProfMOA
	}
	return a
}

// RegisterAccount registers the persona's HxBC account through the API and
// returns the Authorization header to act as them.
func (e *Env) RegisterAccount(persona string) string {
	e.T.Helper()
	auth := e.Bearer(persona)
	res := e.PostJSON("/api/v1/me/account", AccountFor(persona), "Authorization", auth)
	if res.Status != http.StatusCreated {
		e.T.Fatalf("apptest: registering %s's account: got %d %s", persona, res.Status, res.Body)
	}
	return auth
}

// SignIn registers the persona's account and makes them the default caller.
func (e *Env) SignIn(persona string) {
	e.T.Helper()
	e.Auth = e.RegisterAccount(persona)
}
