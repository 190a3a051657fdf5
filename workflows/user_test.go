package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"careconnect/activities"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/worker"
	"careconnect/workflows"
)

// userSubject is the BCSC subject of the person enrolling in these tests.
const userSubject = "bcsc-physician-0001"

// userDay is one calendar day of workflow time.
const userDay = 24 * time.Hour

// userEmail is one email a projection write put in the outbox, as the
// mock saw it; At is workflow time relative to the harness start.
type userEmail struct {
	Kind     mail.Kind
	Key      string
	Seq      int
	Subject  string
	Deadline time.Time
	At       time.Duration
}

// userUpdate records what an update's callbacks reported.
type userUpdate struct {
	accepted  bool
	rejected  error
	completed bool
	err       error
	status    domain.UserStatus
	// at is when the update completed, after the harness's start.
	at time.Duration
	// projected is the last status projected when the update completed.
	projected domain.UserStatus
}

// userQuery is a status query made at a given workflow time.
type userQuery struct {
	ran    bool
	err    error
	status domain.UserStatus
}

// userHarness is one test environment for the user workflow with its
// activities mocked and every call recorded. Mocks run on their own
// goroutines, hence mu.
type userHarness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time

	mu        sync.Mutex
	emails    []userEmail
	projected []domain.UserStatus
	// failWrite, when set, sees each projection write, with mu held; an
	// error it returns fails that write.
	failWrite func(domain.Projection) error
	// writes are the business writes projected; refuseWrite, when set,
	// refuses one as the store would.
	writes      []domain.Write
	refuseWrite func(domain.Write) error
	// onAudit, when set, sees each audit record written, with mu held.
	onAudit func(domain.AuditEvent)
	// applications are the application projections written, in order;
	// projections counts projection writes (local activities).
	applications []domain.ApplicationProjection
	projections  int
	// profiles are the member profile notices queued, with when (after start).
	profiles []userProfile
}

// userProfile is one member profile notice a projection write put in the outbox.
type userProfile struct {
	Notice domain.MemberProfileNotice
	At     time.Duration
}

// userLog sends the SDK's log lines to the test's log.
type userLog struct{ t *testing.T }

func (w userLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newUserHarness starts a test environment at start with the worker's
// registrations and recording activity mocks.
func newUserHarness(t *testing.T, start time.Time) *userHarness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(userLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn + 1}))))
	env := suite.NewTestWorkflowEnvironment()
	h := &userHarness{t: t, env: env, start: start}
	env.SetStartTime(start)

	acts := &activities.Activities{}
	worker.Register(env, acts)
	// The one projection write of each workflow task: its parts are
	// recorded as the separate writes they replace, and its emails as sent
	// (the relay sends what the outbox holds).
	env.OnActivity(acts.Project, mock.Anything, mock.Anything).Return(
		func(_ context.Context, p domain.Projection) (domain.ProjectResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.failWrite != nil {
				if err := h.failWrite(p); err != nil {
					return domain.ProjectResult{}, err
				}
			}
			var res domain.ProjectResult
			for _, w := range p.Writes {
				if h.refuseWrite != nil {
					if err := h.refuseWrite(w); err != nil {
						de := err.(*domain.Error)
						res.Refused = append(res.Refused, domain.WriteRefusal{Key: w.Key, Code: de.Code, Message: de.Message})
					}
				}
			}
			h.writes = append(h.writes, p.Writes...)
			if len(res.Refused) > 0 {
				// As the store: a refused write rolls the whole projection back.
				res.RolledBack = true
				return res, nil
			}
			for _, e := range p.Emails {
				if in := e.User; in != nil {
					h.emails = append(h.emails, userEmail{Kind: in.Kind, Key: in.Key, Seq: in.Seq, Subject: in.Subject,
						Deadline: in.Deadline, At: env.Now().Sub(h.start)})
				} else {
					h.t.Errorf("the user workflow queued a worksite email: %+v", e)
				}
			}
			if p.User != nil {
				h.projected = append(h.projected, *p.User)
			}
			h.applications = append(h.applications, p.Applications...)
			for _, n := range p.ProfileNotices {
				h.profiles = append(h.profiles, userProfile{Notice: n, At: env.Now().Sub(h.start)})
			}
			for _, e := range p.Audits {
				if h.onAudit != nil {
					h.onAudit(e)
				}
			}
			h.projections++
			return res, nil
		}).Maybe()
	return h
}

// defaultStart is Monday 2 November 2026, 17:00 UTC.
var defaultStart = time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)

// userInput is a new enrolment under schedule s, started by Priya
// Sharma's first sign-in (the identity in the input, as EnsurePerson
// starts it).
func userInput(s domain.Schedule) workflows.UserInput {
	return workflows.UserInput{Subject: userSubject, Schedule: s,
		Identity: &workflows.IdentityValidated{LegalFirstName: "Priya", LegalLastName: "Sharma", At: defaultStart}}
}

