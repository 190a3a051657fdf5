package faults

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
	"careconnect/testnet"
)

// TestSMTPDown runs the worker against an SMTP port where nothing listens:
// the account and registration emails fail and the relay retries them with
// back-off (the email log shows each pending, its failed attempts and last
// error on one record, nothing delivered), and the enrolment goes on. Once
// a mail server listens on that port, each email is delivered exactly once
// and recorded once, as sent.
func TestSMTPDown(t *testing.T) {
	need(t)
	t.Parallel()
	port := testnet.MustFreePort(t)
	sys := startSystem(t, setup{SMTPPort: port})
	auth := sys.RegisterAccount(devidp.PersonaPhysician)
	id := sys.register(auth, 1)
	regKey := key(id, mail.KindWorksiteRegistered, 1)

	// Failed attempts are recorded, on one record per email, still pending.
	var failing []store.EmailRecord
	sys.wait(30*time.Second, "the emails to fail at least three times", func() (bool, string) {
		var err error
		if failing, err = sys.emailLog(""); err != nil {
			return false, err.Error()
		}
		var wsOK, userOK bool
		for _, r := range failing {
			if r.Status != store.EmailPending || r.Attempts > 0 && r.LastError == "" {
				return false, fmt.Sprintf("%s is %s after %d attempts (last error %q)", r.Key, r.Status, r.Attempts, r.LastError)
			}
			wsOK = wsOK || (r.Key == regKey && r.Attempts >= 3)
			userOK = userOK || (strings.HasPrefix(r.Key, "user/") && r.Attempts >= 3)
		}
		return wsOK && userOK, fmt.Sprintf("%+v", failing)
	})
	for _, r := range failing {
		if r.SentAt != nil {
			t.Errorf("email %s failed but has a sent time", r.Key)
		}
	}
	// The enrolment does not wait for the mail server.
	sys.waitState(auth, id, domain.WorksiteAwaitingDeclaration, 10*time.Second)

	// The mail server comes up on the configured port.
	c, err := mail.StartCatcher(net.JoinHostPort("127.0.0.1", fmt.Sprint(port)))
	if err != nil {
		t.Fatalf("starting the catcher on the worker's SMTP port: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	rec := sys.waitEmailSent(regKey, 60*time.Second)
	seen := 0
	for _, r := range failing {
		if r.Key == regKey {
			seen = r.Attempts // the last of which may have been under way, and the one that got through
		}
	}
	if rec.Attempts < seen || rec.Attempts < 3 {
		t.Errorf("registration email sent after %d attempts (%d seen failing); want the failed ones counted too", rec.Attempts, seen)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	recs, err := sys.Store.ListEmails(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(failing) {
		t.Errorf("email log has %d records after delivery, %d before; want one per email", len(recs), len(failing))
	}
	sys.checkDeliveredOnce(c, "worksite/"+id+"/")
	sys.checkDeliveredOnce(c, "user/")
}
