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

	"careconnect/activities"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/worker"
	"careconnect/workflows"
)

const worksiteID = "K4T6CLP"

// day is one calendar day of workflow time.
const day = 24 * time.Hour

// sentEmail is one email a projection write put in the outbox, as the mock
// saw it. At is the workflow time of the write, relative to the workflow start.
type sentEmail struct {
	Kind     mail.Kind
	Seq      int
	Key      string
	To       domain.Recipients
	Reason   string
	Signer   string
	Deadline time.Time
	At       time.Duration
	// Recipients, Change and the link fields are the membership emails' own.
	Recipients  []domain.Person
	MemberName  string
	Change      string
	LinkPurpose domain.LinkPurpose
	LinkSubject string
	LinkExpires time.Time
}

// updateOutcome records what the update callbacks reported.
type updateOutcome struct {
	accepted  bool
	rejected  error
	completed bool
	err       error
	status    domain.WorksiteStatus
	// mem is a membership update's result.
	mem domain.Membership
	// projected and memProjected are the last status and membership
	// projections when the update completed.
	projected    domain.WorksiteStatus
	memProjected domain.MembershipProjection
}

// queryOutcome is a status query made at a given workflow time.
type queryOutcome struct {
	ran    bool
	err    error
	status domain.WorksiteStatus
}

// notice is one MembershipNotice a projection write put in the outbox,
// with the workflow ID the relay signals it to and when (relative to the start).
type notice struct {
	WorkflowID string
	Notice     workflows.MembershipNotice
	At         time.Duration
}

// harness is one test workflow environment with every activity mocked and
// every call recorded. Activity mocks run on their own goroutines, hence mu.
type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time

	mu          sync.Mutex
	emails      []sentEmail
	projected   []domain.WorksiteStatus
	audits      []domain.AuditEvent
	memberships []domain.MembershipProjection
	notices     []notice
	// writes are the business writes the projection writes carried;
	// refuseWrite, when set, refuses one as the store would.
	writes      []domain.Write
	refuseWrite func(domain.Write) error
	// registered is the register update sent with the start.
	registered updateOutcome
	// projections counts projection writes (local activities).
	projections int
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// mustVancouver returns the America/Vancouver location.
func mustVancouver(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Vancouver")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	return loc
}

// registrant registers the worksite in these tests and becomes its first
// administrator.
var registrant = domain.Member{Subject: "bcsc-admin-0001", Name: "Ada Admin", Email: "ada@clinic.example.ca",
	Profession: domain.ProfPhysician, UserType: domain.Authorizer}

// newHarness starts a test environment at Monday 2 November 2026, 09:00
// Pacific, with the worker's registrations and recording activity mocks.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessAt(t, time.Date(2026, 11, 2, 9, 0, 0, 0, mustVancouver(t)))
}

// newHarnessAt is newHarness starting at start.
func newHarnessAt(t *testing.T, start time.Time) *harness {
	t.Helper()
	return newHarnessWith(t, start, nil)
}

// newHarnessWith is newHarnessAt; with a store, the status and membership
// projections are the real activities writing to it instead of mocks
// (which keep every argument: too much for large memberships).
func newHarnessWith(t *testing.T, start time.Time, store activities.Store) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	// The SDK's debug lines drown test output; warnings and errors stay.
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	h := &harness{t: t, env: env, start: start}
	env.SetStartTime(h.start)

	acts := &activities.Activities{Store: store}
	worker.Register(env, acts)
	// The one projection write of each workflow task: its parts are
	// recorded as the separate writes they replace, its emails as sent and
	// its notices as signalled (the relay sends what the outbox holds).
	// With a store, the real activity also writes them to it.
	env.OnActivity(acts.Project, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, p domain.Projection) (domain.ProjectResult, error) {
			h.mu.Lock()
			h.writes = append(h.writes, p.Writes...)
			if store == nil && h.refuseWrite != nil {
				// As the store: a refused write rolls the whole projection back.
				var res domain.ProjectResult
				for _, w := range p.Writes {
					if err := h.refuseWrite(w); err != nil {
						de := err.(*domain.Error)
						res.Refused = append(res.Refused, domain.WriteRefusal{Key: w.Key, Code: de.Code, Message: de.Message})
					}
				}
				if len(res.Refused) > 0 {
					res.RolledBack = true
					h.mu.Unlock()
					return res, nil
				}
			}
			h.audits = append(h.audits, p.Audits...)
			now := env.Now().Sub(h.start)
			for _, e := range p.Emails {
				in := e.Worksite
				if in == nil {
					h.t.Errorf("the worksite workflow queued a person's email: %+v", e)
					continue
				}
				h.emails = append(h.emails, sentEmail{Kind: in.Kind, Seq: in.Seq, Key: in.Key, To: in.To, Reason: in.Reason,
					Signer: in.SignerName, Deadline: in.Deadline, At: now,
					Recipients: in.Recipients, MemberName: in.MemberName, Change: in.Change,
					LinkPurpose: in.LinkPurpose, LinkSubject: in.LinkSubject, LinkExpires: in.LinkExpires})
			}
			for _, n := range p.Notices {
				h.notices = append(h.notices, notice{WorkflowID: workflows.UserWorkflowID(n.Subject), Notice: n, At: now})
			}
			if store == nil {
				if p.Worksite != nil {
					h.projected = append(h.projected, *p.Worksite)
				}
				if p.Membership != nil {
					h.memberships = append(h.memberships, *p.Membership)
				}
			}
			h.projections++
			h.mu.Unlock()
			if store != nil {
				return acts.Project(ctx, p)
			}
			return domain.ProjectResult{}, nil
		}).Maybe()
	return h
}

