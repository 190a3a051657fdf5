package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
)

// TestBrowserNoDeadEnds walks the states issue 14 found without a way
// forward, on a system of its own: an account with no worksite, a join
// request waiting on the administrators, an invitation to someone without
// an account, what waits on an administrator, and resetting a password.
func TestBrowserNoDeadEnds(t *testing.T) {
	requireBrowserTests(t)
	env := mustSystem(t)
	b := mustBrowser(t, env)

	admin := env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	id := registerWorksite(t, env, admin, "Grandview Community Clinic", "1550", "Commercial Drive", "community_private_practice", "physician_led")

	t.Run("StatusListsANewWorksiteAtOnce", func(t *testing.T) {
		// A person's own status lists their worksite straight after they register it.
		second := registerWorksite(t, env, admin, "Grandview Annex", "1552", "Commercial Drive", "community_private_practice", "physician_led")
		st := myStatus(t, env, admin)
		found := false
		for _, w := range st.Worksites {
			found = found || (w.WorksiteID == second && w.Active && w.Admin)
		}
		if !found {
			t.Errorf("status right after registering %s lists %+v; want it, administered", second, st.Worksites)
		}
	})
	t.Run("NoWorksiteAndPasswordReset", func(t *testing.T) { noWorksiteAndPasswordReset(t, b) })
	t.Run("JoinRequestWaitsOnAdministrators", func(t *testing.T) { joinRequestWaitsOnAdministrators(t, b, admin, id) })
	t.Run("InvitationThroughRegistration", func(t *testing.T) { invitationThroughRegistration(t, b, admin, id) })
	t.Run("TeamFindsPagesAndExports", func(t *testing.T) { teamFindsPagesAndExports(t, b, id) })
	t.Run("TeamPagesAndExportsTheQueue", func(t *testing.T) { teamPagesAndExportsTheQueue(t, b) })
	t.Run("TeamPagesTheWorksitesAwaitingApproval", func(t *testing.T) { teamPagesTheWorksitesAwaitingApproval(t, b) })
	t.Run("ProfileChangesReachTheWorksite", func(t *testing.T) { profileChangesReachTheWorksite(t, b, id) })
}

// myStatus reads GET /api/v1/me/status as auth.
func myStatus(t *testing.T, env *apptest.Env, auth string) domain.UserStatus {
	t.Helper()
	res := env.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/me/status: %d %s", res.Status, res.Body)
	}
	var out struct {
		Status domain.UserStatus `json:"status"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Status
}

// An account with no worksite names the applicant as who must act, with
// the way to a worksite; the password screen resets the password.
func noWorksiteAndPasswordReset(t *testing.T, b *browser) {
	env := b.env
	p := b.user(t, "pharmacist")
	p.signIn("/portal", devidp.PersonaPharmacist)
	registerAccount(p, devidp.PersonaPharmacist)
	p.waitText("#todo", "Register your worksite or join one")

	st := myStatus(t, env, env.Bearer(devidp.PersonaPharmacist))
	if st.WaitingOn != domain.PartyApplicant || st.NextAction == "" {
		t.Errorf("status of an account with no worksite: waitingOn %q, nextAction %q; want the applicant and an action", st.WaitingOn, st.NextAction)
	}
	email := apptest.AccountFor(devidp.PersonaPharmacist)["email"].(string)
	confirmEmail(p, devidp.PersonaPharmacist, email)
	p.reloadUntil("/portal#/", `!!document.querySelector('#todo-person')`, "the person's next action")
	p.waitText("#todo-person", "Register your worksite or join one")
	p.waitText("#todo-person", "Who must act: You")
	p.waitVisible(`#todo-person a[href="#/worksites/join"]`)
	st = myStatus(t, env, env.Bearer(devidp.PersonaPharmacist))
	if st.WaitingOn != domain.PartyApplicant || !strings.Contains(st.NextAction, "worksite") {
		t.Errorf("status after confirming: waitingOn %q, nextAction %q; want the applicant: register or join a worksite", st.WaitingOn, st.NextAction)
	}
	p.shot("no-worksite")

	// The password screen, from the account page: the two passwords must match.
	p.open("/portal#/account")
	p.waitHeading("Your HxBC account")
	p.click("#reset-password")
	p.waitHeading("Reset your password")
	p.mustBeAccessible("password-reset")
	p.fill("#f-password", "Newer!Pass42")
	p.fill("#f-confirmPassword", "Newer!Pass43")
	p.click("#password-form button[type=submit]")
	p.waitFor(`document.querySelector('#f-confirmPassword-err').textContent.length > 0`, "the confirmation's error beside it")
	p.fill("#f-password", "weak")
	p.fill("#f-confirmPassword", "weak")
	p.click("#password-form button[type=submit]")
	p.waitFor(`document.querySelector('#f-password-err').textContent.length > 0`, "the password rule's error beside it")
	p.fill("#f-password", "Newer!Pass42")
	p.fill("#f-confirmPassword", "Newer!Pass42")
	p.click("#password-form button[type=submit]")
	p.waitText("#announce", "Your password is reset")
	p.waitHeading("Your CareConnect enrolment")
	p.waitText("#done", "password reset")
	p.shot("password-reset")
}

