package domain

import (
	"fmt"
	"time"
)

// ApplicationState is where an access application is.
type ApplicationState string

// Application states.
const (
	// AppWaiting: submitted; requirements are outstanding.
	AppWaiting ApplicationState = "waiting"
	// AppReady: every requirement holds; the enrolment team must provision it.
	AppReady ApplicationState = "ready_for_provisioning"
	// AppProvisioned: CareConnect access is provisioned at the worksite.
	AppProvisioned ApplicationState = "provisioned"
	// AppRejected: the enrolment team refused it, with a reason.
	AppRejected ApplicationState = "rejected"
	// AppSentBack: the team sent it back; the applicant must submit again.
	AppSentBack ApplicationState = "sent_back"
	// AppLapsed: the course (or HPCAA) was not done in time.
	AppLapsed ApplicationState = "lapsed"
	// AppEnded: access ended (a resident's residency end date, or the
	// membership at the worksite was deactivated).
	AppEnded ApplicationState = "ended"
	// AppSuspended: provisioned access is suspended with the worksite.
	AppSuspended ApplicationState = "suspended"
)

// Question is one question of the application questionnaire (configurable).
type Question struct {
	ID   string `json:"id" mapstructure:"id"`
	Text string `json:"text" mapstructure:"text"`
	// MustBeYes refuses an application that does not answer yes.
	MustBeYes bool `json:"mustBeYes" mapstructure:"must_be_yes"`
}

// DefaultQuestions is the questionnaire; direct clinical care only is required.
func DefaultQuestions() []Question {
	return []Question{{ID: "direct_clinical_care", MustBeYes: true,
		Text: "I need CareConnect for direct clinical care only — not for research, quality improvement or quality assurance."}}
}

// BusinessRole is the access the enrolment team provisions.
type BusinessRole struct {
	RoleContext           string `json:"roleContext"`
	FunctionalDescription string `json:"functionalDescription"`
}

// DefaultBusinessRole is the role defaulted from profession and worksite type.
func DefaultBusinessRole(p Profession, t LocationType) BusinessRole {
	r := BusinessRole{RoleContext: "Community Services", FunctionalDescription: "Non-Prescriber Clinician"}
	switch t {
	case CommunityPharmacy:
		r.RoleContext = "Pharmacy"
	case LongTermCareFacility:
		r.RoleContext = "Long-Term Care"
	}
	switch {
	case p.Code == ProfPhysician || p.Code == ProfNursePractitioner || p.Code == ProfPharmacist || p.Code == ProfResident:
		r.FunctionalDescription = "Prescriber"
	case p.Type == OnBehalfOf:
		r.FunctionalDescription = "Clinical Support Staff"
	}
	return r
}

// WorksiteFacts is what an application needs to know of its worksite.
type WorksiteFacts struct {
	ID         string             `json:"id"`
	Name       string             `json:"name"`
	Type       WorksiteTypePolicy `json:"type"`
	State      WorksiteState      `json:"state"`
	Suspended  bool               `json:"suspended"`
	Member     bool               `json:"member"`
	StateSince time.Time          `json:"stateSince"`
}

// Requirement is one provisioning condition and who must act on it.
type Requirement struct {
	Key         string    `json:"key"`
	Description string    `json:"description"`
	WaitingOn   Party     `json:"waitingOn,omitempty"`
	Since       time.Time `json:"since"`
	Done        bool      `json:"done"`
}

// Sponsorship is an authorizer's approval of an on-behalf-of user's
// application; the sponsor's business role becomes theirs.
type Sponsorship struct {
	SponsorSubject string       `json:"sponsorSubject"`
	SponsorName    string       `json:"sponsorName"`
	SponsorEmail   string       `json:"sponsorEmail,omitempty"`
	Role           BusinessRole `json:"businessRole"`
	ApprovedAt     time.Time    `json:"approvedAt"`
	// ResidencyStart and ResidencyEnd bound a resident's access.
	ResidencyStart *time.Time `json:"residencyStart,omitempty"`
	ResidencyEnd   *time.Time `json:"residencyEnd,omitempty"`
}

