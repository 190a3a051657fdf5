// Package activities holds the side effects of the enrolment workflows:
// storage writes, projections and email. Every activity is idempotent with a
// key that survives retries and continue-as-new.
package activities

import (
	"context"
	"time"

	"careconnect/domain"
	"careconnect/links"
	"careconnect/mail"
)

// Store is the storage the activities need. *store.Store implements it.
type Store interface {
	// GetWorksite returns a worksite or an ENOTFOUND error.
	GetWorksite(ctx context.Context, id string) (domain.Worksite, error)
	// SaveWorksiteStatus upserts the worksite status projection, ignoring a
	// status older (lower Seq) than the one stored.
	SaveWorksiteStatus(ctx context.Context, st domain.WorksiteStatus) error
	// RecordAudit stores e once per e.Key.
	RecordAudit(ctx context.Context, e domain.AuditEvent) error
	// ClaimEmail records an email about to be sent under key. sent is true
	// when an email with that key was already delivered.
	ClaimEmail(ctx context.Context, key, kind string, to []string, subject string) (sent bool, err error)
	// FinishEmail records the delivery outcome of the email under key.
	FinishEmail(ctx context.Context, key string, deliveryErr error) error
	// GetAccount returns a person's account or ENOTFOUND.
	GetAccount(ctx context.Context, subject string) (domain.Account, error)
	// SaveUserStatus upserts a person's status projection, ignoring older Seq.
	SaveUserStatus(ctx context.Context, st domain.UserStatus) error
	// SaveMembership writes a worksite's membership projection, ignoring older seq.
	SaveMembership(ctx context.Context, worksiteID string, m domain.Membership, seq int) error
	// SaveApplication writes an application's projection (the team's queue).
	SaveApplication(ctx context.Context, subject, name, profession string, a domain.Application, seq int) error
}

// Mailer sends one email over SMTP. *mail.Sender implements it.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Settings are the parts of the configuration the activities use.
type Settings struct {
	PublicBaseURL  string
	TeamEmail      string
	DeclarationTTL time.Duration
	// JoinLinkTTL is how long a join request's answer link works.
	JoinLinkTTL time.Duration
	// ViewerURL is where provisioned users open CareConnect (not the portal).
	ViewerURL string
	// EmailConfirmationTTL is how long an email confirmation link works.
	EmailConfirmationTTL time.Duration
}

// Activities holds the dependencies of every activity. Register a pointer
// to it with the worker.
type Activities struct {
	Store    Store
	Mailer   Mailer
	Links    *links.Signer
	Settings Settings
}

// Recipients says who an email goes to.
type Recipients string

// Recipient groups.
const (
	ToSiteAdmins    Recipients = "site_admins"
	ToEnrolmentTeam Recipients = "enrolment_team"
)

// WorksiteEmailInput is the input of SendWorksiteEmail.
type WorksiteEmailInput struct {
	// Key is the per-event idempotency key, e.g. "worksite/K4T6CLP/declaration_reminder/2".
	Key         string
	Kind        mail.Kind
	WorksiteID  string
	To          Recipients
	Seq         int
	Reason      string
	Deadline    time.Time
	SignerName  string
	SignerTitle string
	// Recipients, when set, are who the email goes to (the worksite's
	// active administrators, a requester, a member); otherwise To decides.
	Recipients []domain.Person
	// MemberName and MemberProfession name who a membership email is about.
	MemberName       string
	MemberProfession string
	Comment          string
	Change           string
	// LinkPurpose and LinkSubject, when set, make the email carry a signed link.
	LinkPurpose string
	LinkSubject string
	// LinkExpires is when that link stops working; zero means the default
	// for its purpose.
	LinkExpires time.Time
}

// MembershipProjection is the input of ProjectMembership.
type MembershipProjection struct {
	WorksiteID string
	Membership domain.Membership
	Seq        int
}

// UserEmailInput is the input of SendUserEmail.
type UserEmailInput struct {
	// Key is the per-event idempotency key, e.g. "user/<subject>/account_registered/1".
	Key      string
	Kind     mail.Kind
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
	Recipients []domain.Person
	// ToTeam sends the email to the enrolment team's mailbox instead.
	ToTeam bool
	// EmailLink is the nonce of an email confirmation link
	// (mail.KindEmailConfirmation): the email goes to the address the
	// account waits to confirm, unless a later change replaced it.
	EmailLink string
}

// ApplicationProjection is the input of ProjectApplication.
type ApplicationProjection struct {
	Subject     string
	Name        string
	Profession  string
	Application domain.Application
	Seq         int
}
