package relay_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/textproto"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/relay"
	"careconnect/store"
	"careconnect/workflows"
)

// fakeStore is an in-memory outbox for the relay's loop logic: it hands
// out what the test queued and records every outcome.
type fakeStore struct {
	mu       sync.Mutex
	emails   []store.OutboxEmail  // claimable, in order
	notices  []store.OutboxNotice // claimable, in order
	learners [][]store.Learner    // one answer per PendingLearners call
	claims   int                  // ClaimEmails calls
	outcomes map[string][]store.Outcome
	claimErr error
	// claimed is signalled at every ClaimEmails call.
	claimed chan struct{}
	// accounts and personWorksites answer GetAccount and PersonWorksites.
	accounts        map[string]domain.Account
	personWorksites map[string][]string
}

func (f *fakeStore) PersonWorksites(_ context.Context, subject string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.personWorksites[subject], nil
}

func newFakeStore() *fakeStore {
	return &fakeStore{outcomes: map[string][]store.Outcome{}, claimed: make(chan struct{}, 100)}
}

func (f *fakeStore) ClaimEmails(_ context.Context, _ time.Time, limit int, _ time.Duration) ([]store.OutboxEmail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims++
	select {
	case f.claimed <- struct{}{}:
	default:
	}
	if f.claimErr != nil {
		return nil, f.claimErr
	}
	n := min(limit, len(f.emails))
	out := f.emails[:n]
	f.emails = f.emails[n:]
	return out, nil
}

func (f *fakeStore) FinishEmail(_ context.Context, key string, _ int, o store.Outcome) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outcomes[key] = append(f.outcomes[key], o)
	return nil
}

func (f *fakeStore) ClaimNotices(_ context.Context, _ time.Time, limit int, _ time.Duration) ([]store.OutboxNotice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(limit, len(f.notices))
	out := f.notices[:n]
	f.notices = f.notices[n:]
	return out, nil
}

func (f *fakeStore) FinishNotice(ctx context.Context, key string, attempt int, o store.Outcome) error {
	return f.FinishEmail(ctx, key, attempt, o)
}

func (f *fakeStore) PendingLearners(context.Context, time.Time, int) ([]store.Learner, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.learners) == 0 {
		return nil, nil
	}
	out := f.learners[0]
	f.learners = f.learners[1:]
	return out, nil
}

func (f *fakeStore) GetWorksite(_ context.Context, id string) (domain.Worksite, error) {
	if id == "GONE000" {
		return domain.Worksite{}, domain.Errorf(domain.ENOTFOUND, "no worksite")
	}
	if id == "DOWN000" {
		return domain.Worksite{}, domain.Errorf(domain.EUNAVAILABLE, "the database is unavailable")
	}
	return domain.Worksite{ID: id, Name: "Proctor Clinic", RegisteredAt: time.Now(),
		Administrator: domain.Person{Name: "Dalia", Email: "dalia@example.ca"}}, nil
}

func (f *fakeStore) GetAccount(_ context.Context, subject string) (domain.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.accounts[subject]; ok {
		return a, nil
	}
	return domain.Account{}, domain.Errorf(domain.ENOTFOUND, "no account")
}

func (f *fakeStore) outcome(key string) []store.Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Outcome(nil), f.outcomes[key]...)
}

// fakeMailer answers Send with err; with block set, each send waits for
// it to close (with slow set, only the send of that key).
type fakeMailer struct {
	mu    sync.Mutex
	sent  []string
	err   error
	block chan struct{}
	slow  string
}

func (m *fakeMailer) Send(ctx context.Context, msg mail.Message) error {
	if m.block != nil && (m.slow == "" || m.slow == msg.IdempotencyKey) {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, msg.IdempotencyKey)
	return nil
}

// fakeTemporal records signals; errs, by workflow ID, fail them.
type fakeTemporal struct {
	mu      sync.Mutex
	signals []string // workflow ID / notice key
	errs    map[string]error
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, _, name string, arg interface{}) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs[workflowID]; err != nil {
		return err
	}
	if p, ok := arg.(domain.MemberProfileNotice); ok {
		f.signals = append(f.signals, workflowID+" "+name+" "+p.Key+" "+p.Name+" "+p.Email+" "+p.Profession)
		return nil
	}
	n, _ := arg.(domain.MembershipNotice)
	f.signals = append(f.signals, workflowID+" "+name+" "+n.Key)
	return nil
}

// fakeLearners records the learners delivered; err fails the one named.
type fakeLearners struct {
	done []string
	fail string
}

