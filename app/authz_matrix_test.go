package app_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
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
	// route is the endpoint as api/server.go declares it, e.g. "/api/v1/worksites/:id".
	method, route string
	// path is the request path (and query).
	path string
	// body returns the request body (nil for none); n makes it unique per call.
	body func(n int) any
	want [nCallers]int
	// shown are secrets this endpoint shows anyone it lets in, by design
	// (search shows worksite names and IDs).
	shown []string
}

// authorized in a matrixRow's want means "let through": any answer but
// 401, 403 and authz's own 404, for right callers whose exact status
// depends on the record (a missing join request, an already closed worksite).
const authorized = -1

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
		// An MOA with no application at the victim's worksite: just another applicant.
		colMOA:   {name: "on-behalf-of MOA (no application here: another applicant)", auth: env.RegisterAccount(devidp.PersonaMOA), wrong: true},
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
		conflict, unprocessable, authd        = http.StatusConflict, http.StatusUnprocessableEntity, authorized
	)
	// Member actions aim at the other applicant, who is no member of the victim's worksite.
	np := mustPersonaOf(t, env, devidp.PersonaNursePractitioner)
	none := func(int) any { return nil }
	obj := func(v map[string]any) func(int) any { return func(int) any { return v } }
	team := "/api/v1/staff/worksites/" + ws
	site := "/api/v1/worksites/" + ws
	adminOnly := [nCallers]int{unauth, authd, notFound, notFound, notFound, forbid}
	teamOnly := [nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}
	rows := []matrixRow{
		// The caller's own records: every applicant gets their own, staff have none.
		{http.MethodGet, "/api/v1/me", "/api/v1/me", none, [nCallers]int{unauth, ok, ok, ok, ok, ok}, nil},
		{http.MethodGet, "/api/v1/me/status", "/api/v1/me/status", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		{http.MethodGet, "/api/v1/me/worksites", "/api/v1/me/worksites", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		// Everyone here already has an account: a second one is a conflict.
		{http.MethodPost, "/api/v1/me/account", "/api/v1/me/account", func(n int) any {
			a := apptest.AccountFor(devidp.PersonaRegisteredNurse)
			a["email"], a["username"] = fmt.Sprintf("matrix%d@clinic.example.ca", n), fmt.Sprintf("matrix_%d", n)
			return a
		}, [nCallers]int{unauth, conflict, conflict, conflict, conflict, forbid}, nil},
		{http.MethodPatch, "/api/v1/me/account", "/api/v1/me/account", obj(map[string]any{"preferredLastName": "Matrix"}),
			[nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		{http.MethodPost, "/api/v1/me/password", "/api/v1/me/password", obj(map[string]any{"password": "Matrix!Pass9"}),
			[nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		// Every applicant here has an unconfirmed address: each gets a link to their own.
		{http.MethodPost, "/api/v1/me/email-confirmation", "/api/v1/me/email-confirmation", none,
			[nCallers]int{unauth, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted, forbid}, nil},
		// A confirmation link is used by an applicant signed in as its account's owner; this token is no link.
		{http.MethodPost, "/api/v1/email-confirmations/:token", "/api/v1/email-confirmations/not-a-token", none,
			[nCallers]int{unauth, authd, authd, authd, authd, forbid}, nil},
		// Any applicant with an account may register a worksite (and administers it).
		{http.MethodPost, "/api/v1/worksites", "/api/v1/worksites", func(n int) any {
			return worksiteBody(fmt.Sprintf("Matrix Clinic %d", n), fmt.Sprintf("front%d@matrix.example.ca", n), 1000+n)
		}, [nCallers]int{unauth, created, created, created, created, forbid}, nil},
		// Search finds worksites to join: names and IDs, never who runs them.
		{http.MethodGet, "/api/v1/worksites/search", "/api/v1/worksites/search?address=370+Broadway", none,
			[nCallers]int{unauth, ok, ok, ok, ok, ok}, []string{victimSite, ws}},
		// Anyone signed in sees a live worksite's name and address before asking
		// to join it by ID, as search shows them: never its email or its people.
		{http.MethodGet, "/api/v1/worksites/:id/preview", site + "/preview", none,
			[nCallers]int{unauth, ok, ok, ok, ok, ok}, []string{victimSite, ws}},
		// The victim's worksite: its administrator and the team; others learn nothing.
		{http.MethodGet, "/api/v1/worksites/:id", site, none, [nCallers]int{unauth, ok, notFound, notFound, notFound, ok}, nil},
		{http.MethodGet, "/api/v1/worksites/:id", "/api/v1/worksites/" + strings.ToLower(ws), none,
			[nCallers]int{unauth, ok, notFound, notFound, notFound, ok}, nil},
		{http.MethodGet, "/api/v1/worksites/:id/members", site + "/members", none,
			[nCallers]int{unauth, ok, notFound, notFound, notFound, ok}, nil},
		// Its administrators' own actions; the team is told they are not theirs.
		{http.MethodPatch, "/api/v1/worksites/:id", site, obj(map[string]any{"phone": "604-555-0199"}),
			[nCallers]int{unauth, ok, notFound, notFound, notFound, forbid}, nil},
		{http.MethodPost, "/api/v1/worksites/:id/invitations", site + "/invitations", func(n int) any {
			return map[string]any{"email": fmt.Sprintf("invitee%d@example.ca", n)}
		}, [nCallers]int{unauth, created, notFound, notFound, notFound, forbid}, nil},
		{http.MethodPost, "/api/v1/worksites/:id/invitations/:iid/resend", site + "/invitations/inv-missing/resend", none, adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/join-requests/:rid/approve", site + "/join-requests/jr-missing/approve", none, adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/join-requests/:rid/reject", site + "/join-requests/jr-missing/reject",
			obj(map[string]any{"reason": "matrix"}), adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/members/:subject/promote", site + "/members/" + np.Subject + "/promote", none, adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/members/:subject/demote", site + "/members/" + np.Subject + "/demote", none, adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/members/:subject/deactivate", site + "/members/" + np.Subject + "/deactivate", none,
			adminOnly, nil},
		{http.MethodPost, "/api/v1/worksites/:id/members/:subject/reactivate", site + "/members/" + np.Subject + "/reactivate", none,
			adminOnly, nil},
		{http.MethodPut, "/api/v1/worksites/:id/members/:subject/end-date", site + "/members/" + np.Subject + "/end-date",
			obj(map[string]any{"endsAt": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)}), adminOnly, nil},
		// Any applicant with an account may ask to join; the victim already belongs.
		{http.MethodPost, "/api/v1/worksites/:id/join-requests", site + "/join-requests", obj(map[string]any{"comment": "matrix"}),
			[nCallers]int{unauth, authd, created, created, created, forbid}, nil},
		// An invitation is accepted by an applicant with an account; this token is no invitation.
		{http.MethodPost, "/api/v1/invitations/:token/accept", "/api/v1/invitations/not-a-token/accept", none,
			[nCallers]int{unauth, authd, authd, authd, authd, forbid}, nil},
		// A person's own pending invitations and join requests, and accepting an
		// invitation from the portal (none here: the workflow says so).
		// Each applicant sees their own join requests: those who asked to join
		// the victim's worksite (rows above) see its name and ID, by design.
		{http.MethodGet, "/api/v1/me/pending", "/api/v1/me/pending", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}, []string{victimSite, ws}},
		{http.MethodPost, "/api/v1/me/invitations/:id/:iid/accept", "/api/v1/me/invitations/" + ws + "/inv-none/accept", none,
			[nCallers]int{unauth, authd, authd, authd, authd, forbid}, nil},
		// What waits on the caller as an administrator or authorizer: their own worksites only.
		{http.MethodGet, "/api/v1/me/attention", "/api/v1/me/attention", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		// Access applications: every applicant lists their own; applying needs an
		// account, and the rules then refuse those who are no member of the
		// victim's worksite. The victim applies (their worksite awaits its declaration).
		{http.MethodGet, "/api/v1/me/applications", "/api/v1/me/applications", none, [nCallers]int{unauth, ok, ok, ok, ok, forbid}, nil},
		{http.MethodPost, "/api/v1/me/applications", "/api/v1/me/applications",
			obj(map[string]any{"worksiteId": ws, "answers": map[string]bool{"direct_clinical_care": true}}),
			[nCallers]int{unauth, created, unprocessable, unprocessable, unprocessable, forbid}, nil},
		// Sponsorship: requested by an applicant of their own application. The
		// victim's profession needs no sponsor (422); the others have no
		// application at the victim's worksite (404); the team applies for nothing.
		{http.MethodPost, "/api/v1/me/applications/:worksite/sponsorship-request", "/api/v1/me/applications/" + ws + "/sponsorship-request",
			none, [nCallers]int{unauth, unprocessable, notFound, notFound, notFound, forbid}, nil},
		// Approved only by an active authorizer member provisioned at the worksite:
		// nobody is provisioned there yet, its administrator included, and the
		// team never sponsors.
		{http.MethodPost, "/api/v1/worksites/:id/sponsorships/:subject/approve", site + "/sponsorships/" + victim.Subject + "/approve",
			obj(map[string]any{}), [nCallers]int{unauth, forbid, forbid, forbid, forbid, forbid}, nil},
		// The team's queue and decisions. The victim's application waits on its
		// worksite, so it cannot be provisioned (422); rejecting or sending back
		// without a reason is refused after authorization (400), so nothing changes.
		{http.MethodGet, "/api/v1/staff/applications", "/api/v1/staff/applications", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/applications", "/api/v1/staff/applications?state=waiting", none, teamOnly, nil},
		{http.MethodPost, "/api/v1/staff/applications/:subject/:worksite/provision", "/api/v1/staff/applications/" + victim.Subject + "/" + ws + "/provision",
			obj(map[string]any{}), [nCallers]int{unauth, forbid, forbid, forbid, forbid, unprocessable}, nil},
		{http.MethodPost, "/api/v1/staff/applications/:subject/:worksite/reject", "/api/v1/staff/applications/" + victim.Subject + "/" + ws + "/reject",
			obj(map[string]any{"reason": ""}), [nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		{http.MethodPost, "/api/v1/staff/applications/:subject/:worksite/send-back", "/api/v1/staff/applications/" + victim.Subject + "/" + ws + "/send-back",
			obj(map[string]any{"reason": ""}), [nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		// The team's views.
		{http.MethodGet, "/api/v1/staff/people", "/api/v1/staff/people?q=" + victim.FamilyName, none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/people", "/api/v1/staff/people?format=csv", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/people/:subject", "/api/v1/staff/people/" + victim.Subject, none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/worksites", "/api/v1/staff/worksites", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/worksites", "/api/v1/staff/worksites?state=awaiting_declaration", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/worksites/:id/audit", team + "/audit", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/worksites/:id/emails", team + "/emails", none, teamOnly, nil},
		// No declaration is signed yet: 404 for the team.
		{http.MethodGet, "/api/v1/staff/worksites/:id/declaration", team + "/declaration", none,
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, notFound}, nil},
		{http.MethodGet, "/api/v1/staff/worksites/:id/declaration/screenshot", team + "/declaration/screenshot", none,
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, notFound}, nil},
		// The declaration is unsigned: the team cannot decide yet (422).
		{http.MethodPost, "/api/v1/staff/worksites/:id/approve", team + "/approve", obj(map[string]any{}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, unprocessable}, nil},
		{http.MethodPost, "/api/v1/staff/worksites/:id/reject", team + "/reject", obj(map[string]any{"reason": "matrix"}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, unprocessable}, nil},
		// The team's classification, suspension and reinstatement; bodies without a
		// reason are refused after authorization, so nothing changes.
		{http.MethodPatch, "/api/v1/staff/worksites/:id", team, obj(map[string]any{"reason": ""}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		{http.MethodPost, "/api/v1/staff/worksites/:id/suspend", team + "/suspend", obj(map[string]any{"reason": ""}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		{http.MethodPost, "/api/v1/staff/worksites/:id/reinstate", team + "/reinstate", obj(map[string]any{"reason": ""}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		// A worksite's sponsorship requests: its authorizers (the victim) and the team; others learn nothing.
		{http.MethodGet, "/api/v1/worksites/:id/sponsorship-requests", site + "/sponsorship-requests", none,
			[nCallers]int{unauth, ok, notFound, notFound, notFound, ok}, nil},
		// The team's profession change; the victim may not make it themself.
		// After it, the victim (a resident now) is no authorizer at their
		// worksite any more, so it comes after the sponsorship requests.
		{http.MethodPut, "/api/v1/staff/people/:subject/profession", "/api/v1/staff/people/" + victim.Subject + "/profession", obj(map[string]any{
			"profession": domain.ProfResident, "reason": "matrix",
			"professionIds": map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, ok}, nil},
		// The team's funnel.
		{http.MethodGet, "/api/v1/staff/funnel", "/api/v1/staff/funnel", none, teamOnly, nil},
		{http.MethodGet, "/api/v1/staff/funnel.svg", "/api/v1/staff/funnel.svg", none, teamOnly, nil},
		// The team's suspension of a person; a blank reason is refused after authorization.
		{http.MethodPost, "/api/v1/staff/people/:subject/suspend", "/api/v1/staff/people/" + victim.Subject + "/suspend", obj(map[string]any{"reason": ""}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		{http.MethodPost, "/api/v1/staff/people/:subject/reinstate", "/api/v1/staff/people/" + victim.Subject + "/reinstate", obj(map[string]any{"reason": ""}),
			[nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		// The team's revocation of a person's sessions; a blank reason is refused after authorization.
		{http.MethodPost, "/api/v1/staff/people/:subject/revoke-sessions", "/api/v1/staff/people/" + victim.Subject + "/revoke-sessions",
			obj(map[string]any{"reason": ""}), [nCallers]int{unauth, forbid, forbid, forbid, forbid, http.StatusBadRequest}, nil},
		// Public reference data; what only the team's console needs (the Temporal Web UI) is the team's.
		{http.MethodGet, "/api/v1/reference", "/api/v1/reference", none, [nCallers]int{ok, ok, ok, ok, ok, ok}, nil},
		{http.MethodGet, "/api/v1/staff/reference", "/api/v1/staff/reference", none, teamOnly, nil},
		// The Temporal Web UI's codec decrypts every enrolment's payloads: the team's alone.
		{http.MethodPost, "/codec/decode", "/codec/decode", obj(map[string]any{"payloads": []any{}}), teamOnly, nil},
		{http.MethodPost, "/codec/encode", "/codec/encode", obj(map[string]any{"payloads": []any{}}), teamOnly, nil},
		// Last, as it ends the worksite: its administrator closes it (then the team
		// finds it closed); nobody else may.
		{http.MethodPost, "/api/v1/worksites/:id/close", site + "/close", obj(map[string]any{"reason": "matrix"}),
			[nCallers]int{unauth, ok, notFound, notFound, notFound, authd}, nil},
	}

	// The secrets are findable where they belong, so their absence below
	// means something. (The team's list and the members are projections: give them a moment.)
	canaries := []struct {
		path, auth string
		want       []string
	}{
		{"/api/v1/me", callers[colVictim].auth, []string{victimAcct["email"].(string), victim.GivenName}},
		{"/api/v1/worksites/" + ws, callers[colVictim].auth, []string{victimSite, victimSiteEmail}},
		// Also waits for the membership projection that makes the victim its administrator.
		{"/api/v1/worksites/" + ws + "/members", callers[colVictim].auth, []string{victim.FamilyName, victimAcct["email"].(string)}},
		{"/api/v1/staff/worksites", callers[colStaff].auth, []string{victimSite, ws}},
		{"/api/v1/staff/people/" + victim.Subject, callers[colStaff].auth, []string{victimAcct["username"].(string)}},
	}
	for _, c := range canaries {
		missing := c.want
		var res apptest.Response
		for deadline := time.Now().Add(10 * time.Second); len(missing) > 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			res = env.Do(http.MethodGet, c.path, "", nil, "Authorization", c.auth)
			missing = slices.DeleteFunc(slices.Clone(c.want), func(w string) bool { return strings.Contains(string(res.Body), w) })
		}
		if len(missing) > 0 {
			t.Errorf("GET %s for its rightful caller lacks %q: the leak checks cannot see it\n%s", c.path, missing, res.Body)
		}
	}

	covered := map[string]bool{}
	n := 0
	for _, row := range rows {
		covered[row.method+" "+row.route] = true
		got := make([]string, 0, nCallers)
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
			got = append(got, fmt.Sprint(res.Status))
			switch want := row.want[col]; {
			case want == authorized:
				if res.Status == unauth || res.Status == forbid || res.Status >= 500 ||
					(res.Status == notFound && errorOf(t, res).Message == "not found") {
					t.Errorf("%s: got %d %s; want to be let through", name, res.Status, res.Body)
				}
			case res.Status != want:
				t.Errorf("%s: got %d %s; want %d", name, res.Status, res.Body, want)
			}
			if res.Status >= 400 {
				if e := errorOf(t, res); e.Code == "" || e.Message == "" {
					t.Errorf("%s: error body %s; want a code and a message", name, res.Body)
				}
			}
			if c.wrong {
				checkNoLeak(t, name, row.path, string(res.Body), without(secrets, row.shown))
			}
		}
		t.Logf("%-6s %-70s %s", row.method, row.path, strings.Join(got, " "))
	}

	t.Run("someone else's worksite looks like no worksite", func(t *testing.T) {
		// Fixed: both answers are domain.NotFoundOrNotYours.
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
			method, route, path string
			want                int
			// mayShow says the response may show the victim's worksite (the token is the credential).
			mayShow bool
			// static responses are fixed documents: their examples may use the persona's
			// names, so only the victim's records are looked for.
			static bool
		}{
			{http.MethodGet, "/healthz", "/healthz", ok, false, true},
			{http.MethodGet, "/readyz", "/readyz", ok, false, true},
			// Metrics are on the admin listener only (TestAdminListener).
			{http.MethodGet, "/metrics", "/metrics", notFound, false, true},
			{http.MethodGet, "/api/openapi.yaml", "/api/openapi.yaml", ok, false, true},
			// The portal's pages and assets are public; their data comes from the API.
			{http.MethodGet, "/", "/", ok, false, true},
			{http.MethodGet, "/portal", "/portal", ok, false, true},
			{http.MethodGet, "/team", "/team", ok, false, true},
			{http.MethodGet, "/static/:dir/:file", "/static/js/portal.js", ok, false, true},
			// The dev mail catcher is served in dev and test only (it shows every email).
			{http.MethodGet, "/dev/mail", "/dev/mail", ok, true, false},
			// The signed link is the signing authority's credential.
			{http.MethodGet, "/api/v1/declarations/:token", "/api/v1/declarations/" + token, ok, true, false},
			{http.MethodGet, "/declaration/:token", "/declaration/" + token, ok, true, false},
			// A forged or damaged token opens nothing.
			{http.MethodGet, "/api/v1/declarations/:token", "/api/v1/declarations/" + damage(token), notFound, false, false},
			{http.MethodPost, "/api/v1/declarations/:token", "/api/v1/declarations/" + damage(token), notFound, false, false},
			{http.MethodGet, "/declaration/:token", "/declaration/" + damage(token), notFound, false, false},
			{http.MethodGet, "/api/v1/declarations/:token", "/api/v1/declarations/not-a-token", notFound, false, false},
			// A declaration token is not a join-request token.
			{http.MethodGet, "/api/v1/join-links/:token", "/api/v1/join-links/" + token, notFound, false, false},
			{http.MethodPost, "/api/v1/join-links/:token", "/api/v1/join-links/" + token, notFound, false, false},
			// The link pages verify their token first: a bad one opens only an error page.
			{http.MethodGet, "/join-requests/:token", "/join-requests/not-a-token", notFound, false, false},
			{http.MethodGet, "/invitations/:token", "/invitations/not-a-token", notFound, false, false},
			{http.MethodGet, "/invitations/:token", "/invitations/" + token, notFound, false, false},
			// The email confirmation page verifies its token before it shows anything.
			{http.MethodGet, "/confirm-email/:token", "/confirm-email/not-a-token", notFound, false, false},
			// Sign-in entry points (the redirect to the identity provider is not
			// followed); logout without a session is harmless.
			{http.MethodGet, "/auth/login", "/auth/login", http.StatusFound, false, false},
			{http.MethodGet, "/auth/callback", "/auth/callback", http.StatusBadRequest, false, false},
			{http.MethodGet, "/auth/callback", "/auth/callback?state=forged&code=forged", unauth, false, false},
			{http.MethodPost, "/auth/logout", "/auth/logout", http.StatusNoContent, false, false},
			// LearningHub's callback takes no sign-in: without its HMAC signature it is refused.
			{http.MethodPost, "/webhooks/learninghub", "/webhooks/learninghub", unauth, false, false},
		}
		records := []string{victimAcct["email"].(string), victimAcct["username"].(string), victim.Email, victim.Subject,
			victimSite, victimSiteEmail, ws}
		for _, tt := range tests {
			covered[tt.method+" "+tt.route] = true
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

	// Every route the server declares is checked above: a new endpoint needs a row.
	t.Run("every route is covered", func(t *testing.T) {
		routes := serverRoutes(t)
		t.Logf("%d routes in api/server.go", len(routes))
		for _, r := range routes {
			if !covered[r] {
				t.Errorf("%s is not in the authorization matrix", r)
			}
		}
	})
}

// serverRoutes reads api/server.go and returns every route it declares as
// "METHOD /path/:param", following the route groups' prefixes.
func serverRoutes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "api", "server.go"), nil, 0)
	if err != nil {
		t.Fatalf("parse api/server.go: %v", err)
	}
	prefix := map[string]string{}
	var routes []string
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(b.Value)
		return v, err == nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt: // g := parent.Group("/prefix", ...)
			if len(n.Lhs) != 1 || len(n.Rhs) != 1 {
				return true
			}
			call, ok := n.Rhs[0].(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			lhs, lok := n.Lhs[0].(*ast.Ident)
			if !ok || !lok || sel.Sel.Name != "Group" {
				return true
			}
			parent, _ := sel.X.(*ast.Ident)
			if p, ok := lit(call.Args[0]); ok && parent != nil {
				prefix[lhs.Name] = prefix[parent.Name] + p
			}
		case *ast.CallExpr: // g.GET("/path", ...)
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || len(n.Args) == 0 {
				return true
			}
			switch sel.Sel.Name {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				return true
			}
			recv, ok := sel.X.(*ast.Ident)
			if p, lok := lit(n.Args[0]); ok && lok {
				routes = append(routes, sel.Sel.Name+" "+prefix[recv.Name]+p)
			}
		}
		return true
	})
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in api/server.go (%v); the parser no longer understands it", len(routes), routes)
	}
	return routes
}

// without returns secrets less those in shown.
func without(secrets, shown []string) []string {
	var out []string
	for _, s := range secrets {
		if !slices.Contains(shown, s) {
			out = append(out, s)
		}
	}
	return out
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