// input is a worksite enrolment of type lt under the default schedule.
func (h *harness) input(lt domain.LocationType) workflows.WorksiteInput {
	h.t.Helper()
	p, ok := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[lt]
	if !ok {
		h.t.Fatalf("no default policy for %q", lt)
	}
	// The API sends the register update with the start.
	h.env.RegisterDelayedCallback(func() {
		h.sendUpdate(&h.registered, workflows.UpdateRegister, "register", workflows.RegisterWorksite{RequestID: "register",
			Write: domain.Write{Key: "worksite", Worksite: &domain.WorksiteWrite{ID: worksiteID, RegisteredAt: h.start,
				Registration: domain.WorksiteRegistration{Name: "Proctor Clinic", LocationType: lt}}}}, true)
	}, 0)
	return workflows.WorksiteInput{
		WorksiteID: worksiteID, TypePolicy: p, RegisteredAt: h.start,
		Schedule: domain.DefaultSchedule(), Calendar: domain.Calendar{}, Registrant: registrant,
		RegisterBy: h.start.Add(time.Minute),
	}
}

// update sends an update at workflow time start+at and records its outcome.
func (h *harness) update(at time.Duration, name, id string, arg any) *updateOutcome {
	o := &updateOutcome{}
	h.env.RegisterDelayedCallback(func() { h.sendUpdate(o, name, id, arg, true) }, at)
	return o
}

// sendUpdate sends an update now and records its outcome in o, with the
// handler's result if keep.
func (h *harness) sendUpdate(o *updateOutcome, name, id string, arg any, keep bool) {
	h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() { o.accepted = true },
		OnReject: func(err error) { o.rejected = err },
		OnComplete: func(v any, err error) {
			o.completed, o.err = true, err
			h.mu.Lock()
			if n := len(h.projected); n > 0 {
				o.projected = h.projected[n-1]
			}
			if n := len(h.memberships); n > 0 {
				o.memProjected = h.memberships[n-1]
			}
			h.mu.Unlock()
			if !keep {
				return
			}
			// The test environment hands over the handler's own value, whose
			// slices the workflow goes on changing; a server would have
			// serialized it at once, so take a copy the same way.
			switch v.(type) {
			case domain.WorksiteStatus:
				h.mustCopy(v, &o.status)
			case domain.Membership:
				h.mustCopy(v, &o.mem)
			}
		},
	}, arg)
}

// mustCopy copies v into out through the default data converter.
func (h *harness) mustCopy(v, out any) {
	dc := converter.GetDefaultDataConverter()
	p, err := dc.ToPayload(v)
	if err == nil {
		err = dc.FromPayload(p, out)
	}
	if err != nil {
		h.t.Errorf("copy %T: %v", v, err)
	}
}

// sign signs the declaration at start+at as Dr Lee.
func (h *harness) sign(at time.Duration, id string) *updateOutcome {
	return h.update(at, workflows.UpdateSignDeclaration, id, workflows.SignDeclaration{
		SignerName: "Dr Lee", SignerTitle: "Lead physician", SignedAt: h.start.Add(at), RequestID: id})
}

// decide sends the enrolment team's decision at start+at.
func (h *harness) decide(at time.Duration, id string, approve bool, reason string) *updateOutcome {
	return h.update(at, workflows.UpdateDecide, id, workflows.Decision{
		Approve: approve, Reason: reason, Actor: "alice@team.example.ca", RequestID: id})
}

// query queries the status at start+at.
func (h *harness) query(at time.Duration) *queryOutcome {
	q := &queryOutcome{}
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

// mustRun runs the workflow to completion and returns its result: for a
// worksite that ends (rejected, lapsed or closed).
func (h *harness) mustRun(in workflows.WorksiteInput) domain.WorksiteStatus {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.WorksiteWorkflowName, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatalf("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow error = %v; want nil", err)
	}
	var st domain.WorksiteStatus
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatalf("GetWorkflowResult: %v", err)
	}
	h.env.AssertExpectations(h.t)
	return st
}

// runUntil runs a workflow that does not end by itself (an approved or
// registered-only worksite keeps running for its membership): it queries
// the status at start+end, cancels the workflow a minute later and returns
// the queried status. It fails unless the workflow was still running then.
func (h *harness) runUntil(in workflows.WorksiteInput, end time.Duration) domain.WorksiteStatus {
	h.t.Helper()
	q := h.query(end)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, end+time.Minute)
	h.env.ExecuteWorkflow(workflows.WorksiteWorkflowName, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatalf("workflow did not end after cancellation")
	}
	var ce *temporal.CanceledError
	if err := h.env.GetWorkflowError(); !errors.As(err, &ce) {
		h.t.Fatalf("workflow error = %v; want cancelled (it must still be running at +%v)", err, end+time.Minute)
	}
	h.env.AssertExpectations(h.t)
	st := h.mustStatus(q)
	if st.State.Ended() {
		h.t.Fatalf("status at +%v = %s; want a worksite still running", end, st.State)
	}
	return st
}

// mustStatus returns a query's status, failing if it did not run.
func (h *harness) mustStatus(q *queryOutcome) domain.WorksiteStatus {
	h.t.Helper()
	if !q.ran {
		h.t.Fatalf("query did not run")
	}
	if q.err != nil {
		h.t.Fatalf("query error = %v; want nil", q.err)
	}
	return q.status
}

