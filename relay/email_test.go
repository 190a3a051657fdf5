package relay_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/relay"
	"careconnect/store"
	"careconnect/store/storetest"
)

// countingMailer counts the messages sent per idempotency key. With fail
// set, Send fails (retryably) instead, as an SMTP outage does.
type countingMailer struct {
	mu   sync.Mutex
	sent map[string]int
	to   map[string][]string
	fail error
}

func (m *countingMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.sent == nil {
		m.sent, m.to = map[string]int{}, map[string][]string{}
	}
	m.sent[msg.IdempotencyKey]++
	m.to[msg.IdempotencyKey] = msg.To
	return nil
}

func (m *countingMailer) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent[key]
}

func (m *countingMailer) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// clock is a relay's clock that a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is one store with a worksite and an account, and a relay on it.
type fixture struct {
	store    *store.Store
	relay    *relay.Relay
	clock    *clock
	worksite domain.Worksite
	subject  string
}

func newFixture(t *testing.T, s *store.Store, mailer relay.Mailer) fixture {
	t.Helper()
	ctx := context.Background()
	reg := domain.WorksiteRegistration{Name: "Proctor Clinic", Phone: "(604) 555-4555", Email: "clinic@example.ca",
		Address: domain.Address{Unit: "101", StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver",
			Province: "BC", PostalCode: "V5T 4G5"},
		LocationType: domain.CommunityPrivatePractice, SubOption: "physician_led", EMR: "OSCAR",
		Administrator: domain.Person{Name: "Dalia Admin", Email: "dalia@example.ca"}}
	w, err := s.CreateWorksite(ctx, reg, time.Now(), domain.AuditEvent{Actor: "dalia@example.ca", Role: "applicant", Action: "worksite registered"})
	if err != nil {
		t.Fatalf("CreateWorksite: %v", err)
	}
	const subject = "bcsc-physician-0001"
	if err := s.EnsurePerson(ctx, subject, "Priya", "Sharma"); err != nil {
		t.Fatal(err)
	}
	no := false
	acct := domain.AccountRegistration{Profession: domain.ProfPhysician, ProfessionIDs: map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"},
		Email: "priya@example.ca", Phone: "(604) 555-0100", HasHANetworkAccount: &no, Username: "psharma"}
	if _, err := s.CreateAccount(ctx, subject, acct, "hash", time.Now(), domain.AuditEvent{Subject: "person:" + subject, Action: "account registered"}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	signer, err := links.NewSigner("relay-test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Now().Add(time.Second)} // the emails the test queues are due
	r := &relay.Relay{Store: s, Mailer: mailer, Links: signer, Now: c.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), // failed attempts are expected
		Config: relay.Config{Interval: time.Second, BatchSize: 10, Lease: time.Minute, RetryFor: 7 * 24 * time.Hour,
			PublicBaseURL: "http://127.0.0.1:8080", TeamEmail: "team@example.ca", DeclarationTTL: 90 * 24 * time.Hour,
			JoinLinkTTL: 14 * 24 * time.Hour, EmailConfirmationTTL: 7 * 24 * time.Hour, ViewerURL: "https://viewer.example.ca",
			Location: mustLocation(t, "America/Vancouver")}}
	return fixture{store: s, relay: r, clock: c, worksite: w, subject: subject}
}

// queue stores emails as a workflow task's projection write does.
func (f fixture) queue(t *testing.T, emails ...domain.Email) {
	t.Helper()
	if err := f.store.SaveProjection(context.Background(), domain.Projection{Emails: emails}); err != nil {
		t.Fatalf("SaveProjection: %v", err)
	}
}

// round runs one round of the email loop and returns how many it claimed.
func (f fixture) round(t *testing.T) int {
	t.Helper()
	n, err := f.relay.SendEmails(context.Background())
	if err != nil {
		t.Fatalf("SendEmails: %v", err)
	}
	return n
}

// emails are the email log's records under key.
func (f fixture) emails(t *testing.T, key string) []store.EmailRecord {
	t.Helper()
	rs, err := f.store.ListEmails(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func (f fixture) worksiteEmail(kind domain.MailKind) domain.Email {
	return domain.Email{Worksite: &domain.WorksiteEmail{Key: "worksite/" + f.worksite.ID + "/" + string(kind) + "/1", Kind: kind,
		WorksiteID: f.worksite.ID, To: domain.ToSiteAdmins, Seq: 1}}
}

func (f fixture) userEmail(kind domain.MailKind) domain.Email {
	return domain.Email{User: &domain.UserEmail{Key: "user/" + f.subject + "/" + string(kind) + "/1", Kind: kind,
		Subject: f.subject, Seq: 1, Deadline: time.Now().Add(90 * 24 * time.Hour)}}
}

// An email the relay comes to again after it was sent and recorded (a
// claim that lapsed, a second worker replica, a relay that runs long
// after) sends nothing: only a pending email is claimed. Both kinds of
// email, on both databases.
func TestEmailRerunAfterSuccessSendsNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{}
		f := newFixture(t, s, mailer)
		emails := []domain.Email{f.worksiteEmail(domain.MailWorksiteRegistered), f.userEmail(domain.MailAccountRegistered)}
		f.queue(t, emails...)
		if n := f.round(t); n != 2 {
			t.Fatalf("first round claimed %d emails; want 2", n)
		}
		for run := 1; run <= 3; run++ {
			// Past the claim's lease and any back-off: a sent email's next
			// attempt time has long passed.
			f.clock.advance(30 * 24 * time.Hour)
			if n := f.round(t); n != 0 {
				t.Errorf("round %d after success claimed %d emails; want none", run, n)
			}
		}
		for _, e := range emails {
			if n := mailer.count(e.Key()); n != 1 {
				t.Errorf("%s sent %d times; want once", e.Key(), n)
			}
			rs := f.emails(t, e.Key())
			if len(rs) != 1 || rs[0].Status != store.EmailSent || rs[0].Attempts != 1 || len(rs[0].Recipients) != 1 {
				t.Errorf("email log of %s = %+v; want one record, sent on its one attempt, with its recipient", e.Key(), rs)
			}
		}
	})
}

