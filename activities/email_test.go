package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"careconnect/activities"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/store"
	"careconnect/store/storetest"
)

// countingMailer counts the messages sent per idempotency key. With fail
// set, Send fails (retryably) instead, as an SMTP outage does.
type countingMailer struct {
	mu   sync.Mutex
	sent map[string]int
	fail error
}

func (m *countingMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.sent == nil {
		m.sent = map[string]int{}
	}
	m.sent[msg.IdempotencyKey]++
	return nil
}

func (m *countingMailer) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent[key]
}

// fixture is one store with a worksite and an account, and the activities on it.
type fixture struct {
	store    *store.Store
	acts     *activities.Activities
	worksite domain.Worksite
	subject  string
}

func newFixture(t *testing.T, s *store.Store, mailer activities.Mailer) fixture {
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
	signer, err := links.NewSigner("activities-test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{store: s, worksite: w, subject: subject, acts: &activities.Activities{Store: s, Mailer: mailer, Links: signer,
		Settings: activities.Settings{PublicBaseURL: "http://127.0.0.1:8080", TeamEmail: "team@example.ca",
			DeclarationTTL: 90 * 24 * time.Hour, JoinLinkTTL: 14 * 24 * time.Hour, ViewerURL: "https://viewer.example.ca"}}}
}

// run executes one activity attempt the way a worker does (an activity
// context, the data converter) and returns its error.
func (f fixture) run(t *testing.T, activity any, in any) error {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))) // a failed attempt is expected
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activity)
	_, err := env.ExecuteActivity(activity, in)
	return err
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

// An email activity that runs again after its email was sent and recorded
// (a retry after the worker lost the result, a history reset, a replayed
// workflow that schedules it again) sends nothing: the email log's record
// says sent. Both kinds of email, on both databases.
func TestEmailRerunAfterSuccessSendsNothing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{}
		f := newFixture(t, s, mailer)
		cases := []struct {
			name     string
			key      string
			activity any
			in       any
		}{
			{"worksite email", "worksite/" + f.worksite.ID + "/worksite_registered/1", f.acts.SendWorksiteEmail,
				domain.WorksiteEmail{Key: "worksite/" + f.worksite.ID + "/worksite_registered/1", Kind: domain.MailWorksiteRegistered,
					WorksiteID: f.worksite.ID, To: domain.ToSiteAdmins, Seq: 1}},
			{"user email", "user/" + f.subject + "/account_registered/1", f.acts.SendUserEmail,
				domain.UserEmail{Key: "user/" + f.subject + "/account_registered/1", Kind: domain.MailAccountRegistered,
					Subject: f.subject, Seq: 1, Deadline: time.Now().Add(90 * 24 * time.Hour)}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for run := 1; run <= 3; run++ {
					if err := f.run(t, c.activity, c.in); err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					if n := mailer.count(c.key); n != 1 {
						t.Fatalf("after run %d: sent %d times; want once", run, n)
					}
				}
				rs := f.emails(t, c.key)
				if len(rs) != 1 || rs[0].Status != store.EmailSent || rs[0].Attempts != 1 {
					t.Errorf("email log = %+v; want one record, sent on its one attempt", rs)
				}
			})
		}
	})
}

// An attempt that failed (SMTP down) leaves the email unsent, so the retry
// sends it; once sent, a further run sends nothing.
func TestEmailRetriedAfterFailureSendsOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		mailer := &countingMailer{fail: errors.New("dial tcp 127.0.0.1:1025: connection refused")}
		f := newFixture(t, s, mailer)
		key := "worksite/" + f.worksite.ID + "/declaration_received/1"
		in := domain.WorksiteEmail{Key: key, Kind: domain.MailDeclarationReceived, WorksiteID: f.worksite.ID, To: domain.ToSiteAdmins, Seq: 1,
			SignerName: "Dr Lee", SignerTitle: "Lead physician"}
		if err := f.run(t, f.acts.SendWorksiteEmail, in); err == nil {
			t.Fatal("attempt with SMTP down succeeded; want it to fail")
		}
		if rs := f.emails(t, key); len(rs) != 1 || rs[0].Status == store.EmailSent {
			t.Fatalf("email log after the failed attempt = %+v; want one record, not sent", rs)
		}
		mailer.mu.Lock()
		mailer.fail = nil
		mailer.mu.Unlock()
		for run := 1; run <= 2; run++ {
			if err := f.run(t, f.acts.SendWorksiteEmail, in); err != nil {
				t.Fatalf("retry %d: %v", run, err)
			}
		}
		if n := mailer.count(key); n != 1 {
			t.Errorf("sent %d times; want once, by the first retry", n)
		}
		if rs := f.emails(t, key); len(rs) != 1 || rs[0].Status != store.EmailSent || rs[0].Attempts != 2 {
			t.Errorf("email log = %+v; want one record, sent on its second attempt", rs)
		}
	})
}

// The same through the real SMTP client and the mail catcher: a re-run
// after success puts no second message on the wire.
func TestEmailRerunThroughSMTPDeliversOnce(t *testing.T) {
	catcher, err := mail.StartCatcher("127.0.0.1:0")
	if err != nil {
		t.Fatalf("StartCatcher: %v", err)
	}
	t.Cleanup(func() { _ = catcher.Close() })
	sender, err := mail.NewSender(config.SMTP{Host: catcher.Host(), Port: catcher.Port(), TLS: "none", From: "CareConnect <no-reply@careconnect.example.ca>"})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, storetest.New(t, "sqlite"), sender)
	in := domain.WorksiteEmail{Key: "worksite/" + f.worksite.ID + "/worksite_approved/1", Kind: domain.MailWorksiteApproved,
		WorksiteID: f.worksite.ID, To: domain.ToSiteAdmins, Seq: 1}
	for run := 1; run <= 2; run++ {
		if err := f.run(t, f.acts.SendWorksiteEmail, in); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	if got := catcher.To("dalia@example.ca"); len(got) != 1 {
		t.Errorf("caught %d messages for the administrator; want 1", len(got))
	}
}
