package e2e

import (
	"testing"

	"careconnect/app/apptest"
	"careconnect/devidp"
)

// TestDevPagesKeepTheirStyles: the dev identity provider's persona picker
// and the dev mail catcher allow no inline style wholesale, only their own
// (and a caught email's) styles by hash; in the browser those styles still
// apply, and nothing is blocked.
func TestDevPagesKeepTheirStyles(t *testing.T) {
	requireBrowserTests(t)
	env := mustSystem(t)
	b := mustBrowser(t, env)
	admin := env.RegisterAccount(devidp.PersonaPhysician)
	id := registerWorksite(t, env, admin, "Main Street Clinic", "12", "Main Street", "community_private_practice", "physician_led")
	waitMail(t, env, apptest.AccountFor(devidp.PersonaPhysician)["email"].(string), id) // an HTML email for the catcher to show

	p := b.user(t, "developer")
	p.signIn("/portal", devidp.PersonaPhysician) // the persona picker: a CSP violation there fails the next step
	p.open("/dev/mail")
	p.waitVisible("th")
	var th string
	p.eval(`getComputedStyle(document.querySelector('th')).backgroundColor`, &th)
	if th != "rgb(240, 240, 240)" {
		t.Errorf("mail catcher table header background %q; want its style sheet's rgb(240, 240, 240)", th)
	}
	p.shot("mail-catcher")
	p.open("/dev/mail?html=0")
	var padding string
	p.eval(`getComputedStyle(document.body).paddingTop`, &padding)
	if padding != "16px" {
		t.Errorf("caught email's body padding %q; want the email's own style 16px", padding)
	}
	p.shot("caught-email")
	p.checkProblems()
}
