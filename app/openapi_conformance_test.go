package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"careconnect/api"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/workflows"
)

// mustRegisterChecked registers body through c and returns the new worksite's ID.
func mustRegisterChecked(t *testing.T, c *apptest.Checked, body map[string]any) string {
	t.Helper()
	res := c.PostJSON("/api/v1/worksites", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: got %d %s; want 201", res.Status, res.Body)
	}
	var got worksiteResponse
	res.JSON(t, &got)
	if loc := res.Header.Get("Location"); loc != "/api/v1/worksites/"+got.Worksite.ID {
		t.Errorf("Location = %q; want the worksite's status URL", loc)
	}
	return got.Worksite.ID
}

// getStatusChecked reads a worksite's status through c.
func getStatusChecked(t *testing.T, c *apptest.Checked, id string) domain.WorksiteStatus {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET worksite %s: got %d %s; want 200", id, res.Status, res.Body)
	}
	var got worksiteResponse
	res.JSON(t, &got)
	return got.Status
}

// waitStateChecked polls through c until the worksite is in state want.
func waitStateChecked(t *testing.T, c *apptest.Checked, id string, want domain.WorksiteState) domain.WorksiteStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := getStatusChecked(t, c, id)
		if st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("worksite %s: state %q; want %q", id, st.State, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitListedChecked polls the team's list until id is in it for query.
func waitListedChecked(t *testing.T, c *apptest.Checked, query, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := c.Staff(http.MethodGet, "/api/v1/staff/worksites"+query, nil)
		if res.Status == http.StatusOK && strings.Contains(string(res.Body), id) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("team list %s: got %d %s; want %s in it", query, res.Status, res.Body, id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// meBody is the part of GET /api/v1/me the tests read.
type meBody struct {
	Principal domain.Principal   `json:"principal"`
	CSRFToken string             `json:"csrfToken"`
	Status    *domain.UserStatus `json:"status"`
	Account   *domain.Account    `json:"account"`
}

// mustMe reads GET /api/v1/me through c with headers.
func mustMe(t *testing.T, c *apptest.Checked, headers ...string) meBody {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/v1/me", "", nil, headers...)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/me: got %d %s; want 200", res.Status, res.Body)
	}
	var me meBody
	res.JSON(t, &me)
	return me
}

// TestOpenAPIConformance runs the real system through every documented
// operation, success and error paths, and validates each request and
// response against api/openapi.yaml.
func TestOpenAPIConformance(t *testing.T) {
	env := apptest.Start(t, nil)
	c := env.Checked() // anonymous unless a request says otherwise

	// Operations.
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/reference"} {
		if res := c.Do(http.MethodGet, p, "", nil); res.Status != http.StatusOK {
			t.Errorf("GET %s: got %d %s; want 200", p, res.Status, res.Body)
		}
	}
	// Anonymous callers do not learn where the workflow service is; the team does.
	if res := c.Do(http.MethodGet, "/api/v1/reference", "", nil); strings.Contains(string(res.Body), "temporal") ||
		strings.Contains(string(res.Body), env.Config.Temporal.UIURL) {
		t.Errorf("GET /api/v1/reference tells anonymous callers about Temporal: %.300s", res.Body)
	}
	var staffRef struct {
		TemporalUI        string `json:"temporalUi"`
		TemporalNamespace string `json:"temporalNamespace"`
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/reference", nil); res.Status != http.StatusOK {
		t.Errorf("GET /api/v1/staff/reference as the team: got %d %s; want 200", res.Status, res.Body)
	} else if res.JSON(t, &staffRef); staffRef.TemporalUI != env.Config.Temporal.UIURL || staffRef.TemporalNamespace != env.Config.Temporal.Namespace {
		t.Errorf("GET /api/v1/staff/reference = %+v; want the Temporal Web UI %q, namespace %q", staffRef, env.Config.Temporal.UIURL, env.Config.Temporal.Namespace)
	}
	if res := c.Expect(apptest.RequestInvalid).Do(http.MethodGet, "/api/v1/staff/reference", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/staff/reference anonymously: got %d; want 401", res.Status)
	}

	// The Temporal Web UI's codec: the team encrypts a payload and decrypts
	// it again; the UI's preflight is allowed, another origin's is not.
	{
		const plain = `{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"InBhdEBleGFtcGxlLmNhIg=="}]}` // json/plain "pat@example.ca"
		team := []string{"Authorization", env.Bearer(devidp.PersonaTeam), api.NamespaceHeader, env.Config.Temporal.Namespace}
		enc := c.Do(http.MethodPost, "/codec/encode", "application/json", []byte(plain), team...)
		if enc.Status != http.StatusOK || strings.Contains(string(enc.Body), "InBhdEBleGFtcGxlLmNhIg==") {
			t.Errorf("POST /codec/encode as the team: got %d %s; want 200, encrypted", enc.Status, enc.Body)
		}
		if dec := c.Do(http.MethodPost, "/codec/decode", "application/json", enc.Body, team...); dec.Status != http.StatusOK ||
			!strings.Contains(string(dec.Body), "InBhdEBleGFtcGxlLmNhIg==") {
			t.Errorf("POST /codec/decode as the team: got %d %s; want 200, the payload back", dec.Status, dec.Body)
		}
		if res := c.Expect(apptest.RequestInvalid).Do(http.MethodPost, "/codec/decode", "application/json", []byte(plain)); res.Status != http.StatusUnauthorized {
			t.Errorf("POST /codec/decode anonymously: got %d; want 401", res.Status)
		}
		for _, p := range []string{"/codec/decode", "/codec/encode"} {
			if res := c.Do(http.MethodOptions, p, "", nil, "Origin", env.Config.CodecUIOrigin(), "Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "content-type,x-namespace"); res.Status != http.StatusNoContent {
				t.Errorf("OPTIONS %s from the Temporal Web UI: got %d %s; want 204", p, res.Status, res.Body)
			}
		}
		if res := c.Do(http.MethodOptions, "/codec/decode", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST"); res.Status != http.StatusForbidden {
			t.Errorf("OPTIONS /codec/decode from another origin: got %d; want 403", res.Status)
		}
	}

	// The portal's pages and assets, with their Content-Security-Policy.
	for p, want := range map[string]string{"/": "/static/js/portal.js", "/portal": "/static/js/portal.js", "/team": "/static/js/team.js",
		"/static/js/portal.js": "import", "/static/css/app.css": "{"} {
		res := c.Do(http.MethodGet, p, "", nil)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), want) || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: got %d (CSP %q) %.120s; want 200 with %q under a strict CSP", p, res.Status, res.Header.Get("Content-Security-Policy"), res.Body, want)
		}
	}
	if res := c.Do(http.MethodGet, "/static/js/missing.js", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("GET a missing asset: got %d; want 404", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/openapi.yaml", "", nil); res.Status != http.StatusOK || !bytes.Equal(res.Body, api.OpenAPI()) {
		t.Errorf("GET /api/openapi.yaml: got %d; want 200 with the embedded document", res.Status)
	}
	if res := c.Do(http.MethodGet, "/healthz", "", nil, "X-Request-ID", "conformance-1"); res.Header.Get("X-Request-ID") != "conformance-1" {
		t.Errorf("X-Request-ID = %q; want the caller's conformance-1 echoed", res.Header.Get("X-Request-ID"))
	}

	// A browser signs in (login 302 to the provider, callback 302 with the
	// session cookie), registers its account under the session's CSRF
	// token, and signs out.
	browser := c.SignInBrowser(devidp.PersonaNursePractitioner, "?returnTo=/enrolment")
	if browser.ReturnedTo != "/enrolment" {
		t.Errorf("callback sent the browser to %q; want the returnTo /enrolment", browser.ReturnedTo)
	}
	cookie := c.As("")
	npMe := mustMe(t, cookie, "Cookie", browser.Cookie)
	if npMe.Principal.Role != domain.RoleApplicant || npMe.Status == nil || npMe.Status.State != domain.UserIdentityValidated || npMe.Account != nil {
		t.Errorf("me after the first sign-in = %+v; want an applicant whose identity is validated, without an account", npMe)
	}
	npSubject := npMe.Principal.Subject
	if res := cookie.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaNursePractitioner), "Cookie", browser.Cookie); res.Status != http.StatusForbidden {
		t.Errorf("register an account in a session without %s: got %d %s; want 403", api.CSRFHeader, res.Status, res.Body)
	}
	if res := cookie.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaNursePractitioner), browser.Headers()...); res.Status != http.StatusCreated {
		t.Fatalf("register an account in a session: got %d %s; want 201", res.Status, res.Body)
	}
	if res := c.Do(http.MethodGet, "/auth/login?as=team", "", nil); res.Status != http.StatusFound {
		t.Errorf("team sign-in: got %d %s; want 302", res.Status, res.Body)
	}

	// An API client: the physician's bearer ID token.
	physAuth := env.Bearer(devidp.PersonaPhysician)
	phys := c.As(physAuth)
	physMe := mustMe(t, phys)
	physSubject := physMe.Principal.Subject
	if physMe.CSRFToken != "" || physMe.Status == nil || physMe.Account != nil {
		t.Errorf("me by bearer = %+v; want a status, no account and no CSRF token", physMe)
	}
	if res := phys.Do(http.MethodGet, "/api/v1/me/status", "", nil); res.Status != http.StatusOK {
		t.Errorf("my status: got %d %s; want 200", res.Status, res.Body)
	}
	if res := phys.PostJSON("/api/v1/worksites", registration()); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("register a worksite without an account: got %d %s; want 422", res.Status, res.Body)
	}
	if res := phys.PostJSON("/api/v1/me/password", map[string]string{"password": "N3w!secret"}); res.Status != http.StatusNotFound {
		t.Errorf("reset a password without an account: got %d %s; want 404", res.Status, res.Body)
	}
	if res := phys.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaPhysician)); res.Status != http.StatusCreated {
		t.Fatalf("register the physician's account: got %d %s; want 201", res.Status, res.Body)
	}
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	if res := phys.PostJSON("/api/v1/me/account", apptest.AccountFor(devidp.PersonaPhysician)); res.Status != http.StatusConflict {
		t.Errorf("a second account: got %d %s; want 409", res.Status, res.Body)
	}
	if res := phys.Do(http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{"preferredFirstName":"Pri","mobile":"250 555 0199"}`)); res.Status != http.StatusOK {
		t.Errorf("update the account: got %d %s; want 200", res.Status, res.Body)
	}
	if res := phys.Expect(apptest.RequestInvalid).Do(http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{}`)); res.Status != http.StatusBadRequest {
		t.Errorf("update nothing: got %d %s; want 400", res.Status, res.Body)
	}
	// The email: its page, a resend, and its confirmation through the emailed link.
	emailConformance(t, env, c, phys, devidp.PersonaPhysician, admin)
	if res := phys.PostJSON("/api/v1/me/password", map[string]string{"password": "N3w!secret"}); res.Status != http.StatusOK {
		t.Errorf("reset the password: got %d %s; want 200", res.Status, res.Body)
	}
	if me := mustMe(t, phys); me.Account == nil || me.Account.PreferredFirstName != "Pri" || me.Status == nil || me.Status.State != domain.UserAccountRegistered {
		t.Errorf("me after registering = %+v; want the updated account, account registered", me)
	}

	// Registration, and the emailed declaration link.
	id := mustRegisterChecked(t, phys, registration())
	waitStateChecked(t, phys, id, domain.WorksiteAwaitingDeclaration)
	// IDs are matched without regard to case.
	if got := getStatusChecked(t, phys, strings.ToLower(id)); got.WorksiteID != id {
		t.Errorf("lower-case ID: got worksite %q; want %q", got.WorksiteID, id)
	}
	// Another applicant cannot see it; the team can.
	if res := c.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil, "Authorization", env.Bearer(devidp.PersonaNursePractitioner)); res.Status != http.StatusNotFound {
		t.Errorf("another applicant reads the worksite: got %d %s; want 404", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/worksites/"+id, nil); res.Status != http.StatusOK {
		t.Errorf("the team reads the worksite: got %d %s; want 200", res.Status, res.Body)
	}
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	if res := c.Do(http.MethodGet, "/declaration/"+token, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `name="screenshot"`) {
		t.Errorf("declaration page: got %d; want 200 with the form", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+token, "", nil); res.Status != http.StatusOK {
		t.Errorf("declaration form: got %d %s; want 200", res.Status, res.Body)
	}

	// The dev mail catcher, in its three forms.
	for _, q := range []string{"", "?format=json", "?html=0"} {
		if res := c.Do(http.MethodGet, "/dev/mail"+q, "", nil); res.Status != http.StatusOK {
			t.Errorf("GET /dev/mail%s: got %d; want 200", q, res.Status)
		}
	}
	if res := c.Do(http.MethodGet, "/dev/mail?html=999", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("GET /dev/mail?html=999: got %d; want 404", res.Status)
	}

	// Staff reads before the declaration; approving now is a rule violation.
	for _, p := range []string{"", "?state=awaiting_declaration", "?waitingOn=signing_authority"} {
		if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites"+p, nil); res.Status != http.StatusOK {
			t.Errorf("team list %s: got %d %s", p, res.Status, res.Body)
		}
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/declaration/screenshot", nil); res.Status != http.StatusNotFound {
		t.Errorf("screenshot before signing: got %d %s; want 404", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("approve before signing: got %d %s; want 422", res.Status, res.Body)
	}

	// Sign; a second signature conflicts.
	decl := apptest.ValidDeclaration(t)
	if res := c.PostDeclaration(token, decl); res.Status != http.StatusOK {
		t.Fatalf("sign: got %d %s; want 200", res.Status, res.Body)
	}
	if res := c.PostDeclaration(token, decl); res.Status != http.StatusConflict {
		t.Errorf("second signature: got %d %s; want 409", res.Status, res.Body)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+token, "", nil); res.Status != http.StatusOK || strings.Contains(string(res.Body), `name="screenshot"`) {
		t.Errorf("declaration page after signing: got %d; want 200 saying it was received, without the form", res.Status)
	}
	waitStateChecked(t, phys, id, domain.WorksiteAwaitingReview)
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/declaration/screenshot", nil); res.Status != http.StatusOK || !bytes.Equal(res.Body, decl.File) ||
		res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("screenshot: got %d (%d bytes, %s); want 200 with the uploaded PNG", res.Status, len(res.Body), res.Header.Get("Content-Type"))
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/declaration", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"signerName"`) {
		t.Errorf("declaration: got %d %s; want 200 with the signer", res.Status, res.Body)
	}
	waitListedChecked(t, c, "?waitingOn=enrolment_team", id)

	// Approve: the body names no actor (the caller is), so one that does is
	// refused by document and server alike.
	if res := c.Expect(apptest.RequestInvalid).Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"actor": "casey@team.example.ca"}); res.Status != http.StatusBadRequest {
		t.Errorf("approve naming an actor: got %d %s; want 400", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"reason": "complete"}); res.Status != http.StatusOK {
		t.Fatalf("approve: got %d %s; want 200", res.Status, res.Body)
	}
	waitStateChecked(t, phys, id, domain.WorksiteApproved)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{"reason": "late"}); res.Status != http.StatusConflict {
		t.Errorf("reject after approval: got %d %s; want 409", res.Status, res.Body)
	}
	waitMail(t, env, admin, "approved")
	for _, p := range []string{"/audit", "/emails"} {
		if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+p, nil); res.Status != http.StatusOK {
			t.Errorf("GET %s: got %d %s; want 200", p, res.Status, res.Body)
		}
	}

	// A second worksite is rejected, with and without a reason.
	other := registration()
	other["address"].(map[string]any)["streetNumber"] = "372"
	other2 := mustRegisterChecked(t, phys, other)
	_, token2 := apptest.DeclarationLink(t, waitMail(t, env, admin, other2))
	if res := c.PostDeclaration(token2, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign second: got %d %s", res.Status, res.Body)
	}
	waitStateChecked(t, phys, other2, domain.WorksiteAwaitingReview)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+other2+"/reject", map[string]string{}); res.Status != http.StatusBadRequest {
		t.Errorf("reject without reason: got %d %s; want 400", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+other2+"/reject", map[string]string{"reason": "no antivirus"}); res.Status != http.StatusOK {
		t.Errorf("reject: got %d %s; want 200", res.Status, res.Body)
	}
	waitStateChecked(t, phys, other2, domain.WorksiteRejected)

	// A type that does not enrol stops at registration; it cannot be approved.
	ha := registration()
	ha["address"].(map[string]any)["streetNumber"] = "374"
	ha["locationType"], ha["subOption"] = "health_authority_clinic", "VCHA"
	haID := mustRegisterChecked(t, phys, ha)
	waitStateChecked(t, phys, haID, domain.WorksiteRegisteredOnly)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+haID+"/approve", map[string]string{}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("approve a registered-only worksite: got %d %s; want 422", res.Status, res.Body)
	}
	waitListedChecked(t, c, "?state=registered_only", haID)

	// The team's view of a person, and a profession correction.
	if res := c.Staff(http.MethodGet, "/api/v1/staff/people/"+url.PathEscape(physSubject), nil); res.Status != http.StatusOK ||
		!strings.Contains(string(res.Body), "account registered") || !strings.Contains(string(res.Body), "password reset") {
		t.Errorf("the team reads the physician: got %d %s; want 200 with the account and audit", res.Status, res.Body)
	}
	change := map[string]any{"profession": domain.ProfRegisteredNurse, "professionIds": map[string]string{"college_id": "RN-4004"},
		"reason": "registered as a nurse practitioner by mistake"}
	if res := c.Staff(http.MethodPut, "/api/v1/staff/people/"+url.PathEscape(npSubject)+"/profession", change); res.Status != http.StatusOK {
		t.Errorf("change the profession: got %d %s; want 200", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPut, "/api/v1/staff/people/"+url.PathEscape(npSubject)+"/profession", change); res.Status != http.StatusConflict {
		t.Errorf("change to the same profession: got %d %s; want 409", res.Status, res.Body)
	}
	if res := c.Expect(apptest.RequestInvalid).Staff(http.MethodPut, "/api/v1/staff/people/"+url.PathEscape(npSubject)+"/profession",
		map[string]any{"profession": domain.ProfPharmacist}); res.Status != http.StatusBadRequest {
		t.Errorf("change without a reason: got %d %s; want 400", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/people/nobody-signed-in", nil); res.Status != http.StatusNotFound {
		t.Errorf("the team reads an unknown person: got %d %s; want 404", res.Status, res.Body)
	}
	if me := mustMe(t, c.As(""), "Cookie", browser.Cookie); me.Account == nil || me.Account.Profession != domain.ProfRegisteredNurse {
		t.Errorf("me after the profession change = %+v; want a registered nurse", me.Account)
	}
	teamMe := mustMe(t, c.As(env.Bearer(devidp.PersonaTeam)))
	if teamMe.Principal.Role != domain.RoleTeam || teamMe.Status != nil || teamMe.Account != nil {
		t.Errorf("the team's me = %+v; want the team role, no status or account", teamMe)
	}

	// Sign-out ends the session; the cookie then signs no one in.
	if res := cookie.Do(http.MethodPost, "/auth/logout", "", nil, "Cookie", browser.Cookie); res.Status != http.StatusForbidden {
		t.Errorf("sign out without %s: got %d %s; want 403", api.CSRFHeader, res.Status, res.Body)
	}
	if res := cookie.Do(http.MethodPost, "/auth/logout", "", nil, browser.Headers()...); res.Status != http.StatusNoContent {
		t.Errorf("sign out: got %d %s; want 204", res.Status, res.Body)
	}
	if res := cookie.Do(http.MethodGet, "/api/v1/me", "", nil, "Cookie", browser.Cookie); res.Status != http.StatusUnauthorized {
		t.Errorf("me after signing out: got %d %s; want 401", res.Status, res.Body)
	}

	// Error responses.
	bad := c.Expect(apptest.RequestInvalid)
	if res := bad.As(physAuth).Do(http.MethodPost, "/api/v1/worksites", "application/json", []byte(`{"name":`)); res.Status != http.StatusBadRequest {
		t.Errorf("malformed JSON: got %d; want 400", res.Status)
	}
	if res := bad.As(physAuth).PostJSON("/api/v1/worksites", map[string]any{"name": 5}); res.Status != http.StatusBadRequest {
		t.Errorf("wrong type: got %d; want 400", res.Status)
	}
	if res := bad.PostJSON("/api/v1/worksites", registration()); res.Status != http.StatusUnauthorized {
		t.Errorf("register without signing in: got %d; want 401", res.Status)
	}
	if res := bad.Do(http.MethodGet, "/api/v1/staff/worksites", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("team list without a token: got %d; want 401", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/staff/worksites", "", nil, "Authorization", "Bearer not-a-token"); res.Status != http.StatusUnauthorized {
		t.Errorf("team list with a garbage token: got %d; want 401", res.Status)
	}
	if res := phys.Do(http.MethodGet, "/api/v1/staff/worksites", "", nil); res.Status != http.StatusForbidden {
		t.Errorf("team list as an applicant: got %d; want 403", res.Status)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/me/status", nil); res.Status != http.StatusForbidden {
		t.Errorf("my status as the team: got %d; want 403", res.Status)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/worksites", registration()); res.Status != http.StatusForbidden {
		t.Errorf("register a worksite as the team: got %d; want 403", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", env.Bearer(devidp.PersonaLowAssurance)); res.Status != http.StatusForbidden {
		t.Errorf("me with low identity assurance: got %d; want 403", res.Status)
	}
	if res := phys.Do(http.MethodGet, "/api/v1/worksites/ZZZZZZZ", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown worksite: got %d; want 404", res.Status)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/ZZZZZZZ/audit", nil); res.Status != http.StatusNotFound {
		t.Errorf("audit of unknown worksite: got %d; want 404", res.Status)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/ZZZZZZZ/emails", nil); res.Status != http.StatusNotFound {
		t.Errorf("emails of unknown worksite: got %d; want 404", res.Status)
	}
	if res := phys.PostJSON("/api/v1/worksites", registration()); res.Status != http.StatusConflict {
		t.Errorf("duplicate address: got %d; want 409", res.Status)
	}
	for _, q := range []string{"", "?error=access_denied&state=x", "?state=never-issued&code=x"} {
		want := http.StatusUnauthorized
		if q == "" {
			want = http.StatusBadRequest
		}
		if res := c.Do(http.MethodGet, "/auth/callback"+q, "", nil); res.Status != want {
			t.Errorf("GET /auth/callback%s: got %d %s; want %d", q, res.Status, res.Body, want)
		}
	}
	forged := "AAAA.BBBB"
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+forged, "", nil); res.Status != http.StatusNotFound {
		t.Errorf("forged token: got %d; want 404", res.Status)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+forged, "", nil); res.Status != http.StatusNotFound {
		t.Errorf("forged token page: got %d; want 404", res.Status)
	}
	expired := mustSigner(t, env.Config.Links.Secret).Sign(links.Claims{Purpose: links.PurposeDeclaration, Subject: id, Expires: time.Now().Add(-time.Hour)})
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+expired, "", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("expired token: got %d; want 422", res.Status)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+expired, "", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("expired token page: got %d; want 422", res.Status)
	}
	if res := c.PostDeclaration(expired, apptest.ValidDeclaration(t)); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("sign with expired token: got %d; want 422", res.Status)
	}
	// Undocumented routes still answer with the Error body.
	if res := c.Expect(apptest.RequestUnchecked).Do(http.MethodGet, "/api/v1/nothing-here", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown route: got %d; want 404", res.Status)
	}
	if res := c.Expect(apptest.RequestUnchecked).Do(http.MethodDelete, "/api/v1/worksites/"+id, "", nil); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE worksite: got %d; want 405", res.Status)
	}

	// Access applications: applying, the LearningHub conditions, the team's queue and decisions.
	applicationConformance(t, env, c, physAuth, id)
	// Memberships: finding and joining worksites, and managing them.
	membershipConformance(t, env, c, phys)
	// LearningHub callbacks: signed, not signed in.
	learningHubConformance(t, env, c)

	// Every documented operation answered successfully (2xx, or the
	// redirect of the browser sign-in) at least once, and each error status was seen.
	cov := c.Coverage()
	statuses := map[int]bool{}
	for path, item := range c.Doc().Paths.Map() {
		for method, op := range item.Operations() {
			ok := false
			for _, s := range cov[op.OperationID] {
				statuses[s] = true
				ok = ok || s < 400
			}
			if !ok {
				t.Errorf("%s %s (%s) never answered 2xx or 3xx here: %v", method, path, op.OperationID, cov[op.OperationID])
			}
		}
	}
	for _, s := range []int{302, 400, 401, 403, 404, 409, 422} {
		if !statuses[s] {
			t.Errorf("no operation answered %d", s)
		}
	}
	ops := make([]string, 0, len(cov))
	for op, s := range cov {
		ops = append(ops, fmt.Sprint(op, s))
	}
	sort.Strings(ops)
	t.Logf("coverage (operation [statuses]): %s", strings.Join(ops, " "))
}

