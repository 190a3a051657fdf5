package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// DOMAIN "Account fields": an account's email is confirmed by a signed link
// sent to it before anything is bound to it (pending LearningHub events,
// invitations), and every change of email is confirmed the same way.
//
// The rules here decide, from what the store holds, what a change of
// address and a confirmation link do. Uniqueness is on confirmed addresses:
// an unconfirmed claim binds nothing, so it must not block the address's
// owner from registering it and confirming it first.

// EmailConfirmation is where the confirmation of a person's email address
// stands, as their status shows it.
type EmailConfirmation struct {
	// Confirmed is set once an address of the account has been confirmed;
	// that address stays in force while a new one awaits confirmation.
	Confirmed bool `json:"confirmed"`
	// Awaiting is set while an address (the first one, or a new one) waits
	// for its link to be used.
	Awaiting bool `json:"awaiting"`
	// Since is when the awaited address was given.
	Since *time.Time `json:"since,omitempty"`
	// LinksSent counts the links sent to the awaited address.
	LinksSent int `json:"linksSent,omitempty"`
}

// MaxEmailConfirmationLinks bounds the links sent to one address awaiting
// confirmation (the first and the resends), so that nobody can use the
// portal to flood someone else's mailbox.
const MaxEmailConfirmationLinks = 5

// EmailChange is what changing an account's address does.
type EmailChange int

// What a change of address does.
const (
	// EmailUnchanged: the address given is the one in force (and nothing is
	// pending), or the one already pending: nothing to do.
	EmailUnchanged EmailChange = iota
	// EmailReplaced: the address in force was never confirmed, so there is
	// nothing to keep; the new one replaces it and must be confirmed.
	EmailReplaced
	// EmailPending: the confirmed address stays in force; the new one is
	// held as pending until its link is used.
	EmailPending
	// EmailWithdrawn: the confirmed address was given again; the pending
	// change is dropped and nothing needs confirming.
	EmailWithdrawn
)

// PlanEmailChange says what changing an account's address to next does,
// given its address in force (confirmed or not) and its pending address.
// Addresses are compared lower-case.
func PlanEmailChange(current string, confirmed bool, pending, next string) EmailChange {
	current, pending, next = strings.ToLower(current), strings.ToLower(pending), strings.ToLower(next)
	switch {
	case !confirmed && next == current:
		return EmailUnchanged
	case !confirmed:
		return EmailReplaced
	case next == current && pending == "":
		return EmailUnchanged
	case next == current:
		return EmailWithdrawn
	case next == pending:
		return EmailUnchanged
	}
	return EmailPending
}

// EmailLinkFacts is what the store knows when a confirmation link is used.
type EmailLinkFacts struct {
	// Outstanding is the nonce of the one link that may confirm an address
	// now ("" when no address awaits confirmation).
	Outstanding string
	// Used is the nonce of the link that confirmed the address in force.
	Used string
	// TakenByOther is set when another account has confirmed the address
	// awaiting confirmation.
	TakenByOther bool
}

// EmailLinkOutcome is what using a confirmation link does.
type EmailLinkOutcome string

// Outcomes of a confirmation link.
const (
	// EmailLinkConfirms: the link confirms the address awaiting confirmation.
	EmailLinkConfirms EmailLinkOutcome = "confirmed"
	// EmailLinkAlreadyUsed: the link already confirmed the address in force
	// (a replay, or a second click): nothing changes.
	EmailLinkAlreadyUsed EmailLinkOutcome = "already_confirmed"
)

// CheckEmailLink says what using the confirmation link with nonce does.
// A link is the credential for one address: it confirms nothing once a
// later change (or a confirmation) has replaced that address, and nothing
// another account has confirmed first. Errors: EUNPROCESSABLE (the link is
// for an address no longer awaiting confirmation), ECONFLICT (another
// account confirmed the address first).
func CheckEmailLink(f EmailLinkFacts, nonce string) (EmailLinkOutcome, error) {
	switch {
	case nonce == "":
		return "", Errorf(EUNPROCESSABLE, "this link is not valid; use the most recent link we emailed you")
	case f.Outstanding == nonce && f.TakenByOther:
		return "", Errorf(ECONFLICT, "another HxBC account has already confirmed this email address; change the email address on your account to one of your own")
	case f.Outstanding == nonce:
		return EmailLinkConfirms, nil
	case f.Used == nonce:
		return EmailLinkAlreadyUsed, nil
	}
	return "", Errorf(EUNPROCESSABLE, "this link is for an email address your account no longer waits to confirm; use the most recent link we emailed you, or send a new one from your status page")
}

// CanResendEmailConfirmation says whether another link may be sent to the
// address awaiting confirmation, of which linksSent have been sent.
// Errors: ECONFLICT (no address awaits confirmation), EUNPROCESSABLE (the
// limit of links for the address is reached).
func CanResendEmailConfirmation(awaiting bool, linksSent int) error {
	switch {
	case !awaiting:
		return Errorf(ECONFLICT, "your email address is already confirmed; there is nothing to confirm")
	case linksSent >= MaxEmailConfirmationLinks:
		return Errorf(EUNPROCESSABLE, "%d links have already been sent to this address; check your junk mail folder, or change your email address on your account", MaxEmailConfirmationLinks)
	}
	return nil
}

// MaskEmail hides the local part of an address but its first character,
// for records that must say which address without keeping it
// ("priya.sharma@clinic.example.ca" becomes "p***@clinic.example.ca").
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(addr)
	return string(r) + "***" + addr[at:]
}