// An MOA's pending join request names the site administrator, with the
// date asked; the administrator's status page lists it under "Requests
// requiring your attention", with its age and a link that answers it.
func joinRequestWaitsOnAdministrators(t *testing.T, b *browser, admin, id string) {
	env := b.env
	moa := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	if res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "front desk"}, "Authorization", moa); res.Status != http.StatusCreated {
		t.Fatalf("join request: %d %s", res.Status, res.Body)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	st := myStatus(t, env, moa)
	if st.WaitingOn != domain.PartySiteAdmin || !strings.Contains(st.NextAction, "asked "+today) {
		t.Errorf("status with a pending join request: waitingOn %q, nextAction %q; want the site administrator, asked %s", st.WaitingOn, st.NextAction, today)
	}

	p := b.user(t, "moa")
	p.signIn("/portal", devidp.PersonaMOA)
	p.reloadUntil("/portal#/", `!!document.querySelector('#todo-person')`, "the person's next action")
	p.waitText("#todo-person", "Your request to join a worksite")
	p.waitText("#todo-person", "Who must act: Site administrator")
	p.waitText("#todo-person", "Grandview Community Clinic")
	p.waitText("#pending", "Grandview Community Clinic")
	p.shot("join-request-waits")
	p.mustBeAccessible("status-join-pending")

	a := b.user(t, "site-admin")
	a.signIn("/portal", devidp.PersonaPhysician)
	a.reloadUntil("/portal#/", `!!document.querySelector('#attention tr') && document.querySelector('#attention').innerText.includes('Join request')`, "the join request in the attention panel")
	a.waitText("#attention", "Requests requiring your attention")
	a.waitText("#attention", "Join request")
	a.waitText("#attention", "today")
	a.shot("attention-panel")
	a.mustBeAccessible("status-attention")
	a.click(fmt.Sprintf(`#attention a[href="#/worksites/%s"]`, id))
	a.waitHeading("Grandview Community Clinic")
	a.waitText("main", "front desk")
}

