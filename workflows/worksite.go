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
// rewrites a running enrolment's history.
type WorksiteInput struct {
	WorksiteID   string
	TypePolicy   domain.WorksiteTypePolicy
	RegisteredAt time.Time
	Schedule     domain.Schedule
	Calendar     domain.Calendar
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

// worksiteRun is one run's state. Update handlers and the main loop share
// it; Temporal runs them one at a time, so no lock is needed.
type worksiteRun struct {
	in       WorksiteInput
	st       domain.WorksiteStatus
	decision *Decision
	signer   *SignDeclaration
}

// WorksiteEnrolment is the worksite enrolment workflow: registration email,
// the wait for the signed declaration (reminders, stalled flag, lapse), then
// the wait for the enrolment team's decision (escalation, SLA breach).
func WorksiteEnrolment(ctx workflow.Context, in WorksiteInput) (domain.WorksiteStatus, error) {
	w := &worksiteRun{in: in}
	w.st = domain.WorksiteStatus{WorksiteID: in.WorksiteID, Timeline: []domain.TimelineEvent{}}
	if err := w.registerHandlers(ctx); err != nil {
		return w.st, err
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions())
	w.event(ctx, "registered", "worksite registered")

	switch in.TypePolicy.Access {
	case domain.AccessStops, domain.AccessRefused:
		w.st.Reason = in.TypePolicy.Reason
		w.enter(ctx, domain.WorksiteRegisteredOnly)
		w.email(ctx, mail.KindRegisteredOnly, activities.ToSiteAdmins, 1)
		return w.finish(ctx)
	}

	w.enter(ctx, domain.WorksiteAwaitingDeclaration)
	declMs := w.expect(domain.DeclarationMilestones(in.RegisteredAt, in.Schedule))
	w.email(ctx, mail.KindWorksiteRegistered, activities.ToSiteAdmins, 1)
	w.project(ctx)

	signed := func() bool { return w.st.State != domain.WorksiteAwaitingDeclaration }
	w.wait(ctx, declMs, signed, w.onDeclarationMilestone)
	if w.st.State == domain.WorksiteLapsed {
		return w.finish(ctx)
	}

	// The update handler moved the state to awaiting review.
	w.audit(ctx, "declaration signed", fmt.Sprintf("by %s, %s", w.signer.SignerName, w.signer.SignerTitle),
		w.signer.SignerName, "signing_authority", "declaration/"+w.signer.RequestID)
	reviewMs := w.expect(domain.TeamReviewMilestones(w.st.WaitingSince, in.Schedule, in.Calendar))
	w.email(ctx, mail.KindDeclarationReceived, activities.ToSiteAdmins, 1)
	w.project(ctx)

	decided := func() bool { return w.decision != nil }
	w.wait(ctx, reviewMs, decided, w.onReviewMilestone)

	d := w.decision
	if d.Approve {
		w.enter(ctx, domain.WorksiteApproved)
		w.audit(ctx, "worksite approved", d.Reason, d.Actor, "enrolment_team", "decision/"+d.RequestID)
		w.email(ctx, mail.KindWorksiteApproved, activities.ToSiteAdmins, 1)
	} else {
		w.st.Reason = d.Reason
		w.enter(ctx, domain.WorksiteRejected)
		w.audit(ctx, "worksite rejected", d.Reason, d.Actor, "enrolment_team", "decision/"+d.RequestID)
		w.email(ctx, mail.KindWorksiteRejected, activities.ToSiteAdmins, 1)
	}
	return w.finish(ctx)
}

func (w *worksiteRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (domain.WorksiteStatus, error) {
		return w.st, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSignDeclaration,
		func(ctx workflow.Context, s SignDeclaration) (domain.WorksiteStatus, error) {
			w.signer = &s
			w.event(ctx, "declaration_signed", fmt.Sprintf("signed by %s (%s)", s.SignerName, s.SignerTitle))
			w.enter(ctx, domain.WorksiteAwaitingReview)
			return w.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, s SignDeclaration) error {
			return appErr(domain.CanSignDeclaration(w.st.State, s.SignerName, s.SignerTitle))
		}},
	); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, d Decision) (domain.WorksiteStatus, error) {
			w.decision = &d
			if d.Approve {
				w.event(ctx, "approved", d.Reason)
			} else {
				w.event(ctx, "rejected", d.Reason)
			}
			return w.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d Decision) error {
			if w.decision != nil {
				return appErr(domain.Errorf(domain.ECONFLICT, "the enrolment team has already decided on this worksite"))
			}
			return appErr(domain.CanDecideWorksite(w.st.State, w.in.TypePolicy, d.Approve, d.Reason))
		}},
	)
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

// expect shows the first of a wait's milestones in the status at once,
// before the emails that open the wait go out.
func (w *worksiteRun) expect(ms []domain.Milestone) []domain.Milestone {
	if len(ms) > 0 {
		first := ms[0]
		w.st.NextMilestone = &first
	}
	return ms
}

// wait runs waitFor with this run's status and projection.
func (w *worksiteRun) wait(ctx workflow.Context, ms []domain.Milestone, done func() bool,
	on func(workflow.Context, domain.Milestone) bool) {
	waitFor(ctx, ms, done, func(m *domain.Milestone) { w.st.NextMilestone = m }, func(ctx workflow.Context, m domain.Milestone) bool {
		if on(ctx, m) {
			return true
		}
		w.project(ctx)
		return false
	})
}

