package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// AccessDecision is the enrolment team's suspension or reinstatement of a person.
type AccessDecision struct {
	Actor     string
	Reason    string
	RequestID string
}

// SponsorshipRequest asks the worksite's authorizers to sponsor an
// on-behalf-of user's application; the API lists them.
type SponsorshipRequest struct {
	WorksiteID  string
	Authorizers []domain.Person
	RequestID   string
}

// SponsorshipApproval is an authorizer's approval; the API has checked
// that they are an active member of the worksite and provisioned there.
type SponsorshipApproval struct {
	WorksiteID     string
	SponsorSubject string
	SponsorName    string
	SponsorEmail   string
	Role           domain.BusinessRole
	// SponsorProfession is the sponsor's policy row: a resident's sponsor
	// must be of a profession that may sponsor residents.
	SponsorProfession domain.Profession
	ResidencyStart    *time.Time
	ResidencyEnd      *time.Time
	RequestID         string
}

// SubmitApplication applies for access at a worksite. The API gives the
// worksite's live facts and the profession's policy row.
type SubmitApplication struct {
	Worksite            domain.WorksiteFacts
	Profession          domain.Profession
	Questions           []domain.Question
	Answers             map[string]bool
	ProvisionedPhysical bool
	RequestID           string
}

// ApplicationDecision is the enrolment team's provision, reject or send back.
type ApplicationDecision struct {
	WorksiteID string
	// Role overrides the default business role when provisioning.
	Role      *domain.BusinessRole
	Reason    string
	Actor     string
	RequestID string
}

// application returns the person's application at worksiteID.
func (u *userRun) application(worksiteID string) (*domain.Application, bool) {
	for i := range u.Status.Applications {
		if u.Status.Applications[i].Worksite.ID == worksiteID {
			return &u.Status.Applications[i], true
		}
	}
	return nil, false
}

