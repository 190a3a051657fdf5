package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/learninghub"
	"careconnect/mail"
)

// temporalUI is the Temporal Web UI address the system under test links to.
const temporalUI = "http://temporal-ui.test:8233"

// mustSystem starts the whole system and checks that it serves the front ends.
func mustSystem(t *testing.T) *apptest.Env {
	t.Helper()
	env := apptest.Start(t, func(c *config.Config) { c.Temporal.UIURL = temporalUI })
	for _, p := range []string{"/portal", "/team", "/static/js/portal.js", "/static/css/app.css"} {
		if res := env.Do(http.MethodGet, p, "", nil); res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d; the API must serve the web front ends (web.Handler)", p, res.Status)
		}
	}
	return env
}

// waitMail waits for an email to to whose subject contains subjectHas.
func waitMail(t *testing.T, env *apptest.Env, to, subjectHas string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool {
		return strings.Contains(m.Subject, subjectHas) && len(m.To) == 1 && strings.EqualFold(m.To[0], to)
	})
	if err != nil {
		t.Fatalf("no email to %s with %q in the subject: %v", to, subjectHas, err)
	}
	return m
}

// waitMailKey waits for an email whose event key starts with prefix.
func waitMailKey(t *testing.T, env *apptest.Env, prefix string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool { return strings.HasPrefix(m.EventKey, prefix) })
	if err != nil {
		t.Fatalf("no email with event key %s*: %v", prefix, err)
	}
	return m
}

// waitMailText waits for an email to to whose text contains textHas.
func waitMailText(t *testing.T, env *apptest.Env, to, textHas string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool {
		return strings.Contains(m.Text, textHas) && len(m.To) == 1 && strings.EqualFold(m.To[0], to)
	})
	if err != nil {
		t.Fatalf("no email to %s saying %q: %v", to, textHas, err)
	}
	return m
}

// confirmLinkRE finds the email confirmation link in an email.
var confirmLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/confirm-email/[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+`)

// confirmEmail follows the latest email confirmation link sent to address
// for persona, as they would from their mailbox, in p's window (signed in
// as persona), and confirms.
func confirmEmail(p *tab, persona, address string) {
	p.t.Helper()
	env := p.b.env
	sub := env.Subject(persona)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mine := func(m mail.Caught) bool {
		return strings.HasPrefix(m.EventKey, "user/"+sub+"/email_confirmation/") && len(m.To) == 1 && strings.EqualFold(m.To[0], address)
	}
	if _, err := env.Catcher.WaitFor(ctx, mine); err != nil {
		p.t.Fatalf("no email confirmation link sent to %s: %v", address, err)
	}
	var link string
	for _, m := range env.Catcher.Messages() {
		if mine(m) {
			link = confirmLinkRE.FindString(m.Text)
		}
	}
	if link == "" {
		p.t.Fatalf("the email confirmation email to %s has no link", address)
	}
	p.checkProblems()
	p.do(chromedp.Navigate(link))
	p.waitHeading("Confirm your email address")
	p.waitVisible("#confirm")
	p.shot("confirm-email-page")
	p.click("#confirm")
	p.waitText("#msg", "your email address is confirmed")
	p.shot("email-confirmed")
}

// learningHub sends LearningHub's signed callback for email, as LearningHub would.
func learningHub(t *testing.T, env *apptest.Env, eventID, typ, email string) {
	t.Helper()
	code := env.Config.LearningHub.CourseCode
	if typ == learninghub.TypeAgreementAcknowledged {
		code = env.Config.LearningHub.AgreementCode
	}
	body, err := json.Marshal(map[string]any{"eventId": eventID, "type": typ, "courseCode": code,
		"learner": map[string]any{"email": email, "learningHubId": "LH-" + eventID}, "occurredAt": time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	res := env.Do(http.MethodPost, "/webhooks/learninghub", "application/json", body,
		learninghub.Header, learninghub.Sign([]byte(env.Config.LearningHub.Secret), time.Now().Unix(), body))
	if res.Status != http.StatusAccepted {
		t.Fatalf("LearningHub callback %s: %d %s", typ, res.Status, res.Body)
	}
}

// screenshotFile writes a small real PNG for the declaration's antivirus screenshot.
func screenshotFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "antivirus.png")
	if err := os.WriteFile(path, apptest.PNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
