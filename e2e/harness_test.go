// Package e2e drives the web portal and the team console in headless
// Chromium (chromedp) against the whole system started by app/apptest: the
// real API with the embedded front ends, Temporal dev server, PostgreSQL,
// mail catcher and dev identity provider.
//
// The tests run only when CARECONNECT_BROWSER_TESTS=1; then a missing
// browser (/usr/bin/chromium or CARECONNECT_CHROMIUM) or a missing axe-core
// (npm ci in e2e/) fails them. Screenshots of each step are written under
// CARECONNECT_ARTIFACTS, or e2e/artifacts/ (git-ignored).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"careconnect/app/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// stepTimeout bounds one browser step (a click, a wait for text).
const stepTimeout = 25 * time.Second

// browser is one headless Chromium shared by a test's subtests.
type browser struct {
	t         *testing.T
	ctx       context.Context // the browser's first tab; every user gets a context of their own
	env       *apptest.Env
	artifacts string
	axe       string
	steps     atomic.Int32 // numbers screenshots in the order they were taken
}

// mustBrowser starts Chromium for t, or skips t unless CARECONNECT_BROWSER_TESTS=1.
func mustBrowser(t *testing.T, env *apptest.Env) *browser {
	t.Helper()
	exec := os.Getenv("CARECONNECT_CHROMIUM")
	if exec == "" {
		exec = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exec); err != nil {
		t.Fatalf("e2e: no Chromium at %s (install Debian's chromium, or set CARECONNECT_CHROMIUM): %v", exec, err)
	}
	axe, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("e2e: axe-core is missing; run `npm ci` in e2e/: %v", err)
	}
	dir := os.Getenv("CARECONNECT_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err = filepath.Abs(filepath.Join(dir, time.Now().Format("20060102-150405")))
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("metrics-recording-only", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("e2e: starting Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &browser{t: t, ctx: ctx, env: env, artifacts: dir, axe: string(axe)}
}

// requireBrowserTests skips t unless the browser tests are asked for.
func requireBrowserTests(t *testing.T) {
	t.Helper()
	if os.Getenv("CARECONNECT_BROWSER_TESTS") != "1" {
		t.Skip("browser tests skipped: set CARECONNECT_BROWSER_TESTS=1 (needs /usr/bin/chromium and `npm ci` in e2e/)")
	}
}

// tab is one person's browser window: a browser context of its own, so
// that each person has their own session cookie.
type tab struct {
	t    *testing.T
	b    *browser
	ctx  context.Context
	name string
}

// user opens a fresh, isolated window for a person.
func (b *browser) user(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run on a context creates its tab, which lives as long as
	// that run's context: so no step timeout here.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: problemWatcher})
		return err
	})); err != nil {
		t.Fatalf("%s: opening a window: %v", name, err)
	}
	return &tab{t: t, b: b, ctx: ctx, name: name}
}

// problemWatcher runs first in every page: it records what the content
// security policy blocked and every uncaught script error, for checkProblems.
const problemWatcher = `window.__ccProblems = [];
document.addEventListener('securitypolicyviolation', (e) => window.__ccProblems.push('the content security policy blocked ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' on ' + location.pathname + location.hash));
window.addEventListener('error', (e) => window.__ccProblems.push('script error: ' + e.message + ' on ' + location.pathname + location.hash));
window.addEventListener('unhandledrejection', (e) => window.__ccProblems.push('unhandled rejection: ' + ((e.reason && e.reason.message) || e.reason) + ' on ' + location.pathname + location.hash));`

// checkProblems fails the test for each CSP violation or script error the page recorded.
func (p *tab) checkProblems() {
	p.t.Helper()
	var problems []string
	p.eval(`window.__ccProblems || []`, &problems)
	for _, pr := range problems {
		p.t.Errorf("%s: %s", p.name, pr)
	}
	p.eval(`(() => { window.__ccProblems = []; return true })()`, nil)
}

// do runs steps with the step timeout; a failure fails the test with a screenshot.
func (p *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shotOnFailure()
		p.t.Fatalf("%s: browser step failed: %v", p.name, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into out.
func (p *tab) eval(js string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.shotOnFailure()
		p.t.Fatalf("%s: evaluating %.80q: %v", p.name, js, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: result of %.80q: %v (%s)", p.name, js, err, raw)
		}
	}
}

// open navigates to a path of the system.
func (p *tab) open(path string) {
	p.t.Helper()
	p.checkProblems()
	p.do(chromedp.Navigate(p.b.env.Base + path))
}

// signIn signs in through the dev identity provider's persona picker from
// the page at path (/portal or /team), and waits for the page's heading.
func (p *tab) signIn(path, persona string) {
	p.t.Helper()
	p.open(path)
	p.click("#sign-in")
	p.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`button[name="persona"][value=%q]`, persona))))
	p.shot("persona-picker")
	p.click(fmt.Sprintf(`button[name="persona"][value=%q]`, persona))
	// At phone width the sign-out sits behind the menu button: wait for it to exist.
	p.waitFor(`document.querySelector('#sign-out')`, "the sign-out button of a signed-in page")
}

