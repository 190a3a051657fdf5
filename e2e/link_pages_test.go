package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"careconnect/app/apptest"
	"careconnect/devidp"
)

var joinLinkTokenRE = regexp.MustCompile(`/join-requests/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)`)

// TestLinkPages drives the pages emailed links open (join request,
// invitation) in a browser, on a system of its own: a crafted link cannot
// make the page send a request anywhere else, and the real links work.
func TestLinkPages(t *testing.T) {
	requireBrowserTests(t)
	env := mustSystem(t)
	b := mustBrowser(t, env)

	admin := env.RegisterAccount(devidp.PersonaPhysician)
	adminEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := registerWorksite(t, env, admin, "Commercial Drive Clinic", "1650", "Commercial Drive", "community_private_practice", "physician_led")
	attacker := env.RegisterAccount(devidp.PersonaMOA)
	res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "let me in"}, "Authorization", attacker)
	if res.Status != http.StatusCreated {
		t.Fatalf("join request: %d %s", res.Status, res.Body)
	}
	var jr struct {
		JoinRequestID string `json:"joinRequestId"`
	}
	res.JSON(t, &jr)

	p := b.user(t, "administrator")
	p.signIn("/portal", devidp.PersonaPhysician)
	net := recordRequests(t, p)

	// The review's attack: an invitation "token" that walks out of its path
	// with backslashes, so that a page which writes it into a request path
	// POSTs to the join request's approve endpoint with the administrator's
	// session and CSRF token. The administrator clicks whatever is offered.
	{
		segment := `..%5Cworksites%5C` + id + `%5Cjoin-requests%5C` + jr.JoinRequestID + `%5Capprove%3F`
		page := "/invitations/" + segment
		// Leave the portal first, so that none of its own requests (its
		// status page loads as the sign-in ends) is counted as the page's.
		p.do(chromedp.Navigate("about:blank"))
		net.reset()
		p.open(page)
		p.waitFor(`document.readyState === 'complete'`, "the page to load")
		p.shot("crafted-invitation")
		var clicked int
		p.eval(`(() => { const bs = [...document.querySelectorAll('button, input[type=submit]')]; bs.forEach(b => b.click()); return bs.length })()`, &clicked)
		if clicked > 0 {
			// Let what the clicks started finish: the page reports an answer.
			// (No answer is no failure here: what matters is what changed.)
			answered := `(document.querySelector('[role=status], [role=alert]') || {textContent: ''}).textContent.trim() !== ''`
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				var ok bool
				if p.eval(answered, &ok); ok {
					break
				}
			}
			p.shot("crafted-invitation-clicked")
		}

		if still := pendingJoinRequests(t, env, id, admin); !still[jr.JoinRequestID] {
			t.Errorf("after the administrator opened the crafted link and clicked, join request %s is no longer pending", jr.JoinRequestID)
		}
		own := map[string]bool{page: true, "/api/v1/invitations/" + segment + "/accept": true, "/api/v1/me": true}
		for _, r := range net.requests() {
			if !allowedRequest(t, env, r, own) {
				t.Errorf("the crafted invitation page sent %s %s; want no request outside the invitation's own paths", r.method, r.url)
			}
		}
		var scripts int
		p.eval(`document.scripts.length`, &scripts)
		if scripts != 0 {
			t.Errorf("the page of a link that is not valid runs %d scripts; want none", scripts)
		}
		if main := p.mainText(); !strings.Contains(main, "not valid") || !strings.Contains(main, "administrator") {
			t.Errorf("the page does not say the link is not valid and what to do:\n%s", main)
		}
		p.mustBeAccessible("bad-invitation-link")
	}

	// The administrator answers the join request from the emailed link's
	// page: a rejection needs a reason; the answer is a short acknowledgement.
	{
		m := waitMail(t, env, adminEmail, "asks to join")
		tok := joinLinkTokenRE.FindStringSubmatch(m.Text)
		if tok == nil {
			t.Fatalf("no join request link in:\n%s", m.Text)
		}
		page := "/join-requests/" + tok[1]
		net.reset()
		p.open(page)
		p.waitText("#req", "Kevin Nguyen")
		p.waitText("#req", "let me in")
		p.mustBeAccessible("join-request-link")
		p.click("#reject")
		p.waitText("#msg", "reason is required")
		p.fill("#reason", "We do not know you")
		p.click("#reject")
		p.waitText("#msg", "Rejected")
		p.shot("join-request-rejected")
		if still := pendingJoinRequests(t, env, id, admin); still[jr.JoinRequestID] {
			t.Errorf("join request %s is still pending after rejecting it from the link's page", jr.JoinRequestID)
		}
		// Besides its link's API, the page reads the public reference
		// tables (a fixed path) to name the requester's profession in words.
		own := map[string]bool{page: true, "/api/v1/join-links/" + tok[1]: true, "/api/v1/reference": true}
		for _, r := range net.requests() {
			if !allowedRequest(t, env, r, own) {
				t.Errorf("the join request page sent %s %s; want only its link's API path", r.method, r.url)
			}
		}
	}

	// An invited person opens the invitation link's page and accepts.
	{
		rn := env.RegisterConfirmedAccount(devidp.PersonaRegisteredNurse)
		rnEmail := apptest.AccountFor(devidp.PersonaRegisteredNurse)["email"].(string)
		if res := env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": rnEmail}, "Authorization", admin); res.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s", res.Status, res.Body)
		}
		tok := invitationTokenRE.FindStringSubmatch(waitMail(t, env, rnEmail, "invited").Text)
		if tok == nil {
			t.Fatal("no invitation link in the invitation email")
		}
		nurse := b.user(t, "invited-nurse")
		nurse.signIn("/portal", devidp.PersonaRegisteredNurse)
		nurse.open("/invitations/" + tok[1])
		nurse.waitVisible("#accept")
		nurse.mustBeAccessible("invitation-link")
		nurse.click("#accept")
		nurse.waitText("#msg", "member")
		nurse.shot("invitation-accepted")
		res := env.Do(http.MethodGet, "/api/v1/me/worksites", "", nil, "Authorization", rn)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), id) {
			t.Errorf("after accepting, the nurse's worksites: %d %s; want %s", res.Status, res.Body, id)
		}
	}
}