// update sends an update at start+at and records its outcome.
func (h *userHarness) update(at time.Duration, name, id string, arg any) *userUpdate {
	o := &userUpdate{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.rejected = err },
			OnComplete: func(v any, err error) {
				h.mu.Lock()
				defer h.mu.Unlock()
				o.completed, o.err, o.at = true, err, h.env.Now().Sub(h.start)
				if st, ok := v.(domain.UserStatus); ok {
					o.status = st
				}
				if n := len(h.projected); n > 0 {
					o.projected = h.projected[n-1]
				}
			},
		}, arg)
	}, at)
	return o
}

// signedIn is a later BC Services Card sign-in at start+at with these
// legal names: EnsurePerson's identity-validated update.
func (h *userHarness) signedIn(at time.Duration, id, first, last string) *userUpdate {
	return h.update(at, workflows.UpdateIdentityValidated, id, workflows.IdentityValidated{
		LegalFirstName: first, LegalLastName: last, At: h.start.Add(at)})
}

// personWrites are the person rows written (domain.PersonWrite), in order.
func (h *userHarness) personWrites() []domain.PersonWrite {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.PersonWrite
	for _, w := range h.writes {
		if w.Person != nil {
			out = append(out, *w.Person)
		}
	}
	return out
}

// registered is the HxBC account registration at start+at.
func (h *userHarness) registered(at time.Duration, id string) *userUpdate {
	return h.update(at, workflows.UpdateAccountRegistered, id, workflows.AccountRegistered{
		Username: "psharma", Profession: domain.ProfPhysician, At: h.start.Add(at), RequestID: id})
}

// passwordChanged is a password reset at start+at.
func (h *userHarness) passwordChanged(at time.Duration, id string) *userUpdate {
	return h.update(at, workflows.UpdatePasswordChanged, id, workflows.PasswordChanged{At: h.start.Add(at), RequestID: id})
}

// query queries the status at start+at.
func (h *userHarness) query(at time.Duration) *userQuery {
	q := &userQuery{}
	h.env.RegisterDelayedCallback(func() {
		q.ran = true
		v, err := h.env.QueryWorkflow(workflows.QueryStatus)
		if err != nil {
			q.err = err
			return
		}
		q.err = v.Get(&q.status)
	}, at)
	return q
}

// runUntil runs the workflow and cancels it at start+end: a person's
// enrolment never ends by itself. It fails unless the run ended cancelled.
func (h *userHarness) runUntil(in workflows.UserInput, end time.Duration) {
	h.t.Helper()
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, end)
	h.env.ExecuteWorkflow(workflows.UserWorkflowName, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatalf("workflow did not end after cancellation")
	}
	var ce *temporal.CanceledError
	if err := h.env.GetWorkflowError(); !errors.As(err, &ce) {
		h.t.Fatalf("workflow error = %v; want cancelled", err)
	}
	h.env.AssertExpectations(h.t)
}

// mustStatus returns a query's status, failing if it did not run.
func (h *userHarness) mustStatus(q *userQuery) domain.UserStatus {
	h.t.Helper()
	if !q.ran {
		h.t.Fatalf("query did not run")
	}
	if q.err != nil {
		h.t.Fatalf("query error = %v; want nil", q.err)
	}
	return q.status
}

// mustAccepted fails unless the update was accepted and completed cleanly.
func (h *userHarness) mustAccepted(name string, o *userUpdate) domain.UserStatus {
	h.t.Helper()
	if o.rejected != nil || !o.accepted || !o.completed || o.err != nil {
		h.t.Fatalf("%s: accepted=%v rejected=%v completed=%v err=%v; want accepted and completed", name, o.accepted, o.rejected, o.completed, o.err)
	}
	return o.status
}

// sent returns every email sent, in order.
func (h *userHarness) sent() []userEmail {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]userEmail(nil), h.emails...)
}

// lastProjection returns the last projected status.
func (h *userHarness) lastProjection() domain.UserStatus {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.projected) == 0 {
		h.t.Fatalf("no status was projected")
	}
	return h.projected[len(h.projected)-1]
}

// emailKey is the idempotency key of a user email.
func emailKey(event string, seq int) string {
	return fmt.Sprintf("user/%s/%s/%d", userSubject, event, seq)
}

// cycleKey is the key of a password email in the cycle of a password set at changedAt.
func cycleKey(event string, changedAt time.Time, seq int) string {
	return emailKey(fmt.Sprintf("%s/%d", event, changedAt.Unix()), seq)
}

// userTimeline lists the kinds of st's timeline events.
func userTimeline(st domain.UserStatus) []string {
	ks := make([]string, len(st.Timeline))
	for i, e := range st.Timeline {
		ks[i] = e.Kind
	}
	return ks
}

