package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/activities"
	"careconnect/domain"
	"careconnect/mail"
)

// WorksiteInput starts a worksite enrolment. The policy in force at
// registration travels with the workflow, so a configuration change never
// rewrites a running enrolment's history. Carry is set by continue-as-new.
type WorksiteInput struct {
	WorksiteID   string
	TypePolicy   domain.WorksiteTypePolicy
	RegisteredAt time.Time
	Schedule     domain.Schedule
	Calendar     domain.Calendar
	// Registrant becomes the first active administrator.
	Registrant domain.Member
	Carry      *WorksiteCarry
}

// WorksiteCarry is the state a worksite workflow hands to its next run.
type WorksiteCarry struct {
	Status     domain.WorksiteStatus
	Membership domain.Membership
	TypePolicy domain.WorksiteTypePolicy
	Milestones []domain.Milestone
	NextIndex  int
	Signer     *SignDeclaration
	Decision   *Decision
	// MembershipSeq numbers membership projections across runs.
	MembershipSeq int
}

// SignDeclaration is the argument of UpdateSignDeclaration. The declaration
// itself (with its screenshot) is already stored by the API.
type SignDeclaration struct {
	SignerName  string
	SignerTitle string
	SignedAt    time.Time
	RequestID   string
}

// Decision is the argument of UpdateDecide.
type Decision struct {
	Approve   bool
	Reason    string
	Actor     string
	RequestID string
}

// maxWorksiteEventsPerRun bounds a run's history even when the server never
// suggests continue-as-new: membership events would otherwise grow it forever.
const maxWorksiteEventsPerRun = 400

// effect is one side effect a handler or timer asked for. The main loop
// runs them in order, so handlers stay synchronous and validators pure.
type effect struct {
	email  *activities.WorksiteEmailInput
	audit  *domain.AuditEvent
	notify *MembershipNotice
}

// worksiteRun is one run's state. Update handlers and the main loop share
// it; Temporal runs them one at a time, so no lock is needed.
type worksiteRun struct {
	in        WorksiteInput
	st        domain.WorksiteStatus
	mem       domain.Membership
	policy    domain.WorksiteTypePolicy
	ms        []domain.Milestone // the current enrolment wait's milestones
	next      int                // index of the next milestone in ms
	decision  *Decision
	signer    *SignDeclaration
	effects   []effect
	events    int // handled in this run, for continue-as-new
	memSeq    int
	projected int // st.Seq + memSeq at the last projection
	// visible is what the search attributes last showed.
	visible domain.Visibility
	// local: this run writes locally and settles each update's writes in
	// its handler (changeLocalWrites); handled counts those handlers, so the
	// main loop wakes to re-plan its deadlines after each.
	local   bool
	handled int
	// written is st.Seq + memSeq at the last projection that has finished;
	// statusWritten and memWritten are the Seq and memSeq last written
	// (local runs write only the one that changed; -1: none yet).
	written                   int
	statusWritten, memWritten int
	// timer is the main loop's deadline timer in runs that write locally
	// (nil before: deadline.until then waits as those runs did).
	timer *deadline
}

// WorksiteEnrolment is a worksite's whole life: the enrolment (declaration,
// team review, with their reminders, flags and deadlines) and, alongside,
// its membership (join requests, invitations, members, locum end dates).
// It ends when the worksite is rejected, lapses or closes.
func WorksiteEnrolment(ctx workflow.Context, in WorksiteInput) (domain.WorksiteStatus, error) {
	w := &worksiteRun{in: in, policy: in.TypePolicy, statusWritten: -1, memWritten: -1}
	w.local = writesLocally(ctx)
	if w.local {
		w.timer = &deadline{}
	}
	if c := in.Carry; c != nil {
		w.st, w.mem, w.policy, w.ms, w.next = c.Status, c.Membership, c.TypePolicy, c.Milestones, c.NextIndex
		w.signer, w.decision, w.memSeq = c.Signer, c.Decision, c.MembershipSeq
	} else {
		w.st = domain.WorksiteStatus{WorksiteID: in.WorksiteID, Timeline: []domain.TimelineEvent{}}
	}
	// begin only changes state and queues effects; it runs before the
	// handlers exist, because updates buffered in the first task run as soon
	// as their handler is registered and must see a registered worksite.
	if in.Carry == nil {
		w.begin(ctx)
	}
	if err := w.registerHandlers(ctx); err != nil {
		return w.st, err
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions())
	for {
		w.flush(ctx)
		if w.st.State.Ended() {
			return w.finish(ctx)
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || w.events >= maxWorksiteEventsPerRun {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.st, err
			}
			w.flush(ctx) // effects of handlers that finished while we waited
			next := in
			next.Carry = &WorksiteCarry{Status: w.st, Membership: w.mem, TypePolicy: w.policy, Milestones: w.ms,
				NextIndex: w.next, Signer: w.signer, Decision: w.decision, MembershipSeq: w.memSeq}
			return w.st, workflow.NewContinueAsNewError(ctx, WorksiteWorkflowName, next)
		}
		seen := w.handled
		if err := w.sleep(ctx, func() bool { return len(w.effects) > 0 || w.handled != seen }); err != nil {
			return w.st, err
		}
		w.fireDue(ctx)
	}
}