// click clicks the first element matching sel once it is visible.
func (p *tab) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// clickText clicks the button or link under scope whose text is text.
func (p *tab) clickText(scope, text string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.textContent.trim() === %q && e.offsetParent !== null)`,
		scope+" button, "+scope+" a", text), "a control "+text+" in "+scope)
	p.eval(fmt.Sprintf(`(() => { const e = [...document.querySelectorAll(%q)].find(e => e.textContent.trim() === %q && e.offsetParent !== null); e.focus(); e.click(); return true })()`,
		scope+" button, "+scope+" a", text), nil)
}

// fill sets a control's value and fires input and change events, as typing and choosing do.
func (p *tab) fill(sel, value string) {
	p.t.Helper()
	p.waitVisible(sel)
	p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return e.value })()`, sel, value), nil)
}

// check ticks a checkbox or radio button.
func (p *tab) check(sel string) {
	p.t.Helper()
	p.waitVisible(sel)
	p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e.checked) e.click(); return e.checked })()`, sel), nil)
}

// typeKeys types text into a control key by key.
func (p *tab) typeKeys(sel, text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (p *tab) waitVisible(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitFor polls a JavaScript condition until it is true.
func (p *tab) waitFor(cond, what string) {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		var ok bool
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { try { return Boolean(%s) } catch (e) { return false } })()`, cond)))
		cancel()
		if err == nil {
			ok = v
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.shotOnFailure()
			p.t.Fatalf("%s: waited %s for %s (err %v); main shows:\n%s", p.name, stepTimeout, what, err, p.mainText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitText waits until the element matching sel contains want.
func (p *tab) waitText(sel, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent.includes(%q)`, sel, want), fmt.Sprintf("%q in %s", want, sel))
}

// text is the text of the first element matching sel ("" when there is none).
func (p *tab) text(sel string) string {
	p.t.Helper()
	var s string
	p.eval(fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent`, sel), &s)
	return s
}

// mainText is the visible text of the page's main region, for failure messages.
func (p *tab) mainText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main') || document.body || {innerText: ''}).innerText`))
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}

// waitRoute waits until the page's hash route is hash and its heading is shown.
func (p *tab) waitHeading(want string) {
	p.t.Helper()
	p.waitText("main h1", want)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// shot saves a full-page screenshot of the step as a test artifact.
func (p *tab) shot(name string) {
	p.t.Helper()
	p.checkProblems()
	n := p.b.steps.Add(1)
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("%s: screenshot %s: %v", p.name, name, err)
		return
	}
	p.save(fmt.Sprintf("%03d-%s-%s.png", n, p.name, name), png)
}

func (p *tab) shotOnFailure() {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		p.save(fmt.Sprintf("FAILED-%s.png", p.name), png)
	}
}

func (p *tab) save(file string, data []byte) {
	dir := filepath.Join(p.b.artifacts, unsafeName.ReplaceAllString(p.t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("artifacts: %v", err)
		return
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(file, "_"))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		p.t.Logf("artifacts: %v", err)
		return
	}
	p.t.Logf("screenshot: %s", path)
}

// axeViolation is one serious or critical finding of axe-core.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// viewport is a window size a step is checked at.
type viewport struct {
	name          string
	width, height int64
	// phone emulates a mobile device (its meta viewport, touch).
	phone bool
	// full runs axe-core and saves a screenshot; otherwise only the
	// horizontal overflow is checked.
	full bool
}

var (
	// desktop is the width the journeys run at between checks.
	desktop = viewport{name: "desktop", width: 1366, height: 900, full: true}
	// phone is the width emailed links are opened at.
	phone = viewport{name: "phone", width: 390, height: 844, phone: true, full: true}
	// viewports are the widths every checked step is seen at: the two the
	// issue names in full, and the narrowest phone and a tablet for
	// horizontal overflow only.
	viewports = []viewport{desktop, phone,
		{name: "narrowest", width: 320, height: 640, phone: true},
		{name: "tablet", width: 768, height: 1024}}
)

// axeTags are the rule sets axe-core runs: WCAG 2.0-2.2 A and AA and the best practices.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice']`

// setViewport sizes the window's page to v (a device metrics override).
func (p *tab) setViewport(v viewport) {
	p.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do(chromedp.EmulateViewport(v.width, v.height, opts...))
	// Let the layout and the pages' resize observers settle.
	p.eval(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil)
}

// atEveryWidth runs check at each of the viewports (desktop last, so that
// the journey goes on at desktop width). A journey step a person does at a
// phone too (open the menu, press a button) is checked this way.
func (p *tab) atEveryWidth(check func(v viewport)) {
	p.t.Helper()
	for _, v := range append(viewports[1:], viewports[0]) {
		p.setViewport(v)
		check(v)
	}
}