// userRejectedType is the application error type a client sees for a
// rejected update, after the failure converter's round trip.
func userRejectedType(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatalf("update was not rejected; want a rejection")
	}
	fc := temporal.GetDefaultFailureConverter()
	var ae *temporal.ApplicationError
	if back := fc.FailureToError(fc.ErrorToFailure(err)); !errors.As(back, &ae) {
		t.Fatalf("rejection %v (%T) reaches the client as %T; want *temporal.ApplicationError", err, err, back)
	}
	return ae.Type()
}

// checkEmails compares the emails sent with want, field by field.
func checkEmails(t *testing.T, got, want []userEmail) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("sent %d emails; want %d\n got: %+v\nwant: %+v", len(got), len(want), got, want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Key != w.Key || g.Seq != w.Seq || g.At != w.At || !g.Deadline.Equal(w.Deadline) || g.Subject != userSubject {
			t.Errorf("email %d = %+v; want %+v", i, g, w)
		}
	}
}

// The first sign-in starts the workflow with the identity in its input:
// the first workflow task records it and its projection writes the
// person's row; a sign-in with the same names changes nothing, and one
// with new legal names records them.
func TestUserIdentityValidatedStartsEnrolment(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	first := h.query(time.Minute)
	same := h.signedIn(time.Hour, "sign-in-2", "Priya", "Sharma")
	renamed := h.signedIn(2*time.Hour, "sign-in-3", "Priya", "Sharma-Lee")
	q := h.query(3 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 4*time.Hour)

	st := h.mustStatus(first)
	if st.State != domain.UserIdentityValidated || st.Subject != userSubject || st.LegalFirstName != "Priya" || st.LegalLastName != "Sharma" {
		t.Errorf("status = %+v; want identity_validated for Priya Sharma", st)
	}
	if st.WaitingOn != domain.PartyApplicant || st.NextAction == "" || !st.WaitingSince.Equal(h.start) {
		t.Errorf("waiting on %q since %v, next %q; want the applicant since the start, with an action", st.WaitingOn, st.WaitingSince, st.NextAction)
	}
	if got := userTimeline(st); !reflect.DeepEqual(got, []string{"identity_validated"}) {
		t.Errorf("timeline = %v; want [identity_validated]", got)
	}
	if st.PasswordExpiresAt != nil || st.Username != "" {
		t.Errorf("status has password expiry %v, username %q; want neither before an account", st.PasswordExpiresAt, st.Username)
	}
	st2 := h.mustAccepted("a sign-in with the same names", same)
	if st2.Seq != st.Seq || len(st2.Timeline) != 1 {
		t.Errorf("after a second sign-in: seq %d timeline %v; want seq %d, one event", st2.Seq, userTimeline(st2), st.Seq)
	}
	st3 := h.mustAccepted("a sign-in with a new legal name", renamed)
	if st3.LegalLastName != "Sharma-Lee" || !reflect.DeepEqual(userTimeline(st3), []string{"identity_validated", "legal_name_changed"}) ||
		renamed.projected.Seq != st3.Seq {
		t.Errorf("after a new legal name: %s %s, timeline %v, projected seq %d; want Sharma-Lee recorded and projected",
			st3.LegalFirstName, st3.LegalLastName, userTimeline(st3), renamed.projected.Seq)
	}
	if got := h.mustStatus(q); got.Seq != st3.Seq || got.LegalLastName != "Sharma-Lee" {
		t.Errorf("queried status = %s seq %d; want Sharma-Lee seq %d", got.LegalLastName, got.Seq, st3.Seq)
	}
	want := []domain.PersonWrite{{Subject: userSubject, LegalFirst: "Priya", LegalLast: "Sharma", At: defaultStart},
		{Subject: userSubject, LegalFirst: "Priya", LegalLast: "Sharma-Lee", At: h.start.Add(2 * time.Hour)}}
	if got := h.personWrites(); !reflect.DeepEqual(got, want) {
		t.Errorf("person rows written = %+v; want %+v", got, want)
	}
	if h.projections != 2 {
		t.Errorf("%d projection writes; want 2 (the first task, the new name): an unchanged sign-in writes nothing", h.projections)
	}
	if got := h.sent(); len(got) != 0 {
		t.Errorf("emails = %+v; want none before an account exists", got)
	}
}