// memQuery is a membership query made at a given workflow time.
type memQuery struct {
	ran bool
	err error
	mem domain.Membership
}

// membership queries the membership at start+at.
func (h *harness) membership(at time.Duration) *memQuery {
	q := &memQuery{}
	h.env.RegisterDelayedCallback(func() {
		q.ran = true
		v, err := h.env.QueryWorkflow(workflows.QueryMembership)
		if err != nil {
			q.err = err
			return
		}
		q.err = v.Get(&q.mem)
	}, at)
	return q
}

// mustMembership returns a membership query's result, failing if it did not run.
func (h *harness) mustMembership(q *memQuery) domain.Membership {
	h.t.Helper()
	if !q.ran {
		h.t.Fatalf("membership query did not run")
	}
	if q.err != nil {
		h.t.Fatalf("membership query error = %v; want nil", q.err)
	}
	return q.mem
}

// checkRecipients fails unless an email went to exactly the members want.
func checkRecipients(t *testing.T, label string, got []domain.Person, want ...domain.Member) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i].Email == want[i].Email && got[i].Name == want[i].Name
	}
	if !ok {
		t.Errorf("%s recipients = %+v; want %+v", label, got, want)
	}
}

// mustAccepted fails unless the update was accepted and completed cleanly.
func (h *harness) mustAccepted(name string, o *updateOutcome) {
	h.t.Helper()
	if o.rejected != nil || !o.accepted || !o.completed || o.err != nil {
		h.t.Fatalf("%s: accepted=%v rejected=%v completed=%v err=%v; want accepted and completed", name, o.accepted, o.rejected, o.completed, o.err)
	}
}

// emailKinds lists the kinds of every email sent, in order.
func (h *harness) emailKinds() []mail.Kind {
	h.mu.Lock()
	defer h.mu.Unlock()
	ks := make([]mail.Kind, len(h.emails))
	for i, e := range h.emails {
		ks[i] = e.Kind
	}
	return ks
}

// emailsOf returns the emails of kind k.
func (h *harness) emailsOf(k mail.Kind) []sentEmail {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []sentEmail
	for _, e := range h.emails {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// mustOneEmail returns the one email of kind k.
func (h *harness) mustOneEmail(k mail.Kind) sentEmail {
	h.t.Helper()
	es := h.emailsOf(k)
	if len(es) != 1 {
		h.t.Fatalf("%s emails = %d (all sent: %v); want 1", k, len(es), h.emailKinds())
	}
	return es[0]
}

// mustAudit returns the one audit event with action.
func (h *harness) mustAudit(action string) domain.AuditEvent {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var found []domain.AuditEvent
	for _, e := range h.audits {
		if e.Action == action {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		h.t.Fatalf("audit events %q = %d (all: %+v); want 1", action, len(found), h.audits)
	}
	return found[0]
}

// checkProjections checks that every projection has a higher Seq than the
// one before (the projection drops older writes) and that the last one is
// the final status.
func (h *harness) checkProjections(final domain.WorksiteStatus) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.projected) == 0 {
		h.t.Fatalf("no status was projected")
	}
	for i := 1; i < len(h.projected); i++ {
		if h.projected[i].Seq <= h.projected[i-1].Seq {
			h.t.Errorf("projection %d Seq = %d; want more than projection %d's %d", i, h.projected[i].Seq, i-1, h.projected[i-1].Seq)
		}
	}
	last := h.projected[len(h.projected)-1]
	if last.State != final.State || last.Seq != final.Seq {
		h.t.Errorf("last projection = %s seq %d; want the final status %s seq %d", last.State, last.Seq, final.State, final.Seq)
	}
}

// timelineKinds lists the kinds of st's timeline events.
func timelineKinds(st domain.WorksiteStatus) []string {
	ks := make([]string, len(st.Timeline))
	for i, e := range st.Timeline {
		ks[i] = e.Kind
	}
	return ks
}

// rejectedType is the application error type a client sees for a rejected
// update: the validator's error goes through the default failure converter
// on its way to the client, as it does on a real server.
func rejectedType(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatalf("update was not rejected; want a rejection")
	}
	fc := temporal.GetDefaultFailureConverter()
	back := fc.FailureToError(fc.ErrorToFailure(err))
	var ae *temporal.ApplicationError
	if !errors.As(back, &ae) {
		t.Fatalf("rejection %v (%T) reaches the client as %T; want *temporal.ApplicationError", err, err, back)
	}
	return ae.Type()
}

// checkMilestone compares a status's next milestone with the wanted one.
func checkMilestone(t *testing.T, label string, got *domain.Milestone, kind domain.MilestoneKind, at time.Time, seq int) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: NextMilestone = nil; want %s #%d at %v", label, kind, seq, at)
		return
	}
	if got.Kind != kind || got.Seq != seq || !got.At.Equal(at) {
		t.Errorf("%s: NextMilestone = %s #%d at %v; want %s #%d at %v", label, got.Kind, got.Seq, got.At, kind, seq, at)
	}
}

