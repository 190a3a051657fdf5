package domain_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"careconnect/domain"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *domain.Error
		want string
	}{
		// Without fields the string is "code: message".
		{"plain", domain.Errorf(domain.ECONFLICT, "worksite %s exists", "K4T6CLP"), "conflict: worksite K4T6CLP exists"},
		// Fields are listed sorted by key, so the string is stable for logs and tests.
		{"fields sorted", &domain.Error{Code: domain.EINVALID, Message: "bad", Fields: map[string]string{"phone": "p", "email": "e", "address.city": "c"}},
			"invalid: bad (address.city: c; email: e; phone: p)"},
		// An empty (non-nil) field map reads like no fields.
		{"empty fields", &domain.Error{Code: domain.EINVALID, Message: "bad", Fields: map[string]string{}}, "invalid: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	conflict := domain.Errorf(domain.ECONFLICT, "already signed")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		// nil is no error at all.
		{"nil", nil, "", ""},
		// A domain error gives its own code and message.
		{"domain", conflict, domain.ECONFLICT, "already signed"},
		// A wrapped domain error is found through the chain.
		{"wrapped", fmt.Errorf("store: %w", conflict), domain.ECONFLICT, "already signed"},
		// A joined error is found too (errors.As walks joins).
		{"joined", errors.Join(errors.New("dial tcp: refused"), domain.Errorf(domain.EUNAVAILABLE, "try later")), domain.EUNAVAILABLE, "try later"},
		// Any other error is internal and its text is never shown.
		{"foreign", errors.New("pq: password authentication failed"), domain.EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode() = %q; want %q", got, tt.wantCode)
			}
			if got := domain.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage() = %q; want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	var fe domain.FieldErrors = domain.FieldErrors{}
	if err := fe.Err(); err != nil {
		t.Fatalf("empty FieldErrors.Err() = %v; want nil", err)
	}
	fe.Add("email", "is required")
	fe.Add("email", "must be an email address") // the first problem recorded wins
	fe.Add("phone", "is required")

	err := fe.Err()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("Err() = %T; want *domain.Error", err)
	}
	if de.Code != domain.EINVALID {
		t.Errorf("Code = %q; want %q", de.Code, domain.EINVALID)
	}
	want := map[string]string{"email": "is required", "phone": "is required"}
	if !reflect.DeepEqual(de.Fields, want) {
		t.Errorf("Fields = %v; want %v", de.Fields, want)
	}
	if got, want := err.Error(), "invalid: the request has invalid fields (email: is required; phone: is required)"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

// TestKnownCode: the codes of the error model are known; anything else,
// such as an application error type from another system, is not.
func TestKnownCode(t *testing.T) {
	for _, code := range []string{domain.EINVALID, domain.EUNAUTHORIZED, domain.EFORBIDDEN, domain.ENOTFOUND, domain.ECONFLICT,
		domain.EUNPROCESSABLE, domain.EUNAVAILABLE, domain.ERATELIMITED, domain.EINTERNAL} {
		if !domain.KnownCode(code) {
			t.Errorf("KnownCode(%q) = false; want true", code)
		}
	}
	for _, code := range []string{"", "NotFound", "INVALID", "panic", "rule-violation"} {
		if domain.KnownCode(code) {
			t.Errorf("KnownCode(%q) = true; want false", code)
		}
	}
}