func TestUserAccountRegistered(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	reg := time.Hour
	regAt := h.start.Add(reg)
	expiry := regAt.Add(90 * userDay)
	o := h.registered(reg, "register")
	q := h.query(reg + time.Minute)
	h.runUntil(userInput(domain.DefaultSchedule()), 2*time.Hour)

	st := h.mustAccepted("account-registered", o)
	if st.State != domain.UserAccountRegistered || st.Username != "psharma" || st.Profession != domain.ProfPhysician {
		t.Errorf("status = %s %q %q; want account_registered psharma physician", st.State, st.Username, st.Profession)
	}
	if st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction || !st.WaitingSince.Equal(regAt) {
		t.Errorf("waiting on %q (%q) since %v; want the applicant (no worksite yet) since %v", st.WaitingOn, st.NextAction, st.WaitingSince, regAt)
	}
	got := h.mustStatus(q)
	if got.PasswordExpiresAt == nil || !got.PasswordExpiresAt.Equal(expiry) {
		t.Errorf("PasswordExpiresAt = %v; want %v (90 days after registration)", got.PasswordExpiresAt, expiry)
	}
	if m := got.NextMilestone; m == nil || m.Kind != domain.MilestoneReminder || m.Seq != 1 || !m.At.Equal(expiry.Add(-14*userDay)) {
		t.Errorf("NextMilestone = %+v; want reminder 1 at %v", m, expiry.Add(-14*userDay))
	}
	if k := userTimeline(got); !reflect.DeepEqual(k, []string{"identity_validated", "account_registered"}) {
		t.Errorf("timeline = %v; want identity_validated, account_registered", k)
	}
	if got.Seq <= 2 {
		t.Errorf("Seq = %d; want it past the identity step's", got.Seq)
	}
	// The account email already knows when the password expires.
	checkEmails(t, h.sent(), []userEmail{{Kind: mail.KindAccountRegistered, Key: emailKey("account_registered", 1), Seq: 1, At: reg,
		Deadline: expiry}})
	if p := h.lastProjection(); p.State != domain.UserAccountRegistered {
		t.Errorf("projection state = %s; want account_registered", p.State)
	}
}