func TestWorksiteRemindersStalledAndLapse(t *testing.T) {
	h := newHarness(t)
	st := h.mustRun(h.input(domain.CommunityPrivatePractice))

	key := func(kind mail.Kind, seq int) string { return fmt.Sprintf("worksite/%s/%s/%d", worksiteID, kind, seq) }
	want := []sentEmail{
		{Kind: mail.KindWorksiteRegistered, Seq: 1, Key: key(mail.KindWorksiteRegistered, 1), To: domain.ToSiteAdmins, At: 0},
		{Kind: mail.KindDeclarationReminder, Seq: 1, Key: key(mail.KindDeclarationReminder, 1), To: domain.ToSiteAdmins, At: 3 * day},
		{Kind: mail.KindDeclarationReminder, Seq: 2, Key: key(mail.KindDeclarationReminder, 2), To: domain.ToSiteAdmins, At: 7 * day},
		{Kind: mail.KindDeclarationReminder, Seq: 3, Key: key(mail.KindDeclarationReminder, 3), To: domain.ToSiteAdmins, At: 14 * day},
		{Kind: mail.KindDeclarationStalled, Seq: 1, Key: key(mail.KindDeclarationStalled, 1), To: domain.ToEnrolmentTeam, At: 30 * day},
		{Kind: mail.KindRegistrationLapsed, Seq: 1, Key: key(mail.KindRegistrationLapsed, 1), To: domain.ToSiteAdmins, At: 90 * day},
	}
	h.mu.Lock()
	got := append([]sentEmail(nil), h.emails...)
	h.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("emails = %v; want %d emails ending in the lapse notice", h.emailKinds(), len(want))
	}
	keys := map[string]bool{}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.Kind || g.Seq != w.Seq || g.Key != w.Key || g.To != w.To || g.At != w.At {
			t.Errorf("email %d = %s #%d key %q to %s at +%v; want %s #%d key %q to %s at +%v",
				i, g.Kind, g.Seq, g.Key, g.To, g.At, w.Kind, w.Seq, w.Key, w.To, w.At)
		}
		if keys[g.Key] {
			t.Errorf("email %d key %q repeats an earlier key; want one key per event", i, g.Key)
		}
		keys[g.Key] = true
		// Reminders tell the administrators when the registration lapses.
		if g.Kind == mail.KindDeclarationReminder && !g.Deadline.Equal(h.start.Add(90*day)) {
			t.Errorf("reminder %d Deadline = %v; want %v", g.Seq, g.Deadline, h.start.Add(90*day))
		}
	}
	// The lapse notice carries the reason.
	if lapse := got[len(got)-1]; lapse.Reason == "" || lapse.Reason != st.Reason {
		t.Errorf("lapse email Reason = %q; want the status reason %q", lapse.Reason, st.Reason)
	}

	if st.State != domain.WorksiteLapsed {
		t.Errorf("State = %q; want %q", st.State, domain.WorksiteLapsed)
	}
	if st.WaitingOn != domain.PartyNone || st.NextMilestone != nil {
		t.Errorf("WaitingOn = %q, NextMilestone = %+v; want nobody and none once lapsed", st.WaitingOn, st.NextMilestone)
	}
	if !st.Stalled {
		t.Errorf("Stalled = false; want true (flagged at day 30)")
	}
	if len(h.emailsOf(mail.KindWorksiteApproved)) != 0 || len(h.emailsOf(mail.KindDeclarationReceived)) != 0 {
		t.Errorf("emails = %v; want no approval or declaration-received email", h.emailKinds())
	}
	wantTimeline := []string{"registered", "declaration_reminder", "declaration_reminder", "declaration_reminder", "stalled"}
	if got := timelineKinds(st); !reflect.DeepEqual(got, wantTimeline) {
		t.Errorf("timeline = %v; want %v", got, wantTimeline)
	}

	stalled := h.mustAudit("worksite flagged stalled")
	if stalled.Actor != "system" || !stalled.At.Equal(h.start.Add(30*day)) {
		t.Errorf("stalled audit = %+v; want actor system at day 30", stalled)
	}
	lapsed := h.mustAudit("worksite registration lapsed")
	if lapsed.Actor != "system" || !lapsed.At.Equal(h.start.Add(90*day)) || lapsed.Subject != "worksite:K4T6CLP" {
		t.Errorf("lapse audit = %+v; want actor system at day 90 on worksite:K4T6CLP", lapsed)
	}
	h.checkProjections(st)
}