// Application is one person's application for access at one worksite.
type Application struct {
	Worksite     WorksiteFacts    `json:"worksite"`
	State        ApplicationState `json:"state"`
	SubmittedAt  time.Time        `json:"submittedAt"`
	Answers      map[string]bool  `json:"answers"`
	Requirements []Requirement    `json:"requirements"`
	ReadySince   *time.Time       `json:"readySince,omitempty"`
	BusinessRole *BusinessRole    `json:"businessRole,omitempty"`
	Reason       string           `json:"reason,omitempty"`
	DecidedBy    string           `json:"decidedBy,omitempty"`
	DecidedAt    *time.Time       `json:"decidedAt,omitempty"`
	// SponsorshipRequestedAt and Sponsorship are for on-behalf-of users.
	SponsorshipRequestedAt *time.Time   `json:"sponsorshipRequestedAt,omitempty"`
	Sponsorship            *Sponsorship `json:"sponsorship,omitempty"`
	// SponsorsAsked are the authorizers the sponsorship request went to.
	SponsorsAsked []Person `json:"sponsorsAsked,omitempty"`
	// Next is the application's next reminder or deadline, if any: "by when".
	Next *DueTimer `json:"next,omitempty"`
	// Timer bookkeeping: reminders sent, SLA flags, notices given.
	RemindersSent        int  `json:"remindersSent"`
	SponsorRemindersSent int  `json:"sponsorRemindersSent"`
	Escalated            bool `json:"escalated"`
	Breached             bool `json:"breached"`
	ResidencyNoticeSent  bool `json:"residencyNoticeSent"`
	// Attempt counts the applications at this worksite that this one
	// replaced (0 for the first), so each one's emails have keys of their own.
	Attempt int `json:"attempt,omitempty"`
}

// KeyPart is the part of an email key that tells this application from
// the earlier ones it replaced at its worksite: the worksite ID, then
// "/attempt/<N>" from the second application on (the first keeps the
// keys it always had).
func (a Application) KeyPart() string {
	if a.Attempt == 0 {
		return a.Worksite.ID
	}
	return fmt.Sprintf("%s/attempt/%d", a.Worksite.ID, a.Attempt)
}

// ApplicationSchedule is the applications' part of the reminder schedule.
type ApplicationSchedule struct {
	// Reminders go to the applicant while the course or HPCAA is outstanding;
	// the application lapses at LapseAfter. Both count from submission.
	Reminders  []Duration
	LapseAfter Duration
	// SponsorReminderDays are business days after a sponsorship request.
	SponsorReminderDays []int
	// EscalateDays and BreachDays are the team's SLA in business days from ready.
	EscalateDays, BreachDays int
	// ResidencyNoticeBefore is how long before a residency's end the resident and sponsor are told.
	ResidencyNoticeBefore Duration
}

// TimerKind names an application's timed step.
type TimerKind string

// Kinds of application timer; the values are part of the status JSON and
// of the notices' idempotency keys.
const (
	// TimerReminder reminds the applicant of the LearningHub steps (Seq 1, 2, ...).
	TimerReminder TimerKind = "reminder"
	// TimerLapse lapses an application whose LearningHub steps are still outstanding.
	TimerLapse TimerKind = "lapse"
	// TimerSponsorReminder reminds the authorizers of a sponsorship request (Seq 1, 2, ...).
	TimerSponsorReminder TimerKind = "sponsor_reminder"
	// TimerEscalate and TimerBreach are the team's SLA on a ready application.
	TimerEscalate TimerKind = "escalate"
	TimerBreach   TimerKind = "breach"
	// TimerResidencyNotice tells a resident and their sponsor that access ends soon.
	TimerResidencyNotice TimerKind = "residency_notice"
	// TimerResidencyEnd ends a resident's access with the residency.
	TimerResidencyEnd TimerKind = "residency_end"
)

// DueTimer is the next timed step of an application.
type DueTimer struct {
	Kind TimerKind `json:"kind"`
	At   time.Time `json:"at"`
	Seq  int       `json:"seq"`
}

