package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"careconnect/api"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/workflows"
)

var (
	pickerActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	pickerHiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// browser is a cookie-keeping HTTP client that follows redirects, as a
// person's browser would, and remembers the sign-in callback's response.
type browser struct {
	t    *testing.T
	env  *apptest.Env
	jar  *cookiejar.Jar
	c    *http.Client
	base *url.URL
	// callback is the last /auth/callback response seen.
	callback *http.Response
}

func newBrowser(t *testing.T, env *apptest.Env) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(env.Base)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, env: env, jar: jar, base: base}
	b.c = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		if r := req.Response; r != nil && r.Request.URL.Path == "/auth/callback" {
			b.callback = r
		}
		return nil
	}}
	return b
}

// readBody reads and closes a response body.
func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// signIn goes to /auth/login+query, follows it to the dev identity
// provider's picker, picks persona and follows the redirects back through
// /auth/callback. It returns the callback's response (its body read into
// cbBody when the callback refused and so was the last response).
func (b *browser) signIn(persona, query string) (cb *http.Response, cbBody []byte) {
	b.t.Helper()
	b.callback = nil
	res, err := b.c.Get(b.env.Base + "/auth/login" + query)
	if err != nil {
		b.t.Fatalf("GET /auth/login: %v", err)
	}
	page := readBody(b.t, res)
	if res.StatusCode != http.StatusOK || res.Request.URL.Host == b.base.Host {
		b.t.Fatalf("GET /auth/login%s ended with %d at %s; want the identity provider's picker\n%s", query, res.StatusCode, res.Request.URL, page)
	}
	m := pickerActionRE.FindSubmatch(page)
	if m == nil {
		b.t.Fatalf("the identity provider's page has no picker form:\n%s", page)
	}
	action, err := res.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		b.t.Fatal(err)
	}
	form := url.Values{}
	for _, f := range pickerHiddenRE.FindAllSubmatch(page, -1) {
		form.Set(html.UnescapeString(string(f[1])), html.UnescapeString(string(f[2])))
	}
	form.Set("persona", persona)
	res, err = b.c.PostForm(action.String(), form)
	if err != nil {
		b.t.Fatalf("POST persona %s: %v", persona, err)
	}
	body := readBody(b.t, res)
	if res.Request.URL.Path == "/auth/callback" {
		return res, body // the callback refused: no redirect to follow
	}
	if b.callback == nil {
		b.t.Fatalf("signing in as %s never reached /auth/callback (ended %d at %s)", persona, res.StatusCode, res.Request.URL)
	}
	return b.callback, nil
}

// authorize starts a sign-in in this browser (GET /auth/login+query), picks
// persona at the identity provider and returns the callback URL it
// redirects to, without opening it: an unfinished sign-in.
func (b *browser) authorize(persona, query string) string {
	b.t.Helper()
	res, err := b.c.Get(b.env.Base + "/auth/login" + query)
	if err != nil {
		b.t.Fatalf("GET /auth/login: %v", err)
	}
	page := readBody(b.t, res)
	m := pickerActionRE.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		b.t.Fatalf("GET /auth/login%s ended with %d at %s; want the identity provider's picker\n%s", query, res.StatusCode, res.Request.URL, page)
	}
	action, err := res.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		b.t.Fatal(err)
	}
	form := url.Values{}
	for _, f := range pickerHiddenRE.FindAllSubmatch(page, -1) {
		form.Set(html.UnescapeString(string(f[1])), html.UnescapeString(string(f[2])))
	}
	form.Set("persona", persona)
	stop := &http.Client{Jar: b.jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	res, err = stop.PostForm(action.String(), form)
	if err != nil {
		b.t.Fatalf("POST persona %s: %v", persona, err)
	}
	readBody(b.t, res)
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || loc.Path != "/auth/callback" {
		b.t.Fatalf("the identity provider answered %d to %q; want 302 to /auth/callback", res.StatusCode, res.Header.Get("Location"))
	}
	return loc.String()
}

// open opens an absolute URL in this browser without following redirects.
func (b *browser) open(u string) apptest.Response {
	b.t.Helper()
	stop := &http.Client{Jar: b.jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	res, err := stop.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: readBody(b.t, res)}
}

// sessionCookie is the session cookie the browser holds, or "".
func (b *browser) sessionCookie() string {
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == api.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// do sends a request with the browser's cookies; a non-nil v is sent as JSON.
func (b *browser) do(method, path string, v any, headers ...string) apptest.Response {
	b.t.Helper()
	var body io.Reader
	if v != nil {
		js, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		body = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, b.env.Base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: readBody(b.t, res)}
}

// meView is GET /api/v1/me as these tests read it.
type meView struct {
	Principal domain.Principal   `json:"principal"`
	CSRFToken string             `json:"csrfToken"`
	Status    *domain.UserStatus `json:"status"`
	Account   *domain.Account    `json:"account"`
}

// statusView is the body of GET /api/v1/me/status and of the update endpoints.
type statusView struct {
	Status  domain.UserStatus `json:"status"`
	Account *domain.Account   `json:"account"`
}

// mustStatus checks res's status code, printing the body when it differs.
func mustStatus(t *testing.T, what string, res apptest.Response, want int) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: got %d %s; want %d", what, res.Status, res.Body, want)
	}
}