func TestUserPasswordRemindersExpiryAndReset(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	reg := time.Hour
	regAt := h.start.Add(reg)
	expiry := regAt.Add(90 * userDay)
	reset := reg + 100*userDay
	resetAt := h.start.Add(reset)
	expiry2 := resetAt.Add(90 * userDay)

	h.registered(reg, "register")
	beforeReminder := h.query(reg + 76*userDay - time.Second)
	afterExpiry := h.query(reg + 90*userDay + time.Minute)
	r := h.passwordChanged(reset, "reset")
	afterReset := h.query(reset + time.Minute)
	h.runUntil(userInput(domain.DefaultSchedule()), reset+77*userDay)

	if st := h.mustStatus(beforeReminder); st.State != domain.UserAccountRegistered || len(h.sent()) < 1 {
		t.Errorf("just before the first reminder: state %s; want account_registered", st.State)
	}
	exp := h.mustStatus(afterExpiry)
	if exp.State != domain.UserPasswordExpired || exp.WaitingOn != domain.PartyApplicant || !exp.WaitingSince.Equal(expiry) {
		t.Errorf("after expiry: %s waiting on %q since %v; want password_expired, the applicant, since %v", exp.State, exp.WaitingOn, exp.WaitingSince, expiry)
	}
	if exp.NextMilestone != nil {
		t.Errorf("after expiry NextMilestone = %+v; want none", exp.NextMilestone)
	}
	want := []string{"identity_validated", "account_registered", "password_expiry_reminder", "password_expiry_reminder", "password_expired"}
	if k := userTimeline(exp); !reflect.DeepEqual(k, want) {
		t.Errorf("timeline = %v; want %v", k, want)
	}
	if p := h.lastProjection(); p.Seq < exp.Seq {
		t.Errorf("projection seq %d after expiry; want at least %d (expiry projected)", p.Seq, exp.Seq)
	}

	// The reset returns the person to account_registered and starts a new password life.
	st := h.mustAccepted("password-changed", r)
	if st.State != domain.UserAccountRegistered || st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction {
		t.Errorf("after reset: %s waiting on %q; want account_registered, the applicant (no worksite yet)", st.State, st.WaitingOn)
	}
	if st.Seq <= exp.Seq {
		t.Errorf("after reset Seq = %d; want more than %d", st.Seq, exp.Seq)
	}
	ar := h.mustStatus(afterReset)
	if ar.PasswordExpiresAt == nil || !ar.PasswordExpiresAt.Equal(expiry2) {
		t.Errorf("after reset PasswordExpiresAt = %v; want %v", ar.PasswordExpiresAt, expiry2)
	}
	if m := ar.NextMilestone; m == nil || m.Kind != domain.MilestoneReminder || m.Seq != 1 || !m.At.Equal(expiry2.Add(-14*userDay)) {
		t.Errorf("after reset NextMilestone = %+v; want reminder 1 at %v", m, expiry2.Add(-14*userDay))
	}
	if k := userTimeline(ar); k[len(k)-1] != "password_changed" {
		t.Errorf("after reset timeline = %v; want it to end with password_changed", k)
	}

	// Reminders exactly 14 and 3 days before expiry, then the expiry; the new
	// cycle's emails carry new keys.
	checkEmails(t, h.sent(), []userEmail{
		{Kind: mail.KindAccountRegistered, Key: emailKey("account_registered", 1), Seq: 1, At: reg, Deadline: expiry},
		{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", regAt, 1), Seq: 1, At: reg + 76*userDay, Deadline: expiry},
		{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", regAt, 2), Seq: 2, At: reg + 87*userDay, Deadline: expiry},
		{Kind: mail.KindPasswordExpired, Key: cycleKey("password_expired", regAt, 1), Seq: 1, At: reg + 90*userDay, Deadline: expiry},
		{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", resetAt, 1), Seq: 1, At: reset + 76*userDay, Deadline: expiry2},
	})
}

func TestUserResetBeforeReminder(t *testing.T) {
	reg := time.Hour
	tests := []struct {
		name  string
		reset time.Duration // after start
		// wantOld are the first cycle's emails (reminder kinds and seqs) sent before the reset.
		wantOld []int
	}{
		// Reset long before the first reminder: the first cycle sends nothing.
		{"before the first reminder", reg + 10*userDay, nil},
		// Reset between the reminders: the second reminder and the expiry never come.
		{"between the reminders", reg + 80*userDay, []int{1}},
		// Reset a second before the expiry.
		{"just before expiry", reg + 90*userDay - time.Second, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newUserHarness(t, defaultStart)
			regAt, resetAt := h.start.Add(reg), h.start.Add(tt.reset)
			h.registered(reg, "register")
			r := h.passwordChanged(tt.reset, "reset")
			q := h.query(reg + 91*userDay)
			// Run until just past the new cycle's first reminder and the old expiry.
			h.runUntil(userInput(domain.DefaultSchedule()), max(tt.reset+76*userDay, reg+91*userDay)+time.Minute)

			h.mustAccepted("password-changed", r)
			if st := h.mustStatus(q); st.State != domain.UserAccountRegistered {
				t.Errorf("state a day after the old expiry = %s; want account_registered (the reset counts)", st.State)
			}
			oldExpiry := regAt.Add(90 * userDay)
			want := []userEmail{{Kind: mail.KindAccountRegistered, Key: emailKey("account_registered", 1), Seq: 1, At: reg, Deadline: oldExpiry}}
			for _, seq := range tt.wantOld {
				before := map[int]time.Duration{1: 14 * userDay, 2: 3 * userDay}[seq]
				want = append(want, userEmail{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", regAt, seq),
					Seq: seq, At: reg + 90*userDay - before, Deadline: oldExpiry})
			}
			want = append(want, userEmail{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", resetAt, 1),
				Seq: 1, At: tt.reset + 76*userDay, Deadline: resetAt.Add(90 * userDay)})
			checkEmails(t, h.sent(), want)
		})
	}
}

func TestUserProfessionChanged(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Hour, "register")
	before := h.query(2 * time.Hour)
	o := h.update(3*time.Hour, workflows.UpdateProfessionChanged, "change", workflows.ProfessionChanged{
		From: domain.ProfPhysician, To: domain.ProfResident, Actor: "idir-enrolment-team-0001",
		Reason: "CPSBC lists her as a resident", RequestID: "change"})
	after := h.query(4 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 5*time.Hour)

	b := h.mustStatus(before)
	st := h.mustAccepted("profession-changed", o)
	if st.Profession != domain.ProfResident || st.State != domain.UserAccountRegistered {
		t.Errorf("after change: profession %q state %s; want resident, still account_registered", st.Profession, st.State)
	}
	if st.Seq <= b.Seq {
		t.Errorf("Seq = %d; want more than %d before the change", st.Seq, b.Seq)
	}
	last := st.Timeline[len(st.Timeline)-1]
	if last.Kind != "profession_changed" || !last.At.Equal(h.start.Add(3*time.Hour)) {
		t.Errorf("last timeline event = %+v; want profession_changed at the change", last)
	}
	for _, w := range []string{domain.ProfPhysician, domain.ProfResident, "CPSBC lists her as a resident"} {
		if !strings.Contains(last.Detail, w) {
			t.Errorf("timeline detail %q; want it to contain %q", last.Detail, w)
		}
	}
	if a := h.mustStatus(after); a.Profession != domain.ProfResident || a.Seq != st.Seq {
		t.Errorf("queried after: profession %q seq %d; want resident seq %d", a.Profession, a.Seq, st.Seq)
	}
	// The password clock is not reset by a profession change.
	if a := h.mustStatus(after); a.PasswordExpiresAt == nil || !a.PasswordExpiresAt.Equal(h.start.Add(time.Hour+90*userDay)) {
		t.Errorf("PasswordExpiresAt = %v; want unchanged", a.PasswordExpiresAt)
	}
}

func TestUserRejectedUpdates(t *testing.T) {
	tests := []struct {
		name string
		// account says whether the account is registered first (at 1h).
		account bool
		send    func(h *userHarness, at time.Duration) *userUpdate
		want    string
	}{
		{"account registered twice", true, func(h *userHarness, at time.Duration) *userUpdate {
			return h.registered(at, "register-again")
		}, domain.ECONFLICT},
		{"password changed before an account", false, func(h *userHarness, at time.Duration) *userUpdate {
			return h.passwordChanged(at, "reset")
		}, domain.EUNPROCESSABLE},
		{"profession changed before an account", false, func(h *userHarness, at time.Duration) *userUpdate {
			return h.update(at, workflows.UpdateProfessionChanged, "change", workflows.ProfessionChanged{
				From: domain.ProfPhysician, To: domain.ProfMOA, Actor: "idir", Reason: "typo"})
		}, domain.EUNPROCESSABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newUserHarness(t, defaultStart)
			if tt.account {
				h.registered(time.Hour, "register")
			}
			before := h.query(2 * time.Hour)
			o := tt.send(h, 3*time.Hour)
			after := h.query(4 * time.Hour)
			h.runUntil(userInput(domain.DefaultSchedule()), 5*time.Hour)

			if o.accepted || o.completed {
				t.Errorf("accepted=%v completed=%v; want rejected", o.accepted, o.completed)
			}
			if got := userRejectedType(t, o.rejected); got != tt.want {
				t.Errorf("rejection type = %q (%v); want %q", got, o.rejected, tt.want)
			}
			b, a := h.mustStatus(before), h.mustStatus(after)
			if a.Seq != b.Seq || a.State != b.State || len(a.Timeline) != len(b.Timeline) {
				t.Errorf("after rejection: %s seq %d, %d events; want unchanged %s seq %d, %d events",
					a.State, a.Seq, len(a.Timeline), b.State, b.Seq, len(b.Timeline))
			}
		})
	}
}