// TestOpenAPIRateLimited: each rate-limited operation answers 429, as
// documented, once a client address has used its allowance.
func TestOpenAPIRateLimited(t *testing.T) {
	env := apptest.Start(t, func(cfg *config.Config) {
		cfg.Auth.RateLimitPerMinute = 1
		cfg.HTTP.RateLimits = config.RateLimits{Declarations: 1, Links: 1, Search: 1, Webhook: 1}
	})
	c := env.Checked()
	physAuth := env.Bearer(devidp.PersonaPhysician)
	// Forged tokens: the limit counts every request, answered or refused.
	const forged = "AAAA.BBBB"
	calls := []struct {
		name string
		do   func(*apptest.Checked) apptest.Response
	}{
		{"login", func(c *apptest.Checked) apptest.Response { return c.Do(http.MethodGet, "/auth/login", "", nil) }},
		{"callback", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/auth/callback?state=never-issued&code=x", "", nil)
		}},
		{"register an account", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Expect(apptest.RequestUnchecked).PostJSON("/api/v1/me/account", map[string]any{"username": "x"})
		}},
		{"reset a password", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON("/api/v1/me/password", map[string]string{"password": "N3w!secret"})
		}},
		{"declaration form", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/api/v1/declarations/"+forged, "", nil)
		}},
		{"sign a declaration", func(c *apptest.Checked) apptest.Response {
			return c.Expect(apptest.RequestUnchecked).Do(http.MethodPost, "/api/v1/declarations/"+forged, "multipart/form-data; boundary=x", []byte("--x--\r\n"))
		}},
		{"declaration page", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/declaration/"+forged, "", nil)
		}},
		{"join link", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/api/v1/join-links/"+forged, "", nil)
		}},
		{"answer a join link", func(c *apptest.Checked) apptest.Response {
			return c.PostJSON("/api/v1/join-links/"+forged, map[string]any{"approve": true})
		}},
		{"invitation page", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/invitations/"+forged, "", nil)
		}},
		{"join request page", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/join-requests/"+forged, "", nil)
		}},
		{"accept an invitation", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodPost, "/api/v1/invitations/"+forged+"/accept", "", nil)
		}},
		{"search worksites", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodGet, "/api/v1/worksites/search?address=1234", "", nil)
		}},
		{"learninghub callback", func(c *apptest.Checked) apptest.Response {
			return c.Expect(apptest.RequestUnchecked).PostJSON("/webhooks/learninghub", map[string]any{"eventId": "e"})
		}},
		{"resend the email confirmation link", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodPost, "/api/v1/me/email-confirmation", "", nil)
		}},
		{"confirm an email", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodPost, "/api/v1/email-confirmations/"+forged, "", nil)
		}},
		{"email confirmation page", func(c *apptest.Checked) apptest.Response {
			return c.Do(http.MethodGet, "/confirm-email/"+forged, "", nil)
		}},
	}
	for _, call := range calls {
		t.Run(call.name, func(t *testing.T) {
			cc := c.For(t)
			if first := call.do(cc); first.Status == http.StatusTooManyRequests {
				t.Fatalf("first call: got 429; want the allowance to admit it")
			}
			res := call.do(cc)
			if res.Status != http.StatusTooManyRequests {
				t.Fatalf("second call within the minute: got %d %s; want 429", res.Status, res.Body)
			}
			if res.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		})
	}
}

