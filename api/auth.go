package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
)

// Authenticator signs people in and says who is calling. *identity.Authenticator implements it.
type Authenticator interface {
	VerifyBearer(ctx context.Context, raw string) (domain.Principal, error)
	// LoginURL returns the issuer's URL and the pre-login cookie's value.
	LoginURL(ctx context.Context, kind domain.SignInKind, returnTo, browserKey string) (string, string, error)
	// Callback needs the pre-login cookie of the browser that started the sign-in.
	Callback(ctx context.Context, state, code, browserKey string) (domain.Principal, string, string, error)
	Session(ctx context.Context, cookie string) (domain.Principal, error)
	Logout(ctx context.Context, cookie string) error
}

// SessionCookie carries the server-side session ID.
const SessionCookie = "cc_session"

// PreLoginCookie binds a pending sign-in to the browser that started it
// (login CSRF): /auth/login sets it, /auth/callback requires it. It is
// HttpOnly, SameSite=Lax (sent on the issuer's redirect back, a top-level
// GET) and scoped to /auth/.
const PreLoginCookie = "cc_login"

// preLoginMaxAge is the pre-login cookie's lifetime: that of the pending
// sign-in it binds (identity.LoginStateTTL).
const preLoginMaxAge = 10 * time.Minute

// CSRFHeader must echo the session's CSRF token on every state change a
// cookie authenticates.
const CSRFHeader = "X-CSRF-Token"

const principalKey = "principal"

// authenticate reads a bearer token or the session cookie and records the
// principal. A bad bearer token is refused at once; a stale cookie leaves
// the request anonymous, so authorization answers 401 where it matters.
func (s *Server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
			writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "use Authorization: Bearer <ID token>"))
			return
		}
		p, err := s.auth.VerifyBearer(ctx, raw)
		if err != nil {
			s.log.Info("bearer token refused", "request_id", requestID(c), "reason", err)
			writeError(c, s.log, err)
			return
		}
		c.Set(principalKey, &p)
		c.Next()
		return
	}
	if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
		p, err := s.auth.Session(ctx, cookie)
		switch {
		case err == nil:
			c.Set(principalKey, &p)
		case domain.ErrorCode(err) != domain.EUNAUTHORIZED:
			writeError(c, s.log, err)
			return
		}
	}
	c.Next()
}

// csrf refuses state changes authenticated by a cookie unless they carry
// the session's CSRF token. Bearer requests cannot be forged cross-site.
func (s *Server) csrf(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if p := principal(c); p != nil && p.SessionID != "" && !constantTimeEqual(c.GetHeader(CSRFHeader), p.CSRFToken) {
		writeError(c, s.log, domain.Errorf(domain.EFORBIDDEN, "missing or wrong %s header; reload the page and try again", CSRFHeader))
		return
	}
	c.Next()
}

// principal is the caller, or nil when anonymous.
func principal(c *gin.Context) *domain.Principal {
	if v, ok := c.Get(principalKey); ok {
		return v.(*domain.Principal)
	}
	return nil
}

// login starts a browser sign-in: ?as=team for the enrolment team, and
// ?returnTo=/path to come back to.
func (s *Server) login(c *gin.Context) {
	kind := domain.SignInApplicant
	if c.Query("as") == "team" {
		kind = domain.SignInTeam
	}
	held, _ := c.Cookie(PreLoginCookie)
	u, key, err := s.auth.LoginURL(c.Request.Context(), kind, c.Query("returnTo"), held)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.setPreLoginCookie(c, key, int(preLoginMaxAge.Seconds()))
	c.Redirect(http.StatusFound, u)
}

// callback completes a browser sign-in and sets the session cookie. An
// applicant's first sign-in starts their enrolment ("identity validated").
func (s *Server) callback(c *gin.Context) {
	if e := c.Query("error"); e != "" {
		s.log.Info("sign-in not completed at the identity provider", "request_id", requestID(c), "error", safeWord(e))
		s.signInErrorPage(c, domain.Errorf(domain.EUNAUTHORIZED, "sign-in was not completed (%s); try again", safeWord(e)), safeWord(e))
		return
	}
	key, _ := c.Cookie(PreLoginCookie)
	p, cookie, returnTo, err := s.auth.Callback(c.Request.Context(), c.Query("state"), c.Query("code"), key)
	if err != nil {
		s.log.Info("sign-in refused", "request_id", requestID(c), "reason", err)
		s.signInErrorPage(c, err, "")
		return
	}
	if p.Role == domain.RoleApplicant {
		if _, err := s.app.EnsurePerson(c.Request.Context(), p); err != nil {
			_ = s.auth.Logout(c.Request.Context(), cookie)
			s.signInErrorPage(c, err, "")
			return
		}
	}
	s.setSessionCookie(c, cookie, int(s.cfg.Auth.SessionTTL.Seconds()))
	s.setPreLoginCookie(c, "", -1) // spent
	c.Redirect(http.StatusFound, returnTo)
}

