// Package workflows holds the enrolment workflows. They only orchestrate:
// rules come from package domain and side effects run in package
// activities, which the workflows name (names.go) rather than import, so
// that they link neither the SMTP client nor the configuration loader.
package workflows

import "time"

// TaskQueue is the one task queue the worker polls and the API starts workflows on.
const TaskQueue = "careconnect-enrolment"

// Workflow type names.
const (
	WorksiteWorkflowName = "WorksiteEnrolment"
	UserWorkflowName     = "UserEnrolment"
)

// Update names of the user workflow (it shares QueryStatus).
const (
	// UpdateIdentityValidated records a BCSC sign-in with new legal names
	// (the first sign-in starts the workflow with its identity in the input).
	UpdateIdentityValidated = "identity-validated"
	// UpdateAccountRegistered records the HxBC account.
	UpdateAccountRegistered = "account-registered"
	// UpdatePasswordChanged restarts the password's life.
	UpdatePasswordChanged = "password-changed"
	// UpdateProfessionChanged records the enrolment team's profession change.
	UpdateProfessionChanged = "profession-changed"
	// UpdateEmailConfirmationSettled records that the awaited address was
	// confirmed, or that a change of address was withdrawn.
	UpdateEmailConfirmationSettled = "email-confirmation-settled"
	// UpdateAccountChanged makes a person's own change of their account
	// (AccountChanged: contact details, a change of email address, another
	// link to confirm it) and what it means for the enrolment.
	UpdateAccountChanged = "account-changed"
)

// Application updates of the user workflow. Applications live inside the
// person's workflow: course completion and the HPCAA are per person, and
// every membership notice reaches this one place.
const (
	UpdateSubmitApplication    = "submit-application"
	UpdateProvisionApplication = "provision-application"
	UpdateRejectApplication    = "reject-application"
	UpdateSendBackApplication  = "send-back-application"
	UpdateRequestSponsorship   = "request-sponsorship"
	UpdateApproveSponsorship   = "approve-sponsorship"
	// UpdateSuspendAccess and UpdateReinstateAccess are the enrolment team's
	// suspension of a person's access at every worksite, and its end.
	UpdateSuspendAccess   = "suspend-access"
	UpdateReinstateAccess = "reinstate-access"
)

// Signals of the user workflow.
const (
	// SignalMembershipChanged tells a person's workflow a MembershipNotice.
	SignalMembershipChanged = "membership-changed"
	// SignalLearningHub tells a person's workflow a LearningHubEvent: their
	// Privacy & Security course completion or HPCAA acknowledgement.
	SignalLearningHub = "learninghub-event"
)

// Signals of the worksite workflow.
const (
	// SignalMemberProfileChanged tells a worksite's workflow a
	// domain.MemberProfileNotice: a member's (or requester's) profession,
	// name or email changed. The relay sends it from the person's outbox.
	SignalMemberProfileChanged = "member-profile-changed"
)

// Signals of both workflows.
const (
	// SignalCalendarChanged tells a running enrolment the business
	// calendar (CalendarChanged): the worker sends it to every running
	// enrolment when the configured calendar differs from the one last
	// pushed, and `careconnect calendar push` on demand. The workflow
	// re-plans its business-day deadlines with it and keeps it across
	// continue-as-new; the same calendar again changes nothing.
	SignalCalendarChanged = "calendar-changed"
)

// UserWorkflowID is the workflow ID of a person's enrolment, from their BCSC subject.
func UserWorkflowID(subject string) string { return "user/" + subject }

// Update and query names of the worksite workflow.
const (
	// UpdateRegister stores a worksite's registration; the API sends it
	// with the workflow's start (update-with-start).
	UpdateRegister = "register"
	// UpdateSignDeclaration records the signed Privacy & Security Declaration.
	UpdateSignDeclaration = "sign-declaration"
	// UpdateDecide is the enrolment team's approve or reject.
	UpdateDecide = "decide"
	// QueryStatus returns the enrolment's domain.WorksiteStatus (a
	// person's domain.UserStatus in the user workflow).
	QueryStatus = "status"
	// QueryMembership returns the worksite's domain.Membership.
	QueryMembership = "membership"
)

// Membership updates of the worksite workflow; each has a validator, so a
// refused change leaves no trace.
const (
	UpdateRequestJoin      = "request-join"
	UpdateDecideJoin       = "decide-join"
	UpdateInvite           = "invite"
	UpdateResendInvitation = "resend-invitation"
	UpdateAcceptInvitation = "accept-invitation"
	UpdatePromote          = "promote"
	UpdateDemote           = "demote"
	UpdateDeactivate       = "deactivate"
	UpdateReactivate       = "reactivate"
	UpdateSetMemberEnd     = "set-member-end"
	UpdateWorksiteChanged  = "worksite-changed"
	UpdateSuspend          = "suspend"
	UpdateReinstate        = "reinstate"
	UpdateClose            = "close"
)

// WorksiteWorkflowID is the workflow ID of a worksite's enrolment: the
// business key, so a second start for the same worksite is refused.
func WorksiteWorkflowID(worksiteID string) string { return "worksite/" + worksiteID }

// Activity names: the worker registers the methods of activities.Activities
// under them, and the workflows call them by name.
const (
	// ActivityProject writes one workflow task's projection
	// (domain.Projection), with its outbox: the emails and member notices
	// the worker's relay sends once it has committed.
	ActivityProject = "Project"
)

// Activity timeouts and retry bounds, named once.
const (
	activityStartToClose = 30 * time.Second
	activityMaxInterval  = 5 * time.Minute
	// activityScheduleToClose bounds a database write's retries (an outage) before the workflow hears of it.
	activityScheduleToClose = 24 * time.Hour
)
