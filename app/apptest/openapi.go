package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"careconnect/api"
	"careconnect/devidp"
	"careconnect/domain"
)

// RequestCheck says what a Checked client expects of a request's conformance.
type RequestCheck int

// Request expectations.
const (
	// RequestValid: the request must conform to the document.
	RequestValid RequestCheck = iota
	// RequestInvalid: the request must not conform, so that the document
	// refuses what the server refuses (malformed bodies, missing fields).
	RequestInvalid
	// RequestUnchecked: the request is not judged (business-rule failures the
	// document cannot express); only the response is.
	RequestUnchecked
)

// codeOfStatus is the error code of each status: api/errors.go's table,
// reversed, plus the NoMethod handler's code.
var codeOfStatus = map[int]string{
	http.StatusBadRequest:          domain.EINVALID,
	http.StatusUnauthorized:        domain.EUNAUTHORIZED,
	http.StatusForbidden:           domain.EFORBIDDEN,
	http.StatusNotFound:            domain.ENOTFOUND,
	http.StatusMethodNotAllowed:    "method_not_allowed",
	http.StatusConflict:            domain.ECONFLICT,
	http.StatusUnprocessableEntity: domain.EUNPROCESSABLE,
	http.StatusTooManyRequests:     domain.ERATELIMITED,
	http.StatusServiceUnavailable:  domain.EUNAVAILABLE,
	http.StatusInternalServerError: domain.EINTERNAL,
}

// noRedirect is the Checked clients' HTTP client: it returns redirects
// rather than following them, so that a 302 is checked as the document
// describes it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// registerHTML registers, once per test binary, a body decoder for HTML pages.
var registerHTML sync.Once

// Checked sends requests to an Env and validates every request and
// response against the API's OpenAPI document (api/openapi.yaml):
// request parameters, bodies and security; response status, headers and
// body. It also fails the test on any 500 and on an error body whose code
// does not match its status.
type Checked struct {
	env    *Env
	t      testing.TB
	doc    *openapi3.T
	router routers.Router
	expect RequestCheck
	seen   *coverage
	// auth is the Authorization header of requests that carry none; nil
	// means the Env's (Env.Auth).
	auth *string
}

// coverage records which operations answered with which statuses; guarded by mu.
type coverage struct {
	mu  sync.Mutex
	ops map[string]map[int]int
}

// Checked returns a client for e that validates every exchange.
func (e *Env) Checked() *Checked {
	e.T.Helper()
	registerHTML.Do(func() {
		// kin-openapi has no decoder for HTML or SVG; a page or chart is plain text to the schema.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		for _, t := range []string{"image/svg+xml", "text/css", "text/javascript", "text/plain"} {
			openapi3filter.RegisterBodyDecoder(t, openapi3filter.PlainBodyDecoder)
		}
	})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		e.T.Fatalf("apptest: loading openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		e.T.Fatalf("apptest: openapi.yaml is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: e.Base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		e.T.Fatalf("apptest: routing openapi.yaml: %v", err)
	}
	return &Checked{env: e, t: e.T, doc: doc, router: router, seen: &coverage{ops: map[string]map[int]int{}}}
}

// For returns a client sharing c's coverage that reports to t (a subtest).
func (c *Checked) For(t testing.TB) *Checked {
	cp := *c
	cp.t = t
	return &cp
}

// Expect returns a client sharing c's coverage that expects requests to be as m says.
func (c *Checked) Expect(m RequestCheck) *Checked {
	cp := *c
	cp.expect = m
	return &cp
}

// As returns a client sharing c's coverage whose requests without an
// Authorization header carry auth (e.g. Env.Bearer(persona)); "" sends
// none, for anonymous and cookie-session requests.
func (c *Checked) As(auth string) *Checked {
	cp := *c
	cp.auth = &auth
	return &cp
}

// Env is the system c talks to.
func (c *Checked) Env() *Env { return c.env }

// Doc is the loaded document, servers set to the Env's base URL.
func (c *Checked) Doc() *openapi3.T { return c.doc }

// Coverage returns each operation's answered statuses, by operationId.
func (c *Checked) Coverage() map[string][]int {
	c.seen.mu.Lock()
	defer c.seen.mu.Unlock()
	out := map[string][]int{}
	for op, statuses := range c.seen.ops {
		for s := range statuses {
			out[op] = append(out[op], s)
		}
		sort.Ints(out[op])
	}
	return out
}

