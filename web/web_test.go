package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	cases := []struct {
		name, method, path string
		status             int
		typ, body          string // wanted Content-Type prefix and body fragment
	}{
		// The portal answers at / and /portal, the console at /team.
		{"root", http.MethodGet, "/", 200, "text/html", `src="/static/js/portal.js"`},
		{"portal", http.MethodGet, "/portal", 200, "text/html", `src="/static/js/portal.js"`},
		{"team", http.MethodGet, "/team", 200, "text/html", `src="/static/js/team.js"`},
		// Modules must be served as JavaScript, or browsers refuse them.
		{"module", http.MethodGet, "/static/js/portal.js", 200, "text/javascript", "start({"},
		{"style", http.MethodGet, "/static/css/app.css", 200, "text/css", ":focus-visible"},
		{"head", http.MethodHead, "/team", 200, "text/html", ""},
		// No directory listings, no pages by their file names, nothing else.
		{"directory", http.MethodGet, "/static/js/", 404, "", ""},
		{"page by file", http.MethodGet, "/static/index.html", 404, "", ""},
		{"missing asset", http.MethodGet, "/static/js/nope.js", 404, "", ""},
		{"other path", http.MethodGet, "/elsewhere", 404, "", ""},
		{"post", http.MethodPost, "/portal", 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("%s %s: got %d; want %d", tc.method, tc.path, rec.Code, tc.status)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q; want %q", got, ContentSecurityPolicy)
			}
			if tc.typ != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.typ) {
				t.Errorf("Content-Type = %q; want %s", rec.Header().Get("Content-Type"), tc.typ)
			}
			if tc.body != "" && !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			if tc.method == http.MethodHead && rec.Body.Len() != 0 {
				t.Errorf("HEAD sent a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

var (
	importRE    = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'(\./[^']+)';|^import\s+'(\./[^']+)';`)
	assetRE     = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	inlineRE    = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)
	scriptTagRE = regexp.MustCompile(`(?i)<script\b[^>]*>`)
)

// TestAssetsResolve: every module import and every asset a page names
// exists, so that no screen breaks on a missing file after a rename.
func TestAssetsResolve(t *testing.T) {
	static := Static()
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".js"):
			for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
				target := "js/" + strings.TrimPrefix(m[1]+m[2], "./")
				if _, err := fs.Stat(static, target); err != nil {
					t.Errorf("%s imports %s, which does not exist", path, target)
				}
			}
		case strings.HasSuffix(path, ".html"):
			for _, m := range assetRE.FindAllStringSubmatch(string(b), -1) {
				if _, err := fs.Stat(static, strings.TrimPrefix(m[1], "/static/")); err != nil {
					t.Errorf("%s names %s, which does not exist", path, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPagesNeedNoInlineCode: the pages run under a CSP that allows no
// inline code, so they carry no inline script, handler or style.
func TestPagesNeedNoInlineCode(t *testing.T) {
	for _, page := range []string{"index.html", "team.html"} {
		b, err := fs.ReadFile(Static(), page)
		if err != nil {
			t.Fatal(err)
		}
		if m := inlineRE.FindString(string(b)); m != "" {
			t.Errorf("%s has inline code or style: %q", page, m)
		}
		for _, tag := range scriptTagRE.FindAllString(string(b), -1) {
			if !strings.Contains(tag, `type="module"`) || !strings.Contains(tag, `src="/static/js/`) {
				t.Errorf("%s: script %s is not an ES module from /static/js/", page, tag)
			}
		}
	}
}