// An approved worksite no longer ends: its workflow keeps running for its
// membership, with nothing scheduled for the enrolment.
func TestWorksiteApprove(t *testing.T) {
	h := newHarness(t)
	signed := h.sign(1*day, "req-sign")
	decided := h.decide(2*day, "req-approve", true, "")
	members := h.membership(2*day + time.Hour)
	// Long after the declaration's lapse date, the approved worksite still runs.
	st := h.runUntil(h.input(domain.CommunityPrivatePractice), 100*day)

	h.mustAccepted("sign", signed)
	h.mustAccepted("approve", decided)
	// The sign update returns the status it left behind.
	if signed.status.State != domain.WorksiteAwaitingReview || signed.status.WaitingOn != domain.PartyEnrolmentTeam {
		t.Errorf("sign result = %s waiting on %q; want %s waiting on %q",
			signed.status.State, signed.status.WaitingOn, domain.WorksiteAwaitingReview, domain.PartyEnrolmentTeam)
	}

	if st.State != domain.WorksiteApproved || st.WaitingOn != domain.PartyNone || st.NextMilestone != nil {
		t.Errorf("final = %s waiting on %q next %+v; want %s waiting on nobody, no milestone", st.State, st.WaitingOn, st.NextMilestone, domain.WorksiteApproved)
	}
	// The registrant is the first administrator, and stays one.
	m := h.mustMembership(members)
	if len(m.Members) != 1 || !m.Members[0].Active || !m.Members[0].Admin || m.Members[0].Subject != registrant.Subject {
		t.Errorf("members = %+v; want the registrant as the one active administrator", m.Members)
	}
	// The signed declaration is confirmed to the administrators and
	// announced to the enrolment team, whose review it now waits on.
	wantKinds := []mail.Kind{mail.KindWorksiteRegistered, mail.KindDeclarationReceived, mail.KindDeclarationSigned, mail.KindWorksiteApproved}
	if got := h.emailKinds(); !reflect.DeepEqual(got, wantKinds) {
		t.Errorf("emails = %v; want %v", got, wantKinds)
	}
	if e := h.mustOneEmail(mail.KindDeclarationSigned); e.To != domain.ToEnrolmentTeam || e.Signer != "Dr Lee" {
		t.Errorf("declaration signed email to %q signer %q; want the enrolment team and Dr Lee", e.To, e.Signer)
	}
	if e := h.mustOneEmail(mail.KindDeclarationReceived); e.At != 1*day || e.Signer != "Dr Lee" {
		t.Errorf("declaration received email at +%v signer %q; want +24h and Dr Lee", e.At, e.Signer)
	}
	if e := h.mustOneEmail(mail.KindWorksiteApproved); e.At != 2*day || e.Key != "worksite/K4T6CLP/worksite_approved/1" || e.To != domain.ToSiteAdmins {
		t.Errorf("approval email = %+v; want at +48h, key worksite/K4T6CLP/worksite_approved/1, to site admins", e)
	}
	// Site administrator emails go to the worksite's active administrators.
	for _, e := range h.emailsOf(mail.KindWorksiteApproved) {
		checkRecipients(t, string(e.Kind), e.Recipients, registrant)
	}
	wantTimeline := []string{"registered", "declaration_signed", "approved"}
	if got := timelineKinds(st); !reflect.DeepEqual(got, wantTimeline) {
		t.Errorf("timeline = %v; want %v", got, wantTimeline)
	}

	signAudit := h.mustAudit("declaration signed")
	if signAudit.Actor != "Dr Lee" || signAudit.Role != "signing_authority" || signAudit.RequestID != "req-sign" || !signAudit.At.Equal(h.start.Add(day)) {
		t.Errorf("declaration audit = %+v; want Dr Lee, signing_authority, req-sign at day 1", signAudit)
	}
	approve := h.mustAudit("worksite approved")
	// Key is left out here: see TestWorksiteAuditKeyReachesActivity.
	wantApprove := domain.AuditEvent{
		At: h.start.Add(2 * day), Actor: "alice@team.example.ca",
		Role: "enrolment_team", WorksiteID: worksiteID, Subject: "worksite:K4T6CLP", Action: "worksite approved", RequestID: "req-approve",
	}
	if !approve.At.Equal(wantApprove.At) {
		t.Errorf("approval audit At = %v; want %v", approve.At, wantApprove.At)
	}
	approve.At, approve.Key = wantApprove.At, ""
	if approve != wantApprove {
		t.Errorf("approval audit = %+v; want %+v", approve, wantApprove)
	}
	h.checkProjections(st)
}

func TestWorksiteReject(t *testing.T) {
	const reason = "the address is a private residence, not a clinic"
	h := newHarness(t)
	h.sign(1*day, "req-sign")
	decided := h.decide(2*day, "req-reject", false, reason)
	st := h.mustRun(h.input(domain.CommunityPrivatePractice))

	h.mustAccepted("reject", decided)
	if st.State != domain.WorksiteRejected || st.Reason != reason {
		t.Errorf("final = %s reason %q; want %s reason %q", st.State, st.Reason, domain.WorksiteRejected, reason)
	}
	e := h.mustOneEmail(mail.KindWorksiteRejected)
	if e.Reason != reason || e.At != 2*day || e.To != domain.ToSiteAdmins {
		t.Errorf("rejection email = %+v; want reason %q at +48h to site admins", e, reason)
	}
	if n := len(h.emailsOf(mail.KindWorksiteApproved)); n != 0 {
		t.Errorf("approval emails = %d; want 0", n)
	}
	a := h.mustAudit("worksite rejected")
	if a.Detail != reason || a.Actor != "alice@team.example.ca" || a.RequestID != "req-reject" {
		t.Errorf("rejection audit = %+v; want detail %q by alice@team.example.ca, req-reject", a, reason)
	}
	h.checkProjections(st)
}

// A declaration signed after the second reminder stops the third one and
// every later milestone of the declaration wait.
func TestWorksiteDeclarationAfterReminder(t *testing.T) {
	h := newHarness(t)
	h.sign(8*day, "req-sign")
	after := h.query(8*day + time.Hour)
	h.decide(9*day, "req-approve", true, "")
	// Past the stalled and lapse dates: neither comes once approved.
	st := h.runUntil(h.input(domain.CommunityPrivatePractice), 100*day)

	reminders := h.emailsOf(mail.KindDeclarationReminder)
	if len(reminders) != 2 {
		t.Fatalf("reminders = %d; want 2 (days 3 and 7)", len(reminders))
	}
	for i, want := range []time.Duration{3 * day, 7 * day} {
		if reminders[i].Seq != i+1 || reminders[i].At != want {
			t.Errorf("reminder %d = #%d at +%v; want #%d at +%v", i, reminders[i].Seq, reminders[i].At, i+1, want)
		}
	}
	for _, k := range []mail.Kind{mail.KindDeclarationStalled, mail.KindRegistrationLapsed} {
		if n := len(h.emailsOf(k)); n != 0 {
			t.Errorf("%s emails = %d; want 0", k, n)
		}
	}
	if st.State != domain.WorksiteApproved || st.Stalled {
		t.Errorf("final = %s stalled %v; want %s, not stalled", st.State, st.Stalled, domain.WorksiteApproved)
	}
	// The review is a new wait: its reminder count starts again.
	a := h.mustStatus(after)
	if a.State != domain.WorksiteAwaitingReview || a.RemindersSent != 0 || !a.WaitingSince.Equal(h.start.Add(8*day)) {
		t.Errorf("after signing: %s, %d reminders, waiting since %v; want %s, 0, %v",
			a.State, a.RemindersSent, a.WaitingSince, domain.WorksiteAwaitingReview, h.start.Add(8*day))
	}
}

