package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
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
	// RegisterBy is when a run that has not heard of its register update
	// gives up on it (zero: at once). The API sends the update with the
	// start, so a run normally has it in its first task.
	RegisterBy time.Time `json:",omitempty"`
	Carry      *WorksiteState
}

// WorksiteState is a worksite workflow's state: what its handlers and
// timers change, and what continue-as-new hands to the next run, whole.
type WorksiteState struct {
	Status     domain.WorksiteStatus
	Membership domain.Membership
	// TypePolicy is the worksite type's policy row (the team may reclassify it).
	TypePolicy domain.WorksiteTypePolicy
	// Milestones are the current enrolment wait's; NextIndex is the next to come.
	Milestones []domain.Milestone
	NextIndex  int
	Signer     *SignDeclaration
	Decision   *Decision
	// MembershipSeq numbers membership changes (and projections) across runs.
	MembershipSeq int
	// NoticeSeq numbers the member notices sent, across runs.
	NoticeSeq int
	// ProfileSeqs is, by person, the Seq of the last member profile notice
	// applied (applyProfile). Only lookups: no map iteration.
	ProfileSeqs map[string]int `json:",omitempty"`
	// Calendar is the business calendar last pushed (SignalCalendarChanged);
	// nil until one is, when the input's counts.
	Calendar *domain.Calendar `json:",omitempty"`
	// Registered is set once the register update stored the worksite.
	Registered bool `json:",omitempty"`
}

// RegisterWorksite is the argument of UpdateRegister, which the API sends
// with the workflow's start (update-with-start): the workflow stores the
// worksite (Write.Worksite) in its first projection write, so the row
// exists exactly when its workflow took it. NotAfter: see notAfter.
type RegisterWorksite struct {
	Write     domain.Write
	NotAfter  time.Time
	RequestID string
}

// SignDeclaration is the argument of UpdateSignDeclaration. Write (a
// DeclarationWrite) makes the declaration from the upload the API staged,
// in the projection write that records the signing.
type SignDeclaration struct {
	SignerName  string
	SignerTitle string
	SignedAt    time.Time
	RequestID   string
	Write       *domain.Write `json:",omitempty"`
	NotAfter    time.Time
}

// Decision is the argument of UpdateDecide.
type Decision struct {
	Approve   bool
	Reason    string
	Actor     string
	RequestID string
	// NotAfter: see notAfter.
	NotAfter time.Time
}

// maxWorksiteEventsPerRun bounds a run's history even when the server never
// suggests continue-as-new: membership events would otherwise grow it forever.
const maxWorksiteEventsPerRun = 400

// worksiteRun is one run: the state it carries, and its effects. Update
// handlers and the main loop share it; Temporal runs them one at a time,
// so no lock is needed.
type worksiteRun struct {
	WorksiteState
	in WorksiteInput
	fx effects
	// events counts membership and worksite changes in this run, for continue-as-new.
	events int
	// statusWritten and memWritten are the status Seq and MembershipSeq
	// last written (-1: none yet in this run).
	statusWritten, memWritten int
	// timer is the main loop's deadline.
	timer deadline
}