// errorOf decodes an error body.
func errorOf(t *testing.T, res apptest.Response) api.ErrorDetail {
	t.Helper()
	var e api.ErrorBody
	res.JSON(t, &e)
	return e.Error
}

// mustPersonaOf returns the running system's persona (its subject is unique to the test).
func mustPersonaOf(t *testing.T, env *apptest.Env, key string) devidp.Persona {
	t.Helper()
	p, ok := env.DevIDP.Persona(key)
	if !ok {
		t.Fatalf("no persona %q", key)
	}
	return p
}

// mustCountAccounts counts the stored accounts.
func mustCountAccounts(t *testing.T, env *apptest.Env) int64 {
	t.Helper()
	n, err := env.Store.CountAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// userMails are the caught emails of a person's enrolment (event key user/<subject>/...).
func userMails(env *apptest.Env, subject string) []mail.Caught {
	var out []mail.Caught
	for _, m := range env.Catcher.Messages() {
		if strings.HasPrefix(m.EventKey, "user/"+subject+"/") {
			out = append(out, m)
		}
	}
	return out
}

// mustUserMail waits for the email with event key user/<subject>/<event>.
func mustUserMail(t *testing.T, env *apptest.Env, subject, event string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	key := "user/" + subject + "/" + event
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool { return m.EventKey == key })
	if err != nil {
		t.Fatalf("no email with event key %s: %v", key, err)
	}
	return m
}

