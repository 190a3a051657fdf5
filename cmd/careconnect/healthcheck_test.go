package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"careconnect/buildinfo"
)

// TestHealthcheck: the command asks the admin listener named by
// http.admin_addr (loopback when it listens everywhere) and fails unless
// it answers 200; --ready asks /readyz.
func TestHealthcheck(t *testing.T) {
	var unready bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		case r.URL.Path == "/readyz" && unready:
			http.Error(w, `{"status":"unavailable"}`, http.StatusServiceUnavailable)
		case r.URL.Path == "/readyz":
			_, _ = w.Write([]byte(`{"status":"ready"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	t.Setenv("CARECONNECT_CONFIG", "")
	t.Setenv("CARECONNECT_HTTP_ADMIN_ADDR", "0.0.0.0:"+port)

	var out bytes.Buffer
	if err := healthcheck(nil, &out); err != nil || !strings.Contains(out.String(), "http://127.0.0.1:"+port+"/healthz") {
		t.Errorf("healthcheck: %v, %q; want 127.0.0.1:%s/healthz answering 200", err, out.String(), port)
	}
	if err := healthcheck([]string{"--ready"}, &out); err != nil {
		t.Errorf("healthcheck --ready: %v", err)
	}
	unready = true
	if err := healthcheck([]string{"--ready"}, &out); err == nil {
		t.Error("healthcheck --ready passed while /readyz answers 503")
	}
	if err := healthcheck([]string{"--url", srv.URL + "/nope"}, &out); err == nil {
		t.Error("healthcheck passed on a 404")
	}
	t.Setenv("CARECONNECT_HTTP_ADMIN_ADDR", "127.0.0.1:1")
	if err := healthcheck(nil, &out); err == nil {
		t.Error("healthcheck passed with nothing listening")
	}
}

// TestVersion prints the build.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version"}, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(out.String()), buildinfo.Get().String(); got != want {
		t.Errorf("version printed %q; want %q", got, want)
	}
}
