package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/links"
)

// membershipState is what a refused request must leave alone: each
// worksite as the team reads it (details and status), its members view
// (members, join requests, invitations), and the caught emails.
type membershipState struct {
	views map[string]string
	mails int
}

// mustMembershipState reads the state of the worksites ids.
func mustMembershipState(t *testing.T, env *apptest.Env, ids ...string) membershipState {
	t.Helper()
	team := env.Bearer(devidp.PersonaTeam)
	st := membershipState{views: map[string]string{}, mails: countMail(env)}
	for _, id := range ids {
		for _, p := range []string{"/api/v1/worksites/" + id, "/api/v1/worksites/" + id + "/members"} {
			res := env.Do(http.MethodGet, p, "", nil, "Authorization", team)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s as the team: got %d %s; want 200", p, res.Status, res.Body)
			}
			st.views[p] = sameSource(string(res.Body))
		}
	}
	return st
}

// sameSource drops where a status was read from: a slow query on a finished
// workflow falls back to the projection, which holds the same final status.
func sameSource(body string) string {
	return strings.Replace(body, `"statusSource":"projection"`, `"statusSource":"workflow"`, 1)
}

// mustBeUnchanged fails t unless env's worksites and emails are as in st.
func (st membershipState) mustBeUnchanged(t *testing.T, env *apptest.Env) {
	t.Helper()
	team := env.Bearer(devidp.PersonaTeam)
	for p, before := range st.views {
		res := env.Do(http.MethodGet, p, "", nil, "Authorization", team)
		if got := sameSource(string(res.Body)); res.Status != http.StatusOK || got != before {
			t.Errorf("GET %s changed:\nbefore: %s\nafter:  %d %s", p, before, res.Status, got)
		}
	}
	if n := countMail(env); n != st.mails {
		t.Errorf("emails caught: %d; want %d (a refused request sends none)", n, st.mails)
		for _, m := range env.Catcher.Messages()[st.mails:] {
			t.Logf("new email: %s %v %q", m.EventKey, m.To, m.Subject)
		}
	}
}

// mustSettleMail waits until no email has arrived for a second, so that
// what the setup sent is counted before the refusals start.
func mustSettleMail(t *testing.T, env *apptest.Env) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	n, since := countMail(env), time.Now()
	for time.Since(since) < time.Second {
		if time.Now().After(deadline) {
			t.Fatalf("emails still arriving after 30s")
		}
		time.Sleep(100 * time.Millisecond)
		if m := countMail(env); m != n {
			n, since = m, time.Now()
		}
	}
}

// mustAnswer fails t unless res has status want, and returns it.
func mustAnswer(t *testing.T, what string, res apptest.Response, want int) apptest.Response {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: got %d %s; want %d", what, res.Status, res.Body, want)
	}
	return res
}

