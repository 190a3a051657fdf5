package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/learninghub"
)

var invitationTokenRE = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)`)

// registerWorksite registers a worksite through the API as auth and returns its ID.
func registerWorksite(t *testing.T, env *apptest.Env, auth, name, number, street, locationType, subOption string) string {
	t.Helper()
	res := env.PostJSON("/api/v1/worksites", map[string]any{
		"name": name, "phone": "604-555-7000", "email": "front@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example.ca",
		"address":      map[string]any{"streetNumber": number, "streetName": street, "city": "Vancouver", "province": "BC", "postalCode": "V6B 1A1"},
		"locationType": locationType, "subOption": subOption, "emr": "OSCAR",
	}, "Authorization", auth)
	if res.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, res.Status, res.Body)
	}
	var out struct {
		Worksite struct {
			ID string `json:"id"`
		} `json:"worksite"`
	}
	res.JSON(t, &out)
	return out.Worksite.ID
}

// signDeclaration signs a worksite's declaration through its emailed link (over HTTP).
func signDeclaration(t *testing.T, env *apptest.Env, adminEmail, id string) {
	t.Helper()
	_, token := apptest.DeclarationLink(t, waitMail(t, env, adminEmail, id))
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign %s: %d %s", id, res.Status, res.Body)
	}
}

// approveWorksite has the team approve id once its declaration is in.
func approveWorksite(t *testing.T, env *apptest.Env, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{})
		if res.Status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("approve %s: %d %s", id, res.Status, res.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readyApplicant registers persona, a worksite of theirs, signs and approves
// it, applies and completes LearningHub: an application ready for the team.
func readyApplicant(t *testing.T, env *apptest.Env, persona, worksite, number, street, locationType, subOption string, hpcaa bool) string {
	t.Helper()
	auth := env.RegisterConfirmedAccount(persona)
	email := apptest.AccountFor(persona)["email"].(string)
	id := registerWorksite(t, env, auth, worksite, number, street, locationType, subOption)
	signDeclaration(t, env, email, id)
	approveWorksite(t, env, id)
	if res := env.PostJSON("/api/v1/me/applications", map[string]any{"worksiteId": id, "answers": map[string]bool{"direct_clinical_care": true}},
		"Authorization", auth); res.Status != http.StatusCreated {
		t.Fatalf("apply %s: %d %s", persona, res.Status, res.Body)
	}
	learningHub(t, env, persona+"-course-"+id, learninghub.TypeCourseCompleted, email)
	if hpcaa {
		learningHub(t, env, persona+"-hpcaa-"+id, learninghub.TypeAgreementAcknowledged, email)
	}
	return id
}

// administratorRejectsJoinRequest: a registered nurse asks to join a
// physician's worksite; the physician, its site administrator, rejects the
// request in the portal, first without the required reason (shown beside
// the field), then with one, which the nurse is emailed.
func administratorRejectsJoinRequest(t *testing.T, b *browser) {
	env := b.env
	admin := env.RegisterAccount(devidp.PersonaPhysician2)
	id := registerWorksite(t, env, admin, "Kitsilano Family Practice", "2100", "West 4th Avenue", "community_private_practice", "physician_led")
	rn := env.RegisterConfirmedAccount(devidp.PersonaRegisteredNurse)
	rnEmail := apptest.AccountFor(devidp.PersonaRegisteredNurse)["email"].(string)
	if res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "evening clinic shifts"}, "Authorization", rn); res.Status != http.StatusCreated {
		t.Fatalf("join request: %d %s", res.Status, res.Body)
	}

	// Signing in from a link to the worksite's page comes back to that page.
	p := b.user(t, "site-admin")
	p.signIn("/portal#/worksites/"+id, devidp.PersonaPhysician2)
	p.waitHeading("Kitsilano Family Practice")
	p.open("/portal#/")
	p.waitText("#todo", "Kitsilano Family Practice")
	p.waitText("#todo", "Signing authority")
	p.click(fmt.Sprintf(`a[href="#/worksites/%s"]`, id))
	p.waitHeading("Kitsilano Family Practice")
	p.waitText("main", "Maria Santos")
	p.waitText("main", "evening clinic shifts")
	p.shot("join-request")
	p.click(`button[aria-label="Reject Maria Santos's join request"]`)
	p.waitVisible("dialog[open] #f-reason")
	p.mustBeAccessible("reject-dialog")
	p.click("dialog[open] button[type=submit]")
	p.waitFor(`document.querySelector('dialog[open] #f-reason-err').textContent.length > 0`, "the missing reason's error beside the field")
	p.shot("reject-needs-reason")
	const reason = "We only take physicians at this site"
	p.fill("dialog[open] #f-reason", reason)
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "rejected")
	p.waitText("main", "Join requests (0)")
	p.waitText("main", "No join requests are waiting.")
	p.shot("rejected")
	m := waitMail(t, env, rnEmail, "not approved")
	if !strings.Contains(m.Text, reason) {
		t.Errorf("rejection email lacks the reason:\n%s", m.Text)
	}
	res := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", admin)
	if strings.Contains(string(res.Body), "Maria Santos") {
		t.Errorf("after rejection the members view still names the nurse: %s", res.Body)
	}

	// Invitations: a bad address is refused beside the field; the nurse is
	// invited, the invitation resent, and accepted (through the emailed link's token).
	p.fill("#invite-email", "not-an-email")
	p.click("#invite-form button[type=submit]")
	p.waitFor(`document.querySelector('#invite-email-err').textContent.length > 0`, "the email's error beside it")
	p.fill("#invite-email", rnEmail)
	p.click("#invite-form button[type=submit]")
	p.waitText("#announce", "Invitation sent")
	p.waitText("main", rnEmail)
	p.click(`button[aria-label="Resend the invitation to ` + rnEmail + `"]`)
	p.waitText("#announce", "sent again")
	p.waitFor(fmt.Sprintf(`[...document.querySelectorAll('main tr')].some(r => r.innerText.includes(%q) && r.cells[3] && r.cells[3].innerText.trim() === '2')`, rnEmail), "two emails sent")
	p.shot("invitation-resent")
	inv := waitMail(t, env, rnEmail, "invited")
	tok := invitationTokenRE.FindStringSubmatch(inv.Text)
	if tok == nil {
		t.Fatalf("no invitation link in:\n%s", inv.Text)
	}
	if res := env.Do(http.MethodPost, "/api/v1/invitations/"+tok[1]+"/accept", "", nil, "Authorization", rn); res.Status != http.StatusOK {
		t.Fatalf("accept invitation: %d %s", res.Status, res.Body)
	}

	// Promote the new member, then deactivate them (they move to the inactive list).
	p.reloadUntil("/portal#/worksites/"+id, `!!document.querySelector('button[aria-label="Promote Maria Santos to site administrator"]')`, "the nurse among the active members")
	p.click(`button[aria-label="Promote Maria Santos to site administrator"]`)
	p.waitText("dialog[open] h2", "Make Maria Santos a site administrator?") // asked first
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "now a site administrator")
	p.waitVisible(`button[aria-label="Demote Maria Santos (remove the administrator role)"]`)
	p.click(`button[aria-label="End date for Maria Santos"]`)
	p.waitVisible("dialog[open] #f-endsAt")
	p.fill("dialog[open] #f-endsAt", "2030-06-30")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "end date is saved")
	p.waitFor(`[...document.querySelectorAll('main tr')].some(r => r.innerText.includes('Maria Santos') && r.innerText.includes('2030'))`, "the locum's end date in her row")
	p.click(`button[aria-label="Deactivate Maria Santos"]`)
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Moved to another clinic")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "inactive")
	p.waitVisible(`button[aria-label="Reactivate Maria Santos"]`)
	p.waitText("main", "Moved to another clinic")
	p.shot("member-deactivated")

	// Edit the worksite: a bad phone number is refused beside the field.
	// (The name changes too: a body whose only field is invalid is answered
	// "send at least one of ..." without naming the field.)
	p.fill("#f-name", "Kitsilano Family Practice West")
	p.fill("#f-phone", "123")
	p.click("#edit-worksite button[type=submit]")
	p.waitFor(`document.querySelector('#f-phone-err').textContent.length > 0`, "the phone's error beside it")
	p.fill("#f-phone", "604-555-9999")
	p.click("#edit-worksite button[type=submit]")
	p.waitText("#announce", "Worksite details saved")
	p.toastCoversNothing("worksite-saved")
	p.waitHeading("Kitsilano Family Practice West")
	p.mustBeAccessible("manage-worksite-members")

	// The team console is not for applicants.
	p.open("/team")
	p.waitText("main", "This console is for the CareConnect enrolment team")

	// Signing out ends the session: the portal offers to sign in again.
	p.click("#sign-out")
	p.waitVisible("#sign-in")
	var status int
	p.eval(`fetch('/api/v1/me').then(r => r.status)`, &status)
	if status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me after signing out: %d; want 401", status)
	}
}

// teamWorksTheQueue: two applications are ready and a worksite awaits
// approval; the team filters the queue by profession, worksite type and
// overdue, sends one application back (the reason is required), provisions
// the other with an overridden business role, rejects the worksite from its
// subject page, reads a person's audit timeline, corrects a profession,
// suspends access, follows the Temporal links and reads the funnel.
func teamWorksTheQueue(t *testing.T, b *browser) {
	env := b.env
	npEmail := apptest.AccountFor(devidp.PersonaNursePractitioner)["email"].(string)
	phEmail := apptest.AccountFor(devidp.PersonaPharmacist)["email"].(string)
	npSite := readyApplicant(t, env, devidp.PersonaNursePractitioner, "Harbour NP Clinic", "88", "Pender Street", "community_private_practice", "np_led", true)
	phSite := readyApplicant(t, env, devidp.PersonaPharmacist, "Granville Pharmacy", "1200", "Granville Street", "community_pharmacy", "licensed", true)
	resident := env.RegisterAccount(devidp.PersonaResident)
	pending := registerWorksite(t, env, resident, "Fraser Walk-in", "3400", "Fraser Street", "community_private_practice", "other")
	signDeclaration(t, env, apptest.AccountFor(devidp.PersonaResident)["email"].(string), pending)

	p := b.user(t, "team-queue")
	p.signIn("/team", devidp.PersonaTeam)
	p.reloadUntil("/team#/", mainHas("Daniel Tremblay")+" && "+mainHas("Amrit Gill")+" && "+mainHas("("+pending+")"), "both applications and the worksite awaiting approval")
	p.shot("queue")

	// Each queue row links to its workflow in the Temporal Web UI.
	var links []string
	p.eval(`[...document.querySelectorAll('main a.temporal-link')].map(a => a.href)`, &links)
	for _, want := range []string{"/namespaces/default/workflows/worksite%2F" + pending, "/namespaces/default/workflows/user%2F"} {
		found := false
		for _, l := range links {
			found = found || (strings.HasPrefix(l, temporalUI) && strings.Contains(l, want))
		}
		if !found {
			t.Errorf("queue Temporal links %v; want one under %s with %s", links, temporalUI, want)
		}
	}

	// Filters: by profession, by worksite type, overdue only.
	p.fill("#f-profession", "pharmacist")
	p.waitFor(`location.hash.includes('profession=pharmacist') && !document.querySelector('main .loading')`, "the profession filter applied")
	p.waitText("main", "Amrit Gill")
	if strings.Contains(p.mainText(), "Daniel Tremblay") {
		t.Errorf("profession filter pharmacist still lists the nurse practitioner")
	}
	p.shot("filter-profession")
	p.open("/team#/?worksiteType=community_private_practice")
	p.waitText("main", "Daniel Tremblay")
	if strings.Contains(p.mainText(), "Amrit Gill") {
		t.Errorf("worksite type filter (private practice) still lists the pharmacist")
	}
	p.open("/team#/?overdue=true")
	p.waitText("main", "No applications match these filters.")
	p.shot("filter-overdue")

	// Send back the nurse practitioner's application: a reason is required.
	p.open("/team#/")
	p.waitText("main", "Daniel Tremblay")
	sendBack := `button[aria-label="Send back Daniel Tremblay at ` + npSite + `"]`
	p.click(sendBack)
	p.waitVisible("dialog[open] #f-reason")
	p.waitFor(`document.activeElement.id === 'f-reason'`, "the dialog's first field to take focus")
	p.do(key(kb.Escape)) // Escape closes the dialog and gives focus back to its button
	p.waitFor(`!document.querySelector('dialog[open]')`, "the dialog to close")
	p.waitFor(`document.activeElement.matches(`+strconv.Quote(sendBack)+`)`, "focus back on the Send back button")
	p.do(key(kb.Enter)) // and Enter opens it again
	p.waitVisible("dialog[open] #f-reason")
	p.click("dialog[open] button[type=submit]")
	p.waitFor(`document.querySelector('dialog[open] #f-reason-err').textContent.length > 0`, "the missing reason's error beside the field")
	p.fill("dialog[open] #f-reason", "Please use your clinic email address")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "sent back")
	waitMailText(t, env, npEmail, "Please use your clinic email address")
	p.reloadUntil("/team#/?state=sent_back", mainHas("Daniel Tremblay"), "the sent-back application under its status")

	// Provision the pharmacist with an overridden business role.
	p.open("/team#/")
	p.waitText("main", "Amrit Gill")
	p.click(`button[aria-label="Provision Amrit Gill at ` + phSite + `"]`)
	p.waitVisible("dialog[open]")
	p.fill(`dialog[open] [name="businessRole.roleContext"]`, "Pharmacy")
	p.fill(`dialog[open] [name="businessRole.functionalDescription"]`, "Non-Prescriber Clinician")
	p.shot("provision-override")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "provisioned")
	if w := waitMail(t, env, phEmail, "Welcome to CareConnect"); !strings.Contains(w.Text, "Non-Prescriber Clinician") {
		t.Errorf("welcome package lacks the overridden role:\n%s", w.Text)
	}

	// Reject the worksite awaiting approval from its subject page.
	p.open("/team#/worksites/" + pending)
	p.waitHeading("Fraser Walk-in")
	p.waitText("#worksite-status", "Waiting for the enrolment team's review")
	p.mustBeAccessible("worksite-subject")
	p.clickText("main", "Reject worksite")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Not a clinical worksite")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "rejected")
	p.reloadUntil("/team#/worksites/"+pending, `document.querySelector('#worksite-status').innerText.includes('Rejected')`, "the worksite rejected")
	p.waitText("main", "Audit timeline")
	p.shot("worksite-rejected")
	// The audit timeline names who acted, not their subject ID; the ID
	// stays in the cell's title, for support.
	var actor struct {
		Text  string `json:"text"`
		Title string `json:"title"`
		Raw   bool   `json:"raw"`
	}
	p.eval(`(() => {
		const t = [...document.querySelectorAll('main table')].find(t => t.caption && t.caption.textContent === 'Audit timeline');
		const row = t && [...t.tBodies[0].rows].find(r => r.innerText.includes('worksite rejected'));
		const a = row && row.querySelector('.actor');
		return {text: a ? a.textContent : '', title: a ? a.title : '', raw: !!t && t.innerText.includes('idir-enrolment-team-0001')};
	})()`, &actor)
	if actor.Text != "Enrolment team: Helen Chow" || !strings.Contains(actor.Title, "idir-enrolment-team-0001") || actor.Raw {
		t.Errorf("audit timeline: the rejection's actor reads %q (title %q, subject ID shown: %v); want \"Enrolment team: Helen Chow\" with the subject ID in the title only",
			actor.Text, actor.Title, actor.Raw)
	}

	// An approved worksite's subject page: its declaration screenshot, suspension and reinstatement.
	p.open("/team#/worksites/" + npSite)
	p.waitHeading("Harbour NP Clinic")
	p.waitText("#worksite-status", "Approved")
	var shot string
	p.eval(`fetch(document.querySelector('#declaration-screenshot').src).then(r => r.status + ' ' + r.headers.get('Content-Type'))`, &shot)
	if shot != "200 image/png" {
		t.Errorf("declaration screenshot shown inline: %q; want 200 image/png", shot)
	}
	p.clickText("main", "Suspend worksite")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Audit finding at the clinic")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "suspended")
	p.waitText("#worksite-status", "Suspended")
	p.shot("worksite-suspended")
	p.clickText("main", "Reinstate worksite")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Audit closed")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "reinstated")
	p.waitFor(`!document.querySelector('#worksite-status').innerText.includes('Suspended')`, "the suspension lifted")

	// A person's subject page: audit timeline, profession correction, suspension.
	p.open("/team#/?state=sent_back")
	p.waitText("main", "Daniel Tremblay")
	p.clickText("main table", "Daniel Tremblay")
	p.waitHeading("Daniel Tremblay")
	var auditRows int
	p.waitFor(`document.querySelectorAll('main table').length > 0`, "the tables")
	p.eval(`[...document.querySelectorAll('main table')].find(t => t.caption && t.caption.textContent === 'Audit timeline').tBodies[0].rows.length`, &auditRows)
	if auditRows == 0 {
		t.Errorf("person page: the audit timeline is empty")
	}
	p.mustBeAccessible("person-subject")
	p.shot("person")
	p.fill("#f-profession", "registered_nurse")
	p.waitVisible("#f-professionIds-college_id")
	p.fill("#f-professionIds-college_id", "RN-7007")
	p.fill("#profession-reason", "College register shows RN")
	p.click("#profession-form button[type=submit]")
	p.waitText("#announce", "profession is corrected")
	p.waitText("#person-profession", "Registered Nurse")
	p.click("#suspend-person")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Audit finding")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "suspended")
	p.waitText("#person-suspension", "Audit finding")
	p.waitVisible("#reinstate-person")
	p.shot("person-suspended")
	np := b.user(t, "nurse-practitioner")
	np.signIn("/portal", devidp.PersonaNursePractitioner)
	np.waitText("main", "Your CareConnect access is suspended")
	np.shot("suspended-applicant")
	p.click("#reinstate-person")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Audit closed")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "reinstated")
	p.waitVisible("#suspend-person")
	if strings.Contains(p.mainText(), "Access suspended") {
		t.Errorf("person page still shows the suspension after reinstatement")
	}
	// The team signs the nurse practitioner out of every browser: their
	// open portal is anonymous at its next request.
	p.click("#revoke-sessions")
	p.waitVisible("dialog[open] #f-reason")
	p.fill("dialog[open] #f-reason", "Shared workstation left signed in")
	p.click("dialog[open] button[type=submit]")
	p.waitText("#announce", "signed out everywhere")
	p.waitText("main", "sessions revoked")
	np.open("/portal")
	np.waitVisible("#sign-in")
	np.shot("signed-out-by-the-team")

	// The worksite list and the subject finder.
	p.open("/team#/worksites?state=rejected")
	p.waitHeading("Worksites")
	p.waitText("main", "Fraser Walk-in")
	p.mustBeAccessible("worksites")
	p.open("/team#/find")
	p.waitHeading("Find a subject")
	p.mustBeAccessible("find")
	p.fill("#f-target", strings.ToLower(phSite))
	p.click("#find-form button[type=submit]")
	p.waitHeading("Granville Pharmacy")

	// The funnel: the server's SVG chart, with the same numbers as a table.
	p.open("/team#/funnel")
	p.waitHeading("Funnel")
	p.waitFor(`document.querySelector('#funnel-chart').complete && document.querySelector('#funnel-chart').naturalWidth > 0`, "the funnel chart to load")
	var rows int
	p.eval(`document.querySelectorAll('main table tbody tr').length`, &rows)
	if rows == 0 {
		t.Errorf("funnel: no steps listed")
	}
	p.mustBeAccessible("funnel")
	p.shot("funnel")
}

// keyboardAndFocus: the console is worked from the keyboard alone: the
// skip link, the header links, the filters (changed with arrow keys), the
// route's heading taking focus; whatever has focus shows a visible outline.
func keyboardAndFocus(t *testing.T, b *browser) {
	p := b.user(t, "keyboard")
	p.signIn("/team", devidp.PersonaTeam)
	p.waitHeading("Queue")
	p.waitFor(`document.activeElement.tagName === 'H1'`, "the new page's heading to take focus")

	type focused struct {
		Tag, Text, Outline string
		Width              float64
		Visible            bool
	}
	current := func() focused {
		var f focused
		p.eval(`(() => { const e = document.activeElement; const s = getComputedStyle(e); const r = e.getBoundingClientRect();
			return {tag: e.tagName, text: (e.textContent || e.name || '').trim().slice(0, 40), outline: s.outlineStyle,
				width: parseFloat(s.outlineWidth) || 0, visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0} })()`, &f)
		return f
	}
	mustShowFocus := func(f focused, where string) {
		t.Helper()
		if f.Outline == "none" || f.Width < 2 || !f.Visible {
			t.Errorf("%s: focused %s %q shows no visible focus (outline %s %vpx, on screen %v)", where, f.Tag, f.Text, f.Outline, f.Width, f.Visible)
		}
	}

	// From the skip link, Tab walks the header in order.
	p.eval(`(() => { document.querySelector('.skip').focus(); return true })()`, nil)
	mustShowFocus(current(), "skip link")
	for _, want := range []string{"CareConnect team console", "Queue", "Worksites", "People", "Funnel", "Find a subject", "Sign out"} {
		p.do(key(kb.Tab))
		f := current()
		if !strings.Contains(f.Text, want) {
			t.Errorf("Tab after the skip link reached %s %q; want %q", f.Tag, f.Text, want)
		}
		mustShowFocus(f, want)
	}
	// The skip link takes focus to the main region.
	p.eval(`(() => { document.querySelector('.skip').focus(); return true })()`, nil)
	p.do(key(kb.Enter))
	if f := current(); f.Tag != "MAIN" {
		t.Errorf("Enter on the skip link focused %s %q; want the main region", f.Tag, f.Text)
	}
	// Tab through the main region: every stop shows focus; the filters are reached.
	seen := map[string]bool{}
	for i := 0; i < 30; i++ {
		p.do(key(kb.Tab))
		f := current()
		if f.Tag == "BODY" {
			break
		}
		mustShowFocus(f, fmt.Sprintf("Tab %d in main", i+1))
		seen[f.Tag+" "+f.Text] = true
	}
	for _, want := range []string{"SELECT", "INPUT", "BUTTON Apply filters"} {
		found := false
		for k := range seen {
			found = found || strings.HasPrefix(k, want)
		}
		if !found {
			t.Errorf("tabbing through the queue never reached %s; reached %v", want, seen)
		}
	}
	// A filter changed with the arrow keys applies itself.
	p.eval(`(() => { document.querySelector('#f-profession').focus(); return true })()`, nil)
	p.do(key(kb.ArrowDown))
	p.waitFor(`location.hash.includes('profession=')`, "the profession filter applied from the keyboard")
	p.waitHeading("Queue")
	// Enter on a header link routes, and the new page's heading takes focus.
	p.eval(`(() => { document.querySelector('#nav a[href="#/funnel"]').focus(); return true })()`, nil)
	p.do(key(kb.Enter))
	p.waitHeading("Funnel")
	p.waitFor(`document.activeElement.tagName === 'H1' && document.activeElement.textContent === 'Funnel'`, "the funnel's heading to take focus")
	p.shot("keyboard")
}

// key presses a key in the focused element.
func key(k string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(k) }
