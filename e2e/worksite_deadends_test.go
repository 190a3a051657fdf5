package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"careconnect/app/apptest"
	"careconnect/devidp"
)

// TestWorksiteDeadEnds walks the worksite states issue 14 found to be dead
// ends, in the portal and the team console, on a system of its own (the
// addresses here are the other journeys' too):
//
//   - the registration form takes a contact name, which the team sees;
//   - the team sees the declaration (signer, title, attestations, signed
//     at) and its screenshot inline, and is emailed when it is signed;
//   - the team closes a worksite with a reason; its address is then free,
//     and search offers only the worksite that replaced it;
//   - search finds "101-370 Broadway E", "Broadway E, Vancouver" and a
//     street name alone, and offers to register when nothing matches;
//   - joining by ID shows the worksite's name and address first, an
//     unknown ID says so plainly, and the requester is emailed a confirmation;
//   - promoting a member to administrator asks for confirmation.
func TestWorksiteDeadEnds(t *testing.T) {
	requireBrowserTests(t)
	env := mustSystem(t)
	b := mustBrowser(t, env)
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	moaAuth := env.RegisterConfirmedAccount(devidp.PersonaMOA)

	// The physician registers a worksite in the portal, with a contact name.
	doc := b.user(t, "physician")
	doc.signIn("/portal", devidp.PersonaPhysician)
	doc.waitHeading("Your CareConnect enrolment") // the status page first, so it does not draw over the next
	doc.open("/portal#/worksites/new")
	doc.waitHeading("Register a worksite")
	registerIn := func(name string) string {
		doc.fill("#f-name", name)
		doc.fill("#f-contactName", "Dana Lee")
		doc.fill("#f-phone", "604-555-4555")
		doc.fill("#f-email", "front@proctor.example.ca")
		doc.fill("#f-address-unit", "101")
		doc.fill("#f-address-streetNumber", "370")
		doc.fill("#f-address-streetName", "Broadway East")
		doc.fill("#f-address-city", "Vancouver")
		doc.fill("#f-address-postalCode", "V5T 4G5")
		doc.fill("#f-locationType", "community_private_practice")
		doc.fill("#f-subOption", "physician_led")
		doc.fill("#f-emr", "OSCAR")
		doc.click("#worksite-form button[type=submit]")
		doc.waitVisible("#worksite-id")
		return strings.TrimSpace(doc.text("#worksite-id"))
	}
	old := registerIn("Proctor Clinic")
	doc.mustBeAccessible("registered-with-contact")
	signDeclaration(t, env, docEmail, old)
	// The enrolment team is told the declaration is signed.
	waitMailKey(t, env, "worksite/"+old+"/declaration_signed/")

	// The team's worksite page: contact, declaration and screenshot inline.
	team := b.user(t, "team")
	team.signIn("/team", devidp.PersonaTeam)
	team.reloadUntil("/team#/worksites/"+old, `document.querySelector('#worksite-declaration')`, "the signed declaration")
	team.waitText("#worksite-contact", "Dana Lee")
	team.waitText("#worksite-declaration", "Signed by")
	team.waitText("#worksite-declaration", "legal signing authority")
	team.waitFor(`(() => { const i = document.querySelector('#declaration-screenshot'); return i && i.complete && i.naturalWidth > 0 })()`,
		"the screenshot shown inline")
	team.shot("team-worksite-declaration")
	team.mustBeAccessible("team-worksite-declaration")
	fitsPhone(team, "#worksite-declaration", "#declaration-screenshot", "#worksite-contact", "#close-worksite")

	// The team closes it, with a reason (required).
	team.click("#close-worksite")
	team.waitVisible("dialog[open] #f-reason")
	team.click("dialog[open] button[type=submit]")
	team.waitFor(`document.querySelector('dialog[open] #f-reason-err').textContent.length > 0`, "the missing reason's error")
	team.fill("dialog[open] #f-reason", "The clinic has moved to a new building")
	team.click("dialog[open] button[type=submit]")
	team.waitText("#announce", "closed")
	team.reloadUntil("/team#/worksites/"+old, mainHas("The clinic has moved"), "the closed worksite with its reason")
	team.shot("team-worksite-closed")

	// Its address is free again: the physician registers it anew.
	doc.reloadUntil("/portal#/worksites/new", mainHas("Register a worksite"), "the registration form")
	id := registerIn("Proctor Clinic Broadway")
	if id == old || !worksiteIDRE.MatchString(id) {
		t.Fatalf("re-registered worksite ID = %q; want a new one (the closed one is %s)", id, old)
	}

	// The MOA searches the ways people type an address; only the live worksite is offered.
	moa := b.user(t, "moa")
	moa.signIn("/portal", devidp.PersonaMOA)
	moa.waitHeading("Your CareConnect enrolment")
	moa.open("/portal#/worksites/join")
	moa.waitHeading("Join a worksite")
	for _, typed := range []string{"101-370 Broadway E", "370 Broadway", "Broadway E, Vancouver", "Broadway"} {
		moa.fill("#f-address", "")
		moa.typeKeys("#f-address", typed)
		moa.waitFor(fmt.Sprintf(`document.querySelector('#search-results').innerText.includes('ID %s')`, id), "the live worksite found by "+typed)
		if strings.Contains(moa.text("#search-results"), old) {
			t.Errorf("search %q offers the closed worksite %s: %s", typed, old, moa.text("#search-results"))
		}
	}
	moa.shot("search-found")
	// Nothing found: registering it is offered.
	moa.fill("#f-address", "")
	moa.typeKeys("#f-address", "999 Nowhere Road")
	moa.waitText("#search-count", "No worksite found")
	moa.waitVisible("#register-from-search")
	moa.shot("search-none")
	moa.mustBeAccessible("search-none")
	// Registering starts from what was typed.
	moa.click("#register-from-search")
	moa.waitHeading("Register a worksite")
	var typed []string
	moa.eval(`['#f-address-streetNumber', '#f-address-streetName'].map((s) => document.querySelector(s).value)`, &typed)
	if strings.Join(typed, " ") != "999 Nowhere Road" {
		t.Errorf("registration form after a search with no match = %q; want 999 and Nowhere Road filled in", typed)
	}
	moa.open("/portal#/worksites/join")
	moa.waitHeading("Join a worksite")

	// By ID: an unknown one says so plainly; a known one shows its name and address first.
	moa.fill("#f-worksiteId", "ZZZZZZZ")
	moa.click("#by-id button[type=submit]")
	moa.waitText("#f-worksiteId-err", "no worksite you can join has the ID ZZZZZZZ")
	moa.fill("#f-worksiteId", strings.ToLower(old))
	moa.click("#by-id button[type=submit]")
	moa.waitText("#f-worksiteId-err", "no worksite you can join has the ID "+old)
	moa.fill("#f-worksiteId", strings.ToLower(id))
	moa.click("#by-id button[type=submit]")
	moa.waitText("#join-form h2", "Ask to join Proctor Clinic Broadway, 101-370 Broadway East, Vancouver, BC V5T 4G5")
	moa.shot("join-by-id-preview")
	moa.mustBeAccessible("join-by-id-preview")
	fitsPhone(moa, "#join-form", "#by-id", "#search-register")
	moa.fill("#f-comment", "I run the front desk")
	moa.click("#join-form button[type=submit]")
	moa.waitVisible("#join-sent")
	// The requester gets a confirmation.
	confirmation := waitMailKey(t, env, "worksite/"+id+"/join_request_received/")
	if !strings.Contains(confirmation.Text, "I run the front desk") {
		t.Errorf("join confirmation does not quote the message:\n%s", confirmation.Text)
	}

	// The administrator approves, then promotes the MOA, after confirming.
	doc.reloadUntil("/portal#/worksites/"+id, `document.querySelector('button[aria-label$="join request"]')`, "the MOA's join request")
	doc.click(`button[aria-label^="Approve"][aria-label$="join request"]`)
	doc.waitText("#announce", "is now a member")
	doc.reloadUntil("/portal#/worksites/"+id, `document.querySelector('button[aria-label^="Promote"]')`, "the MOA as a member")
	doc.click(`button[aria-label^="Promote"]`)
	doc.waitVisible("dialog[open]")
	doc.waitText("dialog[open] h2", "a site administrator?")
	doc.shot("promote-confirm")
	doc.mustBeAccessible("promote-confirm")
	// Cancel changes nothing.
	doc.click("dialog[open] button[data-cancel]")
	time.Sleep(300 * time.Millisecond)
	if res := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", moaAuth); res.Status == http.StatusOK {
		t.Errorf("the MOA reads the members after a cancelled promotion: %d; want them still not an administrator", res.Status)
	}
	doc.click(`button[aria-label^="Promote"]`)
	doc.waitVisible("dialog[open]")
	doc.click("dialog[open] button[type=submit]")
	doc.waitText("#announce", "is now a site administrator")
	waitFor(t, 20*time.Second, "the MOA promoted", func() bool {
		res := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", moaAuth)
		return res.Status == http.StatusOK
	})
}

// fitsPhone narrows p's window to a phone's width (390 CSS pixels), checks
// that each element of sels fits inside it, and widens it again.
func fitsPhone(p *tab, sels ...string) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(390, 844))
	defer p.do(chromedp.EmulateViewport(1366, 900))
	for _, sel := range sels {
		var fits bool
		p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; const r = e.getBoundingClientRect();
			return r.left >= 0 && r.right <= document.documentElement.clientWidth + 1 })()`, sel), &fits)
		if !fits {
			p.shotOnFailure()
			p.t.Errorf("%s: %s does not fit a phone's width", p.name, sel)
		}
	}
	p.shot("phone-width")
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