func TestBrowserSignInAndAccount(t *testing.T) {
	env := apptest.Start(t, nil)
	ctx := context.Background()
	per := mustPersonaOf(t, env, devidp.PersonaPhysician)
	acct := apptest.AccountFor(devidp.PersonaPhysician)
	b := newBrowser(t, env)

	cb, _ := b.signIn(devidp.PersonaPhysician, "?returnTo="+url.QueryEscape("/worksites/new"))
	if cb.StatusCode != http.StatusFound || cb.Header.Get("Location") != "/worksites/new" {
		t.Fatalf("callback: %d to %q; want 302 to /worksites/new", cb.StatusCode, cb.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, c := range cb.Cookies() {
		if c.Name == api.SessionCookie {
			sc = c
		}
	}
	if sc == nil || sc.Value == "" {
		t.Fatalf("callback Set-Cookie = %q; want a %s cookie", cb.Header.Values("Set-Cookie"), api.SessionCookie)
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.MaxAge <= 0 {
		t.Errorf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/, a positive Max-Age", sc)
	}
	if strings.Contains(sc.Value, per.Subject) || len(sc.Value) < 32 {
		t.Errorf("session cookie value %q; want an opaque random value", sc.Value)
	}

	// Signed in: identity validated, names from the token, no account yet.
	res := b.do(http.MethodGet, "/api/v1/me", nil)
	mustStatus(t, "GET /me", res, http.StatusOK)
	var me meView
	res.JSON(t, &me)
	if me.Principal.Subject != per.Subject || me.Principal.Role != domain.RoleApplicant || me.Principal.GivenName != per.GivenName ||
		me.Principal.FamilyName != per.FamilyName {
		t.Errorf("principal = %+v; want %s %s (%s) as an applicant", me.Principal, per.GivenName, per.FamilyName, per.Subject)
	}
	if me.Status == nil || me.Status.State != domain.UserIdentityValidated || me.Status.LegalFirstName != per.GivenName ||
		me.Status.LegalLastName != per.FamilyName || me.Status.WaitingOn != domain.PartyApplicant {
		t.Errorf("status = %+v; want identity_validated with the token's legal names, waiting on the applicant", me.Status)
	}
	if me.CSRFToken == "" || me.Account != nil {
		t.Errorf("csrfToken %q, account %+v; want a token and no account", me.CSRFToken, me.Account)
	}
	if strings.Contains(string(res.Body), sc.Value) {
		t.Errorf("GET /me echoes the session cookie")
	}

	// A state change without the CSRF header is refused and stores nothing.
	for _, hdr := range [][]string{nil, {api.CSRFHeader, "wrong-" + me.CSRFToken}} {
		res = b.do(http.MethodPost, "/api/v1/me/account", acct, hdr...)
		mustStatus(t, "POST /me/account without the CSRF token", res, http.StatusForbidden)
		if n := mustCountAccounts(t, env); n != 0 {
			t.Errorf("accounts after a refused registration = %d; want 0", n)
		}
	}

	// With it, the account is created and the "account registered" email goes out.
	res = b.do(http.MethodPost, "/api/v1/me/account", acct, api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "POST /me/account", res, http.StatusCreated)
	var created statusView
	res.JSON(t, &created)
	if created.Account == nil || created.Account.Username != acct["username"] || created.Account.LegalFirstName != per.GivenName ||
		created.Account.Profession != domain.ProfPhysician || created.Status.State != domain.UserAccountRegistered {
		t.Errorf("created = %+v; want the physician's account_registered account with legal names from the token", created)
	}
	if strings.Contains(string(res.Body), acct["password"].(string)) || strings.Contains(string(res.Body), "$2a$") {
		t.Errorf("registration response contains the password or its hash:\n%s", res.Body)
	}
	m := mustUserMail(t, env, per.Subject, "account_registered/1")
	if len(m.To) != 1 || m.To[0] != acct["email"] {
		t.Errorf("account email to %v; want %v", m.To, acct["email"])
	}
	if !strings.Contains(m.Text, acct["username"].(string)) || !strings.Contains(m.Subject, acct["username"].(string)) {
		t.Errorf("account email subject %q / text lacks the username %q:\n%s", m.Subject, acct["username"], m.Text)
	}
	if strings.Contains(m.Text, acct["password"].(string)) {
		t.Errorf("the account email contains the password")
	}
	hash1, err := env.Store.PasswordHash(ctx, per.Subject)
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash1), []byte(acct["password"].(string))) != nil {
		t.Errorf("stored password hash %q (%v); want a bcrypt hash of the password", hash1, err)
	}

	// The status shows the password's expiry, 90 days ahead, from the registration's answer on.
	wantExpiry := time.Now().Add(90 * 24 * time.Hour)
	if e := created.Status.PasswordExpiresAt; e == nil || e.Sub(wantExpiry).Abs() > 5*time.Minute {
		t.Errorf("registration's status expires %v; want about %v", e, wantExpiry)
	}
	res = b.do(http.MethodGet, "/api/v1/me/status", nil)
	mustStatus(t, "GET /me/status", res, http.StatusOK)
	var st statusView
	res.JSON(t, &st)
	if st.Status.State != domain.UserAccountRegistered || st.Status.PasswordExpiresAt == nil ||
		st.Status.PasswordExpiresAt.Sub(wantExpiry).Abs() > 5*time.Minute {
		t.Errorf("status = %s expires %v; want account_registered expiring about %v", st.Status.State, st.Status.PasswordExpiresAt, wantExpiry)
	}

	// Legal names and the profession cannot be edited by the applicant.
	for _, field := range []string{"legalFirstName", "legalLastName", "profession", "username"} {
		res = b.do(http.MethodPatch, "/api/v1/me/account", map[string]any{field: "Mallory"}, api.CSRFHeader, me.CSRFToken)
		mustStatus(t, "PATCH "+field, res, http.StatusBadRequest)
		if e := errorOf(t, res); e.Fields[field] == "" {
			t.Errorf("PATCH %s: error %+v; want the field named", field, e)
		}
	}
	res = b.do(http.MethodPatch, "/api/v1/me/account", map[string]any{"preferredFirstName": "Pri"})
	mustStatus(t, "PATCH without the CSRF token", res, http.StatusForbidden)

	// Preferred names and contact details can be.
	res = b.do(http.MethodPatch, "/api/v1/me/account", map[string]any{"preferredFirstName": " Pri ", "phone": "250.555.0101",
		"mobile": "604 555 0199", "email": "Priya.New@Clinic.Example.CA"}, api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "PATCH preferred name and contact", res, http.StatusOK)
	var upd statusView
	res.JSON(t, &upd)
	if a := upd.Account; a == nil || a.PreferredFirstName != "Pri" || a.Phone != "(250) 555-0101" || a.Mobile != "(604) 555-0199" ||
		a.Email != "priya.new@clinic.example.ca" || a.LegalFirstName != per.GivenName || a.Username != acct["username"] {
		t.Errorf("updated account = %+v; want the new preferred name and contact details, legal names and username kept", a)
	}

	// Password reset: weak refused, strong accepted and the life restarts.
	res = b.do(http.MethodPost, "/api/v1/me/password", map[string]any{"password": "weakpass"}, api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "POST /me/password weak", res, http.StatusBadRequest)
	if e := errorOf(t, res); e.Fields["password"] == "" {
		t.Errorf("weak password error %+v; want the password field named", e)
	}
	if h, _ := env.Store.PasswordHash(ctx, per.Subject); h != hash1 {
		t.Errorf("a refused reset changed the stored password")
	}
	res = b.do(http.MethodPost, "/api/v1/me/password", map[string]any{"password": "N3w-Passphrase"}, api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "POST /me/password strong", res, http.StatusOK)
	hash2, err := env.Store.PasswordHash(ctx, per.Subject)
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash2), []byte("N3w-Passphrase")) != nil {
		t.Errorf("stored hash after reset does not match the new password (%v)", err)
	}
	var reset statusView
	res.JSON(t, &reset)
	if reset.Status.State != domain.UserAccountRegistered || reset.Status.PasswordExpiresAt == nil ||
		reset.Status.PasswordExpiresAt.Before(*st.Status.PasswordExpiresAt) {
		t.Errorf("after reset: %s expires %v; want account_registered, expiring no sooner than %v", reset.Status.State,
			reset.Status.PasswordExpiresAt, st.Status.PasswordExpiresAt)
	}

	// Logout needs the CSRF token, ends the session and clears the cookie.
	old := b.sessionCookie()
	res = b.do(http.MethodPost, "/auth/logout", nil)
	mustStatus(t, "POST /auth/logout without the CSRF token", res, http.StatusForbidden)
	res = b.do(http.MethodPost, "/auth/logout", nil, api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "POST /auth/logout", res, http.StatusNoContent)
	if c := b.sessionCookie(); c != "" {
		t.Errorf("browser still holds session cookie %q after logout; want it cleared", c)
	}
	res = env.Do(http.MethodGet, "/api/v1/me", "", nil, "Cookie", api.SessionCookie+"="+old)
	mustStatus(t, "GET /me with the old cookie", res, http.StatusUnauthorized)
	res = env.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Cookie", api.SessionCookie+"="+old)
	mustStatus(t, "GET /me/status with the old cookie", res, http.StatusUnauthorized)

	// Exactly one account email, and a confirmation link for each address
	// given (at registration, and the change): refusals sent none.
	// The emails go out after the updates answer: wait for them.
	var got []mail.Caught
	links := 0
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, links = userMails(env, per.Subject), 0
		for _, m := range got {
			if strings.Contains(m.EventKey, "/email_confirmation/") {
				links++
			}
		}
		if len(got)-links >= 1 && links >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(got)-links != 1 || links != 2 {
		t.Errorf("user emails = %d, of which %d confirmation links; want the account registration's and two links", len(got), links)
	}
}