// Rejected updates leave no trace: the validator refuses them before the
// handler runs, so status, Seq and timeline are as they were.
func TestWorksiteRejectedUpdates(t *testing.T) {
	type step struct {
		at      time.Duration
		sign    bool // sign the declaration; else decide
		approve bool
		reason  string
		noName  bool // sign without a signer name
	}
	tests := []struct {
		name      string
		lt        domain.LocationType
		steps     []step
		refused   int    // index of the step that must be rejected
		wantType  string // its application error type
		wantFinal domain.WorksiteState
	}{
		// Nothing to approve before the declaration is signed.
		{"approve before declaration", domain.CommunityPrivatePractice, []step{
			{at: 1 * day, approve: true}, {at: 2 * day, sign: true}, {at: 2*day + 12*time.Hour, approve: true},
		}, 0, domain.EUNPROCESSABLE, domain.WorksiteApproved},
		// The declaration is signed once.
		{"second declaration", domain.CommunityPrivatePractice, []step{
			{at: 1 * day, sign: true}, {at: 2 * day, sign: true}, {at: 2*day + 12*time.Hour, approve: true},
		}, 1, domain.ECONFLICT, domain.WorksiteApproved},
		// A declaration needs the signer's name.
		{"declaration without signer", domain.CommunityPrivatePractice, []step{
			{at: 1 * day, sign: true, noName: true}, {at: 2 * day, sign: true}, {at: 2*day + 12*time.Hour, approve: true},
		}, 0, domain.EINVALID, domain.WorksiteApproved},
		// Rejecting needs a reason.
		{"reject without reason", domain.CommunityPrivatePractice, []step{
			{at: 1 * day, sign: true}, {at: 2 * day, approve: false}, {at: 2*day + 12*time.Hour, approve: false, reason: "not a clinic"},
		}, 1, domain.EINVALID, domain.WorksiteRejected},
		// Other must be reclassified before it can be approved; it can still be rejected.
		{"approve other", domain.OtherLocation, []step{
			{at: 1 * day, sign: true}, {at: 2 * day, approve: true}, {at: 2*day + 12*time.Hour, approve: false, reason: "reclassify first"},
		}, 1, domain.EUNPROCESSABLE, domain.WorksiteRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			outcomes := make([]*updateOutcome, len(tt.steps))
			for i, s := range tt.steps {
				id := fmt.Sprintf("req-%d", i)
				switch {
				case s.sign && s.noName:
					outcomes[i] = h.update(s.at, workflows.UpdateSignDeclaration, id, workflows.SignDeclaration{SignerTitle: "Lead physician", RequestID: id})
				case s.sign:
					outcomes[i] = h.sign(s.at, id)
				default:
					outcomes[i] = h.decide(s.at, id, s.approve, s.reason)
				}
			}
			refusedAt := tt.steps[tt.refused].at
			before := h.query(refusedAt - time.Minute)
			after := h.query(refusedAt + time.Minute)
			var st domain.WorksiteStatus
			if tt.wantFinal.Ended() {
				st = h.mustRun(h.input(tt.lt))
			} else {
				st = h.runUntil(h.input(tt.lt), tt.steps[len(tt.steps)-1].at+day)
			}

			for i, o := range outcomes {
				if i == tt.refused {
					continue
				}
				h.mustAccepted(fmt.Sprintf("step %d", i), o)
			}
			o := outcomes[tt.refused]
			if o.accepted || o.completed {
				t.Errorf("refused step: accepted=%v completed=%v; want neither", o.accepted, o.completed)
			}
			if got := rejectedType(t, o.rejected); got != tt.wantType {
				t.Errorf("rejection type = %q (%v); want %q", got, o.rejected, tt.wantType)
			}
			b, a := h.mustStatus(before), h.mustStatus(after)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("status after the rejected update = %+v; want it unchanged from %+v", a, b)
			}
			for _, e := range st.Timeline {
				if e.At.Equal(h.start.Add(refusedAt)) {
					t.Errorf("timeline has %q at the rejected update's time; want nothing", e.Kind)
				}
			}
			if st.State != tt.wantFinal {
				t.Errorf("final State = %q; want %q", st.State, tt.wantFinal)
			}
		})
	}
}

