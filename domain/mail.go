package domain

import "time"

// MailKind names one kind of email. Its value is also the base name of the
// kind's templates (package mail) and a stable part of idempotency keys.
// It lives here, not in mail, so that the workflows name the emails they
// ask for without linking the SMTP client.
type MailKind string

// Kinds of worksite email (DOMAIN "Emails").
const (
	// MailWorksiteRegistered tells the site administrators that the worksite
	// is registered and that the signing authority must sign the declaration.
	MailWorksiteRegistered MailKind = "worksite_registered"
	// MailDeclarationReminder reminds the site administrators (reminder Seq)
	// that the declaration is unsigned and when the registration lapses.
	MailDeclarationReminder MailKind = "declaration_reminder"
	// MailDeclarationStalled flags an unsigned declaration to the enrolment team.
	MailDeclarationStalled MailKind = "declaration_stalled"
	// MailRegistrationLapsed tells the site administrators that the
	// registration lapsed because the declaration was not signed in time.
	MailRegistrationLapsed MailKind = "registration_lapsed"
	// MailDeclarationReceived confirms the signed declaration to the site administrators.
	MailDeclarationReceived MailKind = "declaration_received"
	// MailDeclarationSigned tells the enrolment team that a worksite's
	// declaration is signed and the worksite waits on their review.
	MailDeclarationSigned MailKind = "declaration_signed"
	// MailWorksiteApproved tells the site administrators that members may now apply.
	MailWorksiteApproved MailKind = "worksite_approved"
	// MailWorksiteRejected tells the site administrators the worksite was rejected, and why.
	MailWorksiteRejected MailKind = "worksite_rejected"
	// MailReviewEscalated tells the enrolment team a review has waited Seq business days.
	MailReviewEscalated MailKind = "team_review_escalated"
	// MailReviewBreached tells the enrolment team a review breached its SLA.
	MailReviewBreached MailKind = "team_review_breached"
	// MailRegisteredOnly tells the site administrators that CareConnect
	// enrolment stops at registration for this worksite, and why.
	MailRegisteredOnly MailKind = "worksite_registered_only"
)

// Kinds of email to one person about their own account.
const (
	// MailAccountRegistered confirms a new HxBC account and its username.
	MailAccountRegistered MailKind = "account_registered"
	// MailPasswordExpiryReminder warns (reminder Seq) that the password expires at Deadline.
	MailPasswordExpiryReminder MailKind = "password_expiry_reminder"
	// MailPasswordExpired says the password expired at Deadline and must be reset.
	MailPasswordExpired MailKind = "password_expired"
	// MailApplicationReceived confirms an access application and says how to
	// complete it (the LearningHub steps).
	MailApplicationReceived MailKind = "application_received"
	// MailApplicationDecided says the team rejected or sent back an application (Change, Reason).
	MailApplicationDecided MailKind = "application_decided"
	// MailWelcomePackage welcomes a provisioned user: BusinessRole and the viewer's address.
	MailWelcomePackage MailKind = "welcome_package"
	// MailSponsorshipRequest asks an authorizer to sponsor MemberName at the worksite.
	MailSponsorshipRequest MailKind = "sponsorship_request"
	// MailSponsorshipApproved tells an on-behalf-of user they are sponsored (Change).
	MailSponsorshipApproved MailKind = "sponsorship_approved"
	// MailApplicationNotice is a timed notice about an application: a
	// reminder (Seq, Deadline), a lapse, a residency ending, an SLA flag (Change).
	MailApplicationNotice MailKind = "application_notice"
	// MailEmailConfirmation asks the reader to confirm, through Link (until
	// LinkExpires), that the address it was sent to is theirs; Change is
	// set when it replaces a confirmed address.
	MailEmailConfirmation MailKind = "email_confirmation"
	// MailLearningAcknowledged acknowledges a LearningHub step to the
	// applicant: the course completed or the HPCAA acknowledged (Change).
	MailLearningAcknowledged MailKind = "learning_acknowledged"
)

// Kinds of membership email (DOMAIN "Worksites"). Each needs a worksite ID.
const (
	// MailJoinRequest asks the active administrators (reminder Seq when set)
	// to approve or reject MemberName's request, through Link.
	MailJoinRequest MailKind = "join_request"
	// MailJoinRequestReceived confirms to the requester that their
	// request (with their Comment) went to the administrators.
	MailJoinRequestReceived MailKind = "join_request_received"
	// MailJoinDecided tells the requester the outcome: approved, or not
	// approved with Reason.
	MailJoinDecided MailKind = "join_decided"
	// MailInvitation invites an email address to join, through Link, by Deadline.
	MailInvitation MailKind = "invitation"
	// MailMembershipChanged tells a member what Change happened to their membership.
	MailMembershipChanged MailKind = "membership_changed"
	// MailWorksiteChanged tells those affected what Change happened to the worksite.
	MailWorksiteChanged MailKind = "worksite_changed"
)

// MailKinds returns every MailKind, in a fixed order: the worksite kinds, then the person kinds.
func MailKinds() []MailKind { return append(WorksiteMailKinds(), PersonMailKinds()...) }

// PersonMailKinds returns the kinds about a person's own account.
func PersonMailKinds() []MailKind {
	return []MailKind{MailAccountRegistered, MailPasswordExpiryReminder, MailPasswordExpired,
		MailApplicationReceived, MailApplicationDecided, MailWelcomePackage, MailSponsorshipRequest, MailSponsorshipApproved, MailApplicationNotice,
		MailEmailConfirmation, MailLearningAcknowledged}
}