// mustSigner returns a link signer for secret, as the system makes them.
func mustSigner(t *testing.T, secret string) *links.Signer {
	t.Helper()
	s, err := links.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// membershipConformance drives every membership operation through c (the
// conformance test's client, whose coverage it adds to): each answers 2xx
// at least once, and each family (search, my worksites, members, join
// requests, join links, invitations, member actions, edit, close, the
// team's classify and suspension) a 4xx as well. phys is the physician,
// with an account, who administers the worksites they register.
func membershipConformance(t *testing.T, env *apptest.Env, c, phys *apptest.Checked) {
	t.Helper()
	bad := c.Expect(apptest.RequestInvalid)
	reg := registration()
	reg["address"].(map[string]any)["streetNumber"] = "376"
	id := mustRegisterChecked(t, phys, reg)
	// Updates that reach a workflow in its first task run before it records
	// its registrant (workflows/worksite.go registers the handlers first),
	// so the journey starts once the enrolment has begun.
	waitStateChecked(t, phys, id, domain.WorksiteAwaitingDeclaration)
	ws := "/api/v1/worksites/" + id
	want := func(what string, res apptest.Response, status int) {
		t.Helper()
		if res.Status != status {
			t.Errorf("%s: got %d %s; want %d", what, res.Status, res.Body, status)
		}
	}

	// My worksites, and the address search.
	if res := phys.Do(http.MethodGet, "/api/v1/me/worksites", "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), id) {
		t.Errorf("my worksites: got %d %s; want 200 listing %s", res.Status, res.Body, id)
	}
	want("my worksites as the team", c.Staff(http.MethodGet, "/api/v1/me/worksites", nil), http.StatusForbidden)
	moaAuth := mustAccountChecked(t, c, devidp.PersonaMOA)
	moa := c.As(moaAuth)
	search := "/api/v1/worksites/search?address=" + url.QueryEscape("376 broadway e")
	if res := moa.Do(http.MethodGet, search+"&limit=5", "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), id) {
		t.Errorf("search: got %d %s; want 200 finding %s", res.Status, res.Body, id)
	}
	want("search for 2 characters", bad.As(moaAuth).Do(http.MethodGet, "/api/v1/worksites/search?address=37", "", nil), http.StatusBadRequest)
	want("search with limit 0", bad.As(moaAuth).Do(http.MethodGet, search+"&limit=0", "", nil), http.StatusBadRequest)
	want("search anonymously", bad.Do(http.MethodGet, search, "", nil), http.StatusUnauthorized)
	if res := moa.Do(http.MethodGet, ws+"/preview", "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"addressLine"`) {
		t.Errorf("preview: got %d %s; want 200 with the name and address", res.Status, res.Body)
	}
	want("preview of an unknown ID", moa.Do(http.MethodGet, "/api/v1/worksites/ZZZZZZZ/preview", "", nil), http.StatusNotFound)

	// The MOA asks to join; the physician approves through the emailed link.
	rid := mustJoinChecked(t, moa, id, "I run the front desk")
	want("a second join request", moa.PostJSON(ws+"/join-requests", map[string]string{}), http.StatusConflict)
	want("a join request by the team", c.Staff(http.MethodPost, ws+"/join-requests", map[string]string{}), http.StatusForbidden)
	want("a join request without an account", c.As(env.Bearer(devidp.PersonaPharmacist)).PostJSON(ws+"/join-requests", map[string]string{}),
		http.StatusUnprocessableEntity)
	token := mustLink(t, waitEventMail(t, env, "worksite/"+id+"/join_request/"+rid+"/0/"), "join-requests")
	if res := c.Do(http.MethodGet, "/join-requests/"+token, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `data-token="`+token+`"`) {
		t.Errorf("join request page: got %d; want 200 with the page", res.Status)
	}
	if res := c.Do(http.MethodGet, "/join-requests/AAAA.BBBB", "", nil); res.Status != http.StatusNotFound || strings.Contains(string(res.Body), "<script") {
		t.Errorf("join request page of a forged link: got %d; want 404, an error page with no script", res.Status)
	}
	want("the join link", c.Do(http.MethodGet, "/api/v1/join-links/"+token, "", nil), http.StatusOK)
	want("answer the join link without approve", bad.PostJSON("/api/v1/join-links/"+token, map[string]string{"reason": "x"}), http.StatusBadRequest)
	want("approve by link", c.PostJSON("/api/v1/join-links/"+token, map[string]any{"approve": true}), http.StatusOK)
	want("approve by link again", c.PostJSON("/api/v1/join-links/"+token, map[string]any{"approve": true}), http.StatusNotFound)
	want("a forged join link", c.Do(http.MethodGet, "/api/v1/join-links/AAAA.BBBB", "", nil), http.StatusNotFound)
	expired := mustSigner(t, env.Config.Links.Secret).Sign(links.Claims{Purpose: links.PurposeJoinDecision,
		Subject: id + "/" + rid + "/someone", Expires: time.Now().Add(-time.Hour)})
	want("an expired join link", c.Do(http.MethodGet, "/api/v1/join-links/"+expired, "", nil), http.StatusUnprocessableEntity)

	// The resident is approved in the portal; the pharmacist, once registered, is rejected.
	// The resident's account was registered in applicationConformance.
	resident := c.As(env.Bearer(devidp.PersonaResident))
	want("a join request with a long comment", resident.Expect(apptest.RequestInvalid).PostJSON(ws+"/join-requests",
		map[string]string{"comment": strings.Repeat("x", 501)}), http.StatusBadRequest)
	rid = mustJoinChecked(t, resident, id, "")
	want("approve in the portal", phys.Send(http.MethodPost, ws+"/join-requests/"+rid+"/approve", nil), http.StatusOK)
	want("approve an answered request", phys.Send(http.MethodPost, ws+"/join-requests/"+rid+"/approve", nil), http.StatusNotFound)
	pharm := c.As(mustAccountChecked(t, c, devidp.PersonaPharmacist))
	rid = mustJoinChecked(t, pharm, id, "")
	want("reject without a reason", phys.Expect(apptest.RequestInvalid).Send(http.MethodPost, ws+"/join-requests/"+rid+"/reject", nil),
		http.StatusBadRequest)
	want("reject by the team", c.Staff(http.MethodPost, ws+"/join-requests/"+rid+"/reject", map[string]string{"reason": "no"}), http.StatusForbidden)
	want("reject", phys.PostJSON(ws+"/join-requests/"+rid+"/reject", map[string]string{"reason": "you do not work here"}), http.StatusOK)

	// The second physician is invited, the invitation resent, and accepted.
	doc2Email := apptest.AccountFor(devidp.PersonaPhysician2)["email"].(string)
	res := phys.PostJSON(ws+"/invitations", map[string]string{"email": doc2Email})
	if res.Status != http.StatusCreated {
		t.Fatalf("invite: got %d %s; want 201", res.Status, res.Body)
	}
	var m membersResponse
	res.JSON(t, &m)
	if len(m.Invitations) != 1 {
		t.Fatalf("invitations after inviting: %+v; want one", m.Invitations)
	}
	iid := m.Invitations[0].ID
	want("invite the same address", phys.PostJSON(ws+"/invitations", map[string]string{"email": doc2Email}), http.StatusConflict)
	want("invite a malformed address", phys.PostJSON(ws+"/invitations", map[string]string{"email": "not-an-email"}), http.StatusBadRequest)
	want("invite as a member who is no administrator", moa.PostJSON(ws+"/invitations", map[string]string{"email": "x@example.ca"}), http.StatusNotFound)
	want("resend", phys.Send(http.MethodPost, ws+"/invitations/"+iid+"/resend", nil), http.StatusOK)
	want("resend an unknown invitation", phys.Send(http.MethodPost, ws+"/invitations/inv-none/resend", nil), http.StatusNotFound)
	itoken := mustLink(t, waitEventMail(t, env, "worksite/"+id+"/invitation/"+iid+"/1"), "invitations")
	if res := c.Do(http.MethodGet, "/invitations/"+itoken, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `id="accept"`) {
		t.Errorf("invitation page: got %d; want 200 with the page", res.Status)
	}
	expiredInvitation := mustSigner(t, env.Config.Links.Secret).Sign(links.Claims{Purpose: links.PurposeInvitation,
		Subject: id + "/" + iid, Expires: time.Now().Add(-time.Hour)})
	if res := c.Do(http.MethodGet, "/invitations/"+expiredInvitation, "", nil); res.Status != http.StatusUnprocessableEntity || strings.Contains(string(res.Body), "<script") {
		t.Errorf("invitation page of an expired link: got %d; want 422, an error page with no script", res.Status)
	}
	accept := "/api/v1/invitations/" + itoken + "/accept"
	want("accept with another account", moa.Send(http.MethodPost, accept, nil), http.StatusForbidden)
	doc2 := c.As(mustAccountChecked(t, c, devidp.PersonaPhysician2))
	want("accept", doc2.Send(http.MethodPost, accept, nil), http.StatusOK)
	want("accept again", doc2.Send(http.MethodPost, accept, nil), http.StatusNotFound)
	want("accept a forged invitation", doc2.Send(http.MethodPost, "/api/v1/invitations/AAAA.BBBB/accept", nil), http.StatusNotFound)

	// A registered nurse is invited and accepts from the portal: her pending
	// invitations list it; the administrator's attention list shows it meanwhile.
	rnEmail := apptest.AccountFor(devidp.PersonaRegisteredNurse)["email"].(string)
	res = phys.PostJSON(ws+"/invitations", map[string]string{"email": rnEmail})
	if res.Status != http.StatusCreated {
		t.Fatalf("invite the nurse: got %d %s; want 201", res.Status, res.Body)
	}
	rn := c.As(mustAccountChecked(t, c, devidp.PersonaRegisteredNurse))
	var pending struct {
		Invitations []domain.PendingMembership `json:"invitations"`
	}
	res = rn.Do(http.MethodGet, "/api/v1/me/pending", "", nil)
	res.JSON(t, &pending)
	if res.Status != http.StatusOK || len(pending.Invitations) != 1 || pending.Invitations[0].WorksiteID != id {
		t.Fatalf("the nurse's pending invitations: got %d %s; want the one to %s", res.Status, res.Body, id)
	}
	if res := phys.Do(http.MethodGet, "/api/v1/me/attention", "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), rnEmail) {
		t.Errorf("the administrator's attention list: got %d %s; want the invitation to %s", res.Status, res.Body, rnEmail)
	}
	mine := "/api/v1/me/invitations/" + id + "/" + url.PathEscape(pending.Invitations[0].ID) + "/accept"
	want("accept another's invitation from the portal", moa.Send(http.MethodPost, mine, nil), http.StatusForbidden)
	want("accept from the portal", rn.Send(http.MethodPost, mine, nil), http.StatusOK)
	want("accept from the portal again", rn.Send(http.MethodPost, mine, nil), http.StatusNotFound)
	want("pending as the team", c.Staff(http.MethodGet, "/api/v1/me/pending", nil), http.StatusForbidden)

	// The team finds the nurse, and exports the list.
	want("find people", c.Staff(http.MethodGet, "/api/v1/staff/people?limit=1&q="+url.QueryEscape(rnEmail), nil), http.StatusOK)
	want("find people with a bad cursor", c.Staff(http.MethodGet, "/api/v1/staff/people?cursor=nope", nil), http.StatusBadRequest)
	want("export people", c.Staff(http.MethodGet, "/api/v1/staff/people?format=csv", nil), http.StatusOK)
	want("export worksites", c.Staff(http.MethodGet, "/api/v1/staff/worksites?format=csv&q=broadway", nil), http.StatusOK)

	// Member actions.
	m = mustMembersChecked(t, phys, id)
	moaSub, doc2Sub, physSub := memberSubject(t, m, env, devidp.PersonaMOA), memberSubject(t, m, env, devidp.PersonaPhysician2),
		memberSubject(t, m, env, devidp.PersonaPhysician)
	member := func(sub, action string) string { return ws + "/members/" + url.PathEscape(sub) + "/" + action }
	want("promote", phys.Send(http.MethodPost, member(doc2Sub, "promote"), nil), http.StatusOK)
	want("promote an administrator", phys.Send(http.MethodPost, member(doc2Sub, "promote"), nil), http.StatusConflict)
	want("promote as the team", c.Staff(http.MethodPost, member(moaSub, "promote"), nil), http.StatusForbidden)
	want("promote as a member who is no administrator", moa.Send(http.MethodPost, member(moaSub, "promote"), nil), http.StatusNotFound)
	want("demote", phys.Send(http.MethodPost, member(doc2Sub, "demote"), map[string]string{"reason": "one administrator is enough"}), http.StatusOK)
	want("demote oneself", phys.Send(http.MethodPost, member(physSub, "demote"), nil), http.StatusUnprocessableEntity)
	want("deactivate", phys.Send(http.MethodPost, member(moaSub, "deactivate"), map[string]string{"reason": "on leave"}), http.StatusOK)
	want("deactivate an inactive member", phys.Send(http.MethodPost, member(moaSub, "deactivate"), nil), http.StatusConflict)
	want("reactivate", phys.Send(http.MethodPost, member(moaSub, "reactivate"), nil), http.StatusOK)
	want("reactivate an active member", phys.Send(http.MethodPost, member(moaSub, "reactivate"), nil), http.StatusConflict)
	future, past := time.Now().Add(30*24*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	want("set an end date", phys.Send(http.MethodPut, member(moaSub, "end-date"), map[string]string{"endsAt": future}), http.StatusOK)
	want("set an end date in the past", phys.Send(http.MethodPut, member(moaSub, "end-date"), map[string]string{"endsAt": past}), http.StatusBadRequest)
	want("set the end date of a non-member", phys.Send(http.MethodPut, member("nobody", "end-date"), nil), http.StatusNotFound)

	// Reading the members: the administrators and the team, nobody else.
	want("members as the team", c.Staff(http.MethodGet, ws+"/members", nil), http.StatusOK)
	want("members as another applicant", c.As(env.Bearer(devidp.PersonaNursePractitioner)).Do(http.MethodGet, ws+"/members", "", nil), http.StatusNotFound)
	want("members anonymously", bad.Do(http.MethodGet, ws+"/members", "", nil), http.StatusUnauthorized)
	want("the MOA's status, with their worksites", moa.Do(http.MethodGet, "/api/v1/me/status", "", nil), http.StatusOK)

	// The administrator edits the worksite's details.
	want("edit", phys.Send(http.MethodPatch, ws, map[string]string{"name": "Proctor Clinic East", "phone": "604 555 4556"}), http.StatusOK)
	want("edit nothing", phys.Expect(apptest.RequestInvalid).Send(http.MethodPatch, ws, map[string]string{}), http.StatusBadRequest)
	if res := phys.Send(http.MethodPatch, ws, map[string]string{"phone": "123"}); res.Status != http.StatusBadRequest ||
		!strings.Contains(string(res.Body), `"phone":`) {
		t.Errorf("edit with only a bad phone: got %d %s; want 400 naming the phone", res.Status, res.Body)
	}
	want("edit as the team", c.Staff(http.MethodPatch, ws, map[string]string{"name": "x"}), http.StatusForbidden)

	// The team reclassifies an "Other" worksite, and suspends and reinstates one.
	other := registration()
	other["address"].(map[string]any)["streetNumber"] = "378"
	other["locationType"], other["otherDescription"] = "other", "a mobile clinic"
	delete(other, "subOption")
	oid := mustRegisterChecked(t, phys, other)
	waitStateChecked(t, phys, oid, domain.WorksiteAwaitingDeclaration)
	staff := "/api/v1/staff/worksites/"
	want("reclassify", c.Staff(http.MethodPatch, staff+oid, map[string]any{"locationType": "community_private_practice",
		"subOption": "physician_led", "reason": "a physician-led private practice"}), http.StatusOK)
	want("move to a taken address", c.Staff(http.MethodPatch, staff+oid, map[string]any{"address": reg["address"], "reason": "moved"}),
		http.StatusConflict)
	want("reclassify without a reason", bad.Staff(http.MethodPatch, staff+oid, map[string]any{"locationType": "community_private_practice"}),
		http.StatusBadRequest)
	want("reclassify as an administrator", phys.Send(http.MethodPatch, staff+oid, map[string]any{"locationType": "other", "reason": "x"}),
		http.StatusForbidden)
	want("suspend", c.Staff(http.MethodPost, staff+id+"/suspend", map[string]string{"reason": "privacy audit"}), http.StatusOK)
	want("suspend again", c.Staff(http.MethodPost, staff+id+"/suspend", map[string]string{"reason": "privacy audit"}), http.StatusConflict)
	want("suspend without a reason", bad.Staff(http.MethodPost, staff+id+"/suspend", map[string]string{}), http.StatusBadRequest)
	want("suspend as an administrator", phys.Send(http.MethodPost, staff+id+"/suspend", map[string]string{"reason": "x"}), http.StatusForbidden)
	want("reinstate", c.Staff(http.MethodPost, staff+id+"/reinstate", map[string]string{"reason": "audit passed"}), http.StatusOK)
	want("reinstate again", c.Staff(http.MethodPost, staff+id+"/reinstate", map[string]string{"reason": "audit passed"}), http.StatusConflict)
	want("reinstate as an administrator", phys.Send(http.MethodPost, staff+id+"/reinstate", map[string]string{"reason": "x"}), http.StatusForbidden)

	// Closing comes last: nothing changes afterwards.
	want("close as another applicant", c.As(env.Bearer(devidp.PersonaNursePractitioner)).PostJSON(ws+"/close", map[string]string{}), http.StatusNotFound)
	want("close", phys.PostJSON(ws+"/close", map[string]string{"reason": "the clinic moved"}), http.StatusOK)
	mustWorkflowEnded(t, env, id)
	want("close a closed worksite", c.Staff(http.MethodPost, ws+"/close", map[string]string{"reason": "again"}), http.StatusUnprocessableEntity)
	want("my worksites after closing", moa.Do(http.MethodGet, "/api/v1/me/worksites", "", nil), http.StatusOK)
}

// applicationConformance drives every application operation through c: the
// physician (physAuth) applies at their approved worksite id, completes the
// course and the HPCAA through signed LearningHub callbacks, and the team
// provisions the application from its queue; two more applications, at new
// worksites awaiting their declarations, are rejected and sent back (and the
// latter submitted again). A resident who joins the physician's worksite
// requests sponsorship and the physician sponsors them. Each operation
// answers a 4xx as well.
func applicationConformance(t *testing.T, env *apptest.Env, c *apptest.Checked, physAuth, id string) {
	t.Helper()
	bad := c.Expect(apptest.RequestInvalid)
	phys := c.As(physAuth)
	email := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	want := func(what string, res apptest.Response, status int) {
		t.Helper()
		if res.Status != status {
			t.Errorf("%s: got %d %s; want %d", what, res.Status, res.Body, status)
		}
	}
	apply := func(worksite string, yes bool) map[string]any {
		return map[string]any{"worksiteId": worksite, "answers": map[string]bool{"direct_clinical_care": yes}}
	}
	const mine = "/api/v1/me/applications"

	// Applying: the questionnaire's "direct clinical care only" must be yes.
	want("my applications before applying", phys.Do(http.MethodGet, mine, "", nil), http.StatusOK)
	want("apply answering no", phys.PostJSON(mine, apply(id, false)), http.StatusBadRequest)
	want("apply without answers", bad.As(physAuth).PostJSON(mine, map[string]any{"worksiteId": id}), http.StatusBadRequest)
	want("apply at an unknown worksite", phys.PostJSON(mine, apply("ZZZZ999", true)), http.StatusNotFound)
	want("apply anonymously", bad.PostJSON(mine, apply(id, true)), http.StatusUnauthorized)
	want("apply as the team", c.Staff(http.MethodPost, mine, apply(id, true)), http.StatusForbidden)
	want("my applications as the team", c.Staff(http.MethodGet, mine, nil), http.StatusForbidden)
	want("apply", phys.PostJSON(mine, apply(id, true)), http.StatusCreated)
	want("apply twice", phys.PostJSON(mine, apply(id, true)), http.StatusConflict)
	// Only the worksite's active members may apply there.
	other := c.As(env.Bearer(devidp.PersonaNursePractitioner))
	want("apply without being a member", other.PostJSON(mine, apply(id, true)), http.StatusUnprocessableEntity)

	// The course and the HPCAA, through LearningHub; the application becomes ready.
	for i, typ := range []string{learninghub.TypeCourseCompleted, learninghub.TypeAgreementAcknowledged} {
		code := env.Config.LearningHub.CourseCode
		if typ == learninghub.TypeAgreementAcknowledged {
			code = env.Config.LearningHub.AgreementCode
		}
		body := learningHubBody(t, fmt.Sprintf("conformance-app-%d", i), typ, code, email)
		want("learninghub "+typ, postLearningHub(c, body, time.Now(), true), http.StatusAccepted)
	}
	waitLearningHubStatus(t, env, physAuth, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State == domain.AppReady
	})
	if res := phys.Do(http.MethodGet, mine, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), string(domain.AppReady)) {
		t.Errorf("my applications once ready: got %d %s; want 200 with the ready application", res.Status, res.Body)
	}

	// The team's queue (a projection: give it a moment).
	var queue struct {
		Applications []struct {
			Subject     string             `json:"subject"`
			Application domain.Application `json:"application"`
		} `json:"applications"`
	}
	subject := ""
	for deadline := time.Now().Add(10 * time.Second); subject == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res := c.Staff(http.MethodGet, "/api/v1/staff/applications", nil)
		want("the application queue", res, http.StatusOK)
		queue.Applications = nil
		res.JSON(t, &queue)
		for _, q := range queue.Applications {
			if q.Application.Worksite.ID == id {
				subject = q.Subject
			}
		}
	}
	if subject == "" {
		t.Fatalf("queue = %+v; want the physician's application at %s", queue.Applications, id)
	}
	want("the queue by state", c.Staff(http.MethodGet, "/api/v1/staff/applications?state=provisioned", nil), http.StatusOK)
	if res := c.Staff(http.MethodGet, "/api/v1/staff/applications?profession=physician&worksiteType=community_private_practice&overdue=false", nil); res.Status != http.StatusOK ||
		!strings.Contains(string(res.Body), `"workflowId":"user/`+subject+`"`) || !strings.Contains(string(res.Body), `"worksitesAwaitingApproval":[]`) {
		t.Errorf("the queue by profession and type: got %d %s; want 200 with the physician's application and no worksites", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/applications?profession=pharmacist", nil); !strings.Contains(string(res.Body), `"applications":[]`) {
		t.Errorf("the queue for pharmacists: got %d %s; want no applications", res.Status, res.Body)
	}
	// The policy tables come from configuration, so the document cannot list them: the server refuses.
	want("the queue by an unknown profession", c.Staff(http.MethodGet, "/api/v1/staff/applications?profession=wizard", nil), http.StatusBadRequest)
	want("the queue by an unknown worksite type", c.Staff(http.MethodGet, "/api/v1/staff/applications?worksiteType=castle", nil), http.StatusBadRequest)
	want("the queue with overdue=maybe", bad.Staff(http.MethodGet, "/api/v1/staff/applications?overdue=maybe", nil), http.StatusBadRequest)
	if res := c.Staff(http.MethodGet, "/api/v1/staff/funnel", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"step":"provisioning","label":"Provision access","waitingOn":"enrolment_team","count":`) {
		t.Errorf("the funnel: got %d %s; want 200 with the provisioning step", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/funnel.svg", nil); res.Status != http.StatusOK || !strings.HasPrefix(string(res.Body), "<svg") ||
		!strings.Contains(string(res.Body), "<title id=\"funnel-title\">") || !strings.Contains(string(res.Body), "Provision access") {
		t.Errorf("the funnel chart: got %d %.200s; want an SVG with a title and the steps", res.Status, res.Body)
	}
	want("the queue as an applicant", phys.Do(http.MethodGet, "/api/v1/staff/applications", "", nil), http.StatusForbidden)
	want("the queue anonymously", bad.Do(http.MethodGet, "/api/v1/staff/applications", "", nil), http.StatusUnauthorized)

	// Provisioning.
	decide := func(sub, worksite, action string) string {
		return "/api/v1/staff/applications/" + url.PathEscape(sub) + "/" + worksite + "/" + action
	}
	want("provision as the applicant", phys.PostJSON(decide(subject, id, "provision"), map[string]any{}), http.StatusForbidden)
	want("provision with half a business role", bad.Staff(http.MethodPost, decide(subject, id, "provision"),
		map[string]any{"businessRole": map[string]string{"roleContext": "Community Services"}}), http.StatusBadRequest)
	want("provision where no application is", c.Staff(http.MethodPost, decide(subject, "ZZZZ999", "provision"), map[string]any{}), http.StatusNotFound)
	want("provision", c.Staff(http.MethodPost, decide(subject, id, "provision"),
		map[string]any{"businessRole": map[string]string{"roleContext": "Community Services", "functionalDescription": "Prescriber"}}), http.StatusOK)
	want("provision twice", c.Staff(http.MethodPost, decide(subject, id, "provision"), map[string]any{}), http.StatusUnprocessableEntity)

	// Sponsorship: a resident (on behalf of) joins the physician's worksite,
	// applies and requests sponsorship; the physician, an authorizer now
	// provisioned there, sponsors them with the residency's dates.
	resAuth := mustAccountChecked(t, c, devidp.PersonaResident)
	resident := c.As(resAuth)
	rid := mustJoinChecked(t, resident, id, "resident this year")
	want("approve the resident's join request", phys.Send(http.MethodPost, "/api/v1/worksites/"+id+"/join-requests/"+rid+"/approve", nil),
		http.StatusOK)
	request := mine + "/" + id + "/sponsorship-request"
	sponsor := func(sub string) string {
		return "/api/v1/worksites/" + id + "/sponsorships/" + url.PathEscape(sub) + "/approve"
	}
	resSubject := personaSubject(t, env, devidp.PersonaResident)
	start, end := time.Now().UTC().Truncate(time.Second), time.Now().UTC().Truncate(time.Second).AddDate(1, 0, 0)
	dates := map[string]string{"residencyStart": start.Format(time.RFC3339), "residencyEnd": end.Format(time.RFC3339)}
	want("request sponsorship before applying", resident.Send(http.MethodPost, request, nil), http.StatusNotFound)
	want("request sponsorship at an unknown worksite", resident.Send(http.MethodPost, mine+"/ZZZZ999/sponsorship-request", nil), http.StatusNotFound)
	want("request sponsorship anonymously", bad.Send(http.MethodPost, request, nil), http.StatusUnauthorized)
	want("request sponsorship as the team", c.Staff(http.MethodPost, request, nil), http.StatusForbidden)
	want("request sponsorship without needing one", phys.Send(http.MethodPost, request, nil), http.StatusUnprocessableEntity)
	want("the resident applies", resident.PostJSON(mine, apply(id, true)), http.StatusCreated)
	want("sponsor before a request", phys.PostJSON(sponsor(resSubject), dates), http.StatusUnprocessableEntity)
	if res := resident.Send(http.MethodPost, request, nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "sponsorshipRequestedAt") {
		t.Errorf("request sponsorship: got %d %s; want 200 with the request recorded", res.Status, res.Body)
	}
	var requests struct {
		Requests []struct {
			Subject             string `json:"subject"`
			NeedsResidencyDates bool   `json:"needsResidencyDates"`
		} `json:"requests"`
	}
	phys.Do(http.MethodGet, "/api/v1/worksites/"+id+"/sponsorship-requests", "", nil).JSON(t, &requests)
	if len(requests.Requests) != 1 || requests.Requests[0].Subject != resSubject || !requests.Requests[0].NeedsResidencyDates {
		t.Errorf("the physician's sponsorship requests = %+v; want the resident's, needing residency dates", requests.Requests)
	}
	want("sponsorship requests as the resident", resident.Do(http.MethodGet, "/api/v1/worksites/"+id+"/sponsorship-requests", "", nil), http.StatusNotFound)
	want("sponsor without the residency's dates", phys.PostJSON(sponsor(resSubject), map[string]any{}), http.StatusBadRequest)
	want("sponsor with the residency ending before it starts", phys.PostJSON(sponsor(resSubject),
		map[string]string{"residencyStart": end.Format(time.RFC3339), "residencyEnd": start.Format(time.RFC3339)}), http.StatusBadRequest)
	want("sponsor oneself", resident.PostJSON(sponsor(resSubject), dates), http.StatusForbidden)
	want("sponsor as the team", c.Staff(http.MethodPost, sponsor(resSubject), dates), http.StatusForbidden)
	want("sponsor anonymously", bad.PostJSON(sponsor(resSubject), dates), http.StatusUnauthorized)
	want("sponsor at an unknown worksite", phys.PostJSON("/api/v1/worksites/ZZZZ999/sponsorships/"+url.PathEscape(resSubject)+"/approve", dates),
		http.StatusNotFound)
	want("sponsor someone without an application here", phys.PostJSON(sponsor(personaSubject(t, env, devidp.PersonaNursePractitioner)), dates),
		http.StatusNotFound)
	want("sponsor", phys.PostJSON(sponsor(resSubject), dates), http.StatusOK)
	want("sponsor again", phys.PostJSON(sponsor(resSubject), dates), http.StatusConflict)
	want("request sponsorship once sponsored", resident.Send(http.MethodPost, request, nil), http.StatusConflict)
	if res := resident.Do(http.MethodGet, mine, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"sponsorship":`) ||
		!strings.Contains(string(res.Body), `"residencyEnd":"`+end.Format(time.RFC3339)) {
		t.Errorf("the resident's applications once sponsored: got %d %s; want 200 with the sponsorship and its dates", res.Status, res.Body)
	}

	// Two more applications, at new worksites awaiting their declarations.
	var more []string
	for _, n := range []string{"380", "382"} {
		r := registration()
		r["address"].(map[string]any)["streetNumber"] = n
		w := mustRegisterChecked(t, phys, r)
		waitStateChecked(t, phys, w, domain.WorksiteAwaitingDeclaration)
		want("apply at "+w, phys.PostJSON(mine, apply(w, true)), http.StatusCreated)
		more = append(more, w)
	}
	rejected, sentBack := more[0], more[1]
	want("reject without a reason", c.Staff(http.MethodPost, decide(subject, rejected, "reject"), map[string]any{}), http.StatusBadRequest)
	want("reject as the applicant", phys.PostJSON(decide(subject, rejected, "reject"), map[string]any{"reason": "x"}), http.StatusForbidden)
	want("reject", c.Staff(http.MethodPost, decide(subject, rejected, "reject"), map[string]any{"reason": "not a clinic"}), http.StatusOK)
	want("reject again", c.Staff(http.MethodPost, decide(subject, rejected, "reject"), map[string]any{"reason": "not a clinic"}), http.StatusConflict)
	want("send back a provisioned application", c.Staff(http.MethodPost, decide(subject, id, "send-back"), map[string]any{"reason": "x"}),
		http.StatusConflict)
	want("send back with a reason of blanks", c.Staff(http.MethodPost, decide(subject, sentBack, "send-back"), map[string]any{"reason": "  "}),
		http.StatusBadRequest)
	want("send back anonymously", bad.PostJSON(decide(subject, sentBack, "send-back"), map[string]any{"reason": "x"}), http.StatusUnauthorized)
	want("send back", c.Staff(http.MethodPost, decide(subject, sentBack, "send-back"), map[string]any{"reason": "answer the questionnaire again"}),
		http.StatusOK)
	want("apply again once sent back", phys.PostJSON(mine, apply(sentBack, true)), http.StatusCreated)

	// The team suspends the physician's access everywhere, then reinstates it.
	person := "/api/v1/staff/people/" + url.PathEscape(subject)
	want("reinstate someone not suspended", c.Staff(http.MethodPost, person+"/reinstate", map[string]any{"reason": "x"}), http.StatusConflict)
	want("suspend without a reason", bad.Staff(http.MethodPost, person+"/suspend", map[string]any{"reason": " "}), http.StatusBadRequest)
	want("suspend as the applicant", phys.PostJSON(person+"/suspend", map[string]any{"reason": "x"}), http.StatusForbidden)
	want("suspend someone unknown", c.Staff(http.MethodPost, "/api/v1/staff/people/nobody-signed-in/suspend", map[string]any{"reason": "x"}),
		http.StatusNotFound)
	res := c.Staff(http.MethodPost, person+"/suspend", map[string]any{"reason": "privacy audit finding"})
	var us struct {
		Status domain.UserStatus `json:"status"`
	}
	res.JSON(t, &us)
	if a := appOf(us.Status, id); res.Status != http.StatusOK || us.Status.AccessSuspended == nil || a == nil || a.State != domain.AppSuspended {
		t.Errorf("suspend: got %d, suspension %+v, application %+v; want 200, suspended", res.Status, us.Status.AccessSuspended, a)
	}
	want("suspend twice", c.Staff(http.MethodPost, person+"/suspend", map[string]any{"reason": "again"}), http.StatusConflict)
	want("revoke sessions without a reason", bad.Staff(http.MethodPost, person+"/revoke-sessions", map[string]any{}), http.StatusBadRequest)
	want("revoke sessions as the applicant", phys.PostJSON(person+"/revoke-sessions", map[string]any{"reason": "x"}), http.StatusForbidden)
	want("revoke sessions", c.Staff(http.MethodPost, person+"/revoke-sessions", map[string]any{"reason": "device reported stolen"}), http.StatusOK)
	res = c.Staff(http.MethodPost, person+"/reinstate", map[string]any{"reason": "finding closed"})
	us.Status = domain.UserStatus{}
	res.JSON(t, &us)
	if a := appOf(us.Status, id); res.Status != http.StatusOK || us.Status.AccessSuspended != nil || a == nil || a.State != domain.AppProvisioned {
		t.Errorf("reinstate: got %d, suspension %+v, application %+v; want 200, provisioned again", res.Status, us.Status.AccessSuspended, a)
	}
}