// mustBeAccessible checks the page as it is at every width: at desktop
// (1366×900) and phone (390×844) width axe-core (WCAG 2.2 A and AA rules
// and best practices) finds no serious or critical violation and a
// screenshot is saved; at every width (320 to 1366 px) nothing needs
// scrolling sideways.
func (p *tab) mustBeAccessible(page string) {
	p.t.Helper()
	p.atEveryWidth(func(v viewport) {
		p.mustNotOverflow(page, v)
		p.mustNotCoverControls(page, v, false)
		if !v.full {
			return
		}
		p.mustPassAxe(page + " at " + v.name + " width")
		p.shot(page + "-" + v.name)
	})
}

// toastCoversNothing checks, at every width, that the toast (#announce)
// an action has just shown covers none of the page's controls.
func (p *tab) toastCoversNothing(page string) {
	p.t.Helper()
	p.atEveryWidth(func(v viewport) { p.mustNotCoverControls(page, v, true) })
}

// mustNotCoverControls fails when the toast (#announce) overlaps a visible
// control (a link, button, form field or other tab stop) at v: a toast
// must never hide what a person may press next. Unless shown is true, a
// page without a toast passes.
func (p *tab) mustNotCoverControls(page string, v viewport, shown bool) {
	p.t.Helper()
	var res struct {
		Shown   bool     `json:"shown"`
		Covered []string `json:"covered"`
	}
	p.eval(`(() => {
		const t = document.getElementById('announce');
		if (!t || !t.textContent.trim() || t.getClientRects().length === 0) return {shown: false, covered: []};
		const a = t.getBoundingClientRect();
		const sel = 'a[href], button, input, select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])';
		const covered = [];
		for (const e of document.querySelectorAll(sel)) {
			if (t.contains(e) || e.closest('[hidden], [inert]') || getComputedStyle(e).visibility === 'hidden') continue;
			for (const r of e.getClientRects()) {
				const w = Math.min(a.right, r.right) - Math.max(a.left, r.left);
				const h = Math.min(a.bottom, r.bottom) - Math.max(a.top, r.top);
				if (w > 1 && h > 1) {
					covered.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + (e.getAttribute('aria-label') || e.textContent || e.name || '').trim().slice(0, 40) + '"');
					break;
				}
			}
		}
		return {shown: true, covered};
	})()`, &res)
	if shown && !res.Shown {
		p.t.Errorf("%s: no toast shows on %s at %d px", p.name, page, v.width)
		return
	}
	if len(res.Covered) > 0 {
		p.shot("toast-covers-" + page + "-" + v.name)
		p.t.Errorf("%s: on %s at %d px the toast covers %s", p.name, page, v.width, strings.Join(res.Covered, ", "))
	}
}

// mustNotOverflow fails when the page is wider than the window at v: it
// names the elements that stick out (content inside a scrolling region
// does not count).
func (p *tab) mustNotOverflow(page string, v viewport) {
	p.t.Helper()
	var wide []string
	p.eval(`(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		const out = [];
		for (const e of document.querySelectorAll('body *')) {
			const r = e.getBoundingClientRect();
			if (r.width === 0 || r.right <= w + 1) continue;
			let clipped = false;
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
				const o = getComputedStyle(a).overflowX;
				if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
			}
			if (clipped) continue;
			out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') + ' (right edge ' + Math.round(r.right) + ' px)');
			if (out.length >= 5) break;
		}
		return out.length ? out : ['the document (' + document.documentElement.scrollWidth + ' px)'];
	})()`, &wide)
	if len(wide) > 0 {
		p.shot("overflow-" + page + "-" + v.name)
		p.t.Errorf("%s: %s needs horizontal scrolling at %d px: %s", p.name, page, v.width, strings.Join(wide, " | "))
	}
}

// mustPassAxe runs axe-core on the page as it is and fails on any serious
// or critical violation.
func (p *tab) mustPassAxe(page string) {
	p.t.Helper()
	var loaded bool
	p.eval(`typeof window.axe === 'object'`, &loaded)
	if !loaded {
		p.eval("(() => { "+p.b.axe+"\n; return typeof window.axe === 'object' })()", &loaded)
		if !loaded {
			p.t.Fatalf("%s: axe-core did not load into %s", p.name, page)
		}
	}
	var res struct {
		Found  []axeViolation `json:"found"`
		Passes int            `json:"passes"`
	}
	// resultTypes trims the details of the other result types, not the rules run.
	p.eval(`axe.run(document, {runOnly: {type: 'tag', values: `+axeTags+`}, resultTypes: ['violations']}).then(r => ({
		passes: r.passes.length,
		found: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))}))`, &res)
	if res.Passes == 0 {
		p.t.Fatalf("%s: axe-core checked nothing on %s", p.name, page)
	}
	found := res.Found
	for _, v := range found {
		p.t.Errorf("%s: accessibility (%s) on %s: %s [%s] at %s", p.name, v.Impact, page, v.Help, v.ID, strings.Join(v.Nodes, " | "))
	}
	if len(found) > 0 {
		p.shot("axe-" + page)
	}
}
