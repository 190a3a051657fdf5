package workflows

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/activities"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
)

// UserInput starts (or continues) a person's enrolment. Carry is set by
// continue-as-new and holds the state to resume from.
type UserInput struct {
	Subject  string
	Schedule domain.Schedule
	// Calendar counts business days for sponsorship reminders and the SLA.
	Calendar domain.Calendar
	Carry    *UserCarry
}

// UserCarry is the state a user workflow hands to its next run.
type UserCarry struct {
	Status            domain.UserStatus
	PasswordChangedAt time.Time
	// LearningHubEventIDs are the LearningHub events already applied, so
	// that a redelivered event changes nothing.
	LearningHubEventIDs []string
	// Profession is the policy row applications are judged with.
	Profession domain.Profession
}

// LearningHubEvent is the payload of SignalLearningHub: a LearningHub
// event that counts for CareConnect (the API filters the rest). Its Type
// is learninghub.TypeCourseCompleted or learninghub.TypeAgreementAcknowledged.
type LearningHubEvent struct {
	EventID    string
	Type       string
	CourseCode string
	OccurredAt time.Time
}

// IdentityValidated is the argument of UpdateIdentityValidated: the BCSC
// sign-in. The first one starts the workflow (update-with-start).
type IdentityValidated struct {
	LegalFirstName string
	LegalLastName  string
	At             time.Time
}

// AccountRegistered is the argument of UpdateAccountRegistered; the API
// has stored the account.
type AccountRegistered struct {
	Username   string
	Profession string
	At         time.Time
	RequestID  string
	// EmailConfirmation, when set, sends the first link to confirm the
	// account's address (registrations before addresses were confirmed
	// carry none).
	EmailConfirmation *EmailConfirmationRequest
}

// PasswordChanged is the argument of UpdatePasswordChanged.
type PasswordChanged struct {
	At        time.Time
	RequestID string
}

// ProfessionChanged is the argument of UpdateProfessionChanged.
type ProfessionChanged struct {
	From, To  string
	Actor     string
	Reason    string
	RequestID string
}

// maxUserHistory bounds a run's history even if the server never suggests
// continue-as-new; password cycles would otherwise grow it forever.
const maxUserHistory = 2000

type userRun struct {
	in                UserInput
	st                domain.UserStatus
	passwordChangedAt time.Time
	// learningHubIDs are the applied LearningHub event IDs, in arrival order.
	learningHubIDs []string
	// profession is the policy row the applications were judged with.
	profession domain.Profession
	// appChanges counts changes to applications; the timer loop wakes on it.
	appChanges int
	// visible is what the search attributes last showed.
	visible domain.Visibility
	// local: this run writes locally and projects in its update handlers (changeLocalWrites).
	local bool
	// outbox holds the emails queued for sendOutbox, oldest first (local
	// runs); mailCtx is the run's context with its activity options, on
	// which the sender starts.
	outbox  []activities.UserEmailInput
	mailCtx workflow.Context
	// passwordTimer is the password cycles' deadline timer (local runs).
	passwordTimer deadline
	// written is a hash of the status last projected (local runs skip
	// projecting the same status twice).
	written uint64
}