// WorksiteEnrolment is a worksite's whole life: the enrolment (declaration,
// team review, with their reminders, flags and deadlines) and, alongside,
// its membership (join requests, invitations, members, locum end dates).
// It ends when the worksite is rejected, lapses or closes.
func WorksiteEnrolment(ctx workflow.Context, in WorksiteInput) (domain.WorksiteStatus, error) {
	w := &worksiteRun{in: in, statusWritten: -1, memWritten: -1}
	if in.Carry != nil {
		w.WorksiteState = *in.Carry
		w.Registered = true
	} else {
		w.Status = domain.WorksiteStatus{WorksiteID: in.WorksiteID, Timeline: []domain.TimelineEvent{}}
		w.TypePolicy = in.TypePolicy
	}
	if err := w.registerHandlers(ctx); err != nil {
		return w.Status, err
	}
	if w.ProfileSeqs == nil {
		w.ProfileSeqs = map[string]int{}
	}
	calendars := workflow.GetSignalChannel(ctx, SignalCalendarChanged)
	receiveCalendars(ctx, calendars, &w.fx, w.changeCalendar)
	profiles := workflow.GetSignalChannel(ctx, SignalMemberProfileChanged)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var n domain.MemberProfileNotice
			profiles.Receive(ctx, &n)
			if w.applyProfile(ctx, n) {
				w.fx.mark()
			}
		}
	})
	for {
		w.fx.flush(ctx, w)
		if !w.Registered {
			// The register update comes with the start, in the first
			// task, or never (its validator refused it after NotAfter):
			// a worksite whose registration did not happen ends here, and
			// no row of it exists.
			if wait := w.in.RegisterBy.Sub(workflow.Now(ctx)); wait > 0 && workflow.AllHandlersFinished(ctx) {
				if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return !workflow.AllHandlersFinished(ctx) }); err != nil {
					return w.Status, err
				}
			}
			if err := workflow.Await(ctx, func() bool { return w.Registered || workflow.AllHandlersFinished(ctx) }); err != nil {
				return w.Status, err
			}
			if !w.Registered {
				return w.Status, nil
			}
			continue
		}
		if w.Status.State.Ended() {
			return w.finish(ctx)
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || w.events >= maxWorksiteEventsPerRun {
			if err := w.fx.drain(ctx, w); err != nil {
				return w.Status, err
			}
			drainCalendars(ctx, calendars, w.changeCalendar)
			for {
				var n domain.MemberProfileNotice
				if !profiles.ReceiveAsync(&n) {
					break
				}
				w.applyProfile(ctx, n)
			}
			next, carry := in, w.WorksiteState
			next.Carry = &carry
			return w.Status, workflow.NewContinueAsNewError(ctx, WorksiteWorkflowName, next)
		}
		at, ok := w.nextDeadline()
		if !overdue(ctx, at, ok) {
			w.timer.set(ctx, at, ok)
			if err := workflow.Await(ctx, func() bool { return w.fx.pending() || w.timer.fired() }); err != nil {
				return w.Status, err
			}
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
		w.Membership.Members = append(w.Membership.Members, r)
		w.MembershipSeq++
	}
	if startState(w.TypePolicy) == domain.WorksiteRegisteredOnly {
		w.Status.Reason = w.TypePolicy.Reason
		w.enter(ctx, domain.WorksiteRegisteredOnly)
		w.email(domain.MailRegisteredOnly, domain.ToSiteAdmins, 1, nil)
		return
	}
	w.enter(ctx, domain.WorksiteAwaitingDeclaration)
	w.expect(domain.DeclarationMilestones(w.in.RegisteredAt, w.in.Schedule))
	w.email(domain.MailWorksiteRegistered, domain.ToSiteAdmins, 1, nil)
}

// startState is the state a worksite of type p enters at registration:
// types whose access is "stops" (No Clinical Apps) or "refused" (Health
// Authority Clinic) end their enrolment there.
func startState(p domain.WorksiteTypePolicy) domain.WorksiteState {
	switch p.Access {
	case domain.AccessStops, domain.AccessRefused:
		return domain.WorksiteRegisteredOnly
	}
	return domain.WorksiteAwaitingDeclaration
}

// nextDeadline is the earliest enrolment milestone or membership deadline.
func (w *worksiteRun) nextDeadline() (time.Time, bool) {
	next, ok := w.Membership.NextMembershipDeadline(w.in.Schedule, w.calendar())
	if w.NextIndex < len(w.Milestones) && (!ok || w.Milestones[w.NextIndex].At.Before(next)) {
		return w.Milestones[w.NextIndex].At, true
	}
	return next, ok
}

// fireDue handles every milestone and membership deadline that has come.
func (w *worksiteRun) fireDue(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for w.NextIndex < len(w.Milestones) && !w.Milestones[w.NextIndex].At.After(now) && !w.Status.State.Ended() {
		m := w.Milestones[w.NextIndex]
		w.NextIndex++
		w.setNextMilestone()
		w.onMilestone(ctx, m)
	}
	w.fireMembershipDeadlines(ctx, now)
}

func (w *worksiteRun) onMilestone(ctx workflow.Context, m domain.Milestone) {
	switch {
	case w.Status.State == domain.WorksiteAwaitingDeclaration && m.Kind == domain.MilestoneReminder:
		w.Status.RemindersSent++
		w.event(ctx, "declaration_reminder", fmt.Sprintf("reminder %d sent to the site administrators", m.Seq))
		w.email(domain.MailDeclarationReminder, domain.ToSiteAdmins, m.Seq, func(in *domain.WorksiteEmail) {
			in.Deadline = w.in.RegisteredAt.Add(time.Duration(w.in.Schedule.DeclarationLapseAfter))
		})
	case m.Kind == domain.MilestoneStalled:
		w.Status.Stalled = true
		w.event(ctx, "stalled", "declaration still unsigned; flagged to the enrolment team")
		w.audit(ctx, "worksite flagged stalled", "", "system", "system", fmt.Sprintf("stalled/%d", m.Seq))
		w.email(domain.MailDeclarationStalled, domain.ToEnrolmentTeam, m.Seq, nil)
	case m.Kind == domain.MilestoneLapse:
		w.Status.Reason = "the Privacy & Security Declaration was not signed in time"
		w.enter(ctx, domain.WorksiteLapsed)
		w.audit(ctx, "worksite registration lapsed", w.Status.Reason, "system", "system", "lapse")
		w.email(domain.MailRegistrationLapsed, domain.ToSiteAdmins, m.Seq, nil)
	case m.Kind == domain.MilestoneEscalate:
		w.Status.Escalated = true
		w.event(ctx, "review_escalated", fmt.Sprintf("waiting %d business days for the enrolment team", w.in.Schedule.TeamReviewEscalateDays))
		w.email(domain.MailReviewEscalated, domain.ToEnrolmentTeam, w.in.Schedule.TeamReviewEscalateDays, nil)
	case m.Kind == domain.MilestoneBreach:
		w.Status.Breached = true
		w.event(ctx, "review_sla_breached", fmt.Sprintf("waiting %d business days: SLA breached", w.in.Schedule.TeamReviewBreachDays))
		w.email(domain.MailReviewBreached, domain.ToEnrolmentTeam, w.in.Schedule.TeamReviewBreachDays, nil)
	}
}

