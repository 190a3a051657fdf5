// Package health answers probes without waiting on slow dependencies: a
// Monitor checks a dependency (Temporal) in the background and keeps its
// last state, which readiness reports as a detail; Handler serves the
// admin listener of a process without the API (the worker): /healthz,
// /readyz and /metrics.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// States a check reports.
const (
	StateOK          = "ok"
	StateUnavailable = "unavailable"
	StateUnknown     = "unknown" // not checked yet
)

// ErrNotChecked is a Monitor's error before its first check ends.
var ErrNotChecked = errors.New("health: not checked yet")

// Monitor runs a check every interval in the background and keeps the
// last result. It logs each change of state.
type Monitor struct {
	name     string
	check    func(context.Context) error
	interval time.Duration
	timeout  time.Duration
	log      *slog.Logger

	mu   sync.Mutex
	err  error // last result; ErrNotChecked before the first; guarded by mu
	seen bool  // a check has ended; guarded by mu

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartMonitor checks at once, then every interval, each check bounded by
// timeout, until Stop.
func StartMonitor(name string, check func(context.Context) error, interval, timeout time.Duration, log *slog.Logger) *Monitor {
	if log == nil {
		log = slog.Default()
	}
	m := &Monitor{name: name, check: check, interval: interval, timeout: timeout, log: log, err: ErrNotChecked,
		stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m
}

func (m *Monitor) run() {
	defer close(m.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	for {
		cctx, ccancel := context.WithTimeout(ctx, m.timeout)
		err := m.check(cctx)
		ccancel()
		if ctx.Err() != nil {
			return
		}
		m.record(err)
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

func (m *Monitor) record(err error) {
	m.mu.Lock()
	was, first := m.err, !m.seen
	m.err, m.seen = err, true
	m.mu.Unlock()
	switch {
	case err != nil && (first || was == nil):
		m.log.Warn("dependency unavailable", "dependency", m.name, "error", err)
	case err == nil && !first && was != nil:
		m.log.Info("dependency available again", "dependency", m.name)
	}
}

// Err is the last check's error: nil when it passed, ErrNotChecked
// before the first ended.
func (m *Monitor) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// State is Err as a word: ok, unavailable or unknown.
func (m *Monitor) State() string {
	switch err := m.Err(); {
	case err == nil:
		return StateOK
	case errors.Is(err, ErrNotChecked):
		return StateUnknown
	}
	return StateUnavailable
}

// Stop ends the checks and waits for the one running.
func (m *Monitor) Stop() {
	m.once.Do(func() { close(m.stop) })
	<-m.done
}

// Check is one line of a readiness answer.
type Check struct {
	Name string
	// Required checks decide readiness; the others are reported only.
	Required bool
	// Check returns nil when the dependency is fine. It is given a
	// context bounded by Handler's readiness timeout.
	Check func(context.Context) error
}

// ReadyTimeout bounds a readiness answer's checks.
const ReadyTimeout = 3 * time.Second

// Handler serves an admin listener: /healthz (the process answers),
// /readyz (every required check passes; the others are listed) and
// /metrics from g. Everything else is 404.
func Handler(g prometheus.Gatherer, checks ...Check) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		states := map[string]string{}
		ready := true
		for _, c := range checks {
			states[c.Name] = StateOK
			if err := c.Check(ctx); err != nil {
				states[c.Name] = StateUnavailable
				if errors.Is(err, ErrNotChecked) {
					states[c.Name] = StateUnknown
				}
				if c.Required {
					ready = false
				}
			}
		}
		if !ready {
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": states})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": states})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such endpoint"}})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