// UserEnrolment is one person's enrolment: identity validated, then the
// HxBC account, then the password's life (reminders before expiry, expiry,
// reset), continued as new when its history grows.
func UserEnrolment(ctx workflow.Context, in UserInput) (domain.UserStatus, error) {
	u := &userRun{in: in, st: domain.UserStatus{Subject: in.Subject, Timeline: []domain.TimelineEvent{}}}
	u.local = writesLocally(ctx)
	u.mailCtx = workflow.WithActivityOptions(ctx, activityOptions()) // before any handler can queue an email
	if in.Carry != nil {
		u.st, u.passwordChangedAt = in.Carry.Status, in.Carry.PasswordChangedAt
		u.learningHubIDs = append([]string(nil), in.Carry.LearningHubEventIDs...)
		u.profession = in.Carry.Profession
	}
	if err := u.registerHandlers(ctx); err != nil {
		return u.st, err
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions())
	notices := workflow.GetSignalChannel(ctx, SignalMembershipChanged)
	learning := workflow.GetSignalChannel(ctx, SignalLearningHub)
	workflow.Go(ctx, func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(notices, func(c workflow.ReceiveChannel, _ bool) {
			var n MembershipNotice
			c.Receive(ctx, &n)
			u.applyNotice(ctx, n)
			u.reevaluate(ctx)
			u.project(ctx)
		})
		sel.AddReceive(learning, func(c workflow.ReceiveChannel, _ bool) {
			var e LearningHubEvent
			c.Receive(ctx, &e)
			if u.applyLearningHub(ctx, e) {
				u.reevaluate(ctx)
				u.project(ctx)
			}
		})
		for {
			sel.Select(ctx)
		}
	})

	workflow.Go(ctx, u.applicationTimers)

	if in.Carry == nil {
		// The update-with-start that created this run has set the identity.
		if err := workflow.Await(ctx, func() bool { return u.st.State != "" }); err != nil {
			return u.st, err
		}
		u.project(ctx)
	}
	// The account may have been registered while the first projection ran,
	// so a first run always sends the (idempotent) account email.
	if in.Carry == nil || u.st.State == domain.UserIdentityValidated {
		if err := workflow.Await(ctx, func() bool { return u.st.State != domain.UserIdentityValidated }); err != nil {
			return u.st, err
		}
		u.email(ctx, mail.KindAccountRegistered, "account_registered", 1)
		u.project(ctx)
	}
	for {
		if err := ctx.Err(); err != nil {
			return u.st, err // cancelled: every wait below would return at once, forever
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > maxUserHistory {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && len(u.outbox) == 0 }); err != nil {
				return u.st, err
			}
			// Drain membership notices so none is lost with this run.
			for {
				var n MembershipNotice
				if !notices.ReceiveAsync(&n) {
					break
				}
				u.applyNotice(ctx, n)
			}
			for {
				var e LearningHubEvent
				if !learning.ReceiveAsync(&e) {
					break
				}
				u.applyLearningHub(ctx, e)
			}
			next := in
			next.Carry = &UserCarry{Status: u.st, PasswordChangedAt: u.passwordChangedAt, LearningHubEventIDs: u.learningHubIDs,
				Profession: u.profession}
			return u.st, workflow.NewContinueAsNewError(ctx, UserWorkflowName, next)
		}
		u.passwordCycle(ctx)
	}
}

// passwordCycle waits through one password's life: it returns when the
// password is changed, after reminders or after expiry.
func (u *userRun) passwordCycle(ctx workflow.Context) {
	changedAt := u.passwordChangedAt
	cycle := fmt.Sprint(changedAt.Unix())
	changed := func() bool { return !u.passwordChangedAt.Equal(changedAt) }
	ms := domain.PasswordMilestones(changedAt, u.in.Schedule)
	expiry := ms[len(ms)-1].At
	u.st.PasswordExpiresAt, u.st.NextMilestone = &expiry, &ms[0]
	u.project(ctx) // a new password life: registration or reset
	expired := false
	var timer *deadline
	if u.local {
		timer = &u.passwordTimer // the last cycle's timer is replaced, not left behind
	}
	waitFor(ctx, timer, ms, changed, func(m *domain.Milestone) { u.st.NextMilestone = m }, func(ctx workflow.Context, m domain.Milestone) bool {
		switch m.Kind {
		case domain.MilestoneReminder:
			u.event(ctx, "password_expiry_reminder", fmt.Sprintf("reminder %d: password expires %s", m.Seq, expiry.Format(time.DateOnly)))
			u.email(ctx, mail.KindPasswordExpiryReminder, "password_expiry_reminder/"+cycle, m.Seq)
		case domain.MilestoneLapse:
			u.st.NextMilestone = nil // nothing comes after the expiry but the reset
			u.enter(ctx, domain.UserPasswordExpired)
			u.event(ctx, "password_expired", "the password expired and must be reset")
			u.email(ctx, mail.KindPasswordExpired, "password_expired/"+cycle, 1)
			expired = true
		}
		u.project(ctx)
		return expired
	})
	if expired {
		_ = workflow.Await(ctx, changed)
	}
}