// WorksiteMailKinds returns the kinds about a worksite; each needs a worksite ID.
func WorksiteMailKinds() []MailKind {
	return []MailKind{
		MailWorksiteRegistered,
		MailDeclarationReminder,
		MailDeclarationStalled,
		MailRegistrationLapsed,
		MailDeclarationReceived,
		MailDeclarationSigned,
		MailWorksiteApproved,
		MailWorksiteRejected,
		MailReviewEscalated,
		MailReviewBreached,
		MailRegisteredOnly,
		MailJoinRequest,
		MailJoinRequestReceived,
		MailJoinDecided,
		MailInvitation,
		MailMembershipChanged,
		MailWorksiteChanged,
	}
}

// LinkPurpose says what a signed link's token may be used for (package
// links signs and checks them); a token for one purpose is never accepted
// for another.
type LinkPurpose string

// Purposes of signed links.
const (
	// LinkDeclaration opens a worksite's declaration: the subject is the worksite ID.
	LinkDeclaration LinkPurpose = "declaration"
	// LinkJoinDecision lets one administrator answer one join request:
	// the subject is "<worksite ID>/<request ID>/<administrator subject>".
	LinkJoinDecision LinkPurpose = "join-decision"
	// LinkInvitation opens an invitation: "<worksite ID>/<invitation ID>".
	LinkInvitation LinkPurpose = "invitation"
	// LinkEmailConfirmation confirms that the person holding an account
	// receives mail at an address: "<account subject>/<nonce>", the nonce
	// naming the one address the account waits to confirm.
	LinkEmailConfirmation LinkPurpose = "email-confirmation"
)

// Recipients says who a worksite email goes to when it names no one.
type Recipients string

// Recipient groups.
const (
	ToSiteAdmins    Recipients = "site_admins"
	ToEnrolmentTeam Recipients = "enrolment_team"
)

// WorksiteEmail is one email a worksite workflow asks for (the input of
// the SendWorksiteEmail activity), sent once per Key.
type WorksiteEmail struct {
	// Key is the per-event idempotency key, e.g. "worksite/K4T6CLP/declaration_reminder/2".
	Key         string
	Kind        MailKind
	WorksiteID  string
	To          Recipients
	Seq         int
	Reason      string
	Deadline    time.Time
	SignerName  string
	SignerTitle string
	// Recipients, when set, are who the email goes to (the worksite's
	// active administrators, a requester, a member); otherwise To decides.
	Recipients []Person
	// RecipientSubjects are the Recipients' subjects, in order ("" for
	// one without an account): the relay sends to each account's current
	// address and name (Person.Subject is not part of its JSON).
	RecipientSubjects []string `json:",omitempty"`
	// MemberName and MemberProfession name who a membership email is about.
	MemberName       string
	MemberProfession string
	Comment          string
	Change           string
	// LinkPurpose and LinkSubject, when set, make the email carry a signed link.
	LinkPurpose LinkPurpose
	LinkSubject string
	// LinkExpires is when that link stops working; zero means the default
	// for its purpose.
	LinkExpires time.Time
}

// UserEmail is one email a person's workflow asks for (the input of the
// SendUserEmail activity), sent once per Key.
type UserEmail struct {
	// Key is the per-event idempotency key, e.g. "user/<subject>/account_registered/1".
	Key      string
	Kind     MailKind
	Subject  string
	Seq      int
	Deadline time.Time
	// Application emails: the worksite, what changed, why, the role given.
	WorksiteID   string
	WorksiteName string
	Change       string
	Reason       string
	BusinessRole string
	NeedsHPCAA   bool
	// Recipients, when set, get the email instead of the account owner
	// (a sponsorship request to the worksite's authorizers), which is about them.
	Recipients []Person
	// RecipientSubjects are the Recipients' subjects, as WorksiteEmail's.
	RecipientSubjects []string `json:",omitempty"`
	// ToTeam sends the email to the enrolment team's mailbox instead.
	ToTeam bool
	// EmailLink is the nonce of an email confirmation link
	// (MailEmailConfirmation): the email goes to the address the
	// account waits to confirm, unless a later change replaced it.
	EmailLink string
}

// Email is one email a workflow asks for: a worksite's or a person's
// (exactly one field is set). It rides in the projection write of the
// workflow task that asked for it, which stores it in the outbox (the
// email log) in the same transaction as the change that caused it; the
// worker's relay renders it against the current worksite and account and
// sends it, once per Key.
type Email struct {
	Worksite *WorksiteEmail `json:",omitempty"`
	User     *UserEmail     `json:",omitempty"`
}

// Key is the email's idempotency key.
func (e Email) Key() string {
	if e.Worksite != nil {
		return e.Worksite.Key
	}
	if e.User != nil {
		return e.User.Key
	}
	return ""
}

// Kind is the email's kind.
func (e Email) Kind() MailKind {
	if e.Worksite != nil {
		return e.Worksite.Kind
	}
	if e.User != nil {
		return e.User.Kind
	}
	return ""
}

// RecipientSubjects lists the subjects of people, in order, or nil when
// none has one: what WorksiteEmail and UserEmail carry so that the relay
// can send to each person's current address.
func RecipientSubjects(people []Person) []string {
	var out []string
	any := false
	for _, p := range people {
		out = append(out, p.Subject)
		any = any || p.Subject != ""
	}
	if !any {
		return nil
	}
	return out
}
