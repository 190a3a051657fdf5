package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
	"careconnect/domain"
	"careconnect/identity"
	"careconnect/learninghub"
	"careconnect/store/storetest"
	"careconnect/testnet"
)

// readiness is a /readyz answer.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// mustGetReadiness reads base+"/readyz".
func mustGetReadiness(t *testing.T, base string) (int, readiness) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("GET %s/readyz: %v", base, err)
	}
	defer res.Body.Close()
	var r readiness
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return res.StatusCode, r
}

// waitReadiness polls base's /readyz until ok accepts it, or fails after within.
func waitReadiness(t *testing.T, base string, within time.Duration, ok func(int, readiness) bool) readiness {
	t.Helper()
	var status int
	var r readiness
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if status, r = mustGetReadiness(t, base); ok(status, r) {
			return r
		}
	}
	t.Fatalf("%s/readyz: still %d %+v after %v", base, status, r, within)
	return r
}

func testLogger() *slog.Logger {
	if os.Getenv("CARECONNECT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// TestTemporalDown: with Temporal gone, the API keeps serving what the
// projections hold and stays ready (Temporal's state is a detail of
// /readyz); writes answer 503. An API started while Temporal is
// unreachable comes up the same way.
func TestTemporalDown(t *testing.T) {
	own := devtemporaltest.Start(t, devtemporal.Options{})
	env := apptest.Start(t, func(c *config.Config) { c.Temporal.Address = own.Address() })
	env.SignIn(devidp.PersonaPhysician)
	id := mustRegister(t, env, registration())
	waitState(t, env, id, domain.WorksiteAwaitingDeclaration)
	waitReadiness(t, env.AdminURL(), 20*time.Second, func(s int, r readiness) bool { return s == 200 && r.Checks["temporal"] == "ok" })

	if err := own.Stop(); err != nil {
		t.Fatal(err)
	}
	checkServes := func(t *testing.T, env *apptest.Env) {
		t.Helper()
		// Ready: the database answers; Temporal is reported unavailable
		// (the background check runs every 10 s).
		r := waitReadiness(t, env.AdminURL(), 30*time.Second, func(s int, r readiness) bool {
			return s == http.StatusOK && r.Checks["temporal"] == "unavailable"
		})
		if r.Status != "ready" || r.Checks["database"] != "ok" {
			t.Errorf("/readyz with Temporal down = %+v; want ready, database ok", r)
		}
		if res := env.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil); res.Status != http.StatusOK ||
			!strings.Contains(string(res.Body), `"statusSource":"projection"`) {
			t.Errorf("reading the worksite with Temporal down: %d %s; want 200 from the projection", res.Status, res.Body)
		}
		if res := env.Do(http.MethodGet, "/api/v1/reference", "", nil); res.Status != http.StatusOK {
			t.Errorf("GET /api/v1/reference with Temporal down: %d", res.Status)
		}
		other := registration()
		other["address"].(map[string]any)["unit"] = "202"
		start := time.Now()
		res := env.PostJSON("/api/v1/worksites", other)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(res.Body, &body)
		if res.Status != http.StatusServiceUnavailable || body.Error.Code != domain.EUNAVAILABLE || res.Header.Get("Retry-After") == "" {
			t.Errorf("a write with Temporal down: %d %s; want 503 unavailable with Retry-After", res.Status, res.Body)
		}
		t.Logf("the write was refused after %v", time.Since(start).Round(time.Millisecond))
		// LearningHub's callbacks are stored whatever Temporal's state.
		body2, err := json.Marshal(map[string]any{"eventId": "evt-down-" + strconv.FormatInt(time.Now().UnixNano(), 36),
			"type": learninghub.TypeCourseCompleted, "courseCode": env.Config.LearningHub.CourseCode,
			"learner": map[string]any{"email": "someone@example.ca", "learningHubId": "LH-someone"}, "occurredAt": "2026-03-01T17:00:00Z"})
		if err != nil {
			t.Fatal(err)
		}
		if res := env.Do(http.MethodPost, "/webhooks/learninghub", "application/json", body2,
			learninghub.Header, learninghub.Sign([]byte(env.Config.LearningHub.Secret), time.Now().Unix(), body2)); res.Status != http.StatusAccepted {
			t.Errorf("a LearningHub callback with Temporal down: %d %s; want 202", res.Status, res.Body)
		}
	}
	t.Run("while running", func(t *testing.T) { checkServes(t, env) })

	t.Run("started while Temporal is unreachable", func(t *testing.T) {
		cfg := env.Config
		if err := env.Close(); err != nil {
			t.Fatal(err)
		}
		// The same database and Temporal address; a fresh dev identity
		// provider, mail catcher and listeners.
		cfg.HTTP.PublicBaseURL, cfg.Auth.Applicant.Issuer, cfg.SMTP.Port = "", "", 0
		m := app.New(cfg, testLogger())
		m.DevIDPPersonas = env.DevIDPPersonas
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		if err := m.Run(ctx, app.Roles{API: true}); err != nil {
			t.Fatalf("the API did not start with Temporal unreachable: %v", err)
		}
		t.Cleanup(func() { _ = m.Close() })
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("start-up took %v with Temporal unreachable", took)
		}
		again := &apptest.Env{Main: m, T: t, Base: m.URL()}
		again.Auth = again.Bearer(devidp.PersonaPhysician)
		checkServes(t, again)
	})
}