// No Clinical Apps and Health Authority Clinic worksites stop enrolling
// right after registration: no declaration is asked for. Their workflow
// keeps running for membership, with nothing scheduled.
func TestWorksiteRegisteredOnly(t *testing.T) {
	tests := []struct {
		name string
		lt   domain.LocationType
	}{
		{"no clinical apps", domain.NoClinicalApps},               // AccessStops
		{"health authority clinic", domain.HealthAuthorityClinic}, // AccessRefused
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			in := h.input(tt.lt)
			st := h.runUntil(in, 100*day)

			if st.State != domain.WorksiteRegisteredOnly || st.Reason != in.TypePolicy.Reason || st.WaitingOn != domain.PartyNone {
				t.Errorf("final = %s reason %q waiting on %q; want %s reason %q waiting on nobody",
					st.State, st.Reason, st.WaitingOn, domain.WorksiteRegisteredOnly, in.TypePolicy.Reason)
			}
			if got, want := h.emailKinds(), []mail.Kind{mail.KindRegisteredOnly}; !reflect.DeepEqual(got, want) {
				t.Fatalf("emails = %v; want %v", got, want)
			}
			e := h.mustOneEmail(mail.KindRegisteredOnly)
			if e.At != 0 || e.Seq != 1 || e.To != domain.ToSiteAdmins || e.Reason != in.TypePolicy.Reason {
				t.Errorf("email = %+v; want at +0, #1, to site admins, with the type's reason", e)
			}
			checkRecipients(t, string(e.Kind), e.Recipients, registrant)
			if st.NextMilestone != nil {
				t.Errorf("NextMilestone = %+v; want none (nothing to wait for)", st.NextMilestone)
			}
			if got, want := timelineKinds(st), []string{"registered"}; !reflect.DeepEqual(got, want) {
				t.Errorf("timeline = %v; want %v", got, want)
			}
			h.checkProjections(st)
		})
	}
}

// The enrolment team's review escalates at 5 and breaches at 7 business
// days (America/Vancouver; weekends and configured holidays skipped).
func TestWorksiteTeamReviewEscalation(t *testing.T) {
	van := mustVancouver(t)
	nov := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, van) }
	tests := []struct {
		name                     string
		signAt                   time.Duration
		holidays                 []string
		wantEscalate, wantBreach time.Time
	}{
		// Signed Tue 3 Nov 09:00: Tue 10 and Thu 12.
		{"tuesday", 1 * day, nil, nov(10, 9), nov(12, 9)},
		// Remembrance Day (Wed 11) configured: the breach moves to Fri 13.
		{"tuesday, holiday", 1 * day, []string{"2026-11-11"}, nov(10, 9), nov(13, 9)},
		// Signed Fri 6 Nov 09:00 with the holiday: Mon 16 and Wed 18.
		{"friday, holiday", 4 * day, []string{"2026-11-11"}, nov(16, 9), nov(18, 9)},
		// Signed Fri 6 Nov 17:00: the same wall-clock time counts.
		{"friday evening", 4*day + 8*time.Hour, nil, nov(13, 17), nov(17, 17)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			in := h.input(domain.CommunityPrivatePractice)
			in.Calendar.Holidays = tt.holidays
			h.sign(tt.signAt, "req-sign")
			escalate, breach := tt.wantEscalate.Sub(h.start), tt.wantBreach.Sub(h.start)
			signed := h.query(tt.signAt + time.Minute)
			between := h.query(escalate + time.Minute)
			h.decide(breach+day, "req-approve", true, "")
			st := h.runUntil(in, breach+2*day)

			s := h.mustStatus(signed)
			if s.WaitingOn != domain.PartyEnrolmentTeam || !s.WaitingSince.Equal(h.start.Add(tt.signAt)) || s.Escalated {
				t.Errorf("after signing: waiting on %q since %v, escalated %v; want %q since %v, not escalated",
					s.WaitingOn, s.WaitingSince, s.Escalated, domain.PartyEnrolmentTeam, h.start.Add(tt.signAt))
			}
			checkMilestone(t, "after signing", s.NextMilestone, domain.MilestoneEscalate, tt.wantEscalate, 1)

			b := h.mustStatus(between)
			if !b.Escalated || b.Breached {
				t.Errorf("between: escalated %v, breached %v; want true, false", b.Escalated, b.Breached)
			}
			checkMilestone(t, "between", b.NextMilestone, domain.MilestoneBreach, tt.wantBreach, 1)

			esc := h.mustOneEmail(mail.KindReviewEscalated)
			if esc.At != escalate || esc.Seq != 5 || esc.To != domain.ToEnrolmentTeam || esc.Key != "worksite/K4T6CLP/team_review_escalated/5" {
				t.Errorf("escalation email = %+v; want at +%v, #5, to the team", esc, escalate)
			}
			br := h.mustOneEmail(mail.KindReviewBreached)
			if br.At != breach || br.Seq != 7 || br.To != domain.ToEnrolmentTeam {
				t.Errorf("breach email = %+v; want at +%v, #7, to the team", br, breach)
			}
			if !st.Escalated || !st.Breached || st.State != domain.WorksiteApproved {
				t.Errorf("final = %s escalated %v breached %v; want approved, both true", st.State, st.Escalated, st.Breached)
			}
		})
	}
}