// begin records the registration, emails the administrator and opens the
// declaration wait (or ends enrolment for types without access).
func (w *worksiteRun) begin(ctx workflow.Context) {
	w.event(ctx, "registered", "worksite registered")
	if r := w.in.Registrant; r.Subject != "" {
		r.Admin, r.Active, r.Since = true, true, workflow.Now(ctx)
		w.mem.Members = append(w.mem.Members, r)
		w.memSeq++
	}
	switch w.policy.Access {
	case domain.AccessStops, domain.AccessRefused:
		w.st.Reason = w.policy.Reason
		w.enter(ctx, domain.WorksiteRegisteredOnly)
		w.email(mail.KindRegisteredOnly, activities.ToSiteAdmins, 1, nil)
		return
	}
	w.enter(ctx, domain.WorksiteAwaitingDeclaration)
	w.expect(domain.DeclarationMilestones(w.in.RegisteredAt, w.in.Schedule))
	w.email(mail.KindWorksiteRegistered, activities.ToSiteAdmins, 1, nil)
}

// sleep waits until woken() or the next deadline, if any.
func (w *worksiteRun) sleep(ctx workflow.Context, woken func() bool) error {
	at, ok := w.nextDeadline()
	_, err := w.timer.until(ctx, at, ok, woken)
	return err
}

// nextDeadline is the earliest enrolment milestone or membership deadline.
func (w *worksiteRun) nextDeadline() (time.Time, bool) {
	next, ok := w.mem.NextMembershipDeadline(w.in.Schedule, w.in.Calendar)
	if w.next < len(w.ms) && (!ok || w.ms[w.next].At.Before(next)) {
		return w.ms[w.next].At, true
	}
	return next, ok
}

// fireDue handles every milestone and membership deadline that has come.
func (w *worksiteRun) fireDue(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for w.next < len(w.ms) && !w.ms[w.next].At.After(now) && !w.st.State.Ended() {
		m := w.ms[w.next]
		w.next++
		w.setNextMilestone()
		w.onMilestone(ctx, m)
	}
	w.fireMembershipDeadlines(ctx, now)
}

func (w *worksiteRun) onMilestone(ctx workflow.Context, m domain.Milestone) {
	switch {
	case w.st.State == domain.WorksiteAwaitingDeclaration && m.Kind == domain.MilestoneReminder:
		w.st.RemindersSent++
		w.event(ctx, "declaration_reminder", fmt.Sprintf("reminder %d sent to the site administrators", m.Seq))
		w.email(mail.KindDeclarationReminder, activities.ToSiteAdmins, m.Seq, func(in *activities.WorksiteEmailInput) {
			in.Deadline = w.in.RegisteredAt.Add(time.Duration(w.in.Schedule.DeclarationLapseAfter))
		})
	case m.Kind == domain.MilestoneStalled:
		w.st.Stalled = true
		w.event(ctx, "stalled", "declaration still unsigned; flagged to the enrolment team")
		w.audit(ctx, "worksite flagged stalled", "", "system", "system", fmt.Sprintf("stalled/%d", m.Seq))
		w.email(mail.KindDeclarationStalled, activities.ToEnrolmentTeam, m.Seq, nil)
	case m.Kind == domain.MilestoneLapse:
		w.st.Reason = "the Privacy & Security Declaration was not signed in time"
		w.enter(ctx, domain.WorksiteLapsed)
		w.audit(ctx, "worksite registration lapsed", w.st.Reason, "system", "system", "lapse")
		w.email(mail.KindRegistrationLapsed, activities.ToSiteAdmins, m.Seq, nil)
	case m.Kind == domain.MilestoneEscalate:
		w.st.Escalated = true
		w.event(ctx, "review_escalated", fmt.Sprintf("waiting %d business days for the enrolment team", w.in.Schedule.TeamReviewEscalateDays))
		w.email(mail.KindReviewEscalated, activities.ToEnrolmentTeam, w.in.Schedule.TeamReviewEscalateDays, nil)
	case m.Kind == domain.MilestoneBreach:
		w.st.Breached = true
		w.event(ctx, "review_sla_breached", fmt.Sprintf("waiting %d business days: SLA breached", w.in.Schedule.TeamReviewBreachDays))
		w.email(mail.KindReviewBreached, activities.ToEnrolmentTeam, w.in.Schedule.TeamReviewBreachDays, nil)
	}
}