// NextApplicationTimer returns an application's next timed step, if any:
// course/HPCAA reminders and lapse while it waits on the applicant's
// LearningHub steps, sponsorship reminders, the team's SLA once ready, and
// a resident's end of access once provisioned.
func NextApplicationTimer(a Application, p Profession, person PersonFacts, s ApplicationSchedule, c Calendar) (DueTimer, bool) {
	var best DueTimer
	ok := false
	consider := func(t DueTimer) {
		if !ok || t.At.Before(best.At) {
			best, ok = t, true
		}
	}
	learning := person.CourseCompletedAt == nil || (p.NeedsHPCAA && person.AgreementAcknowledgedAt == nil)
	switch a.State {
	case AppWaiting:
		if learning {
			if a.RemindersSent < len(s.Reminders) {
				consider(DueTimer{Kind: TimerReminder, At: a.SubmittedAt.Add(time.Duration(s.Reminders[a.RemindersSent])), Seq: a.RemindersSent + 1})
			}
			consider(DueTimer{Kind: TimerLapse, At: a.SubmittedAt.Add(time.Duration(s.LapseAfter)), Seq: 1})
		}
		// A profession corrected to one without a sponsor stops the reminders.
		if p.NeedsSponsor && a.SponsorshipRequestedAt != nil && a.Sponsorship == nil && a.SponsorRemindersSent < len(s.SponsorReminderDays) {
			consider(DueTimer{Kind: TimerSponsorReminder, Seq: a.SponsorRemindersSent + 1,
				At: c.AddBusinessDays(*a.SponsorshipRequestedAt, s.SponsorReminderDays[a.SponsorRemindersSent])})
		}
	case AppReady:
		if a.ReadySince != nil && !a.Escalated {
			consider(DueTimer{Kind: TimerEscalate, At: c.AddBusinessDays(*a.ReadySince, s.EscalateDays), Seq: 1})
		} else if a.ReadySince != nil && !a.Breached {
			consider(DueTimer{Kind: TimerBreach, At: c.AddBusinessDays(*a.ReadySince, s.BreachDays), Seq: 1})
		}
	case AppProvisioned:
		if sp := a.Sponsorship; sp != nil && sp.ResidencyEnd != nil {
			if !a.ResidencyNoticeSent {
				consider(DueTimer{Kind: TimerResidencyNotice, At: sp.ResidencyEnd.Add(-time.Duration(s.ResidencyNoticeBefore)), Seq: 1})
			}
			consider(DueTimer{Kind: TimerResidencyEnd, At: *sp.ResidencyEnd, Seq: 1})
		}
	}
	return best, ok
}

// Open reports whether the application can still move.
func (a Application) Open() bool { return a.State == AppWaiting || a.State == AppReady }

// CanApply says whether a person of profession p may apply at w with
// answers; provisionedPhysical says whether they are provisioned at a
// physical (not home office) worksite.
func CanApply(p Profession, w WorksiteFacts, answers map[string]bool, qs []Question, provisionedPhysical bool) error {
	switch {
	case !p.Designated:
		return Errorf(EUNPROCESSABLE, "your profession (%s) is not yet designated for CareConnect access; you may stay a member of worksites until it is", p.Label)
	case w.Type.Access == AccessRefused || w.Type.Access == AccessStops:
		return Errorf(EUNPROCESSABLE, "no CareConnect access at this worksite: %s", w.Type.Reason)
	case w.Type.Access == AccessReclassify:
		return Errorf(EUNPROCESSABLE, "this worksite's type (%s) must be reclassified by the enrolment team before anyone can apply", w.Type.Label)
	case w.Type.Access == AccessRestricted && !(p.Remote && provisionedPhysical):
		return Errorf(EUNPROCESSABLE, "home office access is only for physicians and nurse practitioners already provisioned at a physical worksite")
	case !w.Member:
		return Errorf(EUNPROCESSABLE, "join the worksite first: only its active members can apply for access there")
	case w.State == WorksiteClosed || w.State == WorksiteRejected || w.State == WorksiteLapsed:
		return Errorf(EUNPROCESSABLE, "this worksite is %s", w.State)
	}
	fe := FieldErrors{}
	for _, q := range qs {
		v, ok := answers[q.ID]
		switch {
		case !ok:
			fe.Add("answers."+q.ID, "is required: "+q.Text)
		case q.MustBeYes && !v:
			fe.Add("answers."+q.ID, "must be yes: "+q.Text)
		}
	}
	// The order does not matter: each unknown answer adds its own key to a
	// map, so any iteration order gives the same FieldErrors.
	//workflowcheck:ignore
	for k := range answers {
		if !hasQuestion(qs, k) {
			fe.Add("answers."+k, "is not a question of the questionnaire")
		}
	}
	return fe.Err()
}