func TestUserRetriedUpdateAppliedOnce(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Hour, "register")
	first := h.passwordChanged(2*time.Hour, "password-changed/req-1")
	// The API retries with the same request ID, so the same update ID.
	retry := h.passwordChanged(3*time.Hour, "password-changed/req-1")
	q := h.query(4 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 5*time.Hour)

	a, b := h.mustAccepted("first", first), h.mustAccepted("retry", retry)
	if a.Seq != b.Seq {
		t.Errorf("retry returned seq %d; want the first's %d", b.Seq, a.Seq)
	}
	st := h.mustStatus(q)
	n := 0
	for _, e := range st.Timeline {
		if e.Kind == "password_changed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("password_changed events = %d; want 1", n)
	}
	// The password's life counts from the first reset.
	if want := h.start.Add(2*time.Hour + 90*userDay); st.PasswordExpiresAt == nil || !st.PasswordExpiresAt.Equal(want) {
		t.Errorf("PasswordExpiresAt = %v; want %v", st.PasswordExpiresAt, want)
	}
}

// TestUserEmailRidesWithItsChange: an email goes into the outbox in the
// projection write of the change that caused it (so it exists exactly when
// that change committed); a write that fails keeps its emails for the next
// write, which carries them.
func TestUserEmailRidesWithItsChange(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	var first *domain.Projection
	failed := false
	h.failWrite = func(p domain.Projection) error {
		if len(p.Emails) > 0 && first == nil {
			first = &p
		}
		if len(p.Emails) > 0 && !failed {
			failed = true // refused for good, as a write with a bug in it would be
			return temporal.NewNonRetryableApplicationError("refused", domain.EINVALID, nil)
		}
		return nil
	}
	h.registered(time.Hour, "register")
	h.passwordChanged(2*time.Hour, "reset")
	q := h.query(3 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 4*time.Hour)

	if first == nil || first.User == nil || first.User.State != domain.UserAccountRegistered ||
		len(first.Emails) != 1 || first.Emails[0].Kind() != mail.KindAccountRegistered {
		t.Fatalf("the first write with an email = %+v; want the registration's status with its email", first)
	}
	// The failed write's email went out with the next write (the reset's).
	if at := h.kindsAt(mail.KindAccountRegistered); len(at) != 1 || at[0] != 2*time.Hour {
		t.Errorf("account email stored at %v; want once, with the next write at +2h", at)
	}
	if st := h.mustStatus(q); st.State != domain.UserAccountRegistered || st.PasswordExpiresAt == nil {
		t.Errorf("state %s expiry %v; want account_registered with a password expiry", st.State, st.PasswordExpiresAt)
	}
}

