package workflows

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
	"careconnect/learninghub"
)

// UserInput starts (or continues) a person's enrolment. Identity is the
// BC Services Card sign-in that starts it: the run's first workflow task
// records it ("identity validated") and its projection write makes the
// person's row. Carry is set by continue-as-new and holds the state to
// resume from (Identity is then nil).
type UserInput struct {
	Subject  string
	Schedule domain.Schedule
	// Calendar counts business days for sponsorship reminders and the SLA.
	Calendar domain.Calendar
	Identity *IdentityValidated `json:",omitempty"`
	Carry    *UserState
}

// UserState is a person's workflow state: what its handlers, signals and
// timers change, and what continue-as-new hands to the next run, whole.
type UserState struct {
	Status            domain.UserStatus
	PasswordChangedAt time.Time
	// PasswordMilestonesDone counts the milestones of the current
	// password's life (domain.PasswordMilestones) already reached.
	PasswordMilestonesDone int
	// LearningHubEventIDs are the LearningHub events already applied, so
	// that a redelivered event changes nothing.
	LearningHubEventIDs []string
	// Profession is the policy row applications are judged with.
	Profession domain.Profession
	// NoticeSeqs is, by worksite ID, the Seq of the last membership notice
	// applied: the relay may deliver one late or twice, and an older one
	// changes nothing. Only lookups: no map iteration.
	NoticeSeqs map[string]int
	// ProfileSeq numbers the member profile notices sent to the person's
	// worksites, across runs (tellWorksites).
	ProfileSeq int `json:",omitempty"`
	// Calendar is the business calendar last pushed (SignalCalendarChanged);
	// nil until one is, when the input's counts.
	Calendar *domain.Calendar `json:",omitempty"`
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

// IdentityValidated is a BC Services Card sign-in: the workflow's input
// carries the first (UserInput.Identity), and UpdateIdentityValidated a
// later one whose legal names changed.
type IdentityValidated struct {
	LegalFirstName string
	LegalLastName  string
	At             time.Time
}

// AccountRegistered is the argument of UpdateAccountRegistered. Write (an
// AccountWrite: the password's hash, never the password) is the account,
// which the workflow stores before it records the registration.
type AccountRegistered struct {
	Username   string
	Profession string
	At         time.Time
	RequestID  string
	Write      *domain.Write `json:",omitempty"`
	NotAfter   time.Time
	// EmailConfirmation, when set, sends the first link to confirm the
	// account's address (registrations before addresses were confirmed
	// carry none).
	EmailConfirmation *EmailConfirmationRequest
}

// PasswordChanged is the argument of UpdatePasswordChanged; Write (a
// PasswordWrite) stores the new hash with the change.
type PasswordChanged struct {
	At        time.Time
	RequestID string
	Write     *domain.Write `json:",omitempty"`
	NotAfter  time.Time
}

// ProfessionChanged is the argument of UpdateProfessionChanged; Write (a
// ProfessionWrite) stores the correction with the change.
type ProfessionChanged struct {
	From, To string
	// Policy is To's row of the profession policy table: the person's open
	// applications are judged by it from now on (a sponsor requirement
	// dropped, an HPCAA requirement added). Empty (an older caller) keeps
	// the row they were judged by.
	Policy    domain.Profession
	Actor     string
	Reason    string
	RequestID string
	Write     *domain.Write `json:",omitempty"`
	NotAfter  time.Time
}

// maxUserHistory bounds a run's history even if the server never suggests
// continue-as-new; password cycles would otherwise grow it forever.
const maxUserHistory = 2000

// userRun is one run: the state it carries, and its effects.
type userRun struct {
	UserState
	in UserInput
	fx effects
	// statusWritten is a hash of the status last written (0: none yet in
	// this run); appsWritten, by worksite ID, of each application's
	// projection last written. Only lookups: no map iteration.
	statusWritten uint64
	appsWritten   map[string]uint64
	// passwordTimer and appTimer are the main loop's deadlines: the
	// password's next milestone and the applications' next timer.
	passwordTimer, appTimer deadline
}

// UserEnrolment is one person's enrolment: identity validated, then the
// HxBC account, then the password's life (reminders before expiry, expiry,
// reset) and the person's applications with their timers, continued as
// new when its history grows.
func UserEnrolment(ctx workflow.Context, in UserInput) (domain.UserStatus, error) {
	u := &userRun{in: in, appsWritten: map[string]uint64{}}
	if in.Carry != nil {
		u.UserState = *in.Carry
	} else {
		u.Status = domain.UserStatus{Subject: in.Subject, Timeline: []domain.TimelineEvent{}}
	}
	if u.NoticeSeqs == nil {
		u.NoticeSeqs = map[string]int{}
	}
	if err := u.registerHandlers(ctx); err != nil {
		return u.Status, err
	}
	if in.Carry == nil && in.Identity != nil {
		// The sign-in that started the run: the first task's projection
		// write records it, with the person's row.
		u.validateIdentity(ctx, *in.Identity)
	}
	notices := workflow.GetSignalChannel(ctx, SignalMembershipChanged)
	learning := workflow.GetSignalChannel(ctx, SignalLearningHub)
	calendars := workflow.GetSignalChannel(ctx, SignalCalendarChanged)
	receiveCalendars(ctx, calendars, &u.fx, u.changeCalendar)
	workflow.Go(ctx, func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(notices, func(c workflow.ReceiveChannel, _ bool) {
			var n MembershipNotice
			c.Receive(ctx, &n)
			if u.applyNotice(ctx, n) {
				u.reevaluate(ctx)
				u.fx.mark()
			}
		})
		sel.AddReceive(learning, func(c workflow.ReceiveChannel, _ bool) {
			var e LearningHubEvent
			c.Receive(ctx, &e)
			if u.applyLearningHub(ctx, e) {
				u.reevaluate(ctx)
				u.fx.mark()
			}
		})
		for {
			sel.Select(ctx)
		}
	})

	for {
		u.fx.flush(ctx, u)
		if err := ctx.Err(); err != nil {
			return u.Status, err // cancelled: every wait below would return at once, forever
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > maxUserHistory {
			if err := u.fx.drain(ctx, u); err != nil {
				return u.Status, err
			}
			// Signals not yet received go with the state, so none is lost with this run.
			for {
				var n MembershipNotice
				if !notices.ReceiveAsync(&n) {
					break
				}
				if u.applyNotice(ctx, n) {
					u.reevaluate(ctx)
				}
			}
			for {
				var e LearningHubEvent
				if !learning.ReceiveAsync(&e) {
					break
				}
				if u.applyLearningHub(ctx, e) {
					u.reevaluate(ctx)
				}
			}
			drainCalendars(ctx, calendars, u.changeCalendar)
			next, carry := in, u.UserState
			next.Carry, next.Identity = &carry, nil
			return u.Status, workflow.NewContinueAsNewError(ctx, UserWorkflowName, next)
		}
		pwAt, pwOK := u.nextPasswordMilestone()
		appAt, appOK := u.nextApplicationTimer()
		if !overdue(ctx, pwAt, pwOK) && !overdue(ctx, appAt, appOK) {
			u.passwordTimer.set(ctx, pwAt, pwOK)
			u.appTimer.set(ctx, appAt, appOK)
			if err := workflow.Await(ctx, func() bool {
				return u.fx.pending() || u.passwordTimer.fired() || u.appTimer.fired()
			}); err != nil {
				return u.Status, err
			}
		}
		u.firePasswordMilestones(ctx)
		u.fireApplicationTimers(ctx)
	}
}

// passwordMilestones are the current password's milestones: reminders, then its expiry.
func (u *userRun) passwordMilestones() []domain.Milestone {
	return domain.PasswordMilestones(u.PasswordChangedAt, u.in.Schedule)
}

// nextPasswordMilestone is when the password's next milestone comes, if
// there is a password and its life has one left.
func (u *userRun) nextPasswordMilestone() (time.Time, bool) {
	if u.PasswordChangedAt.IsZero() {
		return time.Time{}, false
	}
	if m, ok := domain.NextMilestone(u.passwordMilestones(), u.PasswordMilestonesDone); ok {
		return m.At, true
	}
	return time.Time{}, false
}

// firePasswordMilestones handles every milestone of the password's life
// that has come: a reminder, or the expiry.
func (u *userRun) firePasswordMilestones(ctx workflow.Context) {
	if u.PasswordChangedAt.IsZero() {
		return
	}
	ms := u.passwordMilestones()
	expiry := ms[len(ms)-1].At
	cycle := fmt.Sprint(u.PasswordChangedAt.Unix())
	now := workflow.Now(ctx)
	for {
		m, ok := domain.NextMilestone(ms, u.PasswordMilestonesDone)
		if !ok || m.At.After(now) {
			break
		}
		u.PasswordMilestonesDone++
		switch m.Kind {
		case domain.MilestoneReminder:
			u.event(ctx, "password_expiry_reminder", fmt.Sprintf("reminder %d: password expires %s", m.Seq, expiry.Format(time.DateOnly)))
			u.email(domain.MailPasswordExpiryReminder, "password_expiry_reminder/"+cycle, m.Seq)
		case domain.MilestoneLapse:
			u.enter(ctx, domain.UserPasswordExpired)
			u.event(ctx, "password_expired", "the password expired and must be reset")
			u.email(domain.MailPasswordExpired, "password_expired/"+cycle, 1)
		}
	}
	u.setNextMilestone(ms)
}

// setNextMilestone shows the password's next milestone on the status
// (none after the expiry: nothing comes after it but the reset).
func (u *userRun) setNextMilestone(ms []domain.Milestone) {
	u.Status.NextMilestone = nil
	if m, ok := domain.NextMilestone(ms, u.PasswordMilestonesDone); ok {
		u.Status.NextMilestone = &m
	}
}

func (u *userRun) registerHandlers(ctx workflow.Context) error {
	if err := u.registerApplicationHandlers(ctx); err != nil {
		return err
	}
	if err := u.registerEmailHandlers(ctx); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (domain.UserStatus, error) { return u.Status, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateIdentityValidated,
		func(ctx workflow.Context, v IdentityValidated) (domain.UserStatus, error) {
			if u.validateIdentity(ctx, v) {
				u.fx.settle(ctx)
			}
			return u.Status, nil
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAccountRegistered,
		func(ctx workflow.Context, a AccountRegistered) (domain.UserStatus, error) {
			apply := func() {
				u.Status.Username, u.Status.Profession = a.Username, a.Profession
				u.setPassword(a.At)
				u.event(ctx, "account_registered", "HxBC account registered as "+a.Username)
				u.enter(ctx, domain.UserAccountRegistered)
				u.email(domain.MailAccountRegistered, "account_registered", 1)
				if a.EmailConfirmation != nil {
					u.requestEmailConfirmation(ctx, *a.EmailConfirmation)
				}
			}
			if a.Write == nil {
				apply()
				u.fx.settle(ctx)
				return u.Status, nil
			}
			// The username or the email may be another account's: the store
			// says so. The account row and the change it makes are one
			// projection write, which a refused row rolls back whole.
			status, changedAt, done := u.Status, u.PasswordChangedAt, u.PasswordMilestonesDone
			undo := func() { u.Status, u.PasswordChangedAt, u.PasswordMilestonesDone = status, changedAt, done }
			if err := u.fx.own(ctx, *a.Write, apply, undo); err != nil {
				return domain.UserStatus{}, appErr(err)
			}
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a AccountRegistered) error {
			if u.Status.State != domain.UserIdentityValidated {
				return appErr(domain.Errorf(domain.ECONFLICT, "you already have an HxBC account"))
			}
			return appErr(notAfter(ctx, a.NotAfter))
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdatePasswordChanged,
		func(ctx workflow.Context, p PasswordChanged) (domain.UserStatus, error) {
			if p.Write != nil {
				u.fx.write(*p.Write)
			}
			u.setPassword(p.At)
			u.event(ctx, "password_changed", "password reset")
			if u.Status.State == domain.UserPasswordExpired {
				u.enter(ctx, domain.UserAccountRegistered)
			}
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p PasswordChanged) error {
			if err := notAfter(ctx, p.NotAfter); err != nil {
				return appErr(err)
			}
			return appErr(u.needAccount())
		}}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateProfessionChanged,
		func(ctx workflow.Context, p ProfessionChanged) (domain.UserStatus, error) {
			if p.Write != nil {
				u.fx.write(*p.Write)
			}
			u.Status.Profession = p.To
			u.event(ctx, "profession_changed", fmt.Sprintf("changed from %s to %s by the enrolment team: %s", p.From, p.To, p.Reason))
			if p.Policy.Code == p.To {
				u.Profession = p.Policy
				u.reevaluate(ctx) // DOMAIN: a correction re-evaluates the open applications
			}
			// ... and the membership at every worksite.
			u.tellWorksites(ctx, fmt.Sprintf("profession corrected from %s to %s by the enrolment team", p.From, p.To))
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p ProfessionChanged) error {
			if err := notAfter(ctx, p.NotAfter); err != nil {
				return appErr(err)
			}
			return appErr(u.needAccount())
		}})
}

// validateIdentity records a BC Services Card sign-in: the first one
// validates the identity; a later one changes only legal names that
// changed (the card's holder renamed). The person's row takes the names in
// the next projection write. It reports whether anything changed.
func (u *userRun) validateIdentity(ctx workflow.Context, v IdentityValidated) bool {
	first := u.Status.State == ""
	if !first && v.LegalFirstName == u.Status.LegalFirstName && v.LegalLastName == u.Status.LegalLastName {
		return false
	}
	u.Status.LegalFirstName, u.Status.LegalLastName = v.LegalFirstName, v.LegalLastName
	if first {
		u.event(ctx, "identity_validated", "signed in with the BC Services Card")
		u.enter(ctx, domain.UserIdentityValidated)
	} else {
		u.event(ctx, "legal_name_changed", "the BC Services Card's legal name is now "+v.LegalFirstName+" "+v.LegalLastName)
	}
	at := v.At
	if at.IsZero() {
		at = workflow.Now(ctx)
	}
	u.fx.write(domain.Write{Key: "person", Person: &domain.PersonWrite{Subject: u.in.Subject,
		LegalFirst: v.LegalFirstName, LegalLast: v.LegalLastName, At: at}})
	return true
}

// setPassword starts a password's life at t; the status shows its expiry
// and first milestone at once.
func (u *userRun) setPassword(t time.Time) {
	u.PasswordChangedAt, u.PasswordMilestonesDone = t, 0
	ms := u.passwordMilestones()
	expiry := ms[len(ms)-1].At
	u.Status.PasswordExpiresAt = &expiry
	u.setNextMilestone(ms)
}

// applyNotice records a membership change at a worksite, unless a later
// notice from that worksite was applied already (the relay delivered this
// one late, or again); it reports whether it applied it.
func (u *userRun) applyNotice(ctx workflow.Context, n MembershipNotice) bool {
	if n.Seq > 0 {
		if n.Seq <= u.NoticeSeqs[n.WorksiteID] {
			return false
		}
		u.NoticeSeqs[n.WorksiteID] = n.Seq
	}
	ws := domain.UserWorksite{WorksiteID: n.WorksiteID, Active: n.Active, Admin: n.Admin, Since: n.At,
		WorksiteState: n.WorksiteState, Suspended: n.Suspended}
	replaced := false
	for i := range u.Status.Worksites {
		if u.Status.Worksites[i].WorksiteID == n.WorksiteID {
			u.Status.Worksites[i], replaced = ws, true
		}
	}
	if !replaced {
		u.Status.Worksites = append(u.Status.Worksites, ws)
	}
	u.event(ctx, "membership_changed", n.Change+" at worksite "+n.WorksiteID)
	if u.Status.State == domain.UserAccountRegistered {
		u.refreshNextAction(ctx) // a first (or last) active worksite changes who must act
	}
	return true
}

// tellWorksites queues a member profile notice for the outbox: the relay
// signals it to every worksite where the person is a member or has asked
// to join, so that their records there carry the person's profession,
// name and address in force (DOMAIN: a correction updates the membership
// everywhere; every later email goes to the current address and name).
func (u *userRun) tellWorksites(ctx workflow.Context, change string) {
	u.ProfileSeq++
	n := domain.MemberProfileNotice{Key: fmt.Sprintf("user/%s/profile/%d", u.in.Subject, u.ProfileSeq), Seq: u.ProfileSeq,
		Subject: u.in.Subject, Profession: u.Status.Profession, Change: change, At: workflow.Now(ctx)}
	if u.Profession.Code != "" && u.Profession.Code == u.Status.Profession {
		n.UserType = u.Profession.Type
	}
	u.fx.profile(n)
}

// applyLearningHub records a course completion or HPCAA acknowledgement
// once per event ID; it reports whether the status changed. The first
// completion (and acknowledgement) is the one the status keeps.
func (u *userRun) applyLearningHub(ctx workflow.Context, e LearningHubEvent) bool {
	if slices.Contains(u.LearningHubEventIDs, e.EventID) {
		return false // redelivered: the API retries until it hears back
	}
	at := e.OccurredAt.UTC()
	switch e.Type {
	case learninghub.TypeCourseCompleted:
		if u.Status.CourseCompletedAt == nil {
			u.Status.CourseCompletedAt = &at
			u.acknowledgeLearning(e, "your Privacy & Security course completion is recorded")
		}
		u.event(ctx, "course_completed", "LearningHub: course "+e.CourseCode+" completed "+at.Format(time.RFC3339))
	case learninghub.TypeAgreementAcknowledged:
		if u.Status.AgreementAcknowledgedAt == nil {
			u.Status.AgreementAcknowledgedAt = &at
			u.acknowledgeLearning(e, "your acknowledgement of the Health Professional CareConnect Access Agreement (HPCAA) is recorded")
		}
		u.event(ctx, "agreement_acknowledged", "LearningHub: "+e.CourseCode+" acknowledged "+at.Format(time.RFC3339))
	default:
		workflow.GetLogger(ctx).Warn("ignored LearningHub event of unknown type", "event_id", e.EventID, "type", e.Type)
		return false
	}
	u.LearningHubEventIDs = append(u.LearningHubEventIDs, e.EventID)
	return true
}

// acknowledgeLearning tells the applicant that LearningHub event e, the
// first of its type, is recorded (DOMAIN "Emails": course / HPCAA
// acknowledgement); the HPCAA step is mentioned while it is outstanding.
func (u *userRun) acknowledgeLearning(e LearningHubEvent, change string) {
	u.fx.email(domain.Email{User: &domain.UserEmail{Key: fmt.Sprintf("user/%s/%s/%s", u.in.Subject, domain.MailLearningAcknowledged, e.Type),
		Kind: domain.MailLearningAcknowledged, Subject: u.in.Subject, Seq: 1, Change: change,
		NeedsHPCAA: u.Profession.NeedsHPCAA && u.Status.AgreementAcknowledgedAt == nil}})
}

func (u *userRun) needAccount() error {
	if u.Status.State == "" || u.Status.State == domain.UserIdentityValidated {
		return domain.Errorf(domain.EUNPROCESSABLE, "register your HxBC account first")
	}
	return nil
}

func (u *userRun) enter(ctx workflow.Context, s domain.UserState) {
	u.Status.State = s
	u.Status.WaitingSince = workflow.Now(ctx)
	u.Status.WaitingOn, u.Status.NextAction = u.Status.NextStep()
	u.Status.Seq++
}

func (u *userRun) event(ctx workflow.Context, kind, detail string) {
	u.Status.Timeline = append(u.Status.Timeline, domain.TimelineEvent{At: workflow.Now(ctx), Kind: kind, Detail: detail})
	u.Status.Seq++
}

// email queues one email to the person about their account, once per key.
func (u *userRun) email(kind domain.MailKind, event string, seq int) {
	in := domain.UserEmail{Key: fmt.Sprintf("user/%s/%s/%d", u.in.Subject, event, seq), Kind: kind,
		Subject: u.in.Subject, Seq: seq}
	if u.Status.PasswordExpiresAt != nil {
		in.Deadline = *u.Status.PasswordExpiresAt
	}
	u.fx.email(domain.Email{User: &in})
}

// changes is the projection of what changed since the last write: the
// status, compared by a hash of its JSON, and each application whose
// projection changed. Nothing is written before the identity is known.
func (u *userRun) changes() (domain.Projection, func()) {
	var p domain.Projection
	if u.Status.State == "" {
		return p, func() {}
	}
	u.planNext()
	h := hashJSON(u.Status)
	if h != u.statusWritten {
		st := u.Status
		p.User = &st
	}
	var hashes []uint64
	for _, a := range u.Status.Applications {
		ap := domain.ApplicationProjection{Subject: u.in.Subject, Name: u.Status.LegalFirstName + " " + u.Status.LegalLastName,
			Profession: u.Profession.Code, Application: a}
		ah := hashJSON(ap)
		if ah != u.appsWritten[a.Worksite.ID] {
			ap.Seq = u.Status.Seq
			p.Applications = append(p.Applications, ap)
			hashes = append(hashes, ah)
		}
	}
	return p, func() {
		u.statusWritten = h
		for i, a := range p.Applications {
			u.appsWritten[a.Application.Worksite.ID] = hashes[i]
		}
	}
}

func (u *userRun) visibility() domain.Visibility { return u.Status.Visibility() }

// hashJSON is a hash of v's JSON, as the projection stores it.
func hashJSON(v any) uint64 {
	// encoding/json's output is deterministic (struct fields in order, map
	// keys sorted); workflowcheck objects only to its internal type cache.
	b, err := json.Marshal(v) //workflowcheck:ignore
	if err != nil {
		return 0 // never equal to a real hash in practice: write it
	}
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}