// An invitation to someone without an account: the page names the
// worksite and sends them to register, then back; once their address is
// confirmed the status lists the invitation, and they accept it there.
func invitationThroughRegistration(t *testing.T, b *browser, admin, id string) {
	env := b.env
	rnEmail := apptest.AccountFor(devidp.PersonaRegisteredNurse)["email"].(string)
	if res := env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": rnEmail}, "Authorization", admin); res.Status/100 != 2 {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	inv := waitMail(t, env, rnEmail, "invited")
	tok := invitationTokenRE.FindStringSubmatch(inv.Text)
	if tok == nil {
		t.Fatalf("no invitation link in:\n%s", inv.Text)
	}

	// The administrator sees the invitation awaiting a response.
	a := b.user(t, "site-admin-2")
	a.signIn("/portal", devidp.PersonaPhysician)
	a.reloadUntil("/portal#/", `!!document.querySelector('#attention') && document.querySelector('#attention').innerText.includes(`+fmt.Sprintf("%q", rnEmail)+`)`, "the invitation in the attention panel")
	a.waitText("#attention", "Invitation awaiting response")

	p := b.user(t, "invitee")
	p.open("/invitations/" + tok[1])
	p.waitHeading("Invitation to join a worksite")
	p.waitText("#invited-to", "Grandview Community Clinic")
	p.waitText("#invited-to", id)
	p.shot("invitation-page")
	p.click("#accept") // signed out: sign in first, and come back here
	p.pickPersona(devidp.PersonaRegisteredNurse)
	p.waitHeading("Invitation to join a worksite")
	p.waitVisible("#no-account")
	p.click("#register")
	p.waitHeading("Register your HxBC account")
	fillAccountForm(p, devidp.PersonaRegisteredNurse)
	p.click("#account-form button[type=submit]")
	// Registered: back on the invitation page, which asks to confirm the address first.
	p.waitHeading("Invitation to join a worksite")
	p.waitText("#msg", "Confirm your email address first")

	p.open("/portal#/")
	p.waitHeading("Your CareConnect enrolment")
	p.waitText("#pending", "Grandview Community Clinic")
	if strings.Contains(p.text("#todo"), "Register your worksite or join one") {
		t.Errorf("an invited person's status still says to register or join a worksite:\n%s", p.text("#todo"))
	}
	confirmEmail(p, devidp.PersonaRegisteredNurse, rnEmail)
	p.reloadUntil("/portal#/", `!!document.querySelector('#pending button[data-invitation]')`, "the invitation's Accept button")
	p.waitText("#todo-person", "Accept your invitation")
	p.shot("invitation-listed")
	p.mustBeAccessible("status-invited")
	p.click("#pending button[data-invitation]")
	p.waitText("#announce", "You are now a member of Grandview Community Clinic")
	p.reloadUntil("/portal#/", `[...document.querySelectorAll('main tr')].some(r => r.innerText.includes('Grandview Community Clinic') && r.innerText.includes('Active'))`, "the worksite among hers, active")
	p.shot("invitation-accepted")
}

// pickPersona signs in as persona on the dev identity provider's picker,
// which the page has just sent the browser to.
func (p *tab) pickPersona(persona string) {
	p.t.Helper()
	sel := fmt.Sprintf(`button[name="persona"][value=%q]`, persona)
	p.waitVisible(sel)
	p.click(sel)
}