// TestLoginCSRF: an unfinished sign-in's callback URL signs in only the
// browser that started it. Opened in another browser, with no sign-in of
// its own or with one of its own, it is refused with no session (so an
// attacker cannot plant their session in a victim's browser), and the
// refusals do not spend it: the browser that started it still completes.
func TestLoginCSRF(t *testing.T) {
	env := apptest.Start(t, nil)
	attacker := newBrowser(t, env)
	callback := attacker.authorize(devidp.PersonaPhysician, "?returnTo=/portal")

	victim := newBrowser(t, env)
	other := newBrowser(t, env)
	other.authorize(devidp.PersonaMOA, "") // a sign-in of its own, left unfinished
	for name, b := range map[string]*browser{"a browser with no sign-in": victim, "a browser with another sign-in": other} {
		res := b.open(callback)
		if res.Status < 400 || res.Status >= 500 {
			t.Errorf("%s opens the callback: got %d %s; want 4xx", name, res.Status, res.Body)
		}
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if c.Name == api.SessionCookie && c.Value != "" {
				t.Errorf("%s got a session cookie from someone else's sign-in", name)
			}
		}
		if b.sessionCookie() != "" {
			t.Errorf("%s holds a session cookie", name)
		}
		mustStatus(t, name+": GET /me", b.do(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized)
	}

	res := attacker.open(callback)
	if res.Status != http.StatusFound || res.Header.Get("Location") != "/portal" || attacker.sessionCookie() == "" {
		t.Fatalf("the browser that started the sign-in: got %d to %q, cookie %q; want 302 to /portal with a session",
			res.Status, res.Header.Get("Location"), attacker.sessionCookie())
	}
	mustStatus(t, "GET /me in the browser that signed in", attacker.do(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
	// The pre-login cookie is spent: the same callback URL does not sign in twice.
	if res := attacker.open(callback); res.Status < 400 || res.Status >= 500 {
		t.Errorf("the callback opened again: got %d; want 4xx", res.Status)
	}
}

// TestRevokeSessions: the team signs a person out of every browser at
// once, with the reason on the person's audit timeline; nobody else may,
// and other people's sessions stand.
func TestRevokeSessions(t *testing.T) {
	env := apptest.Start(t, nil)
	per := mustPersonaOf(t, env, devidp.PersonaPhysician)
	team := mustPersonaOf(t, env, devidp.PersonaTeam)
	laptop, phone, other := newBrowser(t, env), newBrowser(t, env), newBrowser(t, env)
	for _, b := range []*browser{laptop, phone} {
		if cb, _ := b.signIn(devidp.PersonaPhysician, ""); cb.StatusCode != http.StatusFound {
			t.Fatalf("sign-in: %d", cb.StatusCode)
		}
	}
	other.signIn(devidp.PersonaMOA, "")
	path := "/api/v1/staff/people/" + url.PathEscape(per.Subject) + "/revoke-sessions"
	body := mustMarshal(t, map[string]any{"reason": "laptop reported stolen"})

	// Only the team, and only with a reason.
	mustStatus(t, "anonymous", env.Do(http.MethodPost, path, "application/json", body), http.StatusUnauthorized)
	mustStatus(t, "the person themself", env.Do(http.MethodPost, path, "application/json", body, "Authorization", env.Bearer(devidp.PersonaPhysician)),
		http.StatusForbidden)
	mustStatus(t, "another applicant", env.Do(http.MethodPost, path, "application/json", body, "Authorization", env.Bearer(devidp.PersonaMOA)),
		http.StatusForbidden)
	res := env.Staff(http.MethodPost, path, map[string]any{"reason": "  "})
	mustStatus(t, "a blank reason", res, http.StatusBadRequest)
	if e := errorOf(t, res); e.Fields["reason"] == "" {
		t.Errorf("error %+v; want the reason field named", e)
	}
	for _, b := range []*browser{laptop, phone, other} {
		mustStatus(t, "GET /me before the revocation", b.do(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
	}

	res = env.Staff(http.MethodPost, path, map[string]any{"reason": "laptop reported stolen"})
	mustStatus(t, "revoke", res, http.StatusOK)
	var out struct {
		Revoked int `json:"revoked"`
	}
	res.JSON(t, &out)
	if out.Revoked != 2 {
		t.Errorf("revoked = %d; want the physician's 2 sessions", out.Revoked)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		mustStatus(t, name+": GET /me after the revocation", b.do(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized)
	}
	mustStatus(t, "another person's session", other.do(http.MethodGet, "/api/v1/me", nil), http.StatusOK)

	res = env.Staff(http.MethodGet, "/api/v1/staff/people/"+url.PathEscape(per.Subject), nil)
	mustStatus(t, "staff reads the person", res, http.StatusOK)
	var person struct {
		Audit []domain.AuditEvent `json:"audit"`
	}
	res.JSON(t, &person)
	var found *domain.AuditEvent
	for i, e := range person.Audit {
		if e.Action == "sessions revoked" {
			found = &person.Audit[i]
		}
	}
	if found == nil || found.Actor != team.Subject || found.Role != string(domain.RoleTeam) ||
		!strings.Contains(found.Detail, "laptop reported stolen") || !strings.Contains(found.Detail, "2 sessions") || found.RequestID == "" {
		t.Errorf("audit record = %+v; want who (the team member), why, how many and the request", found)
	}
	// Signing in again works: the person is not locked out, only signed out.
	if cb, _ := laptop.signIn(devidp.PersonaPhysician, ""); cb.StatusCode != http.StatusFound {
		t.Errorf("signing in again: %d; want 302", cb.StatusCode)
	}
}

func TestSignInReturnToStaysOnSite(t *testing.T) {
	env := apptest.Start(t, nil)
	for _, rt := range []string{"//evil.example/x", "https://evil.example/", "/\t/evil.example", `/\evil.example`} {
		b := newBrowser(t, env)
		cb, _ := b.signIn(devidp.PersonaPhysician, "?returnTo="+url.QueryEscape(rt))
		if loc := cb.Header.Get("Location"); cb.StatusCode != http.StatusFound || loc != "/" {
			t.Errorf("returnTo %q: callback %d to %q; want 302 to /", rt, cb.StatusCode, loc)
		}
	}
}

func TestTeamSignIn(t *testing.T) {
	env := apptest.Start(t, nil)
	team := mustPersonaOf(t, env, devidp.PersonaTeam)

	b := newBrowser(t, env)
	cb, _ := b.signIn(devidp.PersonaTeam, "?as=team")
	if cb.StatusCode != http.StatusFound || b.sessionCookie() == "" {
		t.Fatalf("team sign-in: callback %d, cookie %q; want 302 with a session", cb.StatusCode, b.sessionCookie())
	}
	res := b.do(http.MethodGet, "/api/v1/me", nil)
	mustStatus(t, "team GET /me", res, http.StatusOK)
	var me meView
	res.JSON(t, &me)
	if me.Principal.Role != domain.RoleTeam || me.Principal.Subject != team.Subject || me.Status != nil || me.Account != nil {
		t.Errorf("team /me = %+v; want role %s and no enrolment", me, domain.RoleTeam)
	}
	mustStatus(t, "team lists worksites", b.do(http.MethodGet, "/api/v1/staff/worksites", nil), http.StatusOK)
	res = b.do(http.MethodPost, "/api/v1/me/account", apptest.AccountFor(devidp.PersonaTeam), api.CSRFHeader, me.CSRFToken)
	mustStatus(t, "team registers an HxBC account", res, http.StatusForbidden)
	// Staff sign-in starts no enrolment workflow and records no person.
	if _, err := env.Store.GetUserStatus(context.Background(), team.Subject); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("team member recorded as a person (%v); want not found", err)
	}

	tests := []struct {
		name, persona, query string
		// page is what the refusal's page must say, in words for people.
		page string
	}{
		// An applicant may not use the team sign-in.
		{"applicant as team", devidp.PersonaPhysician, "?as=team", "only for members of the CareConnect enrolment team"},
		// BC Services Card below IAL 3 is refused at the callback.
		{"low assurance", devidp.PersonaLowAssurance, "", "verify your identity in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, env)
			cb, body := b.signIn(tt.persona, tt.query)
			if cb.StatusCode != http.StatusForbidden {
				t.Fatalf("callback = %d %s; want 403", cb.StatusCode, body)
			}
			mustSignInErrorPage(t, env, cb, body, tt.page)
			if c := b.sessionCookie(); c != "" || len(cb.Cookies()) != 0 {
				t.Errorf("refused sign-in set cookies %v; want none", cb.Header.Values("Set-Cookie"))
			}
			mustStatus(t, "GET /me after a refused sign-in", b.do(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized)
			per := mustPersonaOf(t, env, tt.persona)
			if _, err := env.Store.GetUserStatus(context.Background(), per.Subject); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("refused sign-in recorded the person (%v); want nothing stored", err)
			}
		})
	}
}

// mustSignInErrorPage checks that a refused sign-in is answered with a
// page for people, not an API error: HTML, saying want, with a way
// forward (a link to sign in again or to the portal), the enrolment team's
// contact and no script, and no codes or JSON.
func mustSignInErrorPage(t *testing.T, env *apptest.Env, res *http.Response, body []byte, want string) {
	t.Helper()
	page := string(body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("refusal page Content-Type = %q; want text/html\n%s", ct, page)
	}
	for _, s := range []string{want, `href="/portal"`, "mailto:" + env.Config.Team.Email} {
		if !strings.Contains(page, s) {
			t.Errorf("refusal page lacks %q:\n%s", s, page)
		}
	}
	for _, s := range []string{"<script", `"error"`, "forbidden", "unauthorized", "identity assurance level 1"} {
		if strings.Contains(page, s) {
			t.Errorf("refusal page shows %q:\n%s", s, page)
		}
	}
}

// TestSignInCancelled: cancelling at the identity provider comes back to a
// page that says so and offers to sign in again, not to an API error.
func TestSignInCancelled(t *testing.T) {
	env := apptest.Start(t, nil)
	b := newBrowser(t, env)
	res, err := b.c.Get(env.Base + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	picker := readBody(t, res)
	m := pickerActionRE.FindSubmatch(picker)
	if m == nil {
		t.Fatalf("the identity provider's page has no picker form:\n%s", picker)
	}
	u, err := res.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	action := u.String()
	form := url.Values{"cancel": {"1"}}
	for _, f := range pickerHiddenRE.FindAllSubmatch(picker, -1) {
		form.Set(html.UnescapeString(string(f[1])), html.UnescapeString(string(f[2])))
	}
	res, err = b.c.PostForm(action, form)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	if res.Request.URL.Path != "/auth/callback" || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("cancel ended %d at %s; want 401 at /auth/callback\n%s", res.StatusCode, res.Request.URL, body)
	}
	mustSignInErrorPage(t, env, res, body, "You cancelled the sign-in")
}

func TestAccountDuplicatesLeaveNothing(t *testing.T) {
	env := apptest.Start(t, nil)
	ctx := context.Background()
	env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	first := apptest.AccountFor(devidp.PersonaPhysician)
	np := mustPersonaOf(t, env, devidp.PersonaNursePractitioner)
	npAuth := env.Bearer(devidp.PersonaNursePractitioner)

	tests := []struct {
		name  string
		edit  func(a map[string]any)
		field string
	}{
		// A confirmed email is unique across accounts, whatever its case.
		{"same email", func(a map[string]any) { a["email"] = first["email"] }, "email"},
		{"same email in upper case", func(a map[string]any) { a["email"] = strings.ToUpper(first["email"].(string)) }, "email"},
		// Usernames are unique without regard to case.
		{"same username", func(a map[string]any) { a["username"] = first["username"] }, "username"},
		{"same username in another case", func(a map[string]any) { a["username"] = strings.ToUpper(first["username"].(string)) }, "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := apptest.AccountFor(devidp.PersonaNursePractitioner)
			tt.edit(body)
			res := env.PostJSON("/api/v1/me/account", body, "Authorization", npAuth)
			mustStatus(t, "duplicate registration", res, http.StatusConflict)
			e := errorOf(t, res)
			if e.Code != domain.ECONFLICT || e.Fields[tt.field] == "" {
				t.Errorf("error = %+v; want a conflict naming %s", e, tt.field)
			}
			if strings.Contains(string(res.Body), "Priya") || strings.Contains(string(res.Body), "Sharma") {
				t.Errorf("conflict names the account holder:\n%s", res.Body)
			}
			if n := mustCountAccounts(t, env); n != 1 {
				t.Errorf("accounts = %d; want 1 (nothing stored)", n)
			}
			if _, err := env.Store.GetAccount(ctx, np.Subject); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("the refused applicant has an account (%v)", err)
			}
		})
	}

	// The same applicant then registers cleanly: one account email (and its
	// confirmation link), one audit record.
	mustStatus(t, "clean registration", env.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaNursePractitioner),
		"Authorization", npAuth), http.StatusCreated)
	mustUserMail(t, env, np.Subject, "account_registered/1")
	env.ConfirmationToken(devidp.PersonaNursePractitioner, apptest.AccountFor(devidp.PersonaNursePractitioner)["email"].(string))
	if got := userMails(env, np.Subject); len(got) != 2 {
		t.Errorf("emails to the nurse practitioner = %d; want 2, the account email and the confirmation link (refusals sent none)", len(got))
	}
	res := env.Staff(http.MethodGet, "/api/v1/staff/people/"+np.Subject, nil)
	mustStatus(t, "staff reads the person", res, http.StatusOK)
	var person struct {
		Audit []domain.AuditEvent `json:"audit"`
	}
	res.JSON(t, &person)
	n := 0
	for _, e := range person.Audit {
		if e.Action == "account registered" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("'account registered' audit records = %d; want 1 (refusals recorded none)", n)
	}

	// A second account for the same person is refused.
	res = env.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaPharmacist), "Authorization", npAuth)
	mustStatus(t, "second account", res, http.StatusConflict)
	if n := mustCountAccounts(t, env); n != 2 {
		t.Errorf("accounts = %d; want 2", n)
	}
	// Changing one's email to another account's confirmed one is refused too.
	res = env.Do(http.MethodPatch, "/api/v1/me/account", "application/json", mustMarshal(t, map[string]any{"email": first["email"]}),
		"Authorization", npAuth)
	mustStatus(t, "PATCH to a taken email", res, http.StatusConflict)
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProfessionChangeTeamOnly(t *testing.T) {
	env := apptest.Start(t, nil)
	auth := env.RegisterAccount(devidp.PersonaPhysician)
	other := env.RegisterAccount(devidp.PersonaNursePractitioner)
	per := mustPersonaOf(t, env, devidp.PersonaPhysician)
	team := mustPersonaOf(t, env, devidp.PersonaTeam)
	path := "/api/v1/staff/people/" + per.Subject + "/profession"
	change := map[string]any{"profession": domain.ProfResident, "reason": "CPSBC lists her as a resident",
		"professionIds": map[string]string{"msp_billing_number": "a1234", "cpsid": "12345"}}

	// Only the team may change a profession.
	mustStatus(t, "anonymous change", env.Do(http.MethodPut, path, "application/json", mustMarshal(t, change)), http.StatusUnauthorized)
	mustStatus(t, "own change", env.Do(http.MethodPut, path, "application/json", mustMarshal(t, change), "Authorization", auth), http.StatusForbidden)
	mustStatus(t, "another applicant's change", env.Do(http.MethodPut, path, "application/json", mustMarshal(t, change), "Authorization", other),
		http.StatusForbidden)
	// The reason is required.
	noReason := map[string]any{"profession": change["profession"], "professionIds": change["professionIds"]}
	res := env.Staff(http.MethodPut, path, noReason)
	mustStatus(t, "change without a reason", res, http.StatusBadRequest)
	if e := errorOf(t, res); e.Fields["reason"] == "" {
		t.Errorf("error %+v; want the reason field named", e)
	}

	res = env.Staff(http.MethodPut, path, change)
	mustStatus(t, "team change", res, http.StatusOK)
	var changed statusView
	res.JSON(t, &changed)
	if changed.Status.Profession != domain.ProfResident {
		t.Errorf("status profession = %q; want resident", changed.Status.Profession)
	}
	// The same change again is a conflict.
	mustStatus(t, "repeated change", env.Staff(http.MethodPut, path, change), http.StatusConflict)

	// Who and why are on the person's audit timeline.
	res = env.Staff(http.MethodGet, "/api/v1/staff/people/"+per.Subject, nil)
	mustStatus(t, "staff reads the person", res, http.StatusOK)
	var person struct {
		Status  domain.UserStatus   `json:"status"`
		Account domain.Account      `json:"account"`
		Audit   []domain.AuditEvent `json:"audit"`
	}
	res.JSON(t, &person)
	if person.Account.Profession != domain.ProfResident || person.Account.ProfessionIDs["msp_billing_number"] != "A1234" {
		t.Errorf("account = %q %v; want resident with normalised IDs", person.Account.Profession, person.Account.ProfessionIDs)
	}
	var found *domain.AuditEvent
	for i, e := range person.Audit {
		if e.Action == "profession changed" {
			found = &person.Audit[i]
		}
	}
	if found == nil {
		t.Fatalf("audit = %+v; want a 'profession changed' record", person.Audit)
	}
	if found.Actor != team.Subject || found.Role != string(domain.RoleTeam) || !strings.Contains(found.Detail, "physician -> resident") ||
		!strings.Contains(found.Detail, "CPSBC lists her as a resident") || found.RequestID == "" {
		t.Errorf("audit record = %+v; want the team member, role, from -> to, the reason and the request ID", found)
	}

	// The applicant sees the new profession on their status and timeline.
	res = env.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
	mustStatus(t, "GET /me/status", res, http.StatusOK)
	var st statusView
	res.JSON(t, &st)
	if st.Status.Profession != domain.ProfResident || len(st.Status.Timeline) == 0 ||
		st.Status.Timeline[len(st.Status.Timeline)-1].Kind != "profession_changed" {
		t.Errorf("status = %q timeline %+v; want resident, ending in profession_changed", st.Status.Profession, st.Status.Timeline)
	}
	// The stored projection follows too (the fallback when Temporal cannot answer).
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := env.Store.GetUserStatus(context.Background(), per.Subject)
		if err == nil && p.Profession == domain.ProfResident {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("projected profession = %q (%v); want resident", p.Profession, err)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAccountRegistrationRateLimited(t *testing.T) {
	env := apptest.Start(t, func(c *config.Config) { c.Auth.RateLimitPerMinute = 3 })
	auth := env.Bearer(devidp.PersonaPhysician)
	body := apptest.AccountFor(devidp.PersonaPhysician)
	want := []int{http.StatusCreated, http.StatusConflict, http.StatusConflict, http.StatusTooManyRequests}
	for i, w := range want {
		res := env.PostJSON("/api/v1/me/account", body, "Authorization", auth)
		if res.Status != w {
			t.Fatalf("attempt %d: got %d %s; want %d", i+1, res.Status, res.Body, w)
		}
		if w == http.StatusTooManyRequests {
			if ra := res.Header.Get("Retry-After"); ra == "" {
				t.Errorf("429 without Retry-After")
			}
			if e := errorOf(t, res); e.Code != domain.ERATELIMITED {
				t.Errorf("429 code = %q; want %q", e.Code, domain.ERATELIMITED)
			}
		}
	}
	if n := mustCountAccounts(t, env); n != 1 {
		t.Errorf("accounts = %d; want 1", n)
	}
	// Reading is not limited.
	mustStatus(t, "GET /me after the limit", env.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", auth), http.StatusOK)
}

// settledHistoryLength is the length of subject's enrolment history once
// it is idle: no activity pending and nothing new for a second (the
// registration's emails and projections run first).
func settledHistoryLength(t *testing.T, env *apptest.Env, subject string) int64 {
	t.Helper()
	last := int64(-1)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		d, err := env.Main.Temporal.DescribeWorkflowExecution(context.Background(), workflows.UserWorkflowID(subject), "")
		if err != nil {
			t.Fatalf("describe the enrolment: %v", err)
		}
		n := d.GetWorkflowExecutionInfo().GetHistoryLength()
		if n == last && len(d.GetPendingActivities()) == 0 {
			return n
		}
		last = n
	}
	t.Fatalf("the enrolment did not settle")
	return 0
}

// historyKinds lists the event types of subject's enrolment history after
// its first n events.
func historyKinds(t *testing.T, env *apptest.Env, subject string, n int64) []string {
	t.Helper()
	it := env.Main.Temporal.GetWorkflowHistory(context.Background(), workflows.UserWorkflowID(subject), "", false, 0)
	var kinds []string
	for i := int64(1); it.HasNext(); i++ {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if i > n {
			kinds = append(kinds, e.GetEventType().String())
		}
	}
	return kinds
}

// TestSignInStartsTheEnrolmentOnce: the first sign-in starts the person's
// enrolment with their identity in its input, and the workflow's first
// projection makes their row; signing in again adds nothing to its history
// (no update) unless the card's legal name changed, which is recorded.
func TestSignInStartsTheEnrolmentOnce(t *testing.T) {
	env := apptest.Start(t, nil)
	per := mustPersonaOf(t, env, devidp.PersonaPhysician)
	b := newBrowser(t, env)
	signIn := func() meView {
		t.Helper()
		if cb, body := b.signIn(devidp.PersonaPhysician, ""); cb.StatusCode != http.StatusFound {
			t.Fatalf("callback: %d %s; want 302", cb.StatusCode, body)
		}
		res := b.do(http.MethodGet, "/api/v1/me", nil)
		mustStatus(t, "GET /me", res, http.StatusOK)
		var me meView
		res.JSON(t, &me)
		return me
	}
	me := signIn()
	if me.Status == nil || me.Status.State != domain.UserIdentityValidated || me.Status.LegalLastName != per.FamilyName {
		t.Fatalf("status after the first sign-in = %+v; want identity_validated as %s", me.Status, per.FamilyName)
	}
	before := settledHistoryLength(t, env, per.Subject)
	if kinds := historyKinds(t, env, per.Subject, 0); slices.Contains(kinds, "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED") {
		t.Errorf("the first sign-in's history %v has an update; want a plain start", kinds)
	}
	signIn()
	signIn()
	if after := settledHistoryLength(t, env, per.Subject); after != before {
		t.Errorf("two more sign-ins grew the history from %d to %d events (%v); want no change", before, after,
			historyKinds(t, env, per.Subject, before))
	}
	if err := env.DevIDP.SetLegalName(devidp.PersonaPhysician, per.GivenName, per.FamilyName+"-Lee"); err != nil {
		t.Fatal(err)
	}
	me = signIn()
	if me.Status == nil || me.Status.LegalLastName != per.FamilyName+"-Lee" {
		t.Errorf("status after a sign-in with a new legal name = %+v; want %s-Lee", me.Status, per.FamilyName)
	}
	page, err := env.Main.Store.FindPeople(context.Background(), domain.ListQuery{Text: strings.ToLower(per.FamilyName + "-Lee"), Limit: 5})
	if err != nil || len(page.People) != 1 || page.People[0].Subject != per.Subject {
		t.Errorf("people named %s-Lee: %+v, %v; want the person's row renamed", per.FamilyName, page, err)
	}
}

// TestStatusReadsLeaveTheHistoryAlone: reading one's status (as the portal
// polls it) queries the enrolment workflow or reads its projection; only
// the first call, which starts it, adds to the history. Reads that
// updated would fill the history.
func TestStatusReadsLeaveTheHistoryAlone(t *testing.T) {
	env := apptest.Start(t, nil)
	auth := env.RegisterAccount(devidp.PersonaPhysician)
	subject := mustPersonaOf(t, env, devidp.PersonaPhysician).Subject
	length := func() int64 { return settledHistoryLength(t, env, subject) }
	before := length()
	for i := 0; i < 5; i++ {
		for _, path := range []string{"/api/v1/me", "/api/v1/me/status"} {
			if res := env.Do(http.MethodGet, path, "", nil, "Authorization", auth); res.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
			}
		}
	}
	if after := length(); after != before {
		kinds := historyKinds(t, env, subject, before)
		t.Errorf("10 status reads grew the enrolment's history from %d to %d events (%v); want no change", before, after, kinds)
	}
}
