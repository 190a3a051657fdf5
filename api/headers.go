package api

import (
	"net/http"
	"net/url"
)

// BaseContentSecurityPolicy is sent with every response that sets no
// fuller policy: nothing may load and nothing may frame it. Pages replace
// it with web.ContentSecurityPolicy, which also says frame-ancestors 'none'.
const BaseContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// HSTS is the Strict-Transport-Security sent when the public URL is https.
const HSTS = "max-age=31536000"

// securityHeaders is the one place that sets the security headers every
// response carries, whichever route answers (pages, assets, JSON, errors,
// gin's own 404, 405 and redirects, the dev mail page, the webhook): they
// are set before the handler runs, and a handler may only make them
// stricter or, for a page, replace the CSP with the page's fuller one.
//
//   - X-Content-Type-Options: nosniff
//   - Content-Security-Policy: BaseContentSecurityPolicy
//   - Cache-Control: no-store (JSON and everything else that is personal;
//     the portal's pages and assets set no-cache themselves)
//   - Referrer-Policy: no-referrer (link pages carry their token in the URL)
//   - Strict-Transport-Security: HSTS, when hsts (the public URL is https)
func securityHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", BaseContentSecurityPolicy)
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		if hsts {
			h.Set("Strict-Transport-Security", HSTS)
		}
		next.ServeHTTP(w, r)
	})
}

// isHTTPS reports whether base is an https URL.
func isHTTPS(base string) bool {
	u, err := url.Parse(base)
	return err == nil && u.Scheme == "https"
}