// expect starts a new wait with ms and shows its first milestone at once.
func (w *worksiteRun) expect(ms []domain.Milestone) {
	w.ms, w.next = ms, 0
	w.setNextMilestone()
}

func (w *worksiteRun) setNextMilestone() {
	w.st.NextMilestone = nil
	if w.next < len(w.ms) {
		m := w.ms[w.next]
		w.st.NextMilestone = &m
	}
}

// appErr turns a domain error into an application error whose type is the
// domain code, so the API can map a rejected update to 409 or 422.
func appErr(err error) error {
	if err == nil {
		return nil
	}
	var fields map[string]string
	if de, ok := err.(*domain.Error); ok {
		fields = de.Fields
	}
	return temporal.NewNonRetryableApplicationError(domain.ErrorMessage(err), domain.ErrorCode(err), nil, fields)
}

// enter moves to state s and starts a new wait.
func (w *worksiteRun) enter(ctx workflow.Context, s domain.WorksiteState) {
	w.st.State = s
	if s == domain.WorksiteAwaitingReview {
		w.st.Stalled = false // the declaration arrived; the stalled flag is over
	}
	w.st.WaitingSince = workflow.Now(ctx)
	w.st.RemindersSent = 0
	w.ms, w.next, w.st.NextMilestone = nil, 0, nil
	w.st.WaitingOn, w.st.NextAction = domain.WorksiteNextAction(s, w.policy)
	w.st.Seq++
}

func (w *worksiteRun) event(ctx workflow.Context, kind, detail string) {
	w.st.Timeline = append(w.st.Timeline, domain.TimelineEvent{At: workflow.Now(ctx), Kind: kind, Detail: detail})
	w.st.Seq++
}

// finish lets running update handlers complete, projects, and returns.
func (w *worksiteRun) finish(ctx workflow.Context) (domain.WorksiteStatus, error) {
	w.st.NextMilestone = nil
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	w.flush(ctx) // projects only if something changed since the loop's flush
	return w.st, nil
}

func (w *worksiteRun) key(parts ...string) string {
	return "worksite/" + w.in.WorksiteID + "/" + strings.Join(parts, "/")
}

// email queues one email; its key makes a retried or replayed send a no-op.
func (w *worksiteRun) email(kind mail.Kind, to activities.Recipients, seq int, edit func(*activities.WorksiteEmailInput)) {
	in := activities.WorksiteEmailInput{
		Key: w.key(string(kind), fmt.Sprint(seq)), Kind: kind, WorksiteID: w.in.WorksiteID, To: to, Seq: seq,
		Reason: w.st.Reason,
	}
	if to == activities.ToSiteAdmins {
		in.Recipients = w.adminPeople()
	}
	if w.signer != nil {
		in.SignerName, in.SignerTitle = w.signer.SignerName, w.signer.SignerTitle
	}
	if edit != nil {
		edit(&in)
	}
	w.effects = append(w.effects, effect{email: &in})
}

func (w *worksiteRun) adminPeople() []domain.Person {
	var out []domain.Person
	for _, x := range w.mem.Members {
		if x.Active && x.Admin {
			out = append(out, domain.Person{Name: x.Name, Email: x.Email, Subject: x.Subject})
		}
	}
	return out
}

// audit queues an audit record; key makes it idempotent, requestID ties it
// to the API request that caused it ("" for timers).
func (w *worksiteRun) audit(ctx workflow.Context, action, detail, actor, role, key string, requestID ...string) {
	e := domain.AuditEvent{Key: w.key("audit", key), At: workflow.Now(ctx), Actor: actor, Role: role,
		WorksiteID: w.in.WorksiteID, Subject: "worksite:" + w.in.WorksiteID, Action: action, Detail: detail}
	if len(requestID) > 0 {
		e.RequestID = requestID[0]
	}
	w.effects = append(w.effects, effect{audit: &e})
}

