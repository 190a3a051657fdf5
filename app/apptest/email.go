package apptest

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"careconnect/mail"
)

// confirmLinkRE finds the email confirmation link's token in an email.
var confirmLinkRE = regexp.MustCompile(`/confirm-email/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`)

// Subject is persona's BCSC subject in this system (every test gives its
// personas subjects of their own).
func (e *Env) Subject(persona string) string {
	e.T.Helper()
	for _, p := range e.DevIDPPersonas {
		if p.Key == persona {
			return p.Subject
		}
	}
	e.T.Fatalf("apptest: no persona %q", persona)
	return ""
}

// ConfirmationToken waits for an email confirmation email sent to address
// for persona's account and returns the token of its link; with several,
// the latest.
func (e *Env) ConfirmationToken(persona, address string) string {
	e.T.Helper()
	return ConfirmationTokenIn(e.T, e.Catcher, e.Subject(persona), address)
}

// ConfirmationTokenIn waits for an email confirmation email that c caught,
// sent to address for the account of subject, and returns the token of
// its link; with several, the latest.
func ConfirmationTokenIn(t testing.TB, c *mail.Catcher, subject, address string) string {
	t.Helper()
	prefix := "user/" + subject + "/email_confirmation/"
	mine := func(m mail.Caught) bool {
		return strings.HasPrefix(m.EventKey, prefix) && len(m.To) == 1 && strings.EqualFold(m.To[0], address)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.WaitFor(ctx, mine); err != nil {
		t.Fatalf("apptest: no email confirmation link for %s sent to %s: %v", subject, address, err)
	}
	var last mail.Caught
	for _, m := range c.Messages() {
		if mine(m) {
			last = m
		}
	}
	g := confirmLinkRE.FindStringSubmatch(last.Text)
	if g == nil {
		t.Fatalf("apptest: no /confirm-email/ link in %q:\n%s", last.Subject, last.Text)
	}
	return g[1]
}

// ConfirmEmail confirms address as persona's email through the link
// emailed to it, signed in as persona (auth), as its owner would.
func (e *Env) ConfirmEmail(persona, auth, address string) {
	e.T.Helper()
	tok := e.ConfirmationToken(persona, address)
	res := e.Do(http.MethodPost, "/api/v1/email-confirmations/"+tok, "", nil, "Authorization", auth)
	if res.Status != http.StatusOK {
		e.T.Fatalf("apptest: confirming %s's email %s: got %d %s", persona, address, res.Status, res.Body)
	}
}

// RegisterConfirmedAccount registers persona's account (AccountFor) and
// confirms its email through the emailed link, so that LearningHub events
// and invitations for that address reach it. It returns the Authorization
// header to act as them.
func (e *Env) RegisterConfirmedAccount(persona string) string {
	e.T.Helper()
	auth := e.RegisterAccount(persona)
	e.ConfirmEmail(persona, auth, AccountFor(persona)["email"].(string))
	return auth
}