// TestMembershipBadInput: malformed membership requests and requests a
// membership rule forbids are refused over HTTP with the right status,
// code and field names, and change nothing: no worksite, member, join
// request or invitation moves and no email is sent. Three worksites: W
// (a physician administers it; an MOA is a member; a resident's join
// request and an invitation await), W2 (suspended by the team) and W3
// (closed). Responses are checked against openapi.yaml too.
func TestMembershipBadInput(t *testing.T) {
	env := apptest.Start(t, nil)
	base := env.Checked().Expect(apptest.RequestUnchecked)
	team := env.Bearer(devidp.PersonaTeam)
	physAuth := env.RegisterAccount(devidp.PersonaPhysician)
	moaAuth := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	residentAuth := env.RegisterAccount(devidp.PersonaResident)
	freshAuth := env.RegisterAccount(devidp.PersonaPhysician2) // an applicant with an account, member of nothing
	noAccount := env.Bearer(devidp.PersonaPharmacist)
	physSub, moaSub := personaSubject(t, env, devidp.PersonaPhysician), personaSubject(t, env, devidp.PersonaMOA)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)
	freshEmail := apptest.AccountFor(devidp.PersonaPhysician2)["email"].(string)
	phys, moa, resident := base.As(physAuth), base.As(moaAuth), base.As(residentAuth)
	register := func(streetNumber string) string {
		t.Helper()
		reg := registration()
		reg["address"].(map[string]any)["streetNumber"] = streetNumber
		id := mustRegisterChecked(t, phys, reg)
		// Updates in a workflow's first task run before it records its
		// registrant; the setup waits for the enrolment to begin.
		waitStateChecked(t, phys, id, domain.WorksiteAwaitingDeclaration)
		return id
	}
	join := func(c *apptest.Checked, id string) (rid, token string) {
		t.Helper()
		rid = mustJoinChecked(t, c, id, "")
		return rid, mustLink(t, waitEventMail(t, env, "worksite/"+id+"/join_request/"+rid+"/0/"+physSub), "join-requests")
	}
	invite := func(id, email string) (iid, token string) {
		t.Helper()
		var m membersResponse
		mustAnswer(t, "invite "+email, phys.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": email}),
			http.StatusCreated).JSON(t, &m)
		iid = m.Invitations[len(m.Invitations)-1].ID
		return iid, mustLink(t, waitEventMail(t, env, "worksite/"+id+"/invitation/"+iid+"/1"), "invitations")
	}

	// W: the MOA is a member; the resident's request and an invitation await.
	w := register("370")
	rid, _ := join(moa, w)
	mustAnswer(t, "approve the MOA", phys.Send(http.MethodPost, "/api/v1/worksites/"+w+"/join-requests/"+rid+"/approve", nil), http.StatusOK)
	pendingRID, joinToken := join(resident, w)
	_, invToken := invite(w, "pending@clinic.example.ca")
	// W2: suspended by the team.
	w2 := register("372")
	mustAnswer(t, "suspend W2", base.Staff(http.MethodPost, "/api/v1/staff/worksites/"+w2+"/suspend", map[string]string{"reason": "audit"}), http.StatusOK)
	// W3: closed, with a join request and an invitation that were pending.
	w3 := register("374")
	_, closedJoinToken := join(resident, w3)
	_, closedInvToken := invite(w3, freshEmail)
	mustAnswer(t, "close W3", phys.PostJSON("/api/v1/worksites/"+w3+"/close", map[string]string{"reason": "moved"}), http.StatusOK)
	mustWorkflowEnded(t, env, w3)
	// W4: rejected by the team; its administrator is still an active one.
	w4 := register("376")
	_, declToken := apptest.DeclarationLink(t, waitEventMail(t, env, "worksite/"+w4+"/worksite_registered/"))
	mustAnswer(t, "sign W4's declaration", base.PostDeclaration(declToken, apptest.ValidDeclaration(t)), http.StatusOK)
	waitStateChecked(t, phys, w4, domain.WorksiteAwaitingReview)
	mustAnswer(t, "reject W4", base.Staff(http.MethodPost, "/api/v1/staff/worksites/"+w4+"/reject", map[string]string{"reason": "no antivirus"}),
		http.StatusOK)
	mustWorkflowEnded(t, env, w4)
	mustSettleMail(t, env)
	before := mustMembershipState(t, env, w, w2, w3, w4)

	signer := mustSigner(t, env.Config.Links.Secret)
	sign := func(p links.Purpose, subject string, expires time.Duration) string {
		return signer.Sign(links.Claims{Purpose: p, Subject: subject, Expires: time.Now().Add(expires)})
	}
	ws, ws3, ws4 := "/api/v1/worksites/"+w, "/api/v1/worksites/"+w3, "/api/v1/worksites/"+w4
	staff2, staff3, staff4 := "/api/v1/staff/worksites/"+w2, "/api/v1/staff/worksites/"+w3, "/api/v1/staff/worksites/"+w4
	member := func(sub, action string) string { return ws + "/members/" + url.PathEscape(sub) + "/" + action }
	search := func(q string) string { return "/api/v1/worksites/search?" + q }
	joinLink := "/api/v1/join-links/" + joinToken
	accept := func(token string) string { return "/api/v1/invitations/" + token + "/accept" }
	body := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	past, future := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(30*24*time.Hour).UTC().Format(time.RFC3339)
	otherAddress := registration()["address"] // W's
	reclassify := map[string]any{"locationType": "community_private_practice", "subOption": "np_led", "reason": "NP led"}

	cases := []struct {
		name   string
		do     func(c *apptest.Checked) apptest.Response
		status int
		code   string
		fields []string
	}{
		// Join requests.
		{"join: an unknown field", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).PostJSON(ws+"/join-requests", body("comment", "hi", "role", "admin"))
		}, 400, domain.EINVALID, []string{"role"}},
		{"join: a comment over 500 characters", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).PostJSON(ws+"/join-requests", body("comment", strings.Repeat("x", 501)))
		}, 400, domain.EINVALID, []string{"comment"}},
		{"join: not JSON", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodPost, ws+"/join-requests", "text/plain", []byte("let me in"))
		}, 400, domain.EINVALID, nil},
		{"join: twice", func(c *apptest.Checked) apptest.Response {
			return c.As(residentAuth).PostJSON(ws+"/join-requests", body())
		}, 409, domain.ECONFLICT, nil},
		{"join: already an active member", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).PostJSON(ws+"/join-requests", body())
		}, 409, domain.ECONFLICT, nil},
		{"join: an applicant without an account", func(c *apptest.Checked) apptest.Response {
			return c.As(noAccount).PostJSON(ws+"/join-requests", body())
		}, 422, domain.EUNPROCESSABLE, nil},
		{"join: anonymous", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON(ws+"/join-requests", body())
		}, 401, domain.EUNAUTHORIZED, nil},
		{"join: the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).PostJSON(ws+"/join-requests", body())
		}, 403, domain.EFORBIDDEN, nil},
		{"join: an unknown worksite", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).PostJSON("/api/v1/worksites/ZZZZZZZ/join-requests", body())
		}, 404, domain.ENOTFOUND, nil},

		// The address search.
		{"search: 2 characters", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address=37"), "", nil)
		}, 400, domain.EINVALID, []string{"address"}},
		{"search: 1 character among spaces and punctuation", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address="+url.QueryEscape(" #3. ")), "", nil)
		}, 400, domain.EINVALID, []string{"address"}},
		{"search: no address", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search(""), "", nil)
		}, 400, domain.EINVALID, []string{"address"}},
		{"search: over 200 characters", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address="+strings.Repeat("3", 201)), "", nil)
		}, 400, domain.EINVALID, []string{"address"}},
		{"search: a limit that is no number", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address=370&limit=ten"), "", nil)
		}, 400, domain.EINVALID, []string{"limit"}},
		{"search: limit 0", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address=370&limit=0"), "", nil)
		}, 400, domain.EINVALID, []string{"limit"}},
		{"search: limit 51", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Do(http.MethodGet, search("address=370&limit=51"), "", nil)
		}, 400, domain.EINVALID, []string{"limit"}},
		{"search: anonymous", func(c *apptest.Checked) apptest.Response {
			return c.As("").Do(http.MethodGet, search("address=370"), "", nil)
		}, 401, domain.EUNAUTHORIZED, nil},

		// Invitations.
		{"invite: a malformed email", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", "not-an-email"))
		}, 400, domain.EINVALID, []string{"email"}},
		{"invite: two addresses at once", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", "a@clinic.example.ca, b@clinic.example.ca"))
		}, 400, domain.EINVALID, []string{"email"}},
		{"invite: no email", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body())
		}, 400, domain.EINVALID, []string{"email"}},
		{"invite: an unknown field", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", "x@clinic.example.ca", "admin", "yes"))
		}, 400, domain.EINVALID, []string{"admin"}},
		{"invite: an address already invited", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", "pending@clinic.example.ca"))
		}, 409, domain.ECONFLICT, nil},
		{"invite: an address already invited, in capitals", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", " PENDING@Clinic.Example.CA "))
		}, 409, domain.ECONFLICT, nil},
		{"invite: an active member's address", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws+"/invitations", body("email", moaEmail))
		}, 409, domain.ECONFLICT, nil},
		{"invite: by a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).PostJSON(ws+"/invitations", body("email", "x@clinic.example.ca"))
		}, 404, domain.ENOTFOUND, nil},
		{"invite: by an applicant who is no member", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).PostJSON(ws+"/invitations", body("email", "x@clinic.example.ca"))
		}, 404, domain.ENOTFOUND, nil},
		{"invite: by the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).PostJSON(ws+"/invitations", body("email", "x@clinic.example.ca"))
		}, 403, domain.EFORBIDDEN, nil},
		{"resend: an unknown invitation", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, ws+"/invitations/inv-none/resend", nil)
		}, 404, domain.ENOTFOUND, nil},
		{"resend: by a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, ws+"/invitations/inv-none/resend", nil)
		}, 404, domain.ENOTFOUND, nil},

		// Answering join requests in the portal.
		{"reject: no reason", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, ws+"/join-requests/"+pendingRID+"/reject", nil)
		}, 400, domain.EINVALID, []string{"reason"}},
		{"reject: a blank reason", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, ws+"/join-requests/"+pendingRID+"/reject", body("reason", "   "))
		}, 400, domain.EINVALID, []string{"reason"}},
		{"reject: a reason over 1000 characters", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, ws+"/join-requests/"+pendingRID+"/reject", body("reason", strings.Repeat("x", 1001)))
		}, 400, domain.EINVALID, []string{"reason"}},
		{"approve: an unknown request", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, ws+"/join-requests/jr-none/approve", nil)
		}, 404, domain.ENOTFOUND, nil},
		{"approve: by a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, ws+"/join-requests/"+pendingRID+"/approve", nil)
		}, 404, domain.ENOTFOUND, nil},
		{"approve: by the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).Send(http.MethodPost, ws+"/join-requests/"+pendingRID+"/approve", nil)
		}, 403, domain.EFORBIDDEN, nil},

		// Member actions.
		{"demote: the last administrator, themselves", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member(physSub, "demote"), nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"demote: a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member(moaSub, "demote"), nil)
		}, 409, domain.ECONFLICT, nil},
		{"deactivate: oneself", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member(physSub, "deactivate"), body("reason", "leaving"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"deactivate: an unknown field", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member(moaSub, "deactivate"), body("why", "leaving"))
		}, 400, domain.EINVALID, []string{"why"}},
		{"deactivate: the reason twice", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodPost, member(moaSub, "deactivate"), "application/json", []byte(`{"reason":"a","reason":"b"}`))
		}, 400, domain.EINVALID, []string{"reason"}},
		{"deactivate: not JSON", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodPost, member(moaSub, "deactivate"), "text/plain", []byte("leaving"))
		}, 400, domain.EINVALID, nil},
		{"reactivate: an active member", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member(moaSub, "reactivate"), nil)
		}, 409, domain.ECONFLICT, nil},
		{"promote: a person who is no member", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, member("nobody", "promote"), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"promote: by a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, member(moaSub, "promote"), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"promote: by the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).Send(http.MethodPost, member(moaSub, "promote"), nil)
		}, 403, domain.EFORBIDDEN, nil},
		{"end date: in the past", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPut, member(moaSub, "end-date"), body("endsAt", past))
		}, 400, domain.EINVALID, []string{"endsAt"}},
		{"end date: a reason over 1000 characters", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPut, member(moaSub, "end-date"), body("endsAt", future, "reason", strings.Repeat("x", 1001)))
		}, 400, domain.EINVALID, []string{"reason"}},
		{"end date: anonymous", func(c *apptest.Checked) apptest.Response {
			return c.As("").Send(http.MethodPut, member(moaSub, "end-date"), body("endsAt", future))
		}, 401, domain.EUNAUTHORIZED, nil},

		// Accepting invitations.
		{"accept: with the wrong account", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept(invToken), nil)
		}, 403, domain.EFORBIDDEN, nil},
		// An address binds nothing until it is confirmed.
		{"accept: with an unconfirmed address", func(c *apptest.Checked) apptest.Response {
			return c.As(residentAuth).Send(http.MethodPost, accept(invToken), nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"accept: a forged token", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept("AAAA.BBBB"), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"accept: an altered token", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept(flipFirst(invToken)), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"accept: a join request token", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept(joinToken), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"accept: an expired token", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept(sign(links.PurposeInvitation, w+"/inv-x", -time.Hour)), nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"accept: an invitation that does not exist", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPost, accept(sign(links.PurposeInvitation, w+"/inv-none", time.Hour)), nil)
		}, 404, domain.ENOTFOUND, nil},
		{"accept: without an account", func(c *apptest.Checked) apptest.Response {
			return c.As(noAccount).Send(http.MethodPost, accept(invToken), nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"accept: anonymous", func(c *apptest.Checked) apptest.Response {
			return c.As("").Send(http.MethodPost, accept(invToken), nil)
		}, 401, domain.EUNAUTHORIZED, nil},
		{"accept: the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).Send(http.MethodPost, accept(invToken), nil)
		}, 403, domain.EFORBIDDEN, nil},

		// Join request links.
		{"join link: forged, read", func(c *apptest.Checked) apptest.Response {
			return c.As("").Do(http.MethodGet, "/api/v1/join-links/AAAA.BBBB", "", nil)
		}, 404, domain.ENOTFOUND, nil},
		{"join link: forged, answered", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/AAAA.BBBB", map[string]any{"approve": true})
		}, 404, domain.ENOTFOUND, nil},
		{"join link: altered", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+flipFirst(joinToken), map[string]any{"approve": true})
		}, 404, domain.ENOTFOUND, nil},
		{"join link: an invitation token", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+invToken, map[string]any{"approve": true})
		}, 404, domain.ENOTFOUND, nil},
		{"join link: expired, read", func(c *apptest.Checked) apptest.Response {
			return c.As("").Do(http.MethodGet, "/api/v1/join-links/"+sign(links.PurposeJoinDecision, w+"/"+pendingRID+"/"+physSub, -time.Minute), "", nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"join link: expired, answered", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+sign(links.PurposeJoinDecision, w+"/"+pendingRID+"/"+physSub, -time.Minute),
				map[string]any{"approve": true})
		}, 422, domain.EUNPROCESSABLE, nil},
		{"join link: no approve", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON(joinLink, body("reason", "who is this?"))
		}, 400, domain.EINVALID, []string{"approve"}},
		{"join link: approve as a string", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON(joinLink, body("approve", "yes"))
		}, 400, domain.EINVALID, []string{"approve"}},
		{"join link: reject without a reason", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON(joinLink, map[string]any{"approve": false, "reason": " "})
		}, 400, domain.EINVALID, []string{"reason"}},
		{"join link: an unknown field", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON(joinLink, map[string]any{"approve": true, "admin": true})
		}, 400, domain.EINVALID, []string{"admin"}},
		{"join link: naming a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+sign(links.PurposeJoinDecision, w+"/"+pendingRID+"/"+moaSub, time.Hour),
				map[string]any{"approve": true})
		}, 403, domain.EFORBIDDEN, nil},
		{"join link: a request that does not exist, read", func(c *apptest.Checked) apptest.Response {
			return c.As("").Do(http.MethodGet, "/api/v1/join-links/"+sign(links.PurposeJoinDecision, w+"/jr-none/"+physSub, time.Hour), "", nil)
		}, 404, domain.ENOTFOUND, nil},
		{"join link: a request that does not exist, answered", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+sign(links.PurposeJoinDecision, w+"/jr-none/"+physSub, time.Hour),
				map[string]any{"approve": true})
		}, 404, domain.ENOTFOUND, nil},

		// The administrator's edit.
		{"edit: nothing", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws, body())
		}, 400, domain.EINVALID, nil},
		{"edit: an empty name, a bad phone, extension, email and EMR", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws, body("name", " ", "phone", "123", "extension", "12a", "email", "front", "emr", "Nope"))
		}, 400, domain.EINVALID, []string{"name", "phone", "extension", "email", "emr"}},
		{"edit: a name with a line break or a control character", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws, body("name", "Proctor\r\nBcc: x@example.ca"))
		}, 400, domain.EINVALID, []string{"name"}},
		{"edit: the address, which is the team's to change", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws, map[string]any{"address": otherAddress})
		}, 400, domain.EINVALID, []string{"address"}},
		{"edit: by a member who is no administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(moaAuth).Send(http.MethodPatch, ws, body("name", "Mine"))
		}, 404, domain.ENOTFOUND, nil},
		{"edit: by the team", func(c *apptest.Checked) apptest.Response {
			return c.As(team).Send(http.MethodPatch, ws, body("name", "Ours"))
		}, 403, domain.EFORBIDDEN, nil},

		// The team's endpoints, by an administrator.
		{"classify: by an administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, staff2, reclassify)
		}, 403, domain.EFORBIDDEN, nil},
		{"suspend: by an administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, "/api/v1/staff/worksites/"+w+"/suspend", body("reason", "x"))
		}, 403, domain.EFORBIDDEN, nil},
		{"reinstate: by an administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPost, staff2+"/reinstate", body("reason", "x"))
		}, 403, domain.EFORBIDDEN, nil},

		// The team's classification and suspension.
		{"classify: to an address already taken", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff2, map[string]any{"address": otherAddress, "reason": "moved"})
		}, 409, domain.ECONFLICT, []string{"address"}},
		{"classify: no reason", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff2, map[string]any{"locationType": "community_private_practice", "subOption": "np_led"})
		}, 400, domain.EINVALID, []string{"reason"}},
		{"classify: neither address nor type", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff2, body("reason", "because"))
		}, 400, domain.EINVALID, []string{"locationType"}},
		{"classify: an unknown type", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff2, body("locationType", "castle", "reason", "because"))
		}, 400, domain.EINVALID, []string{"locationType"}},
		{"classify: a postal code outside BC", func(c *apptest.Checked) apptest.Response {
			addr := cloneMap(otherAddress.(map[string]any))
			addr["postalCode"] = "M5V 2T6"
			return c.Staff(http.MethodPatch, staff2, map[string]any{"address": addr, "reason": "moved"})
		}, 400, domain.EINVALID, []string{"address.postalCode"}},
		{"classify: an unknown worksite", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, "/api/v1/staff/worksites/ZZZZZZZ", reclassify)
		}, 404, domain.ENOTFOUND, nil},
		{"suspend: twice", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, staff2+"/suspend", body("reason", "audit"))
		}, 409, domain.ECONFLICT, nil},
		{"suspend: no reason", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+w+"/suspend", body())
		}, 400, domain.EINVALID, []string{"reason"}},
		{"suspend: a blank reason", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+w+"/suspend", body("reason", "  "))
		}, 400, domain.EINVALID, []string{"reason"}},
		{"reinstate: a worksite that is not suspended", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+w+"/reinstate", body("reason", "fine"))
		}, 409, domain.ECONFLICT, nil},

		// A closed worksite takes no change.
		{"closed: suspend", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, staff3+"/suspend", body("reason", "audit"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: reinstate", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, staff3+"/reinstate", body("reason", "audit"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: close again", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, ws3+"/close", body("reason", "again"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: reclassify", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff3, reclassify)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"rejected: reclassify", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPatch, staff4, reclassify)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"rejected: edit, by its administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws4, body("name", "Second Try Clinic"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"rejected: invite, by its administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws4+"/invitations", body("email", "x@clinic.example.ca"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"rejected: suspend", func(c *apptest.Checked) apptest.Response {
			return c.Staff(http.MethodPost, staff4+"/suspend", body("reason", "audit"))
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: a join request", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).PostJSON(ws3+"/join-requests", body())
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: accept an invitation", func(c *apptest.Checked) apptest.Response {
			return c.As(freshAuth).Send(http.MethodPost, accept(closedInvToken), nil)
		}, 422, domain.EUNPROCESSABLE, nil},
		{"closed: answer a join request link", func(c *apptest.Checked) apptest.Response {
			return c.As("").PostJSON("/api/v1/join-links/"+closedJoinToken, map[string]any{"approve": true})
		}, 422, domain.EUNPROCESSABLE, nil},
		// Closing set its administrator inactive: to them it is now someone else's worksite.
		{"closed: invite, by its former administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).PostJSON(ws3+"/invitations", body("email", "x@clinic.example.ca"))
		}, 404, domain.ENOTFOUND, nil},
		{"closed: edit, by its former administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Send(http.MethodPatch, ws3, body("name", "Reopened"))
		}, 404, domain.ENOTFOUND, nil},
		{"closed: members, read by its former administrator", func(c *apptest.Checked) apptest.Response {
			return c.As(physAuth).Do(http.MethodGet, ws3+"/members", "", nil)
		}, 404, domain.ENOTFOUND, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do(base.For(t))
			mustErrorBody(t, res, tc.status, tc.code, tc.fields...)
			before.mustBeUnchanged(t, env)
		})
	}

	// A refused change that went through after all would email later.
	time.Sleep(time.Second)
	before.mustBeUnchanged(t, env)
}
