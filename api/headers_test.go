package api

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"careconnect/config"
	"careconnect/enrolment"
	"careconnect/links"
	"careconnect/web"
)

// TestSecurityHeaders walks one route of each kind, on the public and the
// admin listener: every response has nosniff and a CSP that forbids
// framing (pages their fuller one), JSON is never stored by a cache, and
// HSTS is sent exactly when the public URL is https.
func TestSecurityHeaders(t *testing.T) {
	type route struct {
		name, method, path string
		status             int
		page               bool // an HTML page: the portal's CSP
		admin              bool // on the admin listener
	}
	routes := []route{
		{"portal page", http.MethodGet, "/portal", http.StatusOK, true, false},
		{"team page", http.MethodGet, "/team", http.StatusOK, true, false},
		{"asset", http.MethodGet, "/static/js/portal.js", http.StatusOK, false, false},
		{"missing asset", http.MethodGet, "/static/js/nope.js", http.StatusNotFound, false, false},
		{"JSON", http.MethodGet, "/healthz", http.StatusOK, false, false},
		{"JSON reference", http.MethodGet, "/api/v1/reference", http.StatusOK, false, false},
		{"JSON error", http.MethodGet, "/api/v1/me", http.StatusUnauthorized, false, false},
		{"404", http.MethodGet, "/no/such/thing", http.StatusNotFound, false, false},
		{"405", http.MethodDelete, "/healthz", http.StatusMethodNotAllowed, false, false},
		{"gin's redirect", http.MethodGet, "/healthz/", http.StatusMovedPermanently, false, false},
		{"webhook", http.MethodPost, "/webhooks/learninghub", http.StatusUnauthorized, false, false},
		{"link page", http.MethodGet, "/invitations/not-a-token", http.StatusNotFound, true, false},
		{"document", http.MethodGet, "/api/openapi.yaml", http.StatusOK, false, false},
		{"dev mail", http.MethodGet, "/dev/mail", http.StatusOK, false, false},
		{"metrics on the public listener", http.MethodGet, "/metrics", http.StatusNotFound, false, false},
		{"admin metrics", http.MethodGet, "/metrics", http.StatusOK, false, true},
		{"admin JSON", http.MethodGet, "/healthz", http.StatusOK, false, true},
		{"admin 404", http.MethodGet, "/portal", http.StatusNotFound, false, true},
	}
	for _, base := range []string{"http://127.0.0.1:8080", "https://enrol.careconnect.example.ca"} {
		cfg := config.Default()
		cfg.HTTP.PublicBaseURL = base
		signer, err := links.NewSigner(cfg.Links.Secret)
		if err != nil {
			t.Fatal(err)
		}
		s := New(Deps{Config: cfg, App: enrolment.New(enrolment.Deps{Config: cfg, Links: signer}), DevMail: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<!doctype html><title>mail</title>"))
		})})
		https := strings.HasPrefix(base, "https:")
		for _, rt := range routes {
			t.Run(base+" "+rt.name, func(t *testing.T) {
				h := http.Handler(s)
				if rt.admin {
					h = s.AdminHandler()
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(rt.method, rt.path, nil))
				if w.Code != rt.status {
					t.Fatalf("%s %s: got %d; want %d\n%s", rt.method, rt.path, w.Code, rt.status, w.Body)
				}
				hd := w.Header()
				if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q; want nosniff", got)
				}
				csp := hd.Get("Content-Security-Policy")
				switch {
				case rt.page && csp != web.ContentSecurityPolicy:
					t.Errorf("page CSP = %q; want %q", csp, web.ContentSecurityPolicy)
				case !strings.Contains(csp, "frame-ancestors 'none'"):
					t.Errorf("CSP = %q; want frame-ancestors 'none'", csp)
				case strings.Contains(csp, "unsafe-"):
					t.Errorf("CSP = %q; want nothing unsafe", csp)
				}
				if strings.HasPrefix(hd.Get("Content-Type"), "application/json") && hd.Get("Cache-Control") != "no-store" {
					t.Errorf("JSON with Cache-Control %q; want no-store", hd.Get("Cache-Control"))
				}
				if got := hd.Get("Referrer-Policy"); got != "no-referrer" {
					t.Errorf("Referrer-Policy = %q; want no-referrer", got)
				}
				wantHSTS := ""
				if https && !rt.admin {
					wantHSTS = HSTS
				}
				if got := hd.Get("Strict-Transport-Security"); got != wantHSTS {
					t.Errorf("Strict-Transport-Security = %q; want %q (public URL %s)", got, wantHSTS, base)
				}
			})
		}
	}
}

// TestNoUnsafeInline: no Go, HTML, template or JavaScript file of the
// repository allows inline script or style with the CSP keyword (in a
// policy, or even in a comment).
func TestNoUnsafeInline(t *testing.T) {
	needle := []byte("'unsafe-" + "inline'") // spelled apart, so that this file does not match
	skip := map[string]bool{".git": true, "node_modules": true, "artifacts": true, "data": true}
	var checked int
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".html", ".tmpl", ".js":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if i := bytes.Index(b, needle); i >= 0 {
			line := bytes.Count(b[:i], []byte("\n")) + 1
			t.Errorf("%s:%d allows %s", path, line, needle)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d files; want the whole repository", checked)
	}
}