// TestWorkerWaitsForTemporal: a worker started before Temporal answers
// stays up, says so on its admin listener (live, not ready), and starts
// polling once Temporal is there.
func TestWorkerWaitsForTemporal(t *testing.T) {
	addr := testnet.MustFreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.HTTP.AdminAddr = "127.0.0.1:0"
	cfg.SMTP.Port = 0
	cfg.Database.URL = storetest.NewPostgresURL(t)
	cfg.Temporal.Address = addr
	cfg.Temporal.TaskQueue = "test-worker-waits"
	m := app.New(cfg, testLogger())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx, app.Roles{Worker: true, Migrate: true}); err != nil {
		t.Fatalf("the worker did not start with Temporal unreachable: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	admin := m.AdminURL()
	if admin == "" {
		t.Fatal("the worker has no admin listener")
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		res, err := http.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("worker admin %s: %d; want 200", path, res.StatusCode)
		}
		if path == "/metrics" && !strings.Contains(string(b), "careconnect_build_info{") {
			t.Errorf("worker /metrics lacks careconnect_build_info")
		}
	}
	status, r := mustGetReadiness(t, admin)
	if status != http.StatusServiceUnavailable || r.Checks["worker"] != "unavailable" || r.Checks["database"] != "ok" {
		t.Errorf("worker /readyz before Temporal answers: %d %+v; want 503, worker unavailable, database ok", status, r)
	}

	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	devtemporaltest.Start(t, devtemporal.Options{Port: p})
	r = waitReadiness(t, admin, 60*time.Second, func(s int, r readiness) bool { return s == http.StatusOK })
	if r.Checks["worker"] != "ok" || !m.WorkerPolling() {
		t.Errorf("worker /readyz once Temporal answers: %+v; want the worker polling", r)
	}
}