// An attempt that failed (SMTP down) leaves the email pending with its
// error, retried after its back-off; once sent, a further round sends
// nothing.
func TestEmailRetriedAfterFailureSendsOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{fail: errors.New("dial tcp 127.0.0.1:1025: connection refused")}
		f := newFixture(t, s, mailer)
		e := f.worksiteEmail(domain.MailDeclarationReceived)
		e.Worksite.SignerName, e.Worksite.SignerTitle = "Dr Lee", "Lead physician"
		f.queue(t, e)
		f.round(t)
		rs := f.emails(t, e.Key())
		if len(rs) != 1 || rs[0].Status != store.EmailPending || rs[0].Attempts != 1 || rs[0].LastError == "" || rs[0].SentAt != nil {
			t.Fatalf("email log after the failed attempt = %+v; want one record, pending, its error kept", rs)
		}
		if n := f.round(t); n != 0 {
			t.Fatalf("a round before the back-off claimed %d; want none", n)
		}
		mailer.setFail(nil)
		for run := 1; run <= 2; run++ {
			f.clock.advance(2 * time.Second)
			f.round(t)
		}
		if n := mailer.count(e.Key()); n != 1 {
			t.Errorf("sent %d times; want once, by the first retry", n)
		}
		if rs := f.emails(t, e.Key()); len(rs) != 1 || rs[0].Status != store.EmailSent || rs[0].Attempts != 2 || rs[0].LastError != "" {
			t.Errorf("email log = %+v; want one record, sent on its second attempt", rs)
		}
	})
}