func (f *fakeLearners) Learner(_ context.Context, email, _ string) error {
	if email == f.fail {
		return domain.Errorf(domain.EUNAVAILABLE, "temporal is unavailable")
	}
	f.done = append(f.done, email)
	return nil
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newRelay(t *testing.T, s *fakeStore, m relay.Mailer) *relay.Relay {
	t.Helper()
	signer, err := links.NewSigner("relay-test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return &relay.Relay{Store: s, Mailer: m, Links: signer, Now: func() time.Time { return t0 },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: relay.Config{Interval: time.Hour, BatchSize: 2, Lease: time.Minute, RetryFor: 7 * 24 * time.Hour, TeamEmail: "team@example.ca",
			Location: time.UTC}}
}

func claimedEmail(id, key string, attempt int, queued time.Time) store.OutboxEmail {
	return store.OutboxEmail{Attempt: attempt, QueuedAt: queued, Email: domain.Email{Worksite: &domain.WorksiteEmail{
		Key: key, Kind: domain.MailWorksiteApproved, WorksiteID: id, To: domain.ToSiteAdmins, Seq: 1}}}
}

// How one attempt ends decides what becomes of the email: sent; retried
// after the back-off; failed for good (a refusal, a worksite that is gone,
// or a week of retries) with an audit record; or retried when the
// database could not be read.
func TestEmailOutcomes(t *testing.T) {
	cases := []struct {
		name       string
		email      store.OutboxEmail
		sendErr    error
		want       string
		retryAfter time.Duration
		audited    bool
	}{
		{"sent", claimedEmail("K4T6CLP", "k/sent", 1, t0), nil, store.EmailSent, 0, false},
		// The first retry a second after the first attempt, the fourth eight seconds after it.
		{"smtp down, first attempt", claimedEmail("K4T6CLP", "k/down1", 1, t0), errors.New("connection refused"), store.EmailPending, time.Second, false},
		{"smtp down, fourth attempt", claimedEmail("K4T6CLP", "k/down4", 4, t0), errors.New("connection refused"), store.EmailPending, 8 * time.Second, false},
		{"smtp down for a week", claimedEmail("K4T6CLP", "k/week", 400, t0.Add(-7*24*time.Hour)), errors.New("connection refused"), store.EmailFailed, 0, true},
		{"recipient refused", claimedEmail("K4T6CLP", "k/refused", 1, t0), &textproto.Error{Code: 550, Msg: "5.1.1 mailbox unavailable"}, store.EmailFailed, 0, true},
		{"worksite gone", claimedEmail("GONE000", "k/gone", 1, t0), nil, store.EmailFailed, 0, true},
		{"database down", claimedEmail("DOWN000", "k/db", 1, t0), nil, store.EmailPending, time.Second, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newFakeStore()
			s.emails = []store.OutboxEmail{c.email}
			r := newRelay(t, s, &fakeMailer{err: c.sendErr})
			if _, err := r.SendEmails(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := s.outcome(c.email.Email.Key())
			if len(got) != 1 {
				t.Fatalf("outcomes = %+v; want one", got)
			}
			o := got[0]
			if o.Status != c.want {
				t.Errorf("status = %s (%s); want %s", o.Status, o.Error, c.want)
			}
			if c.retryAfter > 0 && !o.RetryAt.Equal(t0.Add(c.retryAfter)) {
				t.Errorf("retry at %s; want %s after the attempt", o.RetryAt, c.retryAfter)
			}
			if (o.Audit != nil) != c.audited {
				t.Errorf("audit = %+v; want one: %v", o.Audit, c.audited)
			}
			if o.Audit != nil && (o.Audit.Subject != "worksite:"+c.email.Email.Worksite.WorksiteID || o.Audit.Action != "email not delivered") {
				t.Errorf("audit = %+v; want the worksite's failed email", o.Audit)
			}
			if c.want == store.EmailSent && (len(o.To) != 1 || o.To[0] != "dalia@example.ca" || o.Subject == "") {
				t.Errorf("sent outcome = %+v; want the recipients and subject it was sent as", o)
			}
		})
	}
}

