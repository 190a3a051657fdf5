package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
)

// matrixCaller is one column of the authorization matrix.
type matrixCaller struct {
	name string
	auth string // Authorization header; "" is anonymous
	// wrong says the caller has no business with the victim's records, so
	// no response to them may show the victim's data.
	wrong bool
}

// The columns, in the order of matrixRow.want. Staff come last: some of
// their calls change the victim's records.
const (
	colAnonymous = iota
	colVictim
	colOtherApplicant
	colOtherSiteAdmin
	colMOA
	colStaff
	nCallers
)

// matrixRow is one endpoint and the status each caller must get.
type matrixRow struct {
	method, path string
	// body returns the request body (nil for none); n makes it unique per call.
	body func(n int) any
	want [nCallers]int
}

// worksiteBody is a valid worksite registration with its own name, email and address.
func worksiteBody(name, email string, streetNumber int) map[string]any {
	r := registration()
	r["name"], r["email"] = name, email
	addr := r["address"].(map[string]any)
	addr["streetNumber"] = fmt.Sprint(streetNumber)
	return r
}

// mustWorksite registers a worksite as auth and returns its ID.
func mustWorksite(t *testing.T, env *apptest.Env, auth string, body map[string]any) string {
	t.Helper()
	res := env.PostJSON("/api/v1/worksites", body, "Authorization", auth)
	mustStatus(t, "register worksite "+body["name"].(string), res, http.StatusCreated)
	var got worksiteResponse
	res.JSON(t, &got)
	return got.Worksite.ID
}