// mustAccountChecked registers persona's account through c, confirms its
// email through the emailed link, and returns the Authorization header to
// act as them.
func mustAccountChecked(t *testing.T, c *apptest.Checked, persona string) string {
	t.Helper()
	auth := c.Env().Bearer(persona)
	if res := c.As(auth).PostJSON("/api/v1/me/account", apptest.AccountFor(persona)); res.Status != http.StatusCreated {
		t.Fatalf("registering %s's account: got %d %s; want 201", persona, res.Status, res.Body)
	}
	tok := c.Env().ConfirmationToken(persona, apptest.AccountFor(persona)["email"].(string))
	if res := c.As(auth).Send(http.MethodPost, "/api/v1/email-confirmations/"+tok, nil); res.Status != http.StatusOK {
		t.Fatalf("confirming %s's email: got %d %s; want 200", persona, res.Status, res.Body)
	}
	return auth
}

// emailConformance runs an account's email confirmation through the
// conformance client: the link's page, a resend, a forged link, the
// confirmation, its replay, and a resend with nothing left to confirm.
func emailConformance(t *testing.T, env *apptest.Env, c, owner *apptest.Checked, persona, address string) {
	t.Helper()
	tok := env.ConfirmationToken(persona, address)
	if res := c.Do(http.MethodGet, "/confirm-email/"+tok, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "data-token") {
		t.Errorf("the confirmation page: got %d %.200s; want 200 with the token as data", res.Status, res.Body)
	}
	if res := c.Do(http.MethodGet, "/confirm-email/AAAA.BBBB", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("the page of a forged link: got %d; want 404", res.Status)
	}
	if res := owner.Send(http.MethodPost, "/api/v1/me/email-confirmation", nil); res.Status != http.StatusAccepted {
		t.Errorf("resend the link: got %d %s; want 202", res.Status, res.Body)
	}
	if res := owner.Send(http.MethodPost, "/api/v1/email-confirmations/AAAA.BBBB", nil); res.Status != http.StatusNotFound {
		t.Errorf("confirm with a forged link: got %d %s; want 404", res.Status, res.Body)
	}
	if res := owner.Send(http.MethodPost, "/api/v1/email-confirmations/"+tok, nil); res.Status != http.StatusOK {
		t.Fatalf("confirm the email: got %d %s; want 200", res.Status, res.Body)
	}
	if res := owner.Send(http.MethodPost, "/api/v1/email-confirmations/"+tok, nil); res.Status != http.StatusOK {
		t.Errorf("confirm again: got %d %s; want 200", res.Status, res.Body)
	}
	if res := owner.Send(http.MethodPost, "/api/v1/me/email-confirmation", nil); res.Status != http.StatusConflict {
		t.Errorf("resend once confirmed: got %d %s; want 409", res.Status, res.Body)
	}
}