// credentialPresent is the document's view of authentication: the
// scheme's credential is present. Whether it is valid, and whether its
// role may act, only the server knows (401, 403).
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			return errors.New("no bearer token")
		}
	case "cookieAuth":
		if ck, err := req.Cookie(api.SessionCookie); err != nil || ck.Value == "" {
			return errors.New("no session cookie")
		}
	default:
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	return nil
}

// Do sends a request like Env.Do and checks it and its response.
func (c *Checked) Do(method, path, contentType string, body []byte, headers ...string) Response {
	t := c.t
	t.Helper()
	req, err := http.NewRequest(method, c.env.Base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	auth := c.env.Auth
	if c.auth != nil {
		auth = *c.auth
	}
	if auth != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", auth)
	}
	what := method + " " + path

	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, routeErr := c.router.FindRoute(vreq)
	var in *openapi3filter.RequestValidationInput
	if routeErr == nil {
		in = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: credentialPresent}}
		reqErr := openapi3filter.ValidateRequest(ctx, in)
		switch {
		case c.expect == RequestValid && reqErr != nil:
			t.Errorf("%s: the request does not conform to openapi.yaml: %v", what, reqErr)
		case c.expect == RequestInvalid && reqErr == nil:
			t.Errorf("%s: openapi.yaml accepts this request; want it refused, as the server refuses it", what)
		}
	} else if c.expect == RequestValid {
		t.Errorf("%s: not an operation of openapi.yaml: %v", what, routeErr)
	}

	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := Response{Status: res.StatusCode, Header: res.Header, Body: b}

	if out.Status == http.StatusInternalServerError {
		t.Errorf("%s: got 500 %s; no request may cause an internal error", what, b)
	}
	c.checkErrorBody(what, out)
	if in == nil {
		return out
	}
	c.seen.mu.Lock()
	op := route.Operation.OperationID
	if c.seen.ops[op] == nil {
		c.seen.ops[op] = map[int]int{}
	}
	c.seen.ops[op][out.Status]++
	c.seen.mu.Unlock()
	resErr := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: out.Status, Header: out.Header,
		Body:    io.NopCloser(bytes.NewReader(b)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if resErr != nil {
		t.Errorf("%s: the %d response does not conform to openapi.yaml: %v\n%s", what, out.Status, resErr, clip(b))
	}
	return out
}

// checkErrorBody checks that a JSON error body's code is the one for its
// status and that it quotes the request ID of the X-Request-ID header.
func (c *Checked) checkErrorBody(what string, r Response) {
	t := c.t
	t.Helper()
	if r.Status < 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return
	}
	var body api.ErrorBody
	if err := json.Unmarshal(r.Body, &body); err != nil {
		if !strings.HasSuffix(what, "/readyz") {
			t.Errorf("%s: %d error body is not the Error body: %v\n%s", what, r.Status, err, clip(r.Body))
		}
		return
	}
	if want := codeOfStatus[r.Status]; body.Error.Code != want && !strings.HasSuffix(what, "/readyz") {
		t.Errorf("%s: status %d with code %q; want %q", what, r.Status, body.Error.Code, want)
	}
	if id := r.Header.Get("X-Request-ID"); id == "" || body.Error.RequestID != id {
		t.Errorf("%s: error requestId %q; want the X-Request-ID %q", what, body.Error.RequestID, id)
	}
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// PostJSON sends v as JSON.
func (c *Checked) PostJSON(path string, v any, headers ...string) Response {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(http.MethodPost, path, "application/json", b, headers...)
}

// Send sends v as JSON, or no body when v is nil: the member actions whose
// body is optional, and those that take none.
func (c *Checked) Send(method, path string, v any, headers ...string) Response {
	c.t.Helper()
	if v == nil {
		return c.Do(method, path, "", nil, headers...)
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(method, path, "application/json", b, headers...)
}

// Staff sends v as JSON (none when nil) as the enrolment team persona.
func (c *Checked) Staff(method, path string, v any) Response {
	c.t.Helper()
	var b []byte
	ct := ""
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
		ct = "application/json"
	}
	return c.Do(method, path, ct, b, "Authorization", c.env.Bearer(devidp.PersonaTeam))
}

