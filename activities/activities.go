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
	// GetAccount returns a person's account or ENOTFOUND.
	GetAccount(ctx context.Context, subject string) (domain.Account, error)
	// SaveProjection writes what one workflow task changed, in one
	// transaction: statuses, membership and applications unless newer ones
	// are stored, audit records once per key. Errors: ENOTFOUND for an
	// unknown worksite; ECONFLICT for a membership listing a subject twice.
	SaveProjection(ctx context.Context, p domain.Projection) error
	// ClaimEmail records an email about to be sent under key. sent is true
	// when an email with that key was already delivered.
	ClaimEmail(ctx context.Context, key, kind string, to []string, subject string) (sent bool, err error)
	// FinishEmail records the delivery outcome of the email under key.
	FinishEmail(ctx context.Context, key string, deliveryErr error) error
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
