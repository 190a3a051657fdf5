package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"careconnect/app/apptest"
)

// TestAdminListener: /metrics is served on the admin listener
// (http.admin_addr) only; the public listener answers 404 for it. The
// probes answer on both.
func TestAdminListener(t *testing.T) {
	env := apptest.Start(t, nil)
	admin := env.AdminURL()
	if admin == "" || admin == env.Base {
		t.Fatalf("AdminURL() = %q; want a listener of its own (public: %s)", admin, env.Base)
	}
	env.Do(http.MethodGet, "/healthz", "", nil) // a request for the metrics to count

	if res := env.Do(http.MethodGet, "/metrics", "", nil); res.Status != http.StatusNotFound || strings.Contains(string(res.Body), "careconnect_http") {
		t.Errorf("public GET /metrics: got %d %.200s; want 404 and no metrics", res.Status, res.Body)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if res := env.Do(http.MethodGet, p, "", nil); res.Status != http.StatusOK {
			t.Errorf("public GET %s: got %d; want 200 (probes may use the public listener)", p, res.Status)
		}
	}

	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(admin + path)
		if err != nil {
			t.Fatalf("admin GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	for path, want := range map[string]string{
		"/metrics": `careconnect_http_requests_total{method="GET",route="/healthz",status="200"}`,
		"/healthz": `"ok"`,
		"/readyz":  `"ready"`,
	} {
		if status, body := get(path); status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("admin GET %s: got %d %.300s; want 200 with %s", path, status, body, want)
		}
	}
	// The build is on the metrics, as on the worker's admin listener.
	if _, body := get("/metrics"); !strings.Contains(body, "careconnect_build_info{") {
		t.Error("admin /metrics lacks careconnect_build_info")
	}
	// The admin listener serves nothing else: not the API, not the portal.
	for _, path := range []string{"/api/v1/reference", "/portal"} {
		if status, _ := get(path); status != http.StatusNotFound {
			t.Errorf("admin GET %s: got %d; want 404", path, status)
		}
	}
}