// TestUserProjectionFollowsStatus: the stored projection (the API's
// fallback when Temporal cannot answer) reflects every change, not only
// those followed by a milestone.
func TestUserProjectionFollowsStatus(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Hour, "register")
	afterReg := h.query(2 * time.Hour)
	var projAfterReg domain.UserStatus
	h.env.RegisterDelayedCallback(func() { projAfterReg = h.lastProjection() }, 2*time.Hour)
	h.update(3*time.Hour, workflows.UpdateProfessionChanged, "change", workflows.ProfessionChanged{
		From: domain.ProfPhysician, To: domain.ProfResident, Actor: "idir", Reason: "resident"})
	h.passwordChanged(4*time.Hour, "reset")
	afterAll := h.query(5 * time.Hour)
	var projAfterAll domain.UserStatus
	h.env.RegisterDelayedCallback(func() { projAfterAll = h.lastProjection() }, 5*time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 6*time.Hour)

	reg := h.mustStatus(afterReg)
	if projAfterReg.PasswordExpiresAt == nil || !projAfterReg.PasswordExpiresAt.Equal(*reg.PasswordExpiresAt) {
		t.Errorf("projected PasswordExpiresAt after registration = %v; want %v", projAfterReg.PasswordExpiresAt, reg.PasswordExpiresAt)
	}
	if !reflect.DeepEqual(projAfterReg.NextMilestone, reg.NextMilestone) {
		t.Errorf("projected NextMilestone after registration = %+v; want %+v", projAfterReg.NextMilestone, reg.NextMilestone)
	}
	all := h.mustStatus(afterAll)
	if projAfterAll.Seq != all.Seq || projAfterAll.Profession != all.Profession ||
		projAfterAll.PasswordExpiresAt == nil || !projAfterAll.PasswordExpiresAt.Equal(*all.PasswordExpiresAt) {
		t.Errorf("projection after profession change and reset = seq %d %q expires %v; want seq %d %q expires %v",
			projAfterAll.Seq, projAfterAll.Profession, projAfterAll.PasswordExpiresAt, all.Seq, all.Profession, all.PasswordExpiresAt)
	}
}

func TestUserContinueAsNew(t *testing.T) {
	// A tiny schedule: passwords last an hour, reminders 30 and 10 minutes before.
	tiny := domain.DefaultSchedule()
	tiny.PasswordMaxAge = domain.Duration(time.Hour)
	tiny.PasswordRemindersBefore = []domain.Duration{domain.Duration(30 * time.Minute), domain.Duration(10 * time.Minute)}

	tests := []struct {
		name string
		// trigger tells the run its history is long.
		trigger func(env *testsuite.TestWorkflowEnvironment)
	}{
		{"server suggests it", func(env *testsuite.TestWorkflowEnvironment) { env.SetContinueAsNewSuggested(true) }},
		{"history grows past the bound", func(env *testsuite.TestWorkflowEnvironment) { env.SetCurrentHistoryLength(2001) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newUserHarness(t, defaultStart)
			h.registered(time.Minute, "register")
			// First cycle runs out: two reminders and the expiry at 61m; reset at 70m.
			h.passwordChanged(70*time.Minute, "reset-0")
			// Then many cycles, each reset 20 minutes in, before any reminder.
			const cycles = 30
			last := 70 * time.Minute
			for i := 1; i <= cycles; i++ {
				last = 70*time.Minute + time.Duration(i)*20*time.Minute
				h.passwordChanged(last, fmt.Sprintf("reset-%d", i))
			}
			before := h.query(last + time.Minute)
			h.env.RegisterDelayedCallback(func() { tt.trigger(h.env) }, last+2*time.Minute)
			final := last + 3*time.Minute
			h.passwordChanged(final, "reset-final")
			h.env.ExecuteWorkflow(workflows.UserWorkflowName, userInput(tiny))

			if !h.env.IsWorkflowCompleted() {
				t.Fatalf("workflow did not complete; want continue-as-new")
			}
			var can *workflow.ContinueAsNewError
			if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
				t.Fatalf("workflow error = %v; want *workflow.ContinueAsNewError", err)
			}
			if can.WorkflowType == nil || can.WorkflowType.Name != workflows.UserWorkflowName {
				t.Errorf("continued as %+v; want %s", can.WorkflowType, workflows.UserWorkflowName)
			}
			var next workflows.UserInput
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatalf("decode continue-as-new input: %v", err)
			}
			if next.Subject != userSubject || !reflect.DeepEqual(next.Schedule, tiny) || next.Carry == nil {
				t.Fatalf("next input = %+v; want the subject, the same schedule and a carry", next)
			}
			finalAt := h.start.Add(final)
			if !next.Carry.PasswordChangedAt.Equal(finalAt) {
				t.Errorf("carried PasswordChangedAt = %v; want the last reset %v", next.Carry.PasswordChangedAt, finalAt)
			}
			c := next.Carry.Status
			b := h.mustStatus(before)
			if c.Subject != userSubject || c.State != domain.UserAccountRegistered || c.Username != "psharma" ||
				c.Profession != domain.ProfPhysician || c.LegalFirstName != "Priya" || c.LegalLastName != "Sharma" {
				t.Errorf("carried status = %+v; want Priya Sharma's account_registered status", c)
			}
			// The carried status is the one before plus the last reset.
			if c.Seq != b.Seq+1 || len(c.Timeline) != len(b.Timeline)+1 || c.Timeline[len(c.Timeline)-1].Kind != "password_changed" {
				t.Errorf("carried seq %d, %d events; want seq %d, %d events ending in password_changed", c.Seq, len(c.Timeline), b.Seq+1, len(b.Timeline)+1)
			}
			// Every cycle's reset is on the timeline: 1 + cycles + the final one.
			n := 0
			for _, e := range c.Timeline {
				if e.Kind == "password_changed" {
					n++
				}
			}
			if n != cycles+2 {
				t.Errorf("carried password_changed events = %d; want %d", n, cycles+2)
			}
			// Only the first cycle sent password emails.
			var kinds []mail.Kind
			for _, e := range h.sent() {
				kinds = append(kinds, e.Kind)
			}
			wantKinds := []mail.Kind{mail.KindAccountRegistered, mail.KindPasswordExpiryReminder, mail.KindPasswordExpiryReminder, mail.KindPasswordExpired}
			if !reflect.DeepEqual(kinds, wantKinds) {
				t.Errorf("emails = %v; want %v", kinds, wantKinds)
			}

			// The next run resumes from the carry: no identity step, no second
			// account email, and the carried password's life goes on.
			h2 := newUserHarness(t, finalAt.Add(time.Second))
			q := h2.query(time.Minute)
			h2.runUntil(next, 45*time.Minute)
			st := h2.mustStatus(q)
			if st.Seq != c.Seq || st.State != domain.UserAccountRegistered || len(st.Timeline) != len(c.Timeline) {
				t.Errorf("resumed status = %s seq %d, %d events; want the carried %s seq %d, %d events",
					st.State, st.Seq, len(st.Timeline), c.State, c.Seq, len(c.Timeline))
			}
			expiry := finalAt.Add(time.Hour)
			if st.PasswordExpiresAt == nil || !st.PasswordExpiresAt.Equal(expiry) {
				t.Errorf("resumed PasswordExpiresAt = %v; want %v", st.PasswordExpiresAt, expiry)
			}
			checkEmails(t, h2.sent(), []userEmail{{Kind: mail.KindPasswordExpiryReminder, Key: cycleKey("password_expiry_reminder", finalAt, 1),
				Seq: 1, At: 30*time.Minute - time.Second, Deadline: expiry}})
		})
	}
}