func (u *userRun) registerApplicationHandlers(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSubmitApplication, u.submitApplication,
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a SubmitApplication) error {
			if err := u.needAccount(); err != nil {
				return appErr(err)
			}
			if app, ok := u.application(a.Worksite.ID); ok && !app.Renewable() {
				return appErr(domain.Errorf(domain.ECONFLICT, "you already applied at this worksite (%s)", app.State))
			}
			return appErr(domain.CanApply(a.Profession, a.Worksite, a.Answers, a.Questions, a.ProvisionedPhysical))
		}}); err != nil {
		return err
	}
	decide := func(name string, want func(domain.Application, ApplicationDecision) error, apply func(workflow.Context, *domain.Application, ApplicationDecision)) error {
		return workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d ApplicationDecision) (domain.UserStatus, error) {
				app, _ := u.application(d.WorksiteID)
				now := workflow.Now(ctx)
				app.DecidedBy, app.DecidedAt, app.Reason = d.Actor, &now, d.Reason
				apply(ctx, app, d)
				u.Status.Seq++
				u.fx.settle(ctx)
				return u.Status, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d ApplicationDecision) error {
				app, ok := u.application(d.WorksiteID)
				if !ok {
					return appErr(domain.Errorf(domain.ENOTFOUND, "this person has not applied at that worksite"))
				}
				return appErr(want(*app, d))
			}})
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRequestSponsorship,
		func(ctx workflow.Context, r SponsorshipRequest) (domain.UserStatus, error) {
			app, _ := u.application(r.WorksiteID)
			now := workflow.Now(ctx)
			app.SponsorshipRequestedAt, app.SponsorsAsked = &now, r.Authorizers
			u.event(ctx, "sponsorship_requested", fmt.Sprintf("asked %d authorizers at worksite %s", len(r.Authorizers), r.WorksiteID))
			for _, p := range r.Authorizers {
				u.sendUserEmail(domain.UserEmail{Key: fmt.Sprintf("user/%s/sponsorship_request/%s/%s", u.in.Subject, app.KeyPart(), p.Email),
					Kind: domain.MailSponsorshipRequest, Subject: u.in.Subject, Seq: 1, WorksiteID: app.Worksite.ID,
					WorksiteName: app.Worksite.Name, Recipients: []domain.Person{p}})
			}
			u.reevaluate(ctx)
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, r SponsorshipRequest) error {
			app, ok := u.application(r.WorksiteID)
			switch {
			case !ok:
				return appErr(domain.Errorf(domain.ENOTFOUND, "apply at this worksite first"))
			case !u.Profession.NeedsSponsor:
				return appErr(domain.Errorf(domain.EUNPROCESSABLE, "your profession does not need a sponsor"))
			case !app.Open():
				return appErr(domain.Errorf(domain.EUNPROCESSABLE, "the application is %s", app.State))
			case app.Sponsorship != nil:
				return appErr(domain.Errorf(domain.ECONFLICT, "the application is already sponsored"))
			case len(r.Authorizers) == 0:
				return appErr(domain.Errorf(domain.EUNPROCESSABLE, "this worksite has no active authorizer to sponsor you yet"))
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApproveSponsorship,
		func(ctx workflow.Context, s SponsorshipApproval) (domain.UserStatus, error) {
			app, _ := u.application(s.WorksiteID)
			app.Sponsorship = &domain.Sponsorship{SponsorSubject: s.SponsorSubject, SponsorName: s.SponsorName, SponsorEmail: s.SponsorEmail, Role: s.Role,
				ApprovedAt: workflow.Now(ctx), ResidencyStart: s.ResidencyStart, ResidencyEnd: s.ResidencyEnd}
			u.event(ctx, "sponsorship_approved", "sponsored by "+s.SponsorName+" at worksite "+s.WorksiteID)
			u.appEmail(domain.MailSponsorshipApproved, *app, "sponsored", "sponsored by "+s.SponsorName)
			u.reevaluate(ctx)
			u.fx.settle(ctx)
			return u.Status, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, s SponsorshipApproval) error {
			app, ok := u.application(s.WorksiteID)
			if !ok {
				return appErr(domain.Errorf(domain.ENOTFOUND, "no application at that worksite"))
			}
			return appErr(domain.CanSponsor(*app, u.Profession, s.SponsorProfession, s.ResidencyStart, s.ResidencyEnd))
		}}); err != nil {
		return err
	}
	if err := u.registerAccessHandlers(ctx); err != nil {
		return err
	}
	ready := func(a domain.Application, _ ApplicationDecision) error {
		if u.Status.AccessSuspended != nil {
			return domain.Errorf(domain.EUNPROCESSABLE, "this person's access is suspended; reinstate it before provisioning")
		}
		if a.State != domain.AppReady {
			return domain.Errorf(domain.EUNPROCESSABLE, "the application is %s, not ready for provisioning", a.State)
		}
		return nil
	}
	openWithReason := func(a domain.Application, d ApplicationDecision) error {
		if !a.Open() {
			return domain.Errorf(domain.ECONFLICT, "the application is already %s", a.State)
		}
		return domain.RequireReason(d.Reason, "")
	}
	if err := decide(UpdateProvisionApplication, ready, u.provision); err != nil {
		return err
	}
	if err := decide(UpdateRejectApplication, openWithReason, func(ctx workflow.Context, a *domain.Application, d ApplicationDecision) {
		a.State = domain.AppRejected
		u.event(ctx, "application_rejected", a.Worksite.ID+": "+d.Reason)
		u.appEmail(domain.MailApplicationDecided, *a, "rejected", "your application was not approved")
	}); err != nil {
		return err
	}
	return decide(UpdateSendBackApplication, openWithReason, func(ctx workflow.Context, a *domain.Application, d ApplicationDecision) {
		a.State = domain.AppSentBack
		u.event(ctx, "application_sent_back", a.Worksite.ID+": "+d.Reason)
		u.appEmail(domain.MailApplicationDecided, *a, "sent_back", "your application was sent back to you: correct it and submit it again")
	})
}