// TestMigrateNeedsNoTemporal: `careconnect migrate` applies the
// migrations without Temporal: neither a dev server nor a client.
func TestMigrateNeedsNoTemporal(t *testing.T) {
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.Database.URL = storetest.NewPostgresURL(t)
	cfg.Temporal.DevServer.Binary = "/nonexistent/temporal" // would fail if started
	m := app.New(cfg, testLogger())
	if err := m.Run(context.Background(), app.Roles{Migrate: true}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer m.Close()
	if m.Temporal != nil || m.DevServer != nil || m.Catcher != nil {
		t.Errorf("migrate started Temporal %v, a dev server %v or a mail catcher %v; want none", m.Temporal, m.DevServer, m.Catcher)
	}
	if n, err := m.Store.CountWorksites(context.Background()); err != nil || n != 0 {
		t.Errorf("the migrated schema: %d worksites, %v", n, err)
	}
}

// TestIssuerDown: with the OIDC issuer unreachable at start, the API comes
// up. Sign-in answers 503 with a plain message and bearer tokens 503; a
// signed-in session, the public reads and LearningHub's webhook work. Once
// the issuer answers, sign-in works without a restart.
func TestIssuerDown(t *testing.T) {
	issuerAddr := testnet.MustFreeAddr(t)
	env := apptest.Start(t, func(c *config.Config) { c.Auth.Applicant.Issuer = "http://" + issuerAddr })
	if env.DevIDP != nil {
		t.Fatal("a dev identity provider was started; the test needs the configured issuer down")
	}
	res := env.Do(http.MethodGet, "/auth/login", "", nil)
	if res.Status != http.StatusServiceUnavailable || !strings.Contains(string(res.Body), identity.ErrIssuerUnavailable.Message) {
		t.Errorf("/auth/login with the issuer down: %d %s; want 503 saying %q", res.Status, res.Body, identity.ErrIssuerUnavailable.Message)
	}
	if res := env.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"); res.Status != http.StatusServiceUnavailable {
		t.Errorf("a bearer token with the issuer's keys unknown: %d %s; want 503", res.Status, res.Body)
	}
	if status, r := mustGetReadiness(t, env.AdminURL()); status != http.StatusOK {
		t.Errorf("/readyz with the issuer down: %d %+v; want 200", status, r)
	}
	if res := env.Do(http.MethodGet, "/api/v1/reference", "", nil); res.Status != http.StatusOK {
		t.Errorf("GET /api/v1/reference with the issuer down: %d", res.Status)
	}

	// A session made before the outage (sessions live in the database).
	cookie := "session-before-the-outage-0123456789abcdef"
	now := time.Now()
	if err := env.Store.CreateSession(context.Background(), domain.Session{IDHash: identity.HashSessionID(cookie),
		Principal: domain.Principal{Subject: "subject-during-outage", Issuer: "http://" + issuerAddr, Role: domain.RoleApplicant,
			GivenName: "Pat", FamilyName: "Lee", Email: "pat@example.ca", IAL: 3},
		CSRFToken: "csrf", ExpiresAt: now.Add(time.Hour), LastSeenAt: now, CheckedAt: now}); err != nil {
		t.Fatal(err)
	}
	if res := env.Do(http.MethodGet, "/api/v1/me", "", nil, "Cookie", "cc_session="+cookie); res.Status != http.StatusOK ||
		!strings.Contains(string(res.Body), "subject-during-outage") {
		t.Errorf("a signed-in session with the issuer down: %d %s; want 200", res.Status, res.Body)
	}

	body, err := json.Marshal(map[string]any{"eventId": "evt-issuer-down", "type": learninghub.TypeCourseCompleted,
		"courseCode": env.Config.LearningHub.CourseCode, "learner": map[string]any{"email": "someone@example.ca", "learningHubId": "LH-someone"},
		"occurredAt": "2026-03-01T17:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if res := env.Do(http.MethodPost, "/webhooks/learninghub", "application/json", body,
		learninghub.Header, learninghub.Sign([]byte(env.Config.LearningHub.Secret), time.Now().Unix(), body)); res.Status != http.StatusAccepted {
		t.Errorf("LearningHub callback with the issuer down: %d %s; want 202", res.Status, res.Body)
	}

	// The issuer comes back: discovery in the background finds it.
	a := env.Config.Auth.Applicant
	idp, err := devidp.Start(issuerAddr, devidp.Options{Env: "test", Clients: map[string]devidp.Client{
		a.ClientID: {Secret: a.ClientSecret, RedirectURIs: []string{env.Base + "/auth/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Close() })
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var last int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		res, err := noFollow.Get(env.Base + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if last = res.StatusCode; last == http.StatusFound && strings.HasPrefix(res.Header.Get("Location"), idp.Issuer()) {
			return
		}
	}
	t.Errorf("/auth/login once the issuer is up: still %d; want 302 to the issuer", last)
}