func (u *userRun) registerHandlers(ctx workflow.Context) error {
	if err := u.registerApplicationHandlers(ctx); err != nil {
		return err
	}
	if err := u.registerEmailHandlers(ctx); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (domain.UserStatus, error) { return u.st, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateIdentityValidated,
		func(ctx workflow.Context, v IdentityValidated) (domain.UserStatus, error) {
			if u.st.State == "" {
				u.st.LegalFirstName, u.st.LegalLastName = v.LegalFirstName, v.LegalLastName
				u.event(ctx, "identity_validated", "signed in with the BC Services Card")
				u.enter(ctx, domain.UserIdentityValidated)
				u.projectInHandler(ctx)
			}
			return u.st, nil
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAccountRegistered,
		func(ctx workflow.Context, a AccountRegistered) (domain.UserStatus, error) {
			u.st.Username, u.st.Profession = a.Username, a.Profession
			u.setPassword(a.At)
			u.event(ctx, "account_registered", "HxBC account registered as "+a.Username)
			u.enter(ctx, domain.UserAccountRegistered)
			if a.EmailConfirmation != nil {
				u.requestEmailConfirmation(workflow.WithActivityOptions(ctx, activityOptions()), *a.EmailConfirmation)
			}
			u.projectInHandler(ctx)
			return u.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a AccountRegistered) error {
			if u.st.State != domain.UserIdentityValidated {
				return appErr(domain.Errorf(domain.ECONFLICT, "you already have an HxBC account"))
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdatePasswordChanged,
		func(ctx workflow.Context, p PasswordChanged) (domain.UserStatus, error) {
			u.setPassword(p.At)
			u.event(ctx, "password_changed", "password reset")
			if u.st.State == domain.UserPasswordExpired {
				u.enter(ctx, domain.UserAccountRegistered)
			}
			u.projectInHandler(ctx)
			return u.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p PasswordChanged) error {
			return appErr(u.needAccount())
		}}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateProfessionChanged,
		func(ctx workflow.Context, p ProfessionChanged) (domain.UserStatus, error) {
			u.st.Profession = p.To
			u.event(ctx, "profession_changed", fmt.Sprintf("changed from %s to %s by the enrolment team: %s", p.From, p.To, p.Reason))
			u.project(workflow.WithActivityOptions(ctx, activityOptions())) // no milestone follows to project it
			return u.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p ProfessionChanged) error {
			return appErr(u.needAccount())
		}})
}

// setPassword starts a password's life at t; the status shows its expiry at once.
func (u *userRun) setPassword(t time.Time) {
	u.passwordChangedAt = t
	expiry := t.Add(time.Duration(u.in.Schedule.PasswordMaxAge))
	u.st.PasswordExpiresAt = &expiry
}

// applyNotice records a membership change at a worksite.
func (u *userRun) applyNotice(ctx workflow.Context, n MembershipNotice) {
	ws := domain.UserWorksite{WorksiteID: n.WorksiteID, Active: n.Active, Admin: n.Admin, Since: n.At,
		WorksiteState: n.WorksiteState, Suspended: n.Suspended}
	replaced := false
	for i := range u.st.Worksites {
		if u.st.Worksites[i].WorksiteID == n.WorksiteID {
			u.st.Worksites[i], replaced = ws, true
		}
	}
	if !replaced {
		u.st.Worksites = append(u.st.Worksites, ws)
	}
	u.event(ctx, "membership_changed", n.Change+" at worksite "+n.WorksiteID)
}

// applyLearningHub records a course completion or HPCAA acknowledgement
// once per event ID; it reports whether the status changed. The first
// completion (and acknowledgement) is the one the status keeps.
func (u *userRun) applyLearningHub(ctx workflow.Context, e LearningHubEvent) bool {
	if slices.Contains(u.learningHubIDs, e.EventID) {
		return false // redelivered: the API retries until it hears back
	}
	at := e.OccurredAt.UTC()
	switch e.Type {
	case learninghub.TypeCourseCompleted:
		if u.st.CourseCompletedAt == nil {
			u.st.CourseCompletedAt = &at
		}
		u.event(ctx, "course_completed", "LearningHub: course "+e.CourseCode+" completed "+at.Format(time.RFC3339))
	case learninghub.TypeAgreementAcknowledged:
		if u.st.AgreementAcknowledgedAt == nil {
			u.st.AgreementAcknowledgedAt = &at
		}
		u.event(ctx, "agreement_acknowledged", "LearningHub: "+e.CourseCode+" acknowledged "+at.Format(time.RFC3339))
	default:
		workflow.GetLogger(ctx).Warn("ignored LearningHub event of unknown type", "event_id", e.EventID, "type", e.Type)
		return false
	}
	u.learningHubIDs = append(u.learningHubIDs, e.EventID)
	return true
}

func (u *userRun) needAccount() error {
	if u.st.State == "" || u.st.State == domain.UserIdentityValidated {
		return domain.Errorf(domain.EUNPROCESSABLE, "register your HxBC account first")
	}
	return nil
}

func (u *userRun) enter(ctx workflow.Context, s domain.UserState) {
	u.st.State = s
	u.st.WaitingSince = workflow.Now(ctx)
	u.st.WaitingOn, u.st.NextAction = domain.UserNextAction(s, u.st.EmailConfirmation)
	u.st.Seq++
}

func (u *userRun) event(ctx workflow.Context, kind, detail string) {
	u.st.Timeline = append(u.st.Timeline, domain.TimelineEvent{At: workflow.Now(ctx), Kind: kind, Detail: detail})
	u.st.Seq++
}

// email sends one email to the person, once per key.
func (u *userRun) email(ctx workflow.Context, kind mail.Kind, event string, seq int) {
	in := activities.UserEmailInput{Key: fmt.Sprintf("user/%s/%s/%d", u.in.Subject, event, seq), Kind: kind,
		Subject: u.in.Subject, Seq: seq}
	if u.st.PasswordExpiresAt != nil {
		in.Deadline = *u.st.PasswordExpiresAt
	}
	ectx := workflow.WithScheduleToCloseTimeout(ctx, emailScheduleToClose)
	var a *activities.Activities
	if err := workflow.ExecuteActivity(ectx, a.SendUserEmail, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("user email not delivered", "kind", kind, "error", err)
		u.event(ctx, "email_failed", string(kind))
	}
}

func (u *userRun) project(ctx workflow.Context) {
	u.planNext()
	upsertVisibility(ctx, &u.visible, u.st.Visibility())
	var h uint64
	if u.local {
		if h = statusHash(u.st); h == u.written {
			return // the projection already holds this status
		}
	}
	var a *activities.Activities
	if err := write(ctx, u.local, a.ProjectUserStatus, u.st); err != nil {
		workflow.GetLogger(ctx).Error("user status projection failed", "error", err)
		return
	}
	u.written = h
}

// statusHash is a hash of st as the projection stores it (its JSON).
func statusHash(st domain.UserStatus) uint64 {
	// encoding/json's output is deterministic (struct fields in order, map
	// keys sorted); workflowcheck objects only to its internal type cache.
	b, err := json.Marshal(st) //workflowcheck:ignore
	if err != nil {
		return 0 // never equal to a real hash in practice: project it
	}
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}

// projectInHandler projects the status an update handler leaves, before
// the update returns, in runs that write locally; earlier runs project
// from their main loop, as they always did.
func (u *userRun) projectInHandler(ctx workflow.Context) {
	if u.local {
		u.project(ctx)
	}
}
