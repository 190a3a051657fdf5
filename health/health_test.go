package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// waitState polls m until it reports want, or fails after 5 s.
func waitState(t *testing.T, m *Monitor, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m.State() == want {
			return
		}
	}
	t.Fatalf("state = %s; want %s", m.State(), want)
}

// TestMonitor: the state follows the check, unknown until it first ends.
func TestMonitor(t *testing.T) {
	var down atomic.Bool
	release := make(chan struct{})
	m := StartMonitor("temporal", func(ctx context.Context) error {
		<-release
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	}, 10*time.Millisecond, time.Second, slog.New(slog.DiscardHandler))
	defer m.Stop()
	if s := m.State(); s != StateUnknown {
		t.Errorf("before the first check: %s; want unknown", s)
	}
	close(release)
	waitState(t, m, StateOK)
	down.Store(true)
	waitState(t, m, StateUnavailable)
	down.Store(false)
	waitState(t, m, StateOK)
}

// TestHandlerReadiness: readiness follows the required checks; the others
// are listed but do not take the process out of rotation.
func TestHandlerReadiness(t *testing.T) {
	var dbDown, temporalDown atomic.Bool
	fail := func(b *atomic.Bool) func(context.Context) error {
		return func(context.Context) error {
			if b.Load() {
				return errors.New("down")
			}
			return nil
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "careconnect_test_gauge", Help: "x"}))
	h := Handler(reg, Check{Name: "database", Required: true, Check: fail(&dbDown)}, Check{Name: "temporal", Check: fail(&temporalDown)})
	get := func(path string) (int, map[string]any) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var body map[string]any
		if path != "/metrics" {
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%s: %v: %s", path, err, rec.Body)
			}
		}
		return rec.Code, body
	}
	cases := []struct {
		name             string
		db, temporal     bool // down
		status           int
		wantDB, wantTemp string
	}{
		{"all up", false, false, http.StatusOK, StateOK, StateOK},
		{"temporal down: still ready", false, true, http.StatusOK, StateOK, StateUnavailable},
		{"database down", true, false, http.StatusServiceUnavailable, StateUnavailable, StateOK},
	}
	for _, tc := range cases {
		dbDown.Store(tc.db)
		temporalDown.Store(tc.temporal)
		status, body := get("/readyz")
		checks, _ := body["checks"].(map[string]any)
		if status != tc.status || checks["database"] != tc.wantDB || checks["temporal"] != tc.wantTemp {
			t.Errorf("%s: /readyz %d %v; want %d database=%s temporal=%s", tc.name, status, body, tc.status, tc.wantDB, tc.wantTemp)
		}
	}
	dbDown.Store(true)
	if status, _ := get("/healthz"); status != http.StatusOK {
		t.Errorf("/healthz with the database down: %d; want 200 (liveness does not follow dependencies)", status)
	}
	if status, _ := get("/metrics"); status != http.StatusOK {
		t.Errorf("/metrics: %d", status)
	}
	if status, _ := get("/api/v1/reference"); status != http.StatusNotFound {
		t.Errorf("/api/v1/reference: %d; want 404", status)
	}
}
