package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
)

// TestBrowser starts one system and one Chromium and runs the browser
// journeys against them; each journey uses personas of its own.
func TestBrowser(t *testing.T) {
	requireBrowserTests(t)
	start := time.Now()
	env := mustSystem(t)
	b := mustBrowser(t, env)
	t.Logf("system and browser up in %s; screenshots under %s", time.Since(start).Round(time.Millisecond), b.artifacts)

	t.Run("PhysicianAndMOAJourney", func(t *testing.T) { physicianAndMOAJourney(t, b) })
	t.Run("AdministratorRejectsJoinRequest", func(t *testing.T) { administratorRejectsJoinRequest(t, b) })
	t.Run("TeamWorksTheQueue", func(t *testing.T) { teamWorksTheQueue(t, b) })
	t.Run("KeyboardAndFocus", func(t *testing.T) { keyboardAndFocus(t, b) })
	t.Run("PhoneMenuAndSignInPages", func(t *testing.T) { phoneMenuAndSignInPages(t, b) })
	t.Run("EmailsShowNoCodes", func(t *testing.T) { emailsShowNoCodes(t, env) })
}

// emailsShowNoCodes reads every email the journeys before it sent: none shows a
// code of domain.Labels (a profession, state, role, party...) where its
// words belong. Addresses and links are left out, where a code may stand
// (registered_nurse@clinic.example.ca).
func emailsShowNoCodes(t *testing.T, env *apptest.Env) {
	l := domain.DefaultLabels()
	var codes []string
	for _, table := range []map[string]string{l.WorksiteStates, l.ApplicationStates, l.UserStates, l.Parties,
		l.Requirements, l.UserTypes, l.Roles, l.Professions, l.Milestones} {
		for code := range table {
			if strings.Contains(code, "_") {
				codes = append(codes, regexp.QuoteMeta(code))
			}
		}
	}
	raw := regexp.MustCompile(`\b(` + strings.Join(codes, "|") + `)\b`)
	addresses := regexp.MustCompile(`\S+@\S+|https?://\S+`)
	msgs := env.Catcher.Messages()
	if len(msgs) == 0 {
		t.Skip("no emails to read: run it after the journeys (go test -run 'TestBrowser$')")
	}
	for _, m := range msgs {
		for part, text := range map[string]string{"subject": m.Subject, "text": m.Text} {
			if code := raw.FindString(addresses.ReplaceAllString(text, "")); code != "" {
				t.Errorf("email %s (%q): its %s shows the code %q:\n%s", m.EventKey, m.Subject, part, code, text)
			}
		}
	}
	t.Logf("%d emails read", len(msgs))
}