// registerAccessHandlers handles the team's suspension and reinstatement of
// the person: each is audited with who and why, and followAccess suspends
// or restores every provisioned application.
func (u *userRun) registerAccessHandlers(ctx workflow.Context) error {
	handler := func(suspend bool) func(workflow.Context, AccessDecision) (domain.UserStatus, error) {
		return func(ctx workflow.Context, d AccessDecision) (domain.UserStatus, error) {
			now := workflow.Now(ctx)
			action := "access reinstated by the enrolment team"
			if suspend {
				u.Status.AccessSuspended = &domain.AccessSuspension{At: now, By: d.Actor, Reason: d.Reason}
				action = "access suspended by the enrolment team"
			} else {
				u.Status.AccessSuspended = nil
			}
			u.event(ctx, map[bool]string{true: "access_suspended", false: "access_reinstated"}[suspend], action+": "+d.Reason)
			u.fx.audit(domain.AuditEvent{Key: fmt.Sprintf("user/%s/audit/%s/%d", u.in.Subject, action, u.Status.Seq), At: now, Actor: d.Actor,
				Role: string(domain.RoleTeam), Subject: "person:" + u.in.Subject, Action: action, Detail: d.Reason, RequestID: d.RequestID})
			u.reevaluate(ctx)
			u.fx.settle(ctx)
			return u.Status, nil
		}
	}
	validator := func(suspend bool) func(workflow.Context, AccessDecision) error {
		return func(ctx workflow.Context, d AccessDecision) error {
			if err := domain.RequireReason(d.Reason, ""); err != nil {
				return appErr(err)
			}
			switch {
			case suspend && u.Status.AccessSuspended != nil:
				return appErr(domain.Errorf(domain.ECONFLICT, "this person's access is already suspended"))
			case !suspend && u.Status.AccessSuspended == nil:
				return appErr(domain.Errorf(domain.ECONFLICT, "this person's access is not suspended"))
			}
			return appErr(u.needAccount())
		}
	}
	for _, suspend := range []bool{true, false} {
		name := map[bool]string{true: UpdateSuspendAccess, false: UpdateReinstateAccess}[suspend]
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, handler(suspend),
			workflow.UpdateHandlerOptions{Validator: validator(suspend)}); err != nil {
			return err
		}
	}
	return nil
}

func (u *userRun) submitApplication(ctx workflow.Context, a SubmitApplication) (domain.UserStatus, error) {
	now := workflow.Now(ctx)
	app := domain.Application{Worksite: a.Worksite, State: domain.AppWaiting, SubmittedAt: now, Answers: a.Answers}
	detail := "applied for CareConnect access at worksite " + a.Worksite.ID
	if old, ok := u.application(a.Worksite.ID); ok {
		// The finished application gives way; its events stay on the timeline.
		app.Attempt = old.Attempt + 1
		detail += fmt.Sprintf(" again (the application of %s was %s)", old.SubmittedAt.Format(time.DateOnly), old.State)
		*old = app
	} else {
		u.Status.Applications = append(u.Status.Applications, app)
	}
	u.Profession = a.Profession
	u.event(ctx, "application_submitted", detail)
	u.appEmail(domain.MailApplicationReceived, app, fmt.Sprint(now.Unix()), "")
	u.reevaluate(ctx)
	u.fx.settle(ctx)
	return u.Status, nil
}

// provision gives access with the team's business role (or the default).
func (u *userRun) provision(ctx workflow.Context, a *domain.Application, d ApplicationDecision) {
	role := domain.DefaultBusinessRole(u.Profession, a.Worksite.Type.Type)
	if a.Sponsorship != nil {
		role = a.Sponsorship.Role // an on-behalf-of user works under the sponsor's role
	}
	if d.Role != nil {
		role = *d.Role
	}
	a.State, a.BusinessRole = domain.AppProvisioned, &role
	a.Requirements = domain.SettleRequirements(*a)
	u.event(ctx, "application_provisioned", fmt.Sprintf("%s: %s / %s", a.Worksite.ID, role.RoleContext, role.FunctionalDescription))
	u.appEmail(domain.MailWelcomePackage, *a, "welcome", "")
}

// reevaluate recomputes every open application's requirements; an
// application whose conditions all hold joins the team's queue, and one
// that loses a condition (a suspended worksite) leaves it.
func (u *userRun) reevaluate(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for i := range u.Status.Applications {
		a := &u.Status.Applications[i]
		u.followAccess(ctx, a)
		if !a.Open() {
			// A run carried over from before provisioning settled them still lists the team's step.
			a.Requirements = domain.SettleRequirements(*a)
			continue
		}
		for _, w := range u.Status.Worksites {
			if w.WorksiteID == a.Worksite.ID {
				a.Worksite.Member = w.Active
				if w.WorksiteState != "" {
					a.Worksite.State, a.Worksite.Suspended = w.WorksiteState, w.Suspended
				}
			}
		}
		a.Requirements = domain.ApplicationRequirements(u.Profession, a.Worksite, u.personFacts(*a), a.SubmittedAt)
		ready := domain.Ready(a.Requirements)
		switch {
		case ready && a.State == domain.AppWaiting:
			a.State, a.ReadySince = domain.AppReady, &now
			u.event(ctx, "application_ready", a.Worksite.ID+": every condition holds; waiting for the enrolment team")
		case !ready && a.State == domain.AppReady:
			a.State, a.ReadySince = domain.AppWaiting, nil
			u.event(ctx, "application_waiting", a.Worksite.ID+": a condition no longer holds")
		}
		if ready {
			a.Requirements = append(a.Requirements, domain.Requirement{Key: "team", WaitingOn: domain.PartyEnrolmentTeam,
				Description: "the enrolment team must provision access", Since: *a.ReadySince})
		}
	}
}

