package domain

import (
	"errors"
	"time"
)

// Write is one business write that a workflow owns: the API never writes
// these rows itself; it sends the workflow an update carrying the write,
// and the workflow's projection write (the Project local activity) makes
// it in the same transaction as the status, audit and outbox rows. Exactly
// one field is set. Key names the write among a task's writes and makes
// it idempotent: a write re-run after its commit (a worker that died
// before its workflow task completed) changes nothing.
type Write struct {
	Key             string                `json:",omitempty"`
	Person          *PersonWrite          `json:",omitempty"`
	Worksite        *WorksiteWrite        `json:",omitempty"`
	Declaration     *DeclarationWrite     `json:",omitempty"`
	Account         *AccountWrite         `json:",omitempty"`
	Password        *PasswordWrite        `json:",omitempty"`
	Profession      *ProfessionWrite      `json:",omitempty"`
	WorksiteDetails *WorksiteDetailsWrite `json:",omitempty"`
	Classification  *ClassificationWrite  `json:",omitempty"`
	AccountChange   *AccountChangeWrite   `json:",omitempty"`
	EmailLink       *EmailLinkWrite       `json:",omitempty"`
	EmailConfirm    *EmailConfirmWrite    `json:",omitempty"`
}

// PersonWrite records a person who signed in with the BC Services Card:
// their row, with the legal names from the token, made by their user
// workflow's first projection write (the names replaced when a later
// sign-in brings new ones).
type PersonWrite struct {
	Subject    string
	LegalFirst string
	LegalLast  string
	At         time.Time
}

// WorksiteWrite registers a worksite under the ID the API minted: the row
// exists exactly when its workflow took the registration.
type WorksiteWrite struct {
	ID           string
	Registration WorksiteRegistration
	RegisteredAt time.Time
	Audit        AuditEvent
}

// DeclarationWrite stores a signed declaration from its staged upload (the
// screenshot's bytes stay out of the workflow's history) and claims the
// upload.
type DeclarationWrite struct {
	WorksiteID  string
	UploadID    string
	SignerName  string
	SignerTitle string
	SignerEmail string
	Attestation []string
	SignedAt    time.Time
	RequestID   string
}

// AccountWrite stores an HxBC account: the registration without its
// password, the password's hash, and the nonce of the first link that
// confirms its email.
type AccountWrite struct {
	Subject      string
	Registration AccountRegistration
	PasswordHash string
	EmailNonce   string
	At           time.Time
	Audit        AuditEvent
}

// PasswordWrite stores a new password hash.
type PasswordWrite struct {
	Subject string
	Hash    string
	At      time.Time
	Audit   AuditEvent
}

// ProfessionWrite records the enrolment team's profession correction.
type ProfessionWrite struct {
	Subject       string
	Profession    string
	ProfessionIDs map[string]string
	Audit         AuditEvent
}

// WorksiteDetailsWrite is an administrator's edit of a worksite's details.
type WorksiteDetailsWrite struct {
	WorksiteID string
	Details    WorksiteDetails
	Audit      AuditEvent
}

// ClassificationWrite is the team's change of a worksite's address and/or
// type (nil: unchanged).
type ClassificationWrite struct {
	WorksiteID       string
	Address          *Address
	LocationType     *LocationType
	SubOption        *string
	OtherDescription *string
	Audit            AuditEvent
}

// AccountChangeWrite is a person's change of their preferred names and
// contact details (PATCH /me/account). The API planned what it does to the
// email (PlanEmailChange) from the account as it read it (From,
// FromPending) and minted the new link's Nonce; the store makes the change
// only if the account still is as read (ECONFLICT otherwise: nothing is
// changed), so the workflow may act on the plan.
type AccountChangeWrite struct {
	Subject     string
	Update      AccountUpdate
	Change      EmailChange
	Nonce       string `json:",omitempty"`
	From        string
	FromPending string `json:",omitempty"`
	Audit       AuditEvent
}

// EmailLinkWrite counts one more link sent for the address awaiting
// confirmation: link Seq with Nonce, after link PrevSeq with PrevNonce
// (ECONFLICT when the account moved on meanwhile; EUNPROCESSABLE when
// MaxEmailConfirmationLinks is reached).
type EmailLinkWrite struct {
	Subject   string
	Nonce     string
	Seq       int
	PrevNonce string `json:",omitempty"`
	PrevSeq   int
}

// EmailConfirmWrite uses the confirmation link Nonce on the account
// (CheckEmailLink): the awaited address becomes the one in force. A replay
// of the link that confirmed it changes nothing.
type EmailConfirmWrite struct {
	Subject string
	Nonce   string
	At      time.Time
	Audit   AuditEvent
}

// WriteRefusal is a write the store refused for a business reason (a
// unique address or username): the projection that carried it is rolled
// back (ProjectResult.RolledBack), and its update answers with the error.
type WriteRefusal struct {
	Key     string
	Code    string
	Message string
	Fields  map[string]string `json:",omitempty"`
}

// Err is the refusal as a domain error.
func (r WriteRefusal) Err() error { return &Error{Code: r.Code, Message: r.Message, Fields: r.Fields} }

// ProjectResult is what a projection write reports back to its workflow:
// the writes refused. A refused write rolls the whole projection back
// (RolledBack): nothing of it is stored, so the change that carried the
// write leaves no trace, and the workflow writes the rest again.
type ProjectResult struct {
	Refused    []WriteRefusal `json:",omitempty"`
	RolledBack bool           `json:",omitempty"`
}

// Refusable reports whether err is a business refusal of a write (the
// write is rolled back and its update answers with err) rather than a
// failure a retry may mend.
func Refusable(err error) (*Error, bool) {
	var de *Error
	if errors.As(err, &de) {
		switch de.Code {
		case ECONFLICT, EUNPROCESSABLE, EINVALID:
			return de, true
		}
	}
	return nil, false
}

// Accepted is the answer to a write whose owner (a workflow) accepted it
// but did not finish it within the request: it will happen, whatever dies
// next, and StatusURL shows when it has. The HTTP layer answers it 202.
type Accepted struct {
	Message   string
	StatusURL string
}

// Error says the write is under way.
func (a *Accepted) Error() string { return a.Message }

// AcceptedMessage is what an accepted write says.
const AcceptedMessage = "accepted: the change is recorded and will be applied shortly; see the status"

// Unavailable is the error of a write its owner never took in time: nothing
// was changed, and a retry is safe (its validator refuses it once NotAfter
// has passed).
func Unavailable() error {
	return Errorf(EUNAVAILABLE, "that took too long; nothing was changed; try again")
}