// The status query shows who must act, the next milestone and the
// reminders sent, as the wait goes on.
func TestWorksiteStatusQuery(t *testing.T) {
	h := newHarness(t)
	at := func(d time.Duration) time.Time { return h.start.Add(d) }
	type want struct {
		state     domain.WorksiteState
		waitingOn domain.Party
		since     time.Time
		next      domain.MilestoneKind
		nextAt    time.Time
		nextSeq   int
		reminders int
		stalled   bool
	}
	// Signed Fri 4 Dec 2026 (day 32): escalation Fri 11 Dec, 09:00.
	escalateAt := time.Date(2026, 12, 11, 9, 0, 0, 0, mustVancouver(t))
	checks := []struct {
		name string
		at   time.Duration
		want want
	}{
		// Just registered: the signing authority must sign; the first reminder is next.
		{"registered", time.Hour, want{domain.WorksiteAwaitingDeclaration, domain.PartySigningAuthority, at(0), domain.MilestoneReminder, at(3 * day), 1, 0, false}},
		// After the first reminder.
		{"after reminder 1", 3*day + time.Hour, want{domain.WorksiteAwaitingDeclaration, domain.PartySigningAuthority, at(0), domain.MilestoneReminder, at(7 * day), 2, 1, false}},
		// After the second reminder.
		{"after reminder 2", 8 * day, want{domain.WorksiteAwaitingDeclaration, domain.PartySigningAuthority, at(0), domain.MilestoneReminder, at(14 * day), 3, 2, false}},
		// All reminders sent: the stalled flag is next.
		{"after reminder 3", 15 * day, want{domain.WorksiteAwaitingDeclaration, domain.PartySigningAuthority, at(0), domain.MilestoneStalled, at(30 * day), 1, 3, false}},
		// Stalled: the lapse is next.
		{"stalled", 31 * day, want{domain.WorksiteAwaitingDeclaration, domain.PartySigningAuthority, at(0), domain.MilestoneLapse, at(90 * day), 1, 3, true}},
		// Signed: the team must act; escalation is next and reminders start again.
		{"signed", 32*day + time.Hour, want{domain.WorksiteAwaitingReview, domain.PartyEnrolmentTeam, at(32 * day), domain.MilestoneEscalate, escalateAt, 1, 0, false}}, // the stalled flag ends with the declaration wait,
	}
	queries := make([]*queryOutcome, len(checks))
	for i, c := range checks {
		queries[i] = h.query(c.at)
	}
	h.sign(32*day, "req-sign")
	h.decide(33*day, "req-approve", true, "")
	h.runUntil(h.input(domain.CommunityPrivatePractice), 34*day)

	for i, c := range checks {
		st := h.mustStatus(queries[i])
		w := c.want
		if st.WorksiteID != worksiteID || st.State != w.state || st.WaitingOn != w.waitingOn || !st.WaitingSince.Equal(w.since) {
			t.Errorf("%s: %s %s waiting on %q since %v; want %s %s waiting on %q since %v",
				c.name, st.WorksiteID, st.State, st.WaitingOn, st.WaitingSince, worksiteID, w.state, w.waitingOn, w.since)
		}
		if st.NextAction == "" {
			t.Errorf("%s: NextAction is empty; want what %q must do", c.name, w.waitingOn)
		}
		checkMilestone(t, c.name, st.NextMilestone, w.next, w.nextAt, w.nextSeq)
		if st.RemindersSent != w.reminders || st.Stalled != w.stalled {
			t.Errorf("%s: RemindersSent = %d, Stalled = %v; want %d, %v", c.name, st.RemindersSent, st.Stalled, w.reminders, w.stalled)
		}
	}
}

// The audit idempotency key must reach RecordAudit: without it the store
// invents a random ID and a retried activity records the event twice. (It
// did not while domain.AuditEvent.Key was tagged `json:"-"`: Temporal's
// JSON payload converter dropped it between the workflow and the activity.)
func TestWorksiteAuditKeyReachesActivity(t *testing.T) {
	h := newHarness(t)
	h.sign(1*day, "req-sign")
	h.decide(2*day, "req-approve", true, "")
	h.runUntil(h.input(domain.CommunityPrivatePractice), 3*day)
	if got, want := h.mustAudit("worksite approved").Key, "worksite/K4T6CLP/audit/decision/req-approve"; got != want {
		t.Errorf("approval audit Key = %q; want %q", got, want)
	}
	if got, want := h.mustAudit("declaration signed").Key, "worksite/K4T6CLP/audit/declaration/req-sign"; got != want {
		t.Errorf("declaration audit Key = %q; want %q", got, want)
	}
}

// An update returns only once its state is projected, so the API can answer
// reads from the projection: a client reading right after its own change
// sees it.
func TestWorksiteUpdatesProjectBeforeReturning(t *testing.T) {
	h := newHarness(t)
	signed := h.sign(1*day, "req-sign")
	joined := h.requestJoin(1*day+time.Hour, "req-join", domain.Member{Subject: "bcsc-moa-0001", Name: "Mo Assistant",
		Email: "mo@clinic.example.ca", Profession: domain.ProfMOA})
	approved := h.decide(2*day, "req-approve", true, "")
	h.runUntil(h.input(domain.CommunityPrivatePractice), 3*day)

	for name, o := range map[string]*updateOutcome{"sign": signed, "approve": approved} {
		h.mustAccepted(name, o)
		if o.projected.Seq != o.status.Seq || o.projected.State != o.status.State {
			t.Errorf("%s returned %s seq %d, but the projection then held %s seq %d", name,
				o.status.State, o.status.Seq, o.projected.State, o.projected.Seq)
		}
	}
	h.mustAccepted("request join", joined)
	if got, want := len(joined.memProjected.Membership.Requests), len(joined.mem.Requests); got != want || want != 1 {
		t.Errorf("the join request returned %d join requests, but the membership projection then held %d; want 1 in both", want, got)
	}
}