// flush runs the queued effects, then projects the status once. Runs
// before the local-writes change ran them one after another; later runs
// start every queued effect at once, project while they run (so a change
// made outside an update handler, such as the registration or a timer's,
// is readable without waiting on SMTP), and then wait for each, so a
// member's notice does not wait on an email's delivery either.
func (w *worksiteRun) flush(ctx workflow.Context) {
	for len(w.effects) > 0 {
		if !w.local {
			e := w.effects[0]
			w.effects = w.effects[1:]
			w.settled(ctx, e, w.start(ctx, e).Get(ctx, nil))
			continue
		}
		batch := w.effects
		w.effects = nil // handlers may queue more while these run
		started := make([]workflow.Future, len(batch))
		for i, e := range batch {
			started[i] = w.start(ctx, e)
		}
		w.projectChanged(ctx)
		for i, f := range started {
			w.settled(ctx, batch[i], f.Get(ctx, nil))
		}
	}
	w.projectChanged(ctx)
}

// start starts one effect.
func (w *worksiteRun) start(ctx workflow.Context, e effect) workflow.Future {
	var a *activities.Activities
	switch {
	case e.email != nil:
		return workflow.ExecuteActivity(workflow.WithScheduleToCloseTimeout(ctx, emailScheduleToClose), a.SendWorksiteEmail, *e.email)
	case e.audit != nil:
		return startWrite(ctx, w.local, a.RecordAudit, *e.audit)
	default:
		return workflow.SignalExternalWorkflow(ctx, UserWorkflowID(e.notify.Subject), "", SignalMembershipChanged, *e.notify)
	}
}

// settled records the outcome of one effect.
func (w *worksiteRun) settled(ctx workflow.Context, e effect, err error) {
	if err == nil {
		return
	}
	switch {
	case e.email != nil:
		// Retried for a week or refused permanently; the email log shows it.
		workflow.GetLogger(ctx).Error("worksite email not delivered", "kind", e.email.Kind, "error", err)
		w.event(ctx, "email_failed", string(e.email.Kind))
	case e.audit != nil:
		workflow.GetLogger(ctx).Error("audit record failed", "error", err)
	default:
		// The person has no enrolment workflow (never signed in): nothing to tell.
		workflow.GetLogger(ctx).Info("member notice not delivered", "error", err)
	}
}

// projectChanged projects unless nothing changed since the last projection.
func (w *worksiteRun) projectChanged(ctx workflow.Context) {
	if w.st.Seq+w.memSeq != w.projected {
		w.project(ctx)
	}
}

func (w *worksiteRun) project(ctx workflow.Context) {
	var a *activities.Activities
	sum := w.st.Seq + w.memSeq
	w.projected = sum
	upsertVisibility(ctx, &w.visible, w.st.Visibility())
	if seq := w.st.Seq; !w.local || seq != w.statusWritten {
		if err := write(ctx, w.local, a.ProjectWorksiteStatus, w.st); err != nil {
			workflow.GetLogger(ctx).Error("worksite status projection failed", "error", err)
		} else {
			w.statusWritten = seq
		}
	}
	if seq := w.memSeq; !w.local || seq != w.memWritten {
		in := activities.MembershipProjection{WorksiteID: w.in.WorksiteID, Membership: w.mem, Seq: seq}
		if err := write(ctx, w.local, a.ProjectMembership, in); err != nil {
			workflow.GetLogger(ctx).Error("membership projection failed", "error", err)
		} else {
			w.memWritten = seq
		}
	}
	w.written = max(w.written, sum)
}

// settle writes what an update handler changed before the update returns,
// in a run that writes locally: the audit records it queued, then the
// projections. Its emails and member notices stay queued for the main loop,
// which wakes for them (or, with none, to re-plan its deadlines).
func (w *worksiteRun) settle(ctx workflow.Context) {
	if !w.local {
		return
	}
	w.handled++
	var audits []domain.AuditEvent
	rest := make([]effect, 0, len(w.effects))
	for _, e := range w.effects {
		if e.audit != nil {
			audits = append(audits, *e.audit)
		} else {
			rest = append(rest, e)
		}
	}
	w.effects = rest
	var a *activities.Activities
	for _, e := range audits {
		if err := write(ctx, true, a.RecordAudit, e); err != nil {
			workflow.GetLogger(ctx).Error("audit record failed", "error", err)
		}
	}
	// The main loop may already be projecting this change: wait for it.
	target := w.st.Seq + w.memSeq
	w.projectChanged(ctx)
	_ = workflow.Await(ctx, func() bool { return w.written >= target })
}

func activityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    activityStartToClose,
		RetryPolicy:            retryPolicy(),
		ScheduleToCloseTimeout: activityScheduleToClose,
	}
}