// The team finds a person by email (their preferred name beside the
// legal one) and a worksite by address, pages every list by cursor with
// its total, and exports it as CSV.
func teamFindsPagesAndExports(t *testing.T, b *browser, id string) {
	env := b.env
	moa := env.Bearer(devidp.PersonaMOA)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)
	if res := env.Do(http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{"preferredFirstName": "Nita"}`), "Authorization", moa); res.Status != http.StatusOK {
		t.Fatalf("preferred name: %d %s", res.Status, res.Body)
	}

	// Paging: one person a page, every person once, the total on each page.
	var total int64 = -1
	seen := map[string]bool{}
	for cursor := ""; ; {
		res := env.Staff(http.MethodGet, "/api/v1/staff/people?limit=1&cursor="+cursor, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("people page: %d %s", res.Status, res.Body)
		}
		var page domain.PeoplePage
		res.JSON(t, &page)
		if total >= 0 && page.Total != total {
			t.Fatalf("total changed from %d to %d", total, page.Total)
		}
		total = page.Total
		for _, p := range page.People {
			if seen[p.Subject] {
				t.Fatalf("%s listed twice", p.Subject)
			}
			seen[p.Subject] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if int64(len(seen)) != total || total < 4 {
		t.Errorf("paged through %d people of a total of %d; want every one, at least the 4 here", len(seen), total)
	}

	p := b.user(t, "team")
	p.signIn("/team", devidp.PersonaTeam)
	p.open("/team#/people")
	p.waitHeading("People")
	p.fill("#people-search input[name=q]", moaEmail)
	p.click("#people-search button[type=submit]")
	p.waitText("#list-total", "1 people match")
	p.waitText("main table", "Nita")
	p.waitText("main table", "Kevin Nguyen")
	p.mustBeAccessible("team-people")
	p.shot("team-people")
	var csv string
	p.eval(`fetch(document.querySelector('#export-csv').href).then(r => r.text())`, &csv)
	if !strings.HasPrefix(csv, "subject,legal_first_name") || !strings.Contains(csv, moaEmail) || strings.Count(csv, "\n") != 2 {
		t.Errorf("people CSV:\n%s\nwant the header and the one person found", csv)
	}
	p.click("main table a")
	p.waitText("#person-preferred-name", "Nita")

	p.open("/team#/worksites")
	p.waitHeading("Worksites")
	p.fill("form[role=search] input[name=q]", "1550 commercial")
	p.click("form[role=search] button[type=submit]")
	p.waitText("#list-total", "1 worksites match")
	p.waitText("main table", id)
	p.shot("team-worksites-found")
}

// The team's application queue pages past its page of 50 with Next and
// Previous, says how many applications match, and exports every one as
// CSV with formula cells defused, at desktop and phone width. The rows
// are application projections written to the store (the queue reads
// only those), in a state no other step here leaves an application in.
func teamPagesAndExportsTheQueue(t *testing.T, b *browser) {
	env := b.env
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const n = 55
	for i := range n {
		name := fmt.Sprintf("Paging Person %02d", i)
		if i == 0 {
			name = "=SUM(1+1)"
		}
		ready := at.Add(time.Duration(i) * time.Minute)
		a := domain.Application{Worksite: domain.WorksiteFacts{ID: "QPAGE01", Name: "Queue Paging Clinic"}, State: domain.AppEnded,
			SubmittedAt: at, ReadySince: &ready}
		if err := env.Store.SaveApplication(ctx, fmt.Sprintf("queue-paging-%02d", i), name, domain.ProfMOA, a, 1); err != nil {
			t.Fatal(err)
		}
	}
	p := b.user(t, "team-queue")
	p.signIn("/team", devidp.PersonaTeam)
	p.open("/team#/?state=ended")
	p.waitHeading("Queue")
	p.waitText("#list-total", "55 applications match; 50 shown on this page.")
	p.waitText("main", "Paging Person 49")
	p.mustBeAccessible("team-queue-paged")
	p.atEveryWidth(func(v viewport) {
		p.click("#next-page")
		p.waitText("#list-total", "55 applications match; 5 shown on this page.")
		p.waitText("main", "Paging Person 54")
		if strings.Contains(p.mainText(), "Paging Person 49") {
			t.Errorf("at %s width the second page repeats the first page's rows", v.name)
		}
		p.click("#prev-page")
		p.waitText("#list-total", "50 shown on this page.")
		p.waitText("main", "Paging Person 01")
	})
	var csv string
	p.eval(`fetch(document.querySelector('#export-csv').href).then(r => r.text())`, &csv)
	if !strings.HasPrefix(csv, "subject,name,profession,worksite_id") || strings.Count(csv, "\n") != n+1 ||
		!strings.Contains(csv, "queue-paging-54,Paging Person 54") || !strings.Contains(csv, "queue-paging-00,'=SUM(1+1)") {
		t.Errorf("queue CSV:\n%s\nwant the header and all %d applications, the formula defused", csv, n)
	}
	p.shot("team-queue-paged")
}

// The team's worksites awaiting approval page past 50 on their own, with
// their total, at desktop and phone width (they stopped at 100 before).
// The rows are worksite projections written to the store (the queue
// reads only those), registered after every other worksite here so that
// they fill the second page.
func teamPagesTheWorksitesAwaitingApproval(t *testing.T, b *browser) {
	env := b.env
	ctx := context.Background()
	before := queueWorksitesTotal(t, env)
	const n = 55
	for i := range n {
		reg := domain.WorksiteRegistration{Name: fmt.Sprintf("Paging Clinic %02d", i), Phone: "(604) 555-4555", Email: "paging@example.ca",
			Address: domain.Address{Unit: fmt.Sprint(100 + i), StreetNumber: "77", StreetName: "Paging St", City: "Vancouver", Province: "BC",
				PostalCode: "V5T 4G5"},
			LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR",
			Administrator: domain.Person{Name: "Pat Paging", Email: "pat@example.ca"}}
		at := time.Now().Add(time.Duration(i) * time.Second)
		w, err := env.Store.CreateWorksite(ctx, reg, at, domain.AuditEvent{Actor: "pat@example.ca", Role: "applicant", Action: "worksite registered"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Store.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingReview,
			WaitingOn: domain.PartyEnrolmentTeam, WaitingSince: at, Timeline: []domain.TimelineEvent{}, Seq: 1}); err != nil {
			t.Fatal(err)
		}
	}
	total := before + n
	p := b.user(t, "team-worksites-queue")
	p.signIn("/team", devidp.PersonaTeam)
	p.open("/team#/")
	p.waitHeading("Queue")
	p.waitText("#wsq-h", fmt.Sprintf("Worksites awaiting approval (%d)", total))
	p.waitText("#ws-total", fmt.Sprintf("%d worksites awaiting approval; 50 shown on this page.", total))
	p.mustBeAccessible("team-queue-worksites-paged")
	p.atEveryWidth(func(v viewport) {
		p.click("#ws-next-page")
		p.waitText("#ws-total", fmt.Sprintf("; %d shown on this page.", total-50))
		p.waitText("main", "Paging Clinic 54")
		p.click("#ws-first-page")
		p.waitText("#ws-total", "50 shown on this page.")
	})
	var csv string
	p.eval(`fetch(document.querySelector('#ws-export-csv').href).then(r => r.text())`, &csv)
	if !strings.HasPrefix(csv, "id,name,location_type") || strings.Count(csv, "\n") != total+1 || !strings.Contains(csv, "Paging Clinic 54") {
		t.Errorf("worksites awaiting approval CSV has %d lines; want the header and all %d worksites", strings.Count(csv, "\n"), total)
	}
	p.shot("team-queue-worksites-paged")
}

// queueWorksitesTotal is the queue's count of worksites awaiting approval.
func queueWorksitesTotal(t *testing.T, env *apptest.Env) int {
	t.Helper()
	res := env.Staff(http.MethodGet, "/api/v1/staff/applications", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("queue: %d %s", res.Status, res.Body)
	}
	var out struct {
		Total int `json:"worksitesTotal"`
	}
	res.JSON(t, &out)
	return out.Total
}

// The team corrects the MOA (who asked to join) to physician, and the MOA
// takes a preferred name: the site administrator's page lists the join
// request with the corrected profession and the new name, at desktop and
// phone width (the worksite's records kept the old values before).
func profileChangesReachTheWorksite(t *testing.T, b *browser, id string) {
	env := b.env
	moa := env.Bearer(devidp.PersonaMOA)
	if res := env.Do(http.MethodGet, "/api/v1/me/pending", "", nil, "Authorization", moa); res.Status != http.StatusOK ||
		!strings.Contains(string(res.Body), id) {
		// Run alone: the MOA asks to join here first.
		env.RegisterConfirmedAccount(devidp.PersonaMOA)
		moa = env.Bearer(devidp.PersonaMOA)
		if res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "front desk"}, "Authorization", moa); res.Status != http.StatusCreated {
			t.Fatalf("join request: %d %s", res.Status, res.Body)
		}
	}
	if res := env.Staff(http.MethodPut, "/api/v1/staff/people/"+env.Subject(devidp.PersonaMOA)+"/profession", map[string]any{
		"profession": domain.ProfPhysician, "reason": "CPSBC lists them as a physician",
		"professionIds": map[string]string{"msp_billing_number": "1234567", "cpsid": "12345"}}); res.Status != http.StatusOK {
		t.Fatalf("profession correction: %d %s", res.Status, res.Body)
	}
	if res := env.Do(http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{"preferredFirstName": "Anita"}`), "Authorization", moa); res.Status != http.StatusOK {
		t.Fatalf("preferred name: %d %s", res.Status, res.Body)
	}
	a := b.user(t, "site-admin-profile")
	a.signIn("/portal#/worksites/"+id, devidp.PersonaPhysician)
	const row = `[...document.querySelectorAll('main tr')].some(r => r.innerText.includes('Anita') && r.innerText.includes('Physician') && r.innerText.includes('front desk'))`
	a.reloadUntil("/portal#/worksites/"+id, row, "the join request with the corrected profession and the new name")
	a.mustBeAccessible("worksite-profile-changed")
	a.atEveryWidth(func(v viewport) {
		a.waitFor(row, "the join request's new profession and name at "+v.name+" width")
	})
	a.shot("worksite-profile-changed")
}