// appEmail queues one email to the person about application a.
func (u *userRun) appEmail(kind domain.MailKind, a domain.Application, event, change string) {
	in := domain.UserEmail{Key: fmt.Sprintf("user/%s/%s/%s/%s", u.in.Subject, kind, a.KeyPart(), event), Kind: kind,
		Subject: u.in.Subject, Seq: 1, WorksiteID: a.Worksite.ID, WorksiteName: a.Worksite.Name, Change: change, Reason: a.Reason,
		NeedsHPCAA: u.Profession.NeedsHPCAA}
	if a.BusinessRole != nil {
		in.BusinessRole = a.BusinessRole.RoleContext + " — " + a.BusinessRole.FunctionalDescription
	}
	u.sendUserEmail(in)
}

// sendUserEmail queues one email about the person's applications.
func (u *userRun) sendUserEmail(in domain.UserEmail) {
	in.RecipientSubjects = domain.RecipientSubjects(in.Recipients)
	u.fx.email(domain.Email{User: &in})
}

// planNext sets each application's next reminder or deadline, for the status.
func (u *userRun) planNext() {
	for i := range u.Status.Applications {
		a := &u.Status.Applications[i]
		a.Next = nil
		if t, ok := domain.NextApplicationTimer(*a, u.Profession, u.personFacts(*a), u.in.Schedule.Applications(), u.calendar()); ok {
			a.Next = &t
		}
	}
}

func (u *userRun) personFacts(a domain.Application) domain.PersonFacts {
	return domain.PersonFacts{CourseCompletedAt: u.Status.CourseCompletedAt, AgreementAcknowledgedAt: u.Status.AgreementAcknowledgedAt,
		SponsorshipRequestedAt: a.SponsorshipRequestedAt, Sponsored: a.Sponsorship != nil}
}

func (u *userRun) nextApplicationTimer() (time.Time, bool) {
	var next time.Time
	ok := false
	for _, a := range u.Status.Applications {
		if t, due := domain.NextApplicationTimer(a, u.Profession, u.personFacts(a), u.in.Schedule.Applications(), u.calendar()); due && (!ok || t.At.Before(next)) {
			next, ok = t.At, true
		}
	}
	return next, ok
}

// fireApplicationTimers handles every application timer that has come due.
func (u *userRun) fireApplicationTimers(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for i := range u.Status.Applications {
		for {
			a := &u.Status.Applications[i]
			t, due := domain.NextApplicationTimer(*a, u.Profession, u.personFacts(*a), u.in.Schedule.Applications(), u.calendar())
			if !due || t.At.After(now) {
				break
			}
			u.fireApplicationTimer(ctx, a, t)
			u.Status.Seq++
		}
	}
}