// The relay claims at once when woken (a projection write stored emails),
// not only at its interval, and goes on claiming as its sends finish
// while it finds full batches; Run returns when its context ends.
func TestRunWakesAndDrains(t *testing.T) {
	s := newFakeStore()
	r := newRelay(t, s, &fakeMailer{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	waitClaims := func(n int, what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			s.mu.Lock()
			got := s.claims
			s.mu.Unlock()
			if got >= n {
				return
			}
			select {
			case <-s.claimed:
			case <-deadline:
				t.Fatalf("%s: %d rounds; want %d (the interval is an hour)", what, got, n)
			}
		}
	}
	waitClaims(1, "the first round at start")
	s.mu.Lock()
	for i := 0; i < 5; i++ {
		s.emails = append(s.emails, claimedEmail("K4T6CLP", "k/"+string(rune('a'+i)), 1, t0))
	}
	s.mu.Unlock()
	r.Wake()
	// 5 emails, 2 at a time: claimed as sends finish, none waiting for the interval.
	waitClaims(2, "a round after a wake")
	for _, k := range []string{"k/a", "k/b", "k/c", "k/d", "k/e"} {
		if o := waitOutcome(t, s, k); len(o) != 1 || o[0].Status != store.EmailSent {
			t.Errorf("%s: outcomes %+v; want sent once", k, o)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// waitOutcome waits until key has an outcome recorded.
func waitOutcome(t *testing.T, s *fakeStore, key string) []store.Outcome {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.outcome(key)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s.outcome(key)
}

// A slow SMTP conversation holds only its own email: the relay goes on
// sending the others, and the ones that come after it.
func TestSlowSendHoldsOnlyItself(t *testing.T) {
	s := newFakeStore()
	s.emails = []store.OutboxEmail{claimedEmail("K4T6CLP", "k/slow", 1, t0)}
	m := &fakeMailer{block: make(chan struct{}), slow: "k/slow"}
	r := newRelay(t, s, m)
	r.Config.BatchSize = 3
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	<-s.claimed
	s.mu.Lock()
	for _, k := range []string{"k/1", "k/2", "k/3", "k/4"} {
		s.emails = append(s.emails, claimedEmail("K4T6CLP", k, 1, t0))
	}
	s.mu.Unlock()
	r.Wake()
	for _, k := range []string{"k/1", "k/2", "k/3", "k/4"} {
		if o := waitOutcome(t, s, k); len(o) != 1 || o[0].Status != store.EmailSent {
			t.Errorf("%s while another send hangs: outcomes %+v; want sent", k, o)
		}
	}
	if o := s.outcome("k/slow"); len(o) != 0 {
		t.Errorf("the slow send finished early: %+v", o)
	}
	close(m.block)
	cancel()
	<-done
	if o := s.outcome("k/slow"); len(o) != 1 || o[0].Status != store.EmailSent {
		t.Errorf("the slow send: outcomes %+v; want sent once it finished", o)
	}
}

// A round under way when the relay is stopped finishes its sends and
// records them, rather than cutting a send off midway (which another relay
// would send again).
func TestStopFinishesTheRoundUnderWay(t *testing.T) {
	s := newFakeStore()
	s.emails = []store.OutboxEmail{claimedEmail("K4T6CLP", "k/inflight", 1, t0)}
	m := &fakeMailer{block: make(chan struct{})}
	r := newRelay(t, s, m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	<-s.claimed
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a send under way")
	case <-time.After(100 * time.Millisecond):
	}
	close(m.block)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the send finished")
	}
	if o := s.outcome("k/inflight"); len(o) != 1 || o[0].Status != store.EmailSent {
		t.Errorf("outcomes = %+v; want the send recorded", o)
	}
}

// Notices are signalled to each person's workflow in order; a person with
// no workflow is skipped; at the first failure the round stops and the
// rest is put back, due with the failed one.
func TestSendNotices(t *testing.T) {
	s := newFakeStore()
	notice := func(seq int, subject string) store.OutboxNotice {
		return store.OutboxNotice{Attempt: 1, QueuedAt: t0, Notice: domain.MembershipNotice{
			Key: "worksite/K4T6CLP/notice/" + string(rune('0'+seq)) + "/" + subject, Seq: seq, Subject: subject, WorksiteID: "K4T6CLP"}}
	}
	s.notices = []store.OutboxNotice{notice(1, "ada"), notice(2, "ghost"), notice(3, "bob"), notice(4, "cy")}
	tc := &fakeTemporal{errs: map[string]error{
		workflows.UserWorkflowID("ghost"): serviceerror.NewNotFound("workflow not found"),
		workflows.UserWorkflowID("bob"):   serviceerror.NewUnavailable("temporal is down"),
	}}
	r := newRelay(t, s, &fakeMailer{})
	r.Temporal = tc
	r.Config.BatchSize = 10
	if _, err := r.SendNotices(context.Background()); err == nil {
		t.Error("SendNotices with Temporal refusing a signal: got nil; want the error")
	}
	if want := "user/ada " + workflows.SignalMembershipChanged + " worksite/K4T6CLP/notice/1/ada"; len(tc.signals) != 1 || tc.signals[0] != want {
		t.Errorf("signals = %q; want only %q", tc.signals, want)
	}
	status := func(key string) store.Outcome {
		o := s.outcome(key)
		if len(o) != 1 {
			t.Fatalf("%s: outcomes %+v; want one", key, o)
		}
		return o[0]
	}
	if o := status("worksite/K4T6CLP/notice/1/ada"); o.Status != store.EmailSent {
		t.Errorf("ada's notice: %+v; want sent", o)
	}
	if o := status("worksite/K4T6CLP/notice/2/ghost"); o.Status != store.EmailSkipped {
		t.Errorf("a notice for someone without a workflow: %+v; want skipped", o)
	}
	failed, rest := status("worksite/K4T6CLP/notice/3/bob"), status("worksite/K4T6CLP/notice/4/cy")
	if failed.Status != store.EmailPending || !failed.RetryAt.Equal(t0.Add(time.Second)) {
		t.Errorf("the failed notice: %+v; want pending, retried after a second", failed)
	}
	if rest.Status != store.EmailPending || !rest.RetryAt.Equal(failed.RetryAt) {
		t.Errorf("the notice after it: %+v; want put back, due with the failed one", rest)
	}
}

// A member profile notice goes to every worksite of its person as they
// are when it is sent, with the account's current name and address; a
// worksite whose workflow ended is passed over; a person without an
// account is skipped; a failed signal retries the whole notice (each
// worksite applies a Seq once), and puts the rest of the batch back.
func TestSendProfileNotices(t *testing.T) {
	s := newFakeStore()
	s.accounts = map[string]domain.Account{
		"carol": {Subject: "carol", LegalFirstName: "Carol", LegalLastName: "Chen", PreferredFirstName: "Caz", Email: "caz@new.example.ca",
			PendingEmail: "unconfirmed@example.ca"},
		"dan": {Subject: "dan", LegalFirstName: "Dan", LegalLastName: "Dunn", Email: "dan@example.ca"},
	}
	s.personWorksites = map[string][]string{"carol": {"AAA1111", "CLOSED1", "BBB2222"}, "dan": {"DOWN111"}}
	profile := func(subject string, seq int) store.OutboxNotice {
		return store.OutboxNotice{Attempt: 1, QueuedAt: t0, Profile: &domain.MemberProfileNotice{
			Key: "user/" + subject + "/profile/" + string(rune('0'+seq)), Seq: seq, Subject: subject, Profession: domain.ProfPhysician}}
	}
	s.notices = []store.OutboxNotice{profile("carol", 1), profile("ghost", 1), profile("dan", 1), profile("carol", 2)}
	tc := &fakeTemporal{errs: map[string]error{
		workflows.WorksiteWorkflowID("CLOSED1"): serviceerror.NewNotFound("workflow not found"),
		workflows.WorksiteWorkflowID("DOWN111"): serviceerror.NewUnavailable("temporal is down"),
	}}
	r := newRelay(t, s, &fakeMailer{})
	r.Temporal = tc
	r.Config.BatchSize = 10
	if _, err := r.SendNotices(context.Background()); err == nil {
		t.Error("SendNotices with Temporal refusing a signal: got nil; want the error")
	}
	sig := workflows.SignalMemberProfileChanged
	want := []string{
		"worksite/AAA1111 " + sig + " user/carol/profile/1 Caz Chen caz@new.example.ca " + domain.ProfPhysician,
		"worksite/BBB2222 " + sig + " user/carol/profile/1 Caz Chen caz@new.example.ca " + domain.ProfPhysician,
	}
	if len(tc.signals) != len(want) || tc.signals[0] != want[0] || tc.signals[1] != want[1] {
		t.Errorf("signals = %q; want %q", tc.signals, want)
	}
	for key, w := range map[string]string{"user/carol/profile/1": store.EmailSent, "user/ghost/profile/1": store.EmailSkipped,
		"user/dan/profile/1": store.EmailPending, "user/carol/profile/2": store.EmailPending} {
		if o := s.outcome(key); len(o) != 1 || o[0].Status != w {
			t.Errorf("%s: outcomes %+v; want one, %s", key, o, w)
		}
	}
}

// A LearningHub round delivers each learner an account can take now, and
// stops at the first failure (Temporal down): the rest waits for the next.
func TestDeliverLearningHub(t *testing.T) {
	s := newFakeStore()
	s.learners = [][]store.Learner{{{Email: "a@example.ca"}, {Email: "b@example.ca"}, {Email: "c@example.ca"}}}
	l := &fakeLearners{fail: "b@example.ca"}
	r := newRelay(t, s, &fakeMailer{})
	r.LearningHub = l
	if _, err := r.DeliverLearningHub(context.Background()); err == nil {
		t.Error("a failed delivery: got nil; want the error")
	}
	if len(l.done) != 1 || l.done[0] != "a@example.ca" {
		t.Errorf("delivered %v; want a's only", l.done)
	}
}

// SweepUploads sweeps nothing: the fake stages no uploads.
func (f *fakeStore) SweepUploads(context.Context, time.Time) (int64, error) { return 0, nil }