// TestUserCancelEnds: an operator's cancellation ends the run; it must not
// spin through the password cycle forever.
func TestUserCancelEnds(t *testing.T) {
	for _, at := range []time.Duration{30 * time.Minute, 2 * time.Hour, 91 * userDay} {
		t.Run(at.String(), func(t *testing.T) {
			h := newUserHarness(t, defaultStart)
			h.registered(time.Hour, "register")
			h.runUntil(userInput(domain.DefaultSchedule()), at)
		})
	}
}

// TestUserUpdatesReturnPasswordExpiry: the status an update returns (the
// API's response to registration and reset) carries the new password's
// expiry, not none or the old one.
func TestUserUpdatesReturnPasswordExpiry(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	reg := h.registered(time.Hour, "register")
	reset := h.passwordChanged(10*userDay, "reset")
	h.runUntil(userInput(domain.DefaultSchedule()), 11*userDay)

	for _, c := range []struct {
		name string
		o    *userUpdate
		at   time.Duration
	}{{"account-registered", reg, time.Hour}, {"password-changed", reset, 10 * userDay}} {
		st := h.mustAccepted(c.name, c.o)
		if want := h.start.Add(c.at + 90*userDay); st.PasswordExpiresAt == nil || !st.PasswordExpiresAt.Equal(want) {
			t.Errorf("%s returned PasswordExpiresAt %v; want %v", c.name, st.PasswordExpiresAt, want)
		}
	}
}

// An update returns only once its state is projected, so the API can answer
// a person's status reads from the projection and still show them their
// own change at once.
func TestUserUpdatesProjectBeforeReturning(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	renamed := h.signedIn(time.Minute, "req-signin", "Priya", "Sharma-Lee")
	registered := h.registered(time.Hour, "req-register")
	reset := h.passwordChanged(10*24*time.Hour, "req-reset")
	h.runUntil(userInput(domain.DefaultSchedule()), 11*24*time.Hour)

	for _, c := range []struct {
		name string
		o    *userUpdate
	}{{"legal name changed", renamed}, {"account registered", registered}, {"password changed", reset}} {
		st := h.mustAccepted(c.name, c.o)
		if c.o.projected.Seq != st.Seq || c.o.projected.State != st.State ||
			!equalTimes(c.o.projected.PasswordExpiresAt, st.PasswordExpiresAt) {
			t.Errorf("%s returned %s seq %d (password expires %v), but the projection then held %s seq %d (%v)", c.name,
				st.State, st.Seq, st.PasswordExpiresAt, c.o.projected.State, c.o.projected.Seq, c.o.projected.PasswordExpiresAt)
		}
	}
}

func equalTimes(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