// TestAuthorizationMatrix calls every authenticated endpoint as every kind
// of caller against one victim's records: a physician with an account who
// administers a worksite. Wrong callers get 401, 403 or 404 as authz
// dictates, right callers get through, and no response to a wrong caller
// carries the victim's data.
func TestAuthorizationMatrix(t *testing.T) {
	env := apptest.Start(t, nil)
	victim := mustPersonaOf(t, env, devidp.PersonaPhysician)
	victimAcct := apptest.AccountFor(devidp.PersonaPhysician)
	callers := [nCallers]matrixCaller{
		colAnonymous:      {name: "anonymous", wrong: true},
		colVictim:         {name: "victim (self, site administrator)", auth: env.RegisterAccount(devidp.PersonaPhysician)},
		colOtherApplicant: {name: "another applicant with an account", auth: env.RegisterAccount(devidp.PersonaNursePractitioner), wrong: true},
		colOtherSiteAdmin: {name: "site administrator of another worksite", auth: env.RegisterAccount(devidp.PersonaPharmacist), wrong: true},
		// Sponsorship does not exist yet: an MOA is just another applicant.
		colMOA:   {name: "on-behalf-of MOA (no sponsorship yet: another applicant)", auth: env.RegisterAccount(devidp.PersonaMOA), wrong: true},
		colStaff: {name: "enrolment team", auth: env.Bearer(devidp.PersonaTeam)},
	}
	const victimSite, victimSiteEmail = "Victim Valley Clinic", "front@victimvalley.example.ca"
	ws := mustWorksite(t, env, callers[colVictim].auth, worksiteBody(victimSite, victimSiteEmail, 370))
	mustWorksite(t, env, callers[colOtherSiteAdmin].auth, worksiteBody("Other Site Clinic", "front@othersite.example.ca", 371))

	// The victim's data: none of it may reach a wrong caller unless the
	// request path already named it.
	secrets := []string{victimAcct["email"].(string), victimAcct["username"].(string), victim.Email, victim.GivenName,
		victim.FamilyName, victim.Subject, victimSite, victimSiteEmail, ws}

	const (
		ok, created, unauth, forbid, notFound = http.StatusOK, http.StatusCreated, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
		conflict, unprocessable               = http.StatusConflict, http.StatusUnprocessableEntity
	)
	none := func(int) any { return nil }
	team := "/api/v1/staff/worksites/" + ws
	rows := []matrixRow{
		// The caller's own records: every applicant gets their own, staff have none.
		{http.MethodGet, "/api/v1/me", none, [nCallers]int{unauth, ok, ok, ok, ok, ok}},
		{http.MethodGet, "/api/v1/me/status", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}},
		// Everyone here already has an account: a second one is a conflict.
		{http.MethodPost, "/api/v1/me/account", func(n int) any {
			a := apptest.AccountFor(devidp.PersonaRegisteredNurse)
			a["email"], a["username"] = fmt.Sprintf("matrix%d@clinic.example.ca", n), fmt.Sprintf("matrix_%d", n)
			return a
		}, [nCallers]int{unauth, conflict, conflict, conflict, conflict, forbid}},
		{http.MethodPatch, "/api/v1/me/account", func(int) any { return map[string]any{"preferredLastName": "Matrix"} },
			[nCallers]int{unauth, ok, ok, ok, ok, forbid}},
		{http.MethodPost, "/api/v1/me/password", func(int) any { return map[string]any{"password": "Matrix!Pass9"} },
			[nCallers]int{unauth, ok, ok, ok, ok, forbid}},
		// Any applicant with an account may register a worksite (and administers it).
		{http.MethodPost, "/api/v1/worksites", func(n int) any {
			return worksiteBody(fmt.Sprintf("Matrix Clinic %d", n), fmt.Sprintf("front%d@matrix.example.ca", n), 1000+n)
		}, [nCallers]int{unauth, created, created, created, created, forbid}},
		// The victim's worksite: its administrator and the team; others learn nothing.
		{http.MethodGet, "/api/v1/worksites/" + ws, none, [nCallers]int{unauth, ok, notFound, notFound, notFound, ok}},
		{http.MethodGet, "/api/v1/worksites/" + strings.ToLower(ws), none, [nCallers]int{unauth, ok, notFound, notFound, notFound, ok}},
		// The team's views.
		{http.MethodGet, "/api/v1/staff/people/" + victim.Subject, none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		{http.MethodGet, "/api/v1/staff/worksites", none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		{http.MethodGet, "/api/v1/staff/worksites?state=awaiting_declaration", none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		{http.MethodGet, team + "/audit", none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		{http.MethodGet, team + "/emails", none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		// No declaration is signed yet: 404 for the team.
		{http.MethodGet, team + "/declaration/screenshot", none, [nCallers]int{unauth, forbid, forbid, forbid, forbid, notFound}},
		// The declaration is unsigned: the team cannot decide yet (422).
		{http.MethodPost, team + "/approve", func(int) any { return map[string]any{} },
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, unprocessable}},
		{http.MethodPost, team + "/reject", func(int) any { return map[string]any{"reason": "matrix"} },
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, unprocessable}},
		// The team's profession change; the victim may not make it themself.
		{http.MethodPut, "/api/v1/staff/people/" + victim.Subject + "/profession", func(int) any {
			return map[string]any{"profession": domain.ProfResident, "reason": "matrix",
				"professionIds": map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}}
		}, [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}},
		// Public reference data.
		{http.MethodGet, "/api/v1/reference", none, [nCallers]int{ok, ok, ok, ok, ok, ok}},
	}

	n := 0
	for _, row := range rows {
		for col, c := range callers {
			n++
			name := fmt.Sprintf("%s %s as %s", row.method, row.path, c.name)
			var body []byte
			ct := ""
			if v := row.body(n); v != nil {
				body, ct = mustMarshal(t, v), "application/json"
			}
			var headers []string
			if c.auth != "" {
				headers = []string{"Authorization", c.auth}
			}
			res := env.Do(row.method, row.path, ct, body, headers...)
			if res.Status != row.want[col] {
				t.Errorf("%s: got %d %s; want %d", name, res.Status, res.Body, row.want[col])
			}
			if res.Status >= 400 {
				if e := errorOf(t, res); e.Code == "" || e.Message == "" {
					t.Errorf("%s: error body %s; want a code and a message", name, res.Body)
				}
			}
			if c.wrong {
				checkNoLeak(t, name, row.path, string(res.Body), secrets)
			}
		}
	}

	// The secrets are findable where they belong, so their absence above means something.
	canaries := []struct {
		path, auth string
		want       []string
	}{
		{"/api/v1/me", callers[colVictim].auth, []string{victimAcct["email"].(string), victim.GivenName}},
		{"/api/v1/worksites/" + ws, callers[colVictim].auth, []string{victimSite, victimSiteEmail}},
		{"/api/v1/staff/worksites", callers[colStaff].auth, []string{victimSite, ws}},
		{"/api/v1/staff/people/" + victim.Subject, callers[colStaff].auth, []string{victimAcct["username"].(string)}},
	}
	for _, c := range canaries {
		res := env.Do(http.MethodGet, c.path, "", nil, "Authorization", c.auth)
		for _, w := range c.want {
			if !strings.Contains(string(res.Body), w) {
				t.Errorf("GET %s for its rightful caller lacks %q: the leak checks cannot see it\n%s", c.path, w, res.Body)
			}
		}
	}

	t.Run("someone else's worksite looks like no worksite", func(t *testing.T) {
		t.Skip("known bug (reported): GET /api/v1/worksites/{id} says \"not found\" for someone else's worksite but " +
			"\"no worksite with ID ...\" for a missing one, so IDs can be probed; remove this skip with the fix")
		other := callers[colOtherApplicant].auth
		theirs := errorOf(t, env.Do(http.MethodGet, "/api/v1/worksites/"+ws, "", nil, "Authorization", other))
		missing := "ZZZZ999"
		if missing == ws {
			missing = "ZZZZ998"
		}
		none := errorOf(t, env.Do(http.MethodGet, "/api/v1/worksites/"+missing, "", nil, "Authorization", other))
		theirs.Message = strings.ReplaceAll(theirs.Message, ws, "ID")
		none.Message = strings.ReplaceAll(none.Message, missing, "ID")
		if theirs.Code != none.Code || theirs.Message != none.Message {
			t.Errorf("someone else's worksite: %+v; a missing one: %+v; want them indistinguishable", theirs, none)
		}
	})

	t.Run("token and public endpoints", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool { return m.EventKey == "worksite/"+ws+"/worksite_registered/1" })
		if err != nil {
			t.Fatalf("no registration email for %s: %v", ws, err)
		}
		_, token := apptest.DeclarationLink(t, m)
		tests := []struct {
			method, path string
			want         int
			// mayShow says the response may show the victim's worksite (the token is the credential).
			mayShow bool
			// static responses are fixed documents: their examples may use the persona's
			// names, so only the victim's records are looked for.
			static bool
		}{
			{http.MethodGet, "/healthz", ok, false, true},
			{http.MethodGet, "/readyz", ok, false, true},
			{http.MethodGet, "/metrics", ok, false, true},
			{http.MethodGet, "/api/openapi.yaml", ok, false, true},
			// The dev mail catcher is served in dev and test only (it shows every email).
			{http.MethodGet, "/dev/mail", ok, true, false},
			// The signed link is the signing authority's credential.
			{http.MethodGet, "/api/v1/declarations/" + token, ok, true, false},
			{http.MethodGet, "/declaration/" + token, ok, true, false},
			// A forged or damaged token opens nothing.
			{http.MethodGet, "/api/v1/declarations/" + damage(token), notFound, false, false},
			{http.MethodGet, "/declaration/" + damage(token), notFound, false, false},
			{http.MethodGet, "/api/v1/declarations/not-a-token", notFound, false, false},
			// Sign-in entry points (the redirect to the identity provider is not
			// followed); logout without a session is harmless.
			{http.MethodGet, "/auth/login", http.StatusFound, false, false},
			{http.MethodGet, "/auth/callback", http.StatusBadRequest, false, false},
			{http.MethodGet, "/auth/callback?state=forged&code=forged", unauth, false, false},
			{http.MethodPost, "/auth/logout", http.StatusNoContent, false, false},
		}
		records := []string{victimAcct["email"].(string), victimAcct["username"].(string), victim.Email, victim.Subject,
			victimSite, victimSiteEmail, ws}
		for _, tt := range tests {
			res := doWithoutRedirects(t, env, tt.method, tt.path)
			name := tt.method + " " + tt.path + " as anonymous"
			if res.Status != tt.want {
				t.Errorf("%s: got %d; want %d\n%s", name, res.Status, tt.want, clipBody(res.Body))
			}
			if tt.static {
				checkNoLeak(t, name, tt.path, string(res.Body), records)
			} else if !tt.mayShow {
				checkNoLeak(t, name, tt.path, string(res.Body), secrets)
			} else if !strings.Contains(string(res.Body), victimSite) {
				t.Errorf("%s: the victim's worksite is not shown; want it (the link is the credential)", name)
			}
		}
		// A declaration token signs one worksite; it is no credential for the API.
		res := env.Do(http.MethodGet, "/api/v1/worksites/"+ws, "", nil, "Authorization", "Bearer "+token)
		mustStatus(t, "declaration token as a bearer token", res, unauth)
	})
}

// doWithoutRedirects sends an anonymous request and reports a redirect
// rather than following it.
func doWithoutRedirects(t *testing.T, env *apptest.Env, method, path string) apptest.Response {
	t.Helper()
	req, err := http.NewRequest(method, env.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: readBody(t, res)}
}

// checkNoLeak fails when body shows any secret that the request path did not name.
func checkNoLeak(t *testing.T, name, path, body string, secrets []string) {
	t.Helper()
	lower := strings.ToLower(body)
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(path), strings.ToLower(s)) {
			continue
		}
		if strings.Contains(lower, strings.ToLower(s)) {
			t.Errorf("%s: response shows the victim's %q\n%s", name, s, clipBody([]byte(body)))
		}
	}
}

// damage changes the first character of a token's signature (after its
// last dot), or its first character when it has none. (The last character
// of a base64 signature may carry only padding bits.)
func damage(s string) string {
	i := strings.LastIndexByte(s, '.') + 1
	if i >= len(s) {
		return s + "x"
	}
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func clipBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}