// mustJoinChecked asks to join worksite id through c and returns the join request's ID.
func mustJoinChecked(t *testing.T, c *apptest.Checked, id, comment string) string {
	t.Helper()
	res := c.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": comment})
	if res.Status != http.StatusCreated {
		t.Fatalf("join request: got %d %s; want 201", res.Status, res.Body)
	}
	var body struct {
		JoinRequestID string `json:"joinRequestId"`
		WorksiteID    string `json:"worksiteId"`
	}
	res.JSON(t, &body)
	if body.JoinRequestID == "" || body.WorksiteID != id {
		t.Fatalf("join request answer %s; want its ID and worksite %s", res.Body, id)
	}
	return body.JoinRequestID
}

// mustMembersChecked reads worksite id's members through c.
func mustMembersChecked(t *testing.T, c *apptest.Checked, id string) membersResponse {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("members of %s: got %d %s; want 200", id, res.Status, res.Body)
	}
	var m membersResponse
	res.JSON(t, &m)
	return m
}

// personaSubject is persona's subject in env (tests give every persona a suffix).
func personaSubject(t *testing.T, env *apptest.Env, persona string) string {
	t.Helper()
	for _, p := range env.DevIDPPersonas {
		if p.Key == persona {
			return p.Subject
		}
	}
	t.Fatalf("no persona %q", persona)
	return ""
}

