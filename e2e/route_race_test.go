package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"careconnect/devidp"
)

// TestBrowserLateRouteDrawsNothing holds the answer of one page's data in
// the browser (the DevTools fetch domain) while the person moves on to
// another page, then lets it through: the page the person is on must stay
// drawn, titled and focused, not be replaced by the page they left. This is
// the race TeamFindsPagesAndExports once lost under load, when a slow queue
// drew itself over the People page.
func TestBrowserLateRouteDrawsNothing(t *testing.T) {
	requireBrowserTests(t)
	env := mustSystem(t)
	b := mustBrowser(t, env)
	for _, v := range []viewport{phone, desktop} {
		t.Run(v.name, func(t *testing.T) {
			p := b.user(t, "team-"+v.name)
			p.setViewport(v)
			p.signIn("/team", devidp.PersonaTeam)
			p.waitHeading("Queue")

			paused := p.holdResponses("*/api/v1/staff/applications*")
			// The queue again, with a filter: its list is held in the browser.
			p.eval(`(() => { location.hash = '#/?overdue=true'; return true })()`, nil)
			held := p.waitPaused(paused, "overdue=true")
			p.eval(`(() => { location.hash = '#/people'; return true })()`, nil)
			p.waitHeading("People")
			p.waitFor(`!document.querySelector('main .loading')`, "the People page loaded")

			p.release(held)
			// The late answer has reached the page once its resource timing
			// is recorded; then let its view run to the end.
			p.waitFor(`performance.getEntriesByType('resource').some(e => e.name.includes('/api/v1/staff/applications') && e.name.includes('overdue=true') && e.responseEnd > 0)`,
				"the held queue answer to arrive")
			p.eval(`new Promise(r => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => r(true))), 300))`, nil)

			var got struct {
				Hash     string   `json:"hash"`
				Headings []string `json:"headings"`
				Title    string   `json:"title"`
				Focused  string   `json:"focused"`
			}
			p.eval(`({
				hash: location.hash,
				headings: [...document.querySelectorAll('main h1')].map(h => h.textContent),
				title: document.title,
				focused: document.activeElement ? document.activeElement.tagName.toLowerCase() + ':' + document.activeElement.textContent.slice(0, 40) : '',
			})`, &got)
			p.shot("late-queue-after-people")
			if got.Hash != "#/people" || len(got.Headings) != 1 || got.Headings[0] != "People" {
				t.Errorf("at %s width, after the queue answered late on #/people: hash %q, main headings %q; want only \"People\"; main shows:\n%s", v.name, got.Hash, got.Headings, p.mainText())
			}
			if want := "People · CareConnect"; got.Title != want {
				t.Errorf("at %s width, the title after the late queue is %q; want %q", v.name, got.Title, want)
			}
			if got.Focused != "h1:People" {
				t.Errorf("at %s width, focus after the late queue is on %q; want the People heading", v.name, got.Focused)
			}
			p.checkProblems()
		})
	}
}

// holdResponses makes the browser hold every answer to a URL matching
// pattern until release; the held requests arrive on the returned channel.
func (p *tab) holdResponses(pattern string) <-chan *fetch.EventRequestPaused {
	p.t.Helper()
	ch := make(chan *fetch.EventRequestPaused, 16)
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case ch <- e:
			default:
			}
		}
	}); err != nil {
		p.t.Fatalf("%s: listening: %v", p.name, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: pattern, RequestStage: fetch.RequestStageResponse},
	}}); err != nil {
		p.t.Fatalf("%s: holding %s: %v", p.name, pattern, err)
	}
	p.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		_, _ = chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
	})
	return ch
}

// waitPaused waits for a held request whose URL contains has; any other
// held request is let through.
func (p *tab) waitPaused(ch <-chan *fetch.EventRequestPaused, has string) fetch.RequestID {
	p.t.Helper()
	deadline := time.After(stepTimeout)
	for {
		select {
		case e := <-ch:
			if e.Request != nil && strings.Contains(e.Request.URL, has) {
				return e.RequestID
			}
			p.release(e.RequestID)
		case <-deadline:
			p.shotOnFailure()
			p.t.Fatalf("%s: no request with %q was held in %s", p.name, has, stepTimeout)
		}
	}
}

// release lets a held answer through to the page.
func (p *tab) release(id fetch.RequestID) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
		p.t.Fatalf("%s: releasing %s: %v", p.name, id, err)
	}
}