// An email that keeps failing is retried with a growing back-off until
// relay.retry_for has passed since it was queued; then it is failed for
// good, with an audit record on the worksite's timeline.
func TestEmailFailsForGoodAfterRetryFor(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{fail: errors.New("dial tcp 127.0.0.1:1025: connection refused")}
		f := newFixture(t, s, mailer)
		f.relay.Config.RetryFor = time.Hour
		e := f.worksiteEmail(domain.MailWorksiteApproved)
		f.queue(t, e)
		attempts := 0
		for i := 0; i < 40 && (attempts == 0 || f.emails(t, e.Key())[0].Status == store.EmailPending); i++ {
			attempts += f.round(t)
			f.clock.advance(5 * time.Minute) // the longest back-off
		}
		rs := f.emails(t, e.Key())
		if len(rs) != 1 || rs[0].Status != store.EmailFailed || rs[0].Attempts != attempts || rs[0].Attempts < 12 {
			t.Fatalf("email log = %+v after %d attempts; want failed after retrying for an hour", rs, attempts)
		}
		if f.round(t) != 0 {
			t.Error("a failed email was claimed again")
		}
		audit, err := s.ListAudit(context.Background(), "worksite:"+f.worksite.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range audit {
			found = found || (a.Action == "email not delivered" && a.Actor == "system" && a.WorksiteID == f.worksite.ID)
		}
		if !found {
			t.Errorf("worksite audit = %+v; want the failed email recorded", audit)
		}
	})
}

// Through the real SMTP client and the mail catcher: a round after success
// puts no second message on the wire; a recipient the server refuses
// (5xx) fails the email for good at once, recorded on the person's
// timeline; a person's email goes to the account's current address.
func TestEmailThroughSMTP(t *testing.T) {
	catcher, err := mail.StartCatcher("127.0.0.1:0")
	if err != nil {
		t.Fatalf("StartCatcher: %v", err)
	}
	t.Cleanup(func() { _ = catcher.Close() })
	sender, err := mail.NewSender(config.SMTP{Host: catcher.Host(), Port: catcher.Port(), TLS: "none", From: "CareConnect <no-reply@careconnect.example.ca>"})
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.New(t, "sqlite")
	f := newFixture(t, s, sender)
	ctx := context.Background()
	approved := f.worksiteEmail(domain.MailWorksiteApproved)
	f.queue(t, approved)
	for run := 1; run <= 2; run++ {
		f.round(t)
		f.clock.advance(30 * 24 * time.Hour)
	}
	if got := catcher.To("dalia@example.ca"); len(got) != 1 || got[0].MessageID != sender.MessageID(approved.Key()) {
		t.Errorf("caught %d messages for the administrator; want one, with the key's Message-ID", len(got))
	}

	// The account's address changes after the email was queued: it goes to the new one.
	registered := f.userEmail(domain.MailAccountRegistered)
	f.queue(t, registered)
	newAddr := "priya.sharma@example.ca"
	if _, _, err := s.UpdateAccount(ctx, f.subject, store.AccountUpdate{Email: &newAddr}, domain.AuditEvent{Subject: "person:" + f.subject}); err != nil {
		t.Fatal(err)
	}
	f.round(t)
	if got := catcher.To(newAddr); len(got) != 1 || got[0].EventKey != registered.Key() {
		t.Errorf("caught %d messages at the new address; want the account email", len(got))
	}

	refused := domain.Email{User: &domain.UserEmail{Key: "user/" + f.subject + "/sponsorship_request/K4T6CLP/x", Kind: domain.MailSponsorshipRequest,
		Subject: f.subject, Seq: 1, WorksiteID: f.worksite.ID, WorksiteName: f.worksite.Name,
		Recipients: []domain.Person{{Name: "Dr Nobody", Email: "nobody@" + mail.RejectDomain}}}}
	f.queue(t, refused)
	f.round(t)
	rs := f.emails(t, refused.Key())
	if len(rs) != 1 || rs[0].Status != store.EmailFailed || rs[0].Attempts != 1 {
		t.Fatalf("email log of a refused recipient = %+v; want failed on its one attempt", rs)
	}
	audit, err := s.ListAudit(ctx, "person:"+f.subject)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "email not delivered" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("person's audit has %d failed emails; want 1: %+v", n, audit)
	}
}