// memberSubject is persona's subject, failing unless they are a member in m.
func memberSubject(t *testing.T, m membersResponse, env *apptest.Env, persona string) string {
	t.Helper()
	sub := personaSubject(t, env, persona)
	for _, groups := range m.Members {
		for _, list := range groups {
			for _, x := range list {
				if x.Subject == sub {
					return sub
				}
			}
		}
	}
	t.Fatalf("%s (%s) is not a member: %+v", persona, sub, m.Members)
	return ""
}

// waitEventMail waits for an email whose event key starts with prefix.
func waitEventMail(t *testing.T, env *apptest.Env, prefix string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool { return strings.HasPrefix(m.EventKey, prefix) })
	if err != nil {
		t.Fatalf("no email with event key %s*: %v", prefix, err)
	}
	return m
}

// mustWorkflowEnded waits until worksite id's workflow has completed, so
// that what follows meets a closed worksite rather than one closing.
func mustWorkflowEnded(t *testing.T, env *apptest.Env, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := env.Temporal.DescribeWorkflowExecution(context.Background(), workflows.WorksiteWorkflowID(id), "")
		if err != nil {
			t.Fatalf("describing worksite %s's workflow: %v", id, err)
		}
		st := d.GetWorkflowExecutionInfo().GetStatus()
		if st != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if st != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				t.Fatalf("worksite %s's workflow: %s; want completed", id, st)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worksite %s's workflow still running", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