// pendingJoinRequests are the worksite's pending join requests, by ID, as its administrator reads them.
func pendingJoinRequests(t *testing.T, env *apptest.Env, id, admin string) map[string]bool {
	t.Helper()
	res := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", admin)
	if res.Status != http.StatusOK {
		t.Fatalf("members of %s: %d %s", id, res.Status, res.Body)
	}
	var m struct {
		JoinRequests []struct {
			ID string `json:"id"`
		} `json:"joinRequests"`
	}
	res.JSON(t, &m)
	out := map[string]bool{}
	for _, r := range m.JoinRequests {
		out[r.ID] = true
	}
	return out
}

// sentRequest is one request a page sent.
type sentRequest struct{ method, url string }

// requestLog records the requests a tab sends (the network domain's
// requestWillBeSent events); the listener runs on chromedp's goroutine.
type requestLog struct {
	mu   sync.Mutex
	sent []sentRequest
}

func recordRequests(t *testing.T, p *tab) *requestLog {
	t.Helper()
	l := &requestLog{}
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			l.mu.Lock()
			l.sent = append(l.sent, sentRequest{e.Request.Method, e.Request.URL})
			l.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listening to the tab's requests: %v", err)
	}
	return l
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = nil
}

func (l *requestLog) requests() []sentRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sentRequest(nil), l.sent...)
}

// allowedRequest: a request to this system for one of the own paths (as
// sent, escapes kept), or a GET of the page's stylesheet or scripts, or of
// the icon the browser itself asks for.
func allowedRequest(t *testing.T, env *apptest.Env, r sentRequest, own map[string]bool) bool {
	t.Helper()
	u, err := url.Parse(r.url)
	if err != nil {
		t.Errorf("request URL %q: %v", r.url, err)
		return false
	}
	if r.url == "about:blank" {
		return true
	}
	if u.Scheme+"://"+u.Host != env.Base {
		return false
	}
	path := u.EscapedPath()
	if own[path] && u.RawQuery == "" {
		return true
	}
	return r.method == http.MethodGet && (strings.HasPrefix(path, "/static/") || path == "/favicon.ico")
}