func hasQuestion(qs []Question, id string) bool {
	for _, q := range qs {
		if q.ID == id {
			return true
		}
	}
	return false
}

// PersonFacts is what an application needs to know of the applicant.
type PersonFacts struct {
	CourseCompletedAt       *time.Time
	AgreementAcknowledgedAt *time.Time
	// SponsorshipRequestedAt and Sponsored describe this application's sponsorship.
	SponsorshipRequestedAt *time.Time
	Sponsored              bool
}

// ApplicationRequirements lists DOMAIN's provisioning conditions for an
// application by p at w, each with who must act and since when. The
// enrolment team's own step is not among them: the workflow adds it once
// these all hold and the application is in the team's queue.
func ApplicationRequirements(p Profession, w WorksiteFacts, person PersonFacts, submittedAt time.Time) []Requirement {
	rs := []Requirement{{Key: "membership", Description: "an active membership at the worksite", WaitingOn: PartySiteAdmin,
		Since: submittedAt, Done: w.Member}}
	ws := Requirement{Key: "worksite", Description: "the worksite's declaration signed and the worksite approved", Since: w.StateSince}
	switch {
	case w.State == WorksiteAwaitingDeclaration:
		ws.WaitingOn, ws.Description = PartySigningAuthority, "the worksite's Privacy & Security Declaration must be signed"
	case w.State == WorksiteAwaitingReview:
		ws.WaitingOn, ws.Description = PartyEnrolmentTeam, "the enrolment team must approve the worksite"
	case w.State == WorksiteApproved && w.Suspended:
		ws.WaitingOn, ws.Description = PartyEnrolmentTeam, "the worksite is suspended; the enrolment team must reinstate it"
	case w.State == WorksiteApproved:
		ws.Done = true
	default:
		ws.WaitingOn, ws.Description = PartyEnrolmentTeam, fmt.Sprintf("the worksite is %s", w.State)
	}
	rs = append(rs, ws, Requirement{Key: "course", Description: "the Privacy & Security course completed on LearningHub",
		WaitingOn: PartyApplicant, Since: submittedAt, Done: person.CourseCompletedAt != nil})
	if p.NeedsHPCAA {
		rs = append(rs, Requirement{Key: "hpcaa", Description: "the HPCAA acknowledged on LearningHub",
			WaitingOn: PartyApplicant, Since: submittedAt, Done: person.AgreementAcknowledgedAt != nil})
	}
	if p.NeedsSponsor {
		r := Requirement{Key: "sponsor", WaitingOn: PartyApplicant, Since: submittedAt, Done: person.Sponsored,
			Description: "request sponsorship from an authorizer of this worksite"}
		if person.SponsorshipRequestedAt != nil {
			r.WaitingOn, r.Since = PartySponsor, *person.SponsorshipRequestedAt
			r.Description = "an authorizer who is a member of this worksite and provisioned there must approve your sponsorship"
		}
		rs = append(rs, r)
	}
	for i := range rs {
		if rs[i].Done {
			rs[i].WaitingOn = PartyNone
		}
	}
	return rs
}

// Blocker is the application's first outstanding requirement: what it
// waits for and who must act. A decided application has none.
func (a Application) Blocker() (Requirement, bool) {
	if !a.Open() {
		return Requirement{}, false
	}
	for _, r := range a.Requirements {
		if !r.Done {
			return r, true
		}
	}
	return Requirement{}, false
}

// Ready says whether every requirement holds.
func Ready(rs []Requirement) bool {
	for _, r := range rs {
		if !r.Done {
			return false
		}
	}
	return true
}

// SettleRequirements is a's requirements once the enrolment team has
// decided it: provisioned (or suspended since) access waits on nobody, so
// every requirement is done, the team's step since its decision. Other
// states keep theirs (an open application's are ApplicationRequirements';
// a lapsed, rejected or ended one shows what was missing).
func SettleRequirements(a Application) []Requirement {
	if a.State != AppProvisioned && a.State != AppSuspended {
		return a.Requirements
	}
	out := make([]Requirement, 0, len(a.Requirements))
	for _, r := range a.Requirements {
		if !r.Done {
			r.Done, r.WaitingOn = true, PartyNone
			if a.DecidedAt != nil {
				r.Since = *a.DecidedAt
			}
		}
		out = append(out, r)
	}
	return out
}