func (w *worksiteRun) onDeclarationMilestone(ctx workflow.Context, m domain.Milestone) bool {
	switch m.Kind {
	case domain.MilestoneReminder:
		w.st.RemindersSent++
		w.event(ctx, "declaration_reminder", fmt.Sprintf("reminder %d sent to the site administrators", m.Seq))
		w.email(ctx, mail.KindDeclarationReminder, activities.ToSiteAdmins, m.Seq)
	case domain.MilestoneStalled:
		w.st.Stalled = true
		w.event(ctx, "stalled", "declaration still unsigned; flagged to the enrolment team")
		w.audit(ctx, "worksite flagged stalled", "", "system", "system", fmt.Sprintf("stalled/%d", m.Seq))
		w.email(ctx, mail.KindDeclarationStalled, activities.ToEnrolmentTeam, m.Seq)
	case domain.MilestoneLapse:
		w.st.Reason = "the Privacy & Security Declaration was not signed in time"
		w.enter(ctx, domain.WorksiteLapsed)
		w.audit(ctx, "worksite registration lapsed", w.st.Reason, "system", "system", "lapse")
		w.email(ctx, mail.KindRegistrationLapsed, activities.ToSiteAdmins, m.Seq)
		return true
	}
	return false
}

func (w *worksiteRun) onReviewMilestone(ctx workflow.Context, m domain.Milestone) bool {
	switch m.Kind {
	case domain.MilestoneEscalate:
		w.st.Escalated = true
		w.event(ctx, "review_escalated", fmt.Sprintf("waiting %d business days for the enrolment team", w.in.Schedule.TeamReviewEscalateDays))
		w.email(ctx, mail.KindReviewEscalated, activities.ToEnrolmentTeam, w.in.Schedule.TeamReviewEscalateDays)
	case domain.MilestoneBreach:
		w.st.Breached = true
		w.event(ctx, "review_sla_breached", fmt.Sprintf("waiting %d business days: SLA breached", w.in.Schedule.TeamReviewBreachDays))
		w.email(ctx, mail.KindReviewBreached, activities.ToEnrolmentTeam, w.in.Schedule.TeamReviewBreachDays)
	}
	return false
}

// enter moves to state s and starts a new wait.
func (w *worksiteRun) enter(ctx workflow.Context, s domain.WorksiteState) {
	w.st.State = s
	if s == domain.WorksiteAwaitingReview {
		w.st.Stalled = false // the declaration arrived; the stalled flag is over
	}
	w.st.WaitingSince = workflow.Now(ctx)
	w.st.RemindersSent = 0
	w.st.NextMilestone = nil
	w.st.WaitingOn, w.st.NextAction = domain.WorksiteNextAction(s, w.in.TypePolicy)
	w.st.Seq++
}

func (w *worksiteRun) event(ctx workflow.Context, kind, detail string) {
	w.st.Timeline = append(w.st.Timeline, domain.TimelineEvent{At: workflow.Now(ctx), Kind: kind, Detail: detail})
	w.st.Seq++
}

// finish projects the final status, lets running update handlers complete, and returns.
func (w *worksiteRun) finish(ctx workflow.Context) (domain.WorksiteStatus, error) {
	w.st.NextMilestone = nil
	w.project(ctx)
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	return w.st, nil
}

func (w *worksiteRun) key(parts ...string) string {
	return "worksite/" + w.in.WorksiteID + "/" + strings.Join(parts, "/")
}

// email sends one email; its key makes a retried or replayed send a no-op.
func (w *worksiteRun) email(ctx workflow.Context, kind mail.Kind, to activities.Recipients, seq int) {
	in := activities.WorksiteEmailInput{
		Key: w.key(string(kind), fmt.Sprint(seq)), Kind: kind, WorksiteID: w.in.WorksiteID, To: to, Seq: seq,
		Reason: w.st.Reason,
	}
	if w.signer != nil {
		in.SignerName, in.SignerTitle = w.signer.SignerName, w.signer.SignerTitle
	}
	if kind == mail.KindDeclarationReminder {
		in.Deadline = w.in.RegisteredAt.Add(time.Duration(w.in.Schedule.DeclarationLapseAfter))
	}
	ectx := workflow.WithScheduleToCloseTimeout(ctx, emailScheduleToClose)
	var a *activities.Activities
	if err := workflow.ExecuteActivity(ectx, a.SendWorksiteEmail, in).Get(ctx, nil); err != nil {
		// The send was retried for a week or refused permanently; the
		// enrolment goes on and the email log shows the failure.
		workflow.GetLogger(ctx).Error("worksite email not delivered", "kind", kind, "error", err)
		w.event(ctx, "email_failed", string(kind))
	}
}

func (w *worksiteRun) project(ctx workflow.Context) {
	var a *activities.Activities
	if err := workflow.ExecuteActivity(ctx, a.ProjectWorksiteStatus, w.st).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("worksite status projection failed", "error", err)
	}
}

func (w *worksiteRun) audit(ctx workflow.Context, action, detail, actor, role, key string) {
	e := domain.AuditEvent{Key: w.key("audit", key), At: workflow.Now(ctx), Actor: actor, Role: role,
		WorksiteID: w.in.WorksiteID, Subject: "worksite:" + w.in.WorksiteID, Action: action, Detail: detail}
	if w.decision != nil && strings.HasPrefix(key, "decision/") {
		e.RequestID = w.decision.RequestID
	} else if w.signer != nil && strings.HasPrefix(key, "declaration/") {
		e.RequestID = w.signer.RequestID
	}
	var a *activities.Activities
	if err := workflow.ExecuteActivity(ctx, a.RecordAudit, e).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("audit record failed", "error", err)
	}
}

func activityOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: activityStartToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        activityMaxInterval,
			NonRetryableErrorTypes: []string{domain.EINVALID, domain.ENOTFOUND},
		},
		ScheduleToCloseTimeout: 24 * time.Hour,
	}
}
