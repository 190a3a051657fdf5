// Package web holds the browser front ends, written by hand as plain HTML,
// CSS and ES modules (no build step) and embedded in the binary: the
// applicant and site administrator portal (index.html) and the enrolment
// team's console (team.html). Both call the public JSON API under /api/v1
// and route inside the page with the URL hash, so the server needs only
// the routes Handler answers.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var embedded embed.FS

// ContentSecurityPolicy is sent with every page and asset: scripts and
// styles only from this origin (no inline script, handler or style
// attribute is used), images from this origin (the funnel chart) and
// nothing may frame the pages.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Static returns the embedded static directory (index.html, team.html, css/, js/).
func Static() fs.FS {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic("web: embedded static directory missing: " + err.Error()) // a build error
	}
	return sub
}

// Handler serves the front ends by request path:
//
//	/, /portal, /portal/...  the portal (index.html)
//	/team, /team/...         the team console (team.html)
//	/static/...              the assets (css/, js/), by their path under static/
//
// Any other path is 404. Mount it on those routes.
func Handler() http.Handler {
	static := Static()
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	page := func(w http.ResponseWriter, r *http.Request, name string) {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			http.Error(w, "web: page missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b) // a failed write means the browser went away
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The headers every response carries (nosniff, Referrer-Policy, HSTS)
		// are the API's securityHeaders'; the pages' fuller CSP is this one.
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		switch {
		case p == "/" || p == "/portal" || strings.HasPrefix(p, "/portal/"):
			page(w, r, "index.html")
		case p == "/team" || strings.HasPrefix(p, "/team/"):
			page(w, r, "team.html")
		case strings.HasPrefix(p, "/static/") && !strings.HasSuffix(p, "/") && !strings.HasSuffix(p, ".html"):
			h.Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