// An email confirmation link for an address that no longer awaits
// confirmation is not sent, and never retried.
func TestEmailConfirmationNoLongerWantedIsSkipped(t *testing.T) {
	s := storetest.New(t, "sqlite")
	mailer := &countingMailer{}
	f := newFixture(t, s, mailer)
	e := domain.Email{User: &domain.UserEmail{Key: "user/" + f.subject + "/email_confirmation/stale/1", Kind: domain.MailEmailConfirmation,
		Subject: f.subject, Seq: 1, EmailLink: "a-nonce-the-account-never-had"}}
	f.queue(t, e)
	f.round(t)
	f.clock.advance(24 * time.Hour)
	f.round(t)
	if n := mailer.count(e.Key()); n != 0 {
		t.Errorf("sent %d times; want none", n)
	}
	if rs := f.emails(t, e.Key()); len(rs) != 1 || rs[0].Status != store.EmailSkipped || rs[0].Attempts != 1 {
		t.Errorf("email log = %+v; want skipped after one look", rs)
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// bodyMailer keeps each message's text body by idempotency key.
type bodyMailer struct {
	mu   sync.Mutex
	text map[string]string
}

func (m *bodyMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.text == nil {
		m.text = map[string]string{}
	}
	m.text[msg.IdempotencyKey] = msg.Text
	return nil
}

// The relay shows an email's dates in its configured zone
// (calendar.time_zone): a deadline at 05:00 UTC is the evening before in
// Vancouver and that day in Toronto.
func TestEmailDatesInTheConfiguredZone(t *testing.T) {
	deadline := time.Date(2027, 1, 5, 5, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ zone, want string }{
		{"America/Vancouver", "Monday, 4 January 2027"},
		{"America/Toronto", "Tuesday, 5 January 2027"},
	} {
		t.Run(tt.zone, func(t *testing.T) {
			mailer := &bodyMailer{}
			f := newFixture(t, storetest.New(t, "sqlite"), mailer)
			f.relay.Config.Location = mustLocation(t, tt.zone)
			e := f.worksiteEmail(domain.MailReviewEscalated)
			e.Worksite.To, e.Worksite.Deadline = domain.ToEnrolmentTeam, deadline
			f.queue(t, e)
			f.round(t)
			mailer.mu.Lock()
			defer mailer.mu.Unlock()
			if text := mailer.text[e.Key()]; !strings.Contains(text, tt.want) {
				t.Errorf("the email does not say %q:\n%s", tt.want, text)
			}
		})
	}
}

// TestEmailGoesToTheRecipientsCurrentAddress: a worksite email (a member
// notice, a join link) and a person's email to others (a sponsorship
// request) go to each recipient account's current address, not the one
// the workflow recorded; someone without an account (an invitee) keeps
// the recorded address.
func TestEmailGoesToTheRecipientsCurrentAddress(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{}
		f := newFixture(t, s, mailer)
		stale := []domain.Person{{Name: "Old Name", Email: "old@example.ca", Subject: f.subject}, {Name: "Invitee", Email: "invitee@example.ca"}}
		ws := domain.Email{Worksite: &domain.WorksiteEmail{Key: "worksite/" + f.worksite.ID + "/membership_changed/1", Kind: domain.MailMembershipChanged,
			WorksiteID: f.worksite.ID, Seq: 1, Recipients: stale, RecipientSubjects: domain.RecipientSubjects(stale), Change: "you were promoted"}}
		sponsor := domain.Email{User: &domain.UserEmail{Key: "user/" + f.subject + "/sponsorship_request/K4T6CLP/x", Kind: domain.MailSponsorshipRequest,
			Subject: f.subject, Seq: 1, WorksiteID: f.worksite.ID, Recipients: stale[:1], RecipientSubjects: domain.RecipientSubjects(stale[:1])}}
		f.queue(t, ws, sponsor)
		if n := f.round(t); n != 2 {
			t.Fatalf("claimed %d emails; want 2", n)
		}
		mailer.mu.Lock()
		defer mailer.mu.Unlock()
		if got := strings.Join(mailer.to[ws.Key()], ","); got != "priya@example.ca,invitee@example.ca" {
			t.Errorf("member notice went to %s; want the account's current address and the invitee's", got)
		}
		if got := strings.Join(mailer.to[sponsor.Key()], ","); got != "priya@example.ca" {
			t.Errorf("sponsorship request went to %s; want the sponsor's current address", got)
		}
	})
}
