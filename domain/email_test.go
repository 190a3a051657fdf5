package domain_test

import (
	"testing"

	"careconnect/domain"
)

func TestPlanEmailChange(t *testing.T) {
	tests := []struct {
		name      string
		current   string
		confirmed bool
		pending   string
		next      string
		want      domain.EmailChange
	}{
		// Never confirmed: there is nothing to keep in force.
		{"unconfirmed, same address", "a@x.ca", false, "", "a@x.ca", domain.EmailUnchanged},
		{"unconfirmed, same address in capitals", "a@x.ca", false, "", "A@X.CA", domain.EmailUnchanged},
		{"unconfirmed, a typo corrected", "a@x.ca", false, "", "b@x.ca", domain.EmailReplaced},
		// Confirmed: the confirmed address stays in force until the new one is confirmed.
		{"confirmed, a new address", "a@x.ca", true, "", "b@x.ca", domain.EmailPending},
		{"confirmed, the same address", "a@x.ca", true, "", "a@x.ca", domain.EmailUnchanged},
		{"confirmed, the pending address again", "a@x.ca", true, "b@x.ca", "b@x.ca", domain.EmailUnchanged},
		{"confirmed, another new address replaces the pending one", "a@x.ca", true, "b@x.ca", "c@x.ca", domain.EmailPending},
		{"confirmed, back to the confirmed address", "a@x.ca", true, "b@x.ca", "a@x.ca", domain.EmailWithdrawn},
	}
	for _, tt := range tests {
		if got := domain.PlanEmailChange(tt.current, tt.confirmed, tt.pending, tt.next); got != tt.want {
			t.Errorf("%s: PlanEmailChange(%q, %v, %q, %q) = %v; want %v", tt.name, tt.current, tt.confirmed, tt.pending, tt.next, got, tt.want)
		}
	}
}

func TestCheckEmailLink(t *testing.T) {
	tests := []struct {
		name     string
		facts    domain.EmailLinkFacts
		nonce    string
		want     domain.EmailLinkOutcome
		wantCode string
	}{
		{"the outstanding link", domain.EmailLinkFacts{Outstanding: "n2", Used: "n1"}, "n2", domain.EmailLinkConfirms, ""},
		// A replay of the link that confirmed the address in force changes nothing.
		{"the link used already", domain.EmailLinkFacts{Used: "n1"}, "n1", domain.EmailLinkAlreadyUsed, ""},
		{"the link used already, a new address pending", domain.EmailLinkFacts{Outstanding: "n2", Used: "n1"}, "n1", domain.EmailLinkAlreadyUsed, ""},
		// A link for an address a later change replaced confirms nothing.
		{"a replaced address's link", domain.EmailLinkFacts{Outstanding: "n3", Used: "n1"}, "n2", "", domain.EUNPROCESSABLE},
		{"nothing awaits", domain.EmailLinkFacts{}, "n2", "", domain.EUNPROCESSABLE},
		{"an empty nonce never matches", domain.EmailLinkFacts{}, "", "", domain.EUNPROCESSABLE},
		// Uniqueness is on confirmed addresses: whoever confirms first keeps it.
		{"another account confirmed it first", domain.EmailLinkFacts{Outstanding: "n2", TakenByOther: true}, "n2", "", domain.ECONFLICT},
	}
	for _, tt := range tests {
		got, err := domain.CheckEmailLink(tt.facts, tt.nonce)
		if got != tt.want || domain.ErrorCode(err) != tt.wantCode {
			t.Errorf("%s: CheckEmailLink(%+v, %q) = %q, %v; want %q, code %q", tt.name, tt.facts, tt.nonce, got, err, tt.want, tt.wantCode)
		}
	}
}

func TestCanResendEmailConfirmation(t *testing.T) {
	tests := []struct {
		name      string
		awaiting  bool
		linksSent int
		wantCode  string
	}{
		{"the first resend", true, 1, ""},
		{"the last link allowed", true, domain.MaxEmailConfirmationLinks - 1, ""},
		{"the limit reached", true, domain.MaxEmailConfirmationLinks, domain.EUNPROCESSABLE},
		{"nothing awaits confirmation", false, 0, domain.ECONFLICT},
	}
	for _, tt := range tests {
		if err := domain.CanResendEmailConfirmation(tt.awaiting, tt.linksSent); domain.ErrorCode(err) != tt.wantCode {
			t.Errorf("%s: got %v; want code %q", tt.name, err, tt.wantCode)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"priya.sharma@clinic.example.ca", "p***@clinic.example.ca"},
		{"p@x.ca", "p***@x.ca"},
		{"émilie@x.ca", "é***@x.ca"},
		{"@x.ca", "***"}, // no local part to show any of
		{"not-an-address", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := domain.MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestAccountEmails(t *testing.T) {
	tests := []struct {
		name                string
		a                   domain.Account
		confirmed, awaiting string
	}{
		{"registered, not confirmed", domain.Account{Email: "a@x.ca"}, "", "a@x.ca"},
		{"confirmed", domain.Account{Email: "a@x.ca", EmailConfirmed: true}, "a@x.ca", ""},
		{"confirmed, changing", domain.Account{Email: "a@x.ca", EmailConfirmed: true, PendingEmail: "b@x.ca"}, "a@x.ca", "b@x.ca"},
	}
	for _, tt := range tests {
		if c, w := tt.a.ConfirmedEmail(), tt.a.AwaitingEmail(); c != tt.confirmed || w != tt.awaiting {
			t.Errorf("%s: ConfirmedEmail, AwaitingEmail = %q, %q; want %q, %q", tt.name, c, w, tt.confirmed, tt.awaiting)
		}
	}
}