// expect starts a new wait with ms and shows its first milestone at once.
func (w *worksiteRun) expect(ms []domain.Milestone) {
	w.Milestones, w.NextIndex = ms, 0
	w.setNextMilestone()
}

func (w *worksiteRun) setNextMilestone() {
	w.Status.NextMilestone = nil
	if w.NextIndex < len(w.Milestones) {
		m := w.Milestones[w.NextIndex]
		w.Status.NextMilestone = &m
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
	w.Status.State = s
	if s == domain.WorksiteAwaitingReview {
		w.Status.Stalled = false // the declaration arrived; the stalled flag is over
	}
	w.Status.WaitingSince = workflow.Now(ctx)
	w.Status.RemindersSent = 0
	w.Milestones, w.NextIndex, w.Status.NextMilestone = nil, 0, nil
	w.Status.WaitingOn, w.Status.NextAction = domain.WorksiteNextAction(s, w.TypePolicy)
	w.Status.Seq++
}

func (w *worksiteRun) event(ctx workflow.Context, kind, detail string) {
	w.Status.Timeline = append(w.Status.Timeline, domain.TimelineEvent{At: workflow.Now(ctx), Kind: kind, Detail: detail})
	w.Status.Seq++
}

// finish lets running update handlers complete, writes the last change
// (and queues the last emails), and returns. A timer still pending ends with the run.
func (w *worksiteRun) finish(ctx workflow.Context) (domain.WorksiteStatus, error) {
	w.Status.NextMilestone = nil
	if err := w.fx.drain(ctx, w); err != nil {
		return w.Status, err
	}
	return w.Status, nil
}

func (w *worksiteRun) key(parts ...string) string {
	return "worksite/" + w.in.WorksiteID + "/" + strings.Join(parts, "/")
}

// email queues one email for the outbox; its key makes it one email
// however often the write that stores it is retried or replayed.
func (w *worksiteRun) email(kind domain.MailKind, to domain.Recipients, seq int, edit func(*domain.WorksiteEmail)) {
	in := domain.WorksiteEmail{
		Key: w.key(string(kind), fmt.Sprint(seq)), Kind: kind, WorksiteID: w.in.WorksiteID, To: to, Seq: seq,
		Reason: w.Status.Reason,
	}
	if to == domain.ToSiteAdmins {
		in.Recipients = w.adminPeople()
	}
	if w.Signer != nil {
		in.SignerName, in.SignerTitle = w.Signer.SignerName, w.Signer.SignerTitle
	}
	if edit != nil {
		edit(&in)
	}
	in.RecipientSubjects = domain.RecipientSubjects(in.Recipients)
	w.fx.email(domain.Email{Worksite: &in})
}

func (w *worksiteRun) adminPeople() []domain.Person {
	var out []domain.Person
	for _, x := range w.Membership.Members {
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
	w.fx.audit(e)
}

// changes is the projection of what changed since the last write: the
// status when its Seq moved, the membership when MembershipSeq did.
func (w *worksiteRun) changes() (domain.Projection, func()) {
	var p domain.Projection
	if !w.Registered {
		return p, func() {} // no row yet: only the register write
	}
	seq, memSeq := w.Status.Seq, w.MembershipSeq
	if seq != w.statusWritten {
		st := w.Status
		p.Worksite = &st
	}
	if memSeq != w.memWritten {
		p.Membership = &domain.MembershipProjection{WorksiteID: w.in.WorksiteID, Membership: w.Membership, Seq: memSeq}
	}
	return p, func() { w.statusWritten, w.memWritten = seq, memSeq }
}

func (w *worksiteRun) visibility() domain.Visibility { return w.Status.Visibility() }