// Renewable reports whether a new application may replace a: a finished
// one (lapsed, rejected, ended or sent back) may, and its history stays on
// the person's timeline.
func (a Application) Renewable() bool {
	switch a.State {
	case AppLapsed, AppRejected, AppEnded, AppSentBack:
		return true
	}
	return false
}

// CanSponsor says whether a sponsor of profession sponsor may approve a
// sponsorship for an application of profession p (SponsorFits: a
// resident's sponsor must be a physician); a resident's needs residency
// dates, end after start.
func CanSponsor(a Application, p, sponsor Profession, start, end *time.Time) error {
	switch {
	case !p.NeedsSponsor:
		return Errorf(EUNPROCESSABLE, "this profession does not need a sponsor")
	case a.SponsorshipRequestedAt == nil:
		return Errorf(EUNPROCESSABLE, "no sponsorship was requested for this application")
	case a.Sponsorship != nil:
		return Errorf(ECONFLICT, "this application is already sponsored by %s", a.Sponsorship.SponsorName)
	case !a.Open():
		return Errorf(EUNPROCESSABLE, "the application is %s", a.State)
	case !SponsorFits(sponsor, p):
		return Errorf(EUNPROCESSABLE, "a %s may not sponsor a %s: a resident is sponsored by a physician provisioned at the worksite", sponsor.Label, p.Label)
	}
	if p.Code == ProfResident {
		fe := FieldErrors{}
		if start == nil {
			fe.Add("residencyStart", "is required for a resident")
		}
		if end == nil {
			fe.Add("residencyEnd", "is required for a resident")
		} else if start != nil && !end.After(*start) {
			fe.Add("residencyEnd", "must be after residencyStart")
		}
		return fe.Err()
	}
	return nil
}

// ProvisionedRole is the business role of the application at worksiteID
// among apps when it is provisioned; ok is false otherwise. A sponsor
// approves only with access provisioned at the worksite (Member.MaySponsor),
// and the sponsored user works under this role.
func ProvisionedRole(apps []Application, worksiteID string) (*BusinessRole, bool) {
	for _, a := range apps {
		if a.Worksite.ID == worksiteID && a.State == AppProvisioned && a.BusinessRole != nil {
			return a.BusinessRole, true
		}
	}
	return nil, false
}

// AccessChange is what FollowAccess decides for provisioned access: the
// application's new State and Reason, the audit Action ("access ended",
// "access suspended", "access restored") and the Change the person is told.
type AccessChange struct {
	State  ApplicationState
	Reason string
	Action string
	Change string
}

// FollowAccess is the rule that provisioned access follows the person's
// membership and the worksite: a membership that is not active (in
// worksites, as the worksites reported it) ends it; a suspension of the
// person's access (personal, nil when none) or of the worksite suspends
// it; and it is restored once neither holds. ok is false when nothing
// changes, and for an application that is neither provisioned nor suspended.
func FollowAccess(a Application, worksites []UserWorksite, personal *AccessSuspension) (AccessChange, bool) {
	if a.State != AppProvisioned && a.State != AppSuspended {
		return AccessChange{}, false
	}
	member, suspended := false, false
	for _, w := range worksites {
		if w.WorksiteID == a.Worksite.ID {
			member, suspended = w.Active, w.Suspended
		}
	}
	switch {
	case !member:
		return AccessChange{State: AppEnded, Reason: "the membership at this worksite was deactivated", Action: "access ended",
			Change: "your CareConnect access from this worksite has ended: your membership there is inactive"}, true
	case personal != nil && a.State == AppProvisioned:
		return AccessChange{State: AppSuspended, Reason: "the enrolment team suspended your access: " + personal.Reason, Action: "access suspended",
			Change: "your CareConnect access is suspended by the enrolment team; contact them to have it reinstated"}, true
	case suspended && a.State == AppProvisioned:
		return AccessChange{State: AppSuspended, Reason: "the worksite is suspended", Action: "access suspended",
			Change: "your CareConnect access from this worksite is suspended while the worksite is suspended"}, true
	case !suspended && personal == nil && a.State == AppSuspended:
		return AccessChange{State: AppProvisioned, Reason: "", Action: "access restored",
			Change: "your CareConnect access from this worksite is restored"}, true
	}
	return AccessChange{}, false
}