// signInErrorPage answers a sign-in that did not finish with a page a
// person can read (the callback is a browser's redirect, never an API
// call): what happened, what to do, and the enrolment team's contact.
// The status is the error's (401, 403, 400; 503 and 500 as writeError
// would give them); idpError is the identity provider's error code, when
// it sent one.
func (s *Server) signInErrorPage(c *gin.Context, err error, idpError string) {
	const title = "Sign-in did not finish"
	code := domain.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = domain.EINTERNAL, http.StatusInternalServerError
	}
	page := linkPage{Title: title, TeamEmail: s.cfg.Team.Email}
	again := []pageAction{{URL: "/portal", Label: "Sign in again"}}
	switch {
	case idpError == "access_denied":
		page.Problem = "You cancelled the sign-in, so you are not signed in."
		page.Next = "When you are ready, sign in again with your BC Services Card."
		page.Actions = again
	case idpError != "":
		page.Problem = "The sign-in service could not finish signing you in."
		page.Next = "Sign in again. If it keeps happening, contact the enrolment team."
		page.Actions = again
	case errors.Is(err, domain.ErrLowAssurance):
		page.Problem = "Your BC Services Card sign-in does not confirm your identity strongly enough for CareConnect. " +
			"CareConnect needs the BC Services Card app with a verified identity (identity assurance level 3)."
		page.Next = "Set up the BC Services Card app and verify your identity in it (in person or by video call), then sign in again with the app."
		page.Actions = []pageAction{{URL: "/portal", Label: "Sign in again"}}
	case errors.Is(err, domain.ErrNotTeam):
		page.Problem = "The team console is only for members of the CareConnect enrolment team, and this account is not one."
		page.Next = "To enrol, or to see your enrolment, use the CareConnect portal. If you are on the enrolment team, ask your administrator to give your account the team role."
		page.Actions = []pageAction{{URL: "/portal", Label: "Go to the portal"}, {URL: "/team", Label: "Sign in to the team console again"}}
	case code == domain.EUNAVAILABLE || code == domain.EINTERNAL:
		if code == domain.EINTERNAL {
			s.log.Error("sign-in", "request_id", requestID(c), "error", err)
		}
		page.Problem = "CareConnect could not finish signing you in just now."
		page.Next = "Please try again in a few minutes."
		if id := requestID(c); id != "" {
			page.Next += " If it keeps happening, quote reference " + id + " to the enrolment team."
		}
		page.Actions = again
		if code == domain.EUNAVAILABLE {
			c.Header("Retry-After", "5")
		}
	default: // an expired, reused or other browser's sign-in, an incomplete answer
		page.Problem = "This sign-in has expired, was already used or was started in another browser."
		page.Next = "Sign in again from this browser."
		page.Actions = again
	}
	if code == domain.EUNAUTHORIZED { // RFC 9110: a 401 carries a challenge
		c.Header("WWW-Authenticate", `Bearer realm="careconnect"`)
	}
	s.renderLinkPage(c, status, "error", page)
}

func (s *Server) logout(c *gin.Context) {
	if cookie, err := c.Cookie(SessionCookie); err == nil {
		if err := s.auth.Logout(c.Request.Context(), cookie); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	s.setSessionCookie(c, "", -1)
	c.Status(http.StatusNoContent)
}

func (s *Server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		Secure: s.cfg.Auth.CookieSecure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *Server) setPreLoginCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: PreLoginCookie, Value: value, Path: "/auth/", MaxAge: maxAge,
		Secure: s.cfg.Auth.CookieSecure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// safeWord keeps an OAuth error code printable and short before echoing it.
func safeWord(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, s)
}

// revokeSessions is the team's "sign this person out everywhere" (enrolment.RevokeSessions).
func (s *Server) revokeSessions(c *gin.Context) {
	n, err := s.app.RevokeSessions(c.Request.Context(), caller(c), c.Param("subject"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"revoked": n})
}
