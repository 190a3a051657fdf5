package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/enrolment"
	"careconnect/links"
)

// limitedServer is an API with every allowance at one request a minute
// and no store: the limit answers before any handler reads anything.
func limitedServer(t *testing.T, trusted ...string) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.HTTP.TrustedProxies = trusted
	cfg.HTTP.RateLimits = config.RateLimits{Declarations: 1, Links: 1, Search: 1, Webhook: 1}
	cfg.Auth.RateLimitPerMinute = 1
	signer, err := links.NewSigner(cfg.Links.Secret)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(Deps{Config: cfg, App: enrolment.New(enrolment.Deps{Config: cfg, Links: signer, Logger: log}), Logger: log})
}

// send makes a request from peer (the connection's address), with an
// X-Forwarded-For header when xff is not empty.
func send(s *Server, method, path, peer, xff string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = peer
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// Behind a trusted proxy each client, named by X-Forwarded-For, has its
// own allowance; without one (or from a peer that is not a trusted proxy)
// X-Forwarded-For is ignored and the peer's address counts.
func TestRateLimitClientAddress(t *testing.T) {
	const proxy = "10.0.0.7:41000"
	const path = "/auth/login"
	t.Run("trusted proxy", func(t *testing.T) {
		s := limitedServer(t, "10.0.0.0/24")
		if w := send(s, http.MethodGet, path, proxy, "198.51.100.1"); w.Code == http.StatusTooManyRequests {
			t.Fatalf("first client's first sign-in: got 429")
		}
		if w := send(s, http.MethodGet, path, proxy, "198.51.100.1"); w.Code != http.StatusTooManyRequests {
			t.Errorf("first client's second sign-in: got %d; want 429", w.Code)
		}
		// Another client through the same proxy has its own bucket.
		if w := send(s, http.MethodGet, path, proxy, "198.51.100.2"); w.Code == http.StatusTooManyRequests {
			t.Errorf("second client behind the proxy: got 429; want its own allowance")
		}
		// A client cannot pick its address: the proxy appends the real one,
		// and only addresses the trusted proxies added are believed.
		if w := send(s, http.MethodGet, path, proxy, "203.0.113.50, 198.51.100.1"); w.Code != http.StatusTooManyRequests {
			t.Errorf("first client spoofing X-Forwarded-For: got %d; want 429 (its real address is limited)", w.Code)
		}
	})
	t.Run("untrusted peer", func(t *testing.T) {
		s := limitedServer(t, "10.0.0.0/24")
		peer := "192.0.2.9:5555"
		if w := send(s, http.MethodGet, path, peer, "198.51.100.1"); w.Code == http.StatusTooManyRequests {
			t.Fatalf("first sign-in: got 429")
		}
		if w := send(s, http.MethodGet, path, peer, "198.51.100.2"); w.Code != http.StatusTooManyRequests {
			t.Errorf("the same peer claiming another X-Forwarded-For: got %d; want 429 (the header is ignored)", w.Code)
		}
	})
	t.Run("no trusted proxies by default", func(t *testing.T) {
		s := limitedServer(t)
		if w := send(s, http.MethodGet, path, proxy, "198.51.100.1"); w.Code == http.StatusTooManyRequests {
			t.Fatalf("first sign-in: got 429")
		}
		if w := send(s, http.MethodGet, path, proxy, "198.51.100.2"); w.Code != http.StatusTooManyRequests {
			t.Errorf("a proxy not configured as trusted: got %d; want 429 (X-Forwarded-For ignored)", w.Code)
		}
	})
	t.Run("IPv6 clients by /64", func(t *testing.T) {
		s := limitedServer(t)
		if w := send(s, http.MethodGet, path, "[2001:db8:1:2::1]:443", ""); w.Code == http.StatusTooManyRequests {
			t.Fatalf("first sign-in: got 429")
		}
		if w := send(s, http.MethodGet, path, "[2001:db8:1:2:ffff::9]:443", ""); w.Code != http.StatusTooManyRequests {
			t.Errorf("another address of the same /64: got %d; want 429", w.Code)
		}
		if w := send(s, http.MethodGet, path, "[2001:db8:1:3::1]:443", ""); w.Code == http.StatusTooManyRequests {
			t.Errorf("another /64: got 429; want its own allowance")
		}
	})
}

// Each route that takes no sign-in, or is cheap to flood, answers 429
// with Retry-After once a client has used its allowance; each route has a
// bucket of its own.
func TestRateLimitedRoutes(t *testing.T) {
	routes := []struct{ method, path string }{
		{http.MethodGet, "/api/v1/declarations/AAAA.BBBB"},
		{http.MethodPost, "/api/v1/declarations/AAAA.BBBB"},
		{http.MethodGet, "/declaration/AAAA.BBBB"},
		{http.MethodGet, "/api/v1/join-links/AAAA.BBBB"},
		{http.MethodPost, "/api/v1/join-links/AAAA.BBBB"},
		{http.MethodGet, "/invitations/AAAA.BBBB"},
		{http.MethodGet, "/join-requests/AAAA.BBBB"},
		{http.MethodPost, "/api/v1/invitations/AAAA.BBBB/accept"},
		{http.MethodGet, "/api/v1/worksites/search?address=1234"},
		{http.MethodPost, "/webhooks/learninghub"},
	}
	s := limitedServer(t)
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			if w := send(s, r.method, r.path, "192.0.2.1:1000", ""); w.Code == http.StatusTooManyRequests {
				t.Fatalf("first call: got 429; want the allowance to admit it")
			}
			w := send(s, r.method, r.path, "192.0.2.1:1000", "")
			if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"rate_limited"`) {
				t.Fatalf("second call within the minute: got %d %s; want 429 rate_limited", w.Code, w.Body)
			}
			if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Errorf("Retry-After = %q; want whole seconds until the next request is allowed (1-60)", w.Header().Get("Retry-After"))
			}
			// Another client is not held up.
			if w := send(s, r.method, r.path, "192.0.2.2:1000", ""); w.Code == http.StatusTooManyRequests {
				t.Errorf("another client: got 429")
			}
		})
	}
}

// The allowance refills at its rate: a minute's worth a minute.
func TestRateLimitRefills(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newLimiter(2)
	for i := 0; i < 2; i++ {
		if ok, _ := l.allow("k", now); !ok {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("k", now)
	if ok || wait <= 0 || wait > 30*time.Second {
		t.Fatalf("third call: allowed %v, wait %v; want refused with a wait of up to 30s", ok, wait)
	}
	if ok, _ := l.allow("k", now.Add(wait)); !ok {
		t.Errorf("after the wait it named: refused")
	}
}