// reloadUntil reloads path until cond holds (the page reads the API once per load).
func (p *tab) reloadUntil(path, cond, what string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p.open(path)
		p.do(chromedp.Reload()) // a change of hash alone does not reload the page
		p.waitFor(`document.querySelector('main h1') && !document.querySelector('main .loading')`, "the page to load")
		var ok bool
		p.eval(fmt.Sprintf(`(() => { try { return Boolean(%s) } catch (e) { return false } })()`, cond), &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.shotOnFailure()
			p.t.Fatalf("%s: %s never showed %s; main shows:\n%s", p.name, path, what, p.mainText())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// mainHas is a condition: main's text contains s.
func mainHas(s string) string {
	return fmt.Sprintf(`document.querySelector('main').innerText.includes(%q)`, s)
}

// registerAccount fills the account form of the portal for persona;
// ids, when given, replace the persona's profession IDs.
func registerAccount(p *tab, persona string, ids ...map[string]string) {
	p.t.Helper()
	p.open("/portal#/account")
	p.waitHeading("Register your HxBC account")
	fillAccountForm(p, persona, ids...)
	p.shot("account-form")
	p.click("#account-form button[type=submit]")
	p.waitHeading("Your CareConnect enrolment")
}

// fillAccountForm fills the portal's account form for persona; ids, when
// given, replace the persona's profession IDs.
func fillAccountForm(p *tab, persona string, ids ...map[string]string) {
	p.t.Helper()
	a := apptest.AccountFor(persona)
	p.fill("#f-profession", a["profession"].(string))
	if persona == devidp.PersonaPhysician || persona == devidp.PersonaPhysician2 {
		p.check("#f-isResident-no")
	}
	if own, ok := a["professionIds"].(map[string]string); ok {
		for k, v := range own {
			for _, o := range ids {
				if x, ok := o[k]; ok {
					v = x
				}
			}
			p.fill("#f-professionIds-"+k, v)
		}
	}
	p.fill("#f-email", a["email"].(string))
	p.fill("#f-phone", a["phone"].(string))
	p.check("#f-hasHealthAuthorityNetworkAccount-no")
	p.fill("#f-username", a["username"].(string))
	p.fill("#f-confirmUsername", a["username"].(string))
	p.fill("#f-password", a["password"].(string))
	p.fill("#f-confirmPassword", a["password"].(string))
}

var worksiteIDRE = regexp.MustCompile(`^[A-Z0-9]{7}$`)

// physicianAndMOAJourney replays app/application_e2e_test.go through the
// UI: the physician registers, registers a worksite, applies; the signing
// authority signs through the emailed link; the team approves the worksite;
// LearningHub calls back; the team provisions; the MOA joins by address
// search, the physician approves the join request and sponsors the MOA,
// and the team provisions the MOA with the physician's role.
func physicianAndMOAJourney(t *testing.T, b *browser) {
	env := b.env
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)

	doc := b.user(t, "physician")
	doc.signIn("/portal", devidp.PersonaPhysician)
	doc.waitText("main", "Next: register your HxBC account")
	doc.shot("first-sign-in")
	doc.mustBeAccessible("status-new")

	// The account form shows the API's field errors next to the fields.
	doc.open("/portal#/account")
	doc.waitHeading("Register your HxBC account")
	doc.mustBeAccessible("account-form")
	doc.fill("#f-profession", "physician")
	doc.waitVisible("#f-professionIds-cpsid")
	doc.fill("#f-password", "short")
	doc.fill("#f-confirmPassword", "short")
	doc.click("#account-form button[type=submit]")
	doc.waitFor(`document.querySelector('#f-password-err').textContent.length > 0`, "the password's error beside it")
	doc.waitFor(`document.querySelector('#f-password').getAttribute('aria-invalid') === 'true'`, "the password marked invalid")
	doc.shot("account-errors")
	// Username and password are typed twice; the portal names the copy that differs.
	doc.fill("#f-username", "psharma")
	doc.fill("#f-confirmUsername", "psharma")
	doc.fill("#f-password", "Str0ng!pass")
	doc.fill("#f-confirmPassword", "Str0ng!pasz")
	doc.click("#account-form button[type=submit]")
	doc.waitText("#f-confirmPassword-err", "does not match the password")
	doc.waitFor(`document.querySelector('#f-confirmPassword').getAttribute('aria-invalid') === 'true'`, "the confirmation marked invalid")
	doc.fill("#f-confirmUsername", "psharmb")
	doc.click("#account-form button[type=submit]")
	doc.waitText("#f-confirmUsername-err", "does not match the username")
	doc.shot("account-confirm-errors")
	// The seeds' MSP billing number, 1234567, is accepted.
	registerAccount(doc, devidp.PersonaPhysician, map[string]string{"msp_billing_number": "1234567"})
	doc.waitText("#todo", "Register your worksite or join one")

	// Confirming the email is the next action, with a resend; the emailed
	// link's page confirms it and the action is gone.
	doc.waitText("#todo-email", "Confirm your email address")
	doc.waitText("#todo-email", docEmail)
	doc.waitText("#email-state", "Not confirmed yet")
	doc.shot("status-confirm-email")
	doc.mustBeAccessible("status-confirm-email")
	doc.click("#resend-email")
	doc.waitText("#announce", "We sent a new link to "+docEmail)
	confirmEmail(doc, devidp.PersonaPhysician, docEmail)
	doc.mustBeAccessible("email-confirmed")
	doc.reloadUntil("/portal#/", `!document.querySelector('#todo-email')`, "no email left to confirm")
	doc.waitText("#email-state", "Confirmed")
	doc.waitText("#done", "Email confirmed")

	// Register the worksite; a bad postal code is shown beside its field.
	doc.open("/portal#/worksites/new")
	doc.waitHeading("Register a worksite")
	doc.fill("#f-name", "Proctor Clinic")
	doc.fill("#f-phone", "604-555-4555")
	doc.fill("#f-extension", "12")
	doc.fill("#f-email", "front@proctor.example.ca")
	doc.fill("#f-address-unit", "101")
	doc.fill("#f-address-streetNumber", "370")
	doc.fill("#f-address-streetName", "Broadway East")
	doc.fill("#f-address-city", "Vancouver")
	doc.fill("#f-address-postalCode", "12345")
	doc.fill("#f-locationType", "community_private_practice")
	doc.fill("#f-subOption", "physician_led")
	doc.fill("#f-emr", "OSCAR")
	doc.mustBeAccessible("register-worksite")
	doc.click("#worksite-form button[type=submit]")
	doc.waitFor(`document.querySelector('#f-address-postalCode-err').textContent.length > 0`, "the postal code's error beside it")
	doc.shot("worksite-errors")
	doc.fill("#f-address-postalCode", "v5t4g5")
	doc.click("#worksite-form button[type=submit]")
	doc.waitVisible("#worksite-id")
	id := strings.TrimSpace(doc.text("#worksite-id"))
	if !worksiteIDRE.MatchString(id) {
		t.Fatalf("worksite ID shown = %q; want 7 letters and digits", id)
	}
	doc.shot("worksite-registered")

	// Apply: "no" to direct clinical care is refused beside the question.
	doc.open("/portal#/apply?worksite=" + id)
	doc.waitHeading("Apply for CareConnect access")
	doc.check("#f-answers-direct_clinical_care-no")
	doc.click("#apply-form button[type=submit]")
	doc.waitFor(`document.querySelector('#f-answers-direct_clinical_care-err').textContent.length > 0`, "the answer's error beside the question")
	doc.shot("apply-errors")
	doc.check("#f-answers-direct_clinical_care-yes")
	doc.click("#apply-form button[type=submit]")
	doc.waitHeading("Your CareConnect enrolment")
	// The status page says what is left and who must act.
	doc.reloadUntil("/portal#/", mainHas("Signing authority")+" && "+mainHas("Privacy & Security course"), "the declaration and the course outstanding")
	doc.waitText(fmt.Sprintf(`[data-worksite="%s"]`, id), "Waiting on requirements")
	// LearningHub guidance: the course named and linked, with the address to use there.
	course := env.Config.LearningHub
	doc.waitText("#learninghub-guidance", course.CourseName)
	doc.waitText("#learninghub-guidance", docEmail)
	if got := doc.text(`#learninghub-guidance a[href="` + course.CourseURL + `"]`); got == "" {
		t.Errorf("status page: no link to the LearningHub course %s", course.CourseURL)
	}
	received := waitMail(t, env, docEmail, "application for worksite "+id+" was received")
	for _, want := range []string{course.CourseName, course.CourseURL, "same email address", docEmail} {
		if !strings.Contains(received.Text, want) {
			t.Errorf("application-received email lacks %q:\n%s", want, received.Text)
		}
	}
	doc.shot("status-after-applying")
	doc.mustBeAccessible("status")

	// The signing authority signs through the emailed link.
	_, token := apptest.DeclarationLink(t, waitMailKey(t, env, "worksite/"+id+"/worksite_registered/")) // the application email names the worksite too
	signer := b.user(t, "signing-authority")
	signer.open("/declaration/" + token)
	signer.waitText("h1", "Declaration")
	signer.fill("#signerName", "Dr. Lee Lead")
	signer.fill("#signerTitle", "Clinical Lead")
	signer.eval(`(() => { document.querySelectorAll('input[name=attestations]').forEach(c => { c.checked = true }); return true })()`, nil)
	signer.do(chromedp.SetUploadFiles(chromedp.CSS("#screenshot"), []string{screenshotFile(t)}))
	signer.shot("declaration-form")
	signer.click("#decl button[type=submit]")
	signer.waitVisible("#done")
	signer.shot("declaration-signed")

	// The team approves the worksite from its queue.
	team := b.user(t, "team")
	team.signIn("/team", devidp.PersonaTeam)
	team.reloadUntil("/team#/", fmt.Sprintf(`document.querySelector('main').innerText.includes('(%s)')`, id), "the worksite awaiting approval")
	team.shot("queue-worksite")
	team.mustBeAccessible("queue")
	href := team.text(`main a.temporal-link[href*="worksite%2F` + id + `"]`)
	if href == "" {
		t.Errorf("queue: no Temporal link to workflow worksite/%s", id)
	}
	team.click(fmt.Sprintf(`button[aria-label="Approve worksite Proctor Clinic (%s)"]`, id))
	team.waitText("#announce", "approved")
	team.waitFor(fmt.Sprintf(`!document.querySelector('main').innerText.includes('Proctor Clinic (%s)')`, id), "the approved worksite to leave the queue")
	team.toastCoversNothing("worksite-approved")

	// LearningHub: the course and the HPCAA; the application becomes ready.
	learningHub(t, env, "doc-course-"+id, learninghub.TypeCourseCompleted, docEmail)
	learningHub(t, env, "doc-hpcaa-"+id, learninghub.TypeAgreementAcknowledged, docEmail)
	// Each step is acknowledged to the applicant.
	waitMailText(t, env, docEmail, "LearningHub told us: your Privacy & Security course completion is recorded.")
	waitMailText(t, env, docEmail, "LearningHub told us: your acknowledgement of the Health Professional CareConnect Access Agreement (HPCAA) is recorded.")
	doc.reloadUntil("/portal#/", fmt.Sprintf(`document.querySelector('[data-worksite="%s"]').innerText.includes('Ready for provisioning')`, id), "the application ready")
	doc.waitText("#todo", "Enrolment team")
	doc.shot("status-ready")

	// The team provisions the physician with the default business role.
	team.reloadUntil("/team#/", mainHas("Priya Sharma"), "the physician's application in the queue")
	team.shot("queue-application")
	team.click(`button[aria-label="Provision Priya Sharma at ` + id + `"]`)
	team.waitVisible("dialog[open]")
	team.shot("provision-dialog")
	team.click("dialog[open] button[type=submit]")
	team.waitText("#announce", "provisioned")
	welcome := waitMail(t, env, docEmail, "Welcome to CareConnect")
	for _, want := range []string{"Community Services", "Prescriber", id} {
		if !strings.Contains(welcome.Text, want) {
			t.Errorf("welcome package lacks %q", want)
		}
	}
	doc.reloadUntil("/portal#/", fmt.Sprintf(`document.querySelector('[data-worksite="%s"]').innerText.includes('Provisioned')`, id), "the application provisioned")
	doc.waitText(fmt.Sprintf(`[data-worksite="%s"]`, id), "Community Services — Prescriber")
	doc.shot("status-provisioned")
	// Provisioned: nothing waits on the enrolment team any more.
	if txt := doc.text(fmt.Sprintf(`[data-worksite="%s"]`, id)); strings.Contains(txt, "Who must act") {
		t.Errorf("provisioned application still names someone who must act:\n%s", txt)
	}
	if strings.Contains(doc.text("#todo"), "Enrolment team") {
		t.Errorf("status still lists a wait on the enrolment team:\n%s", doc.text("#todo"))
	}

	// The MOA registers and asks to join, finding the worksite by address as they type.
	moa := b.user(t, "moa")
	moa.signIn("/portal", devidp.PersonaMOA)
	registerAccount(moa, devidp.PersonaMOA)
	confirmEmail(moa, devidp.PersonaMOA, moaEmail)
	moa.open("/portal#/worksites/join")
	moa.waitHeading("Join a worksite")
	moa.typeKeys("#f-address", "370 broadway e")
	moa.waitText("#search-results", "Proctor Clinic")
	moa.waitText("#search-count", "1 worksite found")
	moa.shot("address-search")
	moa.mustBeAccessible("join")
	moa.click(`#search-results button[aria-label^="Ask to join Proctor Clinic"]`)
	moa.fill("#f-comment", "front desk")
	moa.click("#join-form button[type=submit]")
	moa.waitVisible("#join-sent")
	moa.shot("join-sent")

	// The physician, site administrator, approves the join request in the portal.
	doc.reloadUntil("/portal#/worksites/"+id, mainHas("Kevin Nguyen"), "the MOA's join request")
	doc.waitText("main", "front desk")
	doc.shot("manage-join-request")
	doc.mustBeAccessible("manage-worksite")
	doc.click(`button[aria-label="Approve Kevin Nguyen's join request"]`)
	doc.waitText("#announce", "now a member")
	doc.waitText("main", "Join requests (0)")
	doc.waitText("main", "Active on-behalf-of users")

	// The MOA applies and asks for sponsorship.
	// (The membership reaches the list of the MOA's worksites a moment later.)
	moa.reloadUntil("/portal#/apply?worksite="+id, `!!document.querySelector('#apply-form')`, "the application form")
	moa.mustBeAccessible("apply")
	moa.check("#f-answers-direct_clinical_care-yes")
	moa.click("#apply-form button[type=submit]")
	moa.waitHeading("Your CareConnect enrolment")
	moa.reloadUntil("/portal#/", `[...document.querySelectorAll('main button')].some(b => b.textContent === 'Request sponsorship')`, "the sponsorship to request")
	moa.shot("status-needs-sponsor")
	moa.clickText("main", "Request sponsorship")
	moa.waitText("#announce", "Sponsorship requested")
	waitMail(t, env, docEmail, "sponsor")

	// The physician sponsors the MOA from the sponsorship requests page.
	doc.reloadUntil("/portal#/worksites/"+id+"/sponsorships", mainHas("Kevin Nguyen"), "the MOA's sponsorship request")
	doc.shot("sponsorship-requests")
	doc.mustBeAccessible("sponsorships")
	doc.click(`button[aria-label="Approve sponsorship of Kevin Nguyen"]`)
	doc.waitText("#announce", "You sponsor Kevin Nguyen")
	waitMail(t, env, moaEmail, "sponsorship")

	// The course, then the team provisions the MOA with the sponsor's role.
	learningHub(t, env, "moa-course-"+id, learninghub.TypeCourseCompleted, moaEmail)
	team.reloadUntil("/team#/", mainHas("Kevin Nguyen"), "the MOA's application in the queue")
	team.click(`button[aria-label="Provision Kevin Nguyen at ` + id + `"]`)
	team.waitVisible("dialog[open]")
	team.click("dialog[open] button[type=submit]")
	team.waitText("#announce", "provisioned")
	if w := waitMail(t, env, moaEmail, "Welcome to CareConnect"); !strings.Contains(w.Text, "Prescriber") {
		t.Errorf("MOA welcome package lacks the sponsor's role:\n%s", w.Text)
	}
	moa.reloadUntil("/portal#/", fmt.Sprintf(`document.querySelector('[data-worksite="%s"]').innerText.includes('Provisioned')`, id), "the MOA provisioned")
	moa.waitText(fmt.Sprintf(`[data-worksite="%s"]`, id), "Sponsored by")
	moa.shot("moa-provisioned")

	// Going on leave: the administrator deactivates the MOA, whose access
	// ends, and reactivates them; the MOA applies again from the portal.
	doc.reloadUntil("/portal#/worksites/"+id, `!!document.querySelector('button[aria-label="Deactivate Kevin Nguyen"]')`, "the MOA among the members")
	doc.click(`button[aria-label="Deactivate Kevin Nguyen"]`)
	doc.waitVisible("dialog[open]")
	doc.fill("dialog[open] textarea", "on leave")
	doc.click("dialog[open] button[type=submit]")
	doc.waitText("#announce", "Kevin Nguyen is inactive")
	// Inactive, the MOA is told the administrators must reactivate them first.
	moa.reloadUntil("/portal#/", fmt.Sprintf(`document.querySelector('[data-worksite="%s"]').innerText.includes('Ended')`, id)+" && "+
		mainHas("a site administrator must reactivate it"), "the ended access, waiting on a reactivation")
	moa.shot("moa-access-ended")
	doc.reloadUntil("/portal#/worksites/"+id, `!!document.querySelector('button[aria-label="Reactivate Kevin Nguyen"]')`, "the MOA among the inactive members")
	doc.click(`button[aria-label="Reactivate Kevin Nguyen"]`)
	doc.waitText("#announce", "Kevin Nguyen is active again")
	moa.reloadUntil("/portal#/", `[...document.querySelectorAll('main a')].some(a => a.textContent === 'Apply again')`, "Apply again")
	moa.clickText(fmt.Sprintf(`[data-worksite="%s"]`, id), "Apply again")
	moa.reloadUntil("/portal#/apply?worksite="+id, `!!document.querySelector('#apply-form option[value="`+id+`"]')`, "the application form with the worksite")
	moa.check("#f-answers-direct_clinical_care-yes")
	moa.click("#apply-form button[type=submit]")
	moa.waitHeading("Your CareConnect enrolment")
	moa.reloadUntil("/portal#/", fmt.Sprintf(`document.querySelector('[data-worksite="%s"]').innerText.includes('Waiting on requirements')`, id), "the new application waiting")
	moa.waitText("#done", "again (the application of")
	moa.shot("moa-applied-again")
}