// PostDeclaration posts d to the declaration API for token.
func (c *Checked) PostDeclaration(token string, d Declaration) Response {
	c.t.Helper()
	body, ct := d.Multipart(c.t)
	return c.Do(http.MethodPost, "/api/v1/declarations/"+token, ct, body)
}

// BrowserSession is a browser signed in through /auth/login and /auth/callback.
type BrowserSession struct {
	// Cookie is the Cookie header value that carries the session: "cc_session=...".
	Cookie string
	// CSRF is the session's CSRF token, for the X-CSRF-Token header of state changes.
	CSRF string
	// ReturnedTo is where the callback sent the browser.
	ReturnedTo string
}

// Headers are the request headers ("Key", "Value", ...) of a state change in the session.
func (s BrowserSession) Headers() []string {
	return []string{"Cookie", s.Cookie, api.CSRFHeader, s.CSRF}
}

// SignInBrowser signs persona in as a browser does: GET /auth/login with
// query (e.g. "?returnTo=/x"; 302 to the dev identity provider, setting the
// pre-login cookie), the provider's persona picker, then GET /auth/callback
// with that cookie (302, setting the session cookie) and GET /api/v1/me for
// the CSRF token. The API's answers
// are checked against the document; the provider's are not part of it.
func (c *Checked) SignInBrowser(persona, query string) BrowserSession {
	t := c.t
	t.Helper()
	anon := c.As("")
	login := anon.Do(http.MethodGet, "/auth/login"+query, "", nil)
	if login.Status != http.StatusFound {
		t.Fatalf("GET /auth/login%s: got %d %s; want 302", query, login.Status, clip(login.Body))
	}
	authz, err := url.Parse(login.Header.Get("Location"))
	if err != nil || authz.Host == "" {
		t.Fatalf("GET /auth/login: Location %q is not the identity provider's URL: %v", login.Header.Get("Location"), err)
	}
	// The picker posts the authorization request back with the chosen persona.
	form := authz.Query()
	form.Set("persona", persona)
	authz.RawQuery = ""
	res, err := noRedirect.PostForm(authz.String(), form)
	if err != nil {
		t.Fatalf("dev identity provider: %v", err)
	}
	_ = res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || back.Scheme+"://"+back.Host != c.env.Base || back.Path != "/auth/callback" {
		t.Fatalf("dev identity provider: got %d to %q; want 302 to %s/auth/callback", res.StatusCode, res.Header.Get("Location"), c.env.Base)
	}
	// The callback completes only with the pre-login cookie /auth/login set.
	var preLogin string
	for _, ck := range (&http.Response{Header: login.Header}).Cookies() {
		if ck.Name == api.PreLoginCookie && ck.Value != "" {
			preLogin = ck.Name + "=" + ck.Value
		}
	}
	if preLogin == "" {
		t.Fatalf("GET /auth/login: no %s cookie in %q", api.PreLoginCookie, login.Header.Values("Set-Cookie"))
	}
	cb := anon.Do(http.MethodGet, back.RequestURI(), "", nil, "Cookie", preLogin)
	if cb.Status != http.StatusFound {
		t.Fatalf("GET /auth/callback: got %d %s; want 302", cb.Status, clip(cb.Body))
	}
	var s BrowserSession
	for _, ck := range (&http.Response{Header: cb.Header}).Cookies() {
		if ck.Name == api.SessionCookie && ck.Value != "" {
			s.Cookie = ck.Name + "=" + ck.Value
		}
	}
	if s.Cookie == "" {
		t.Fatalf("GET /auth/callback: no %s cookie in %q", api.SessionCookie, cb.Header.Values("Set-Cookie"))
	}
	s.ReturnedTo = cb.Header.Get("Location")
	me := anon.Do(http.MethodGet, "/api/v1/me", "", nil, "Cookie", s.Cookie)
	var body struct {
		CSRFToken string `json:"csrfToken"`
	}
	me.JSON(t, &body)
	if me.Status != http.StatusOK || body.CSRFToken == "" {
		t.Fatalf("GET /api/v1/me in the new session: got %d %s; want 200 with a csrfToken", me.Status, clip(me.Body))
	}
	s.CSRF = body.CSRFToken
	return s
}
