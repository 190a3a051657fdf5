package domain

import "time"

// Party is who must act next on an enrolment.
type Party string

// Parties, per DOMAIN.
const (
	PartyNone             Party = ""
	PartyApplicant        Party = "applicant"
	PartySiteAdmin        Party = "site_administrator"
	PartySigningAuthority Party = "signing_authority"
	PartySponsor          Party = "sponsor"
	PartyLearningHub      Party = "learninghub"
	PartyEnrolmentTeam    Party = "enrolment_team"
)

// WorksiteState is where a worksite enrolment is.
type WorksiteState string

// Worksite states.
const (
	// WorksiteAwaitingDeclaration: registered; the signing authority must sign the declaration.
	WorksiteAwaitingDeclaration WorksiteState = "awaiting_declaration"
	// WorksiteAwaitingReview: declaration signed; the enrolment team must approve or reject.
	WorksiteAwaitingReview WorksiteState = "awaiting_team_review"
	WorksiteApproved       WorksiteState = "approved"
	WorksiteRejected       WorksiteState = "rejected"
	// WorksiteLapsed: the declaration was not signed in time.
	WorksiteLapsed WorksiteState = "lapsed"
	// WorksiteRegisteredOnly: registered, but its type gives no CareConnect access here.
	WorksiteRegisteredOnly WorksiteState = "registered_only"
	// WorksiteClosed: closed; every membership was deactivated.
	WorksiteClosed WorksiteState = "closed"
)

// Final reports whether no further step can happen in state s.
func (s WorksiteState) Final() bool {
	switch s {
	case WorksiteApproved, WorksiteRejected, WorksiteLapsed, WorksiteRegisteredOnly, WorksiteClosed:
		return true
	}
	return false
}

// Ended reports whether the worksite's workflow has nothing left to do:
// no enrolment step and no membership (rejected, lapsed, closed).
func (s WorksiteState) Ended() bool {
	return s == WorksiteRejected || s == WorksiteLapsed || s == WorksiteClosed
}

// EndedWorksiteStates returns the states Ended reports, in a fixed order.
// A worksite in one of them is not live: it holds no address (another
// registration may take it) and nobody can join it, so search leaves it out.
func EndedWorksiteStates() []WorksiteState {
	return []WorksiteState{WorksiteRejected, WorksiteLapsed, WorksiteClosed}
}

// TimelineEvent is one step in an enrolment's history, as shown to people.
type TimelineEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// WorksiteStatus is a worksite enrolment's status: what the API returns and
// what the projection stores for lists.
type WorksiteStatus struct {
	WorksiteID string        `json:"worksiteId"`
	State      WorksiteState `json:"state"`
	// WaitingOn is who must act next; empty once the enrolment is final.
	WaitingOn Party `json:"waitingOn,omitempty"`
	// WaitingSince is when the current wait began.
	WaitingSince time.Time `json:"waitingSince"`
	// NextAction says, in words, what WaitingOn must do.
	NextAction string `json:"nextAction,omitempty"`
	// NextMilestone is the next reminder, flag or deadline of the current wait.
	NextMilestone *Milestone `json:"nextMilestone,omitempty"`
	// RemindersSent counts reminders sent during the current wait.
	RemindersSent int  `json:"remindersSent"`
	Stalled       bool `json:"stalled"`
	Escalated     bool `json:"escalated"`
	Breached      bool `json:"breached"`
	// Suspended is set while the enrolment team has suspended the worksite.
	Suspended bool `json:"suspended"`
	// Reason is the team's decision reason, or why enrolment stopped.
	Reason   string          `json:"reason,omitempty"`
	Timeline []TimelineEvent `json:"timeline"`
	// Seq increases with every change; the projection ignores older writes.
	Seq int `json:"seq"`
}

// WorksiteNextAction says what the party must do in state s.
func WorksiteNextAction(s WorksiteState, t WorksiteTypePolicy) (Party, string) {
	switch s {
	case WorksiteAwaitingDeclaration:
		return PartySigningAuthority, "sign the Privacy & Security Declaration through the emailed link and upload an antivirus screenshot"
	case WorksiteAwaitingReview:
		if t.Access == AccessReclassify {
			return PartyEnrolmentTeam, "reclassify the worksite type, then approve or reject the worksite"
		}
		return PartyEnrolmentTeam, "review the worksite and its declaration, then approve or reject it"
	}
	return PartyNone, ""
}

// CanTakeDeclaration says whether a worksite in state s takes a
// declaration at all: only while it awaits one. It is checked before a
// declaration form is read, so a worksite that cannot take one costs no
// upload.
func CanTakeDeclaration(s WorksiteState) error {
	switch s {
	case WorksiteAwaitingDeclaration:
		return nil
	case WorksiteAwaitingReview, WorksiteApproved, WorksiteRejected:
		return Errorf(ECONFLICT, "the Privacy & Security Declaration for this worksite is already signed")
	case WorksiteLapsed:
		return Errorf(EUNPROCESSABLE, "this worksite registration has lapsed; register the worksite again")
	case WorksiteRegisteredOnly:
		return Errorf(EUNPROCESSABLE, "this worksite type does not enrol for CareConnect access, so no declaration is needed")
	}
	return Errorf(EUNPROCESSABLE, "the worksite cannot take a declaration now")
}

// CanSignDeclaration says whether a declaration may be signed in state s:
// the state takes one (CanTakeDeclaration) and the signer is named.
func CanSignDeclaration(s WorksiteState, signerName, signerTitle string) error {
	if err := CanTakeDeclaration(s); err != nil {
		return err
	}
	fe := FieldErrors{}
	if signerName == "" {
		fe.Add("signerName", "is required")
	}
	if signerTitle == "" {
		fe.Add("signerTitle", "is required")
	}
	return fe.Err()
}

// CanDecideWorksite says whether the enrolment team may approve (or reject)
// a worksite in state s of type t.
func CanDecideWorksite(s WorksiteState, t WorksiteTypePolicy, approve bool, reason string) error {
	switch s {
	case WorksiteAwaitingReview:
	case WorksiteAwaitingDeclaration:
		return Errorf(EUNPROCESSABLE, "the worksite's Privacy & Security Declaration has not been signed yet")
	case WorksiteApproved, WorksiteRejected:
		return Errorf(ECONFLICT, "the enrolment team has already decided on this worksite")
	case WorksiteLapsed:
		return Errorf(EUNPROCESSABLE, "this worksite registration has lapsed")
	case WorksiteRegisteredOnly:
		return Errorf(EUNPROCESSABLE, "this worksite type does not enrol for CareConnect access: %s", t.Reason)
	default:
		return Errorf(EUNPROCESSABLE, "the worksite cannot be decided now")
	}
	if !approve {
		if err := RequireReason(reason, " when rejecting"); err != nil {
			return err
		}
	}
	if approve && t.Access == AccessReclassify {
		return Errorf(EUNPROCESSABLE, "a worksite of type %q must be reclassified before it can be approved", t.Label)
	}
	return nil
}