func (u *userRun) fireApplicationTimer(ctx workflow.Context, a *domain.Application, t domain.DueTimer) {
	sched := u.in.Schedule.Applications()
	notice := func(key, change string, edit func(*domain.UserEmail)) {
		in := domain.UserEmail{Key: fmt.Sprintf("user/%s/application_notice/%s/%s", u.in.Subject, a.KeyPart(), key),
			Kind: domain.MailApplicationNotice, Subject: u.in.Subject, Seq: t.Seq, WorksiteID: a.Worksite.ID,
			WorksiteName: a.Worksite.Name, Change: change}
		if edit != nil {
			edit(&in)
		}
		u.sendUserEmail(in)
	}
	switch t.Kind {
	case domain.TimerReminder:
		a.RemindersSent = t.Seq
		lapse := a.SubmittedAt.Add(time.Duration(sched.LapseAfter))
		u.event(ctx, "application_reminder", fmt.Sprintf("%s: reminder %d to complete LearningHub", a.Worksite.ID, t.Seq))
		notice(fmt.Sprintf("reminder/%d", t.Seq), "complete the Privacy & Security course"+map[bool]string{true: " and the HPCAA", false: ""}[u.Profession.NeedsHPCAA]+
			" on LearningHub", func(in *domain.UserEmail) { in.Deadline = lapse; in.NeedsHPCAA = u.Profession.NeedsHPCAA })
	case domain.TimerLapse:
		a.State, a.Reason = domain.AppLapsed, "the LearningHub steps were not completed in time"
		u.event(ctx, "application_lapsed", a.Worksite.ID+": "+a.Reason)
		notice("lapsed", "your application has lapsed; apply again when you can complete the LearningHub steps",
			func(in *domain.UserEmail) { in.Reason = a.Reason })
	case domain.TimerSponsorReminder:
		a.SponsorRemindersSent = t.Seq
		u.event(ctx, "sponsorship_reminder", fmt.Sprintf("%s: reminder %d to the authorizers", a.Worksite.ID, t.Seq))
		for _, p := range a.SponsorsAsked {
			p := p
			notice(fmt.Sprintf("sponsor_reminder/%d/%s", t.Seq, p.Email), "a sponsorship request is waiting for an authorizer", func(in *domain.UserEmail) {
				in.Kind, in.Recipients = domain.MailSponsorshipRequest, []domain.Person{p}
			})
		}
	case domain.TimerEscalate, domain.TimerBreach:
		a.Escalated = true
		days := sched.EscalateDays
		if t.Kind == domain.TimerBreach {
			a.Breached, days = true, sched.BreachDays
		}
		u.event(ctx, "application_"+string(t.Kind), fmt.Sprintf("%s: waiting %d business days for the enrolment team", a.Worksite.ID, days))
		notice(string(t.Kind), fmt.Sprintf("an application has waited %d business days for provisioning", days), func(in *domain.UserEmail) {
			in.ToTeam = true
		})
	case domain.TimerResidencyNotice:
		a.ResidencyNoticeSent = true
		end := *a.Sponsorship.ResidencyEnd
		u.event(ctx, "residency_ending", a.Worksite.ID+": access ends "+end.Format(time.DateOnly))
		change := "your CareConnect access here ends on " + end.Format(time.DateOnly) + ", at the end of your residency"
		notice("residency_notice", change, func(in *domain.UserEmail) { in.Deadline = end })
		notice("residency_notice/sponsor", change, func(in *domain.UserEmail) {
			in.Deadline, in.Recipients = end, []domain.Person{{Name: a.Sponsorship.SponsorName, Email: a.Sponsorship.SponsorEmail, Subject: a.Sponsorship.SponsorSubject}}
		})
	case domain.TimerResidencyEnd:
		a.State, a.Reason = domain.AppEnded, "the residency ended"
		u.event(ctx, "access_ended", a.Worksite.ID+": the residency ended")
		notice("residency_end", "your CareConnect access here has ended with your residency", nil)
		notice("residency_end/sponsor", "the resident you sponsored no longer has CareConnect access here", func(in *domain.UserEmail) {
			in.Recipients = []domain.Person{{Name: a.Sponsorship.SponsorName, Email: a.Sponsorship.SponsorEmail, Subject: a.Sponsorship.SponsorSubject}}
		})
	}
}

// followAccess carries out domain.FollowAccess: provisioned access ends or
// is suspended when the membership or the worksite says so, and is
// restored on reinstatement; each change is audited and the person told.
func (u *userRun) followAccess(ctx workflow.Context, a *domain.Application) {
	ch, ok := domain.FollowAccess(*a, u.Status.Worksites, u.Status.AccessSuspended)
	if !ok {
		return
	}
	a.State, a.Reason = ch.State, ch.Reason
	action, change := ch.Action, ch.Change
	u.event(ctx, "access_changed", a.Worksite.ID+": "+action)
	key := fmt.Sprintf("%s/%s/%d", a.Worksite.ID, action, u.Status.Seq)
	u.fx.audit(domain.AuditEvent{Key: "user/" + u.in.Subject + "/audit/" + key, At: workflow.Now(ctx), Actor: "system", Role: "system",
		WorksiteID: a.Worksite.ID, Subject: "person:" + u.in.Subject, Action: action, Detail: a.Reason})
	u.sendUserEmail(domain.UserEmail{Key: "user/" + u.in.Subject + "/application_notice/" + key,
		Kind: domain.MailApplicationNotice, Subject: u.in.Subject, Seq: 1, WorksiteID: a.Worksite.ID, WorksiteName: a.Worksite.Name,
		Change: change, Reason: a.Reason})
}
