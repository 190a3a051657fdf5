package e2e

import (
	"fmt"
	"testing"

	"careconnect/devidp"
)

// phoneMenuAndSignInPages walks what a person does on a phone: the landing
// page a first-time visitor sees, the menu button that holds the
// navigation and the sign-out, and the pages a sign-in that does not
// finish ends on (cancelled at the identity provider, a BC Services Card
// identity below assurance level 3, an applicant at the team console, a
// team member at the portal), each checked at both widths.
func phoneMenuAndSignInPages(t *testing.T, b *browser) {
	team := b.env.Config.Team.Email

	// The landing page orients a first-time visitor.
	visitor := b.user(t, "visitor")
	visitor.setViewport(phone)
	visitor.open("/portal")
	visitor.waitHeading("Sign in to CareConnect enrolment")
	for _, want := range []string{"How enrolment works", "Register your account", "Join or register your worksite",
		"Take the course and sign the agreement", "Apply for access", "Provisioning", "5–7 business days", team} {
		visitor.waitText("main", want)
	}
	if b.env.Config.Viewer.URL != "" {
		visitor.waitVisible("#viewer-link")
	}
	visitor.mustBeAccessible("landing")

	// Cancelling at the identity provider ends on a page that says so.
	visitor.setViewport(phone)
	visitor.click("#sign-in")
	visitor.waitVisible(`button[name="cancel"]`)
	visitor.click(`button[name="cancel"]`)
	visitor.waitHeading("Sign-in did not finish")
	visitor.waitText("main", "You cancelled the sign-in")
	visitor.waitText("main", team)
	visitor.waitVisible(`main a.button[href="/portal"]`)
	visitor.mustBeAccessible("sign-in-cancelled")

	// A BC Services Card identity below assurance level 3.
	low := b.user(t, "low-assurance")
	low.setViewport(phone)
	low.signInRefused("/portal", devidp.PersonaLowAssurance)
	low.waitText("main", "verify your identity in it")
	low.waitText("main", team)
	low.mustBeAccessible("sign-in-low-assurance")

	// An applicant opening the team console.
	applicant := b.user(t, "applicant-at-team")
	applicant.setViewport(phone)
	applicant.signInRefused("/team", devidp.PersonaPhysician)
	applicant.waitText("main", "only for members of the CareConnect enrolment team")
	applicant.waitVisible(`main a.button[href="/portal"]`)
	applicant.mustBeAccessible("sign-in-not-team")

	// A team member opening the portal is sent to the console, with a way out.
	staff := b.user(t, "team-at-portal")
	staff.signIn("/portal", devidp.PersonaTeam)
	staff.waitHeading("Not for this account")
	staff.waitVisible(`main a.button[href="/team"]`)
	staff.mustBeAccessible("wrong-role")

	// At phone width the navigation and the sign-out sit behind the menu button.
	moa := b.user(t, "phone-menu")
	moa.setViewport(phone)
	moa.signIn("/portal", devidp.PersonaMOA)
	moa.waitFor(`document.querySelector('main h1') && !document.querySelector('main .loading')`, "the status page")
	moa.waitVisible("#menu")
	isShown := func(sel string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 })()`, sel)
	}
	var shown bool
	if moa.eval(isShown("#nav a"), &shown); shown {
		t.Errorf("at phone width the navigation shows before the menu is opened")
	}
	if moa.eval(isShown("#sign-out"), &shown); shown {
		t.Errorf("at phone width the sign-out shows before the menu is opened")
	}
	moa.click("#menu")
	moa.waitFor(`document.querySelector('#menu').getAttribute('aria-expanded') === 'true'`, "the menu button to say it is open")
	moa.waitFor(isShown(`#nav a[href="#/account"]`), "the navigation in the open menu")
	moa.waitFor(isShown("#sign-out"), "the sign-out in the open menu")
	moa.shot("menu-open-phone")
	moa.mustPassAxe("open menu at phone width")
	moa.click(`#nav a[href="#/account"]`)
	moa.waitFor(`location.hash === '#/account' && document.querySelector('#menu').getAttribute('aria-expanded') === 'false'`, "the menu to close on choosing a page")
	moa.waitFor(`!(`+isShown(`#nav a[href="#/account"]`)+`)`, "the navigation hidden again")
	moa.setViewport(desktop)
	if moa.eval(isShown("#menu"), &shown); shown {
		t.Errorf("at desktop width the menu button shows")
	}
	if moa.eval(isShown("#sign-out"), &shown); !shown {
		t.Errorf("at desktop width the sign-out is hidden")
	}
}

// signInRefused starts a sign-in from the page at path and picks persona,
// whom the callback refuses: it waits for the refusal's page.
func (p *tab) signInRefused(path, persona string) {
	p.t.Helper()
	p.open(path)
	p.click("#sign-in")
	p.waitVisible(fmt.Sprintf(`button[name="persona"][value=%q]`, persona))
	p.click(fmt.Sprintf(`button[name="persona"][value=%q]`, persona))
	p.waitHeading("Sign-in did not finish")
}
