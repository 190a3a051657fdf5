package domain

import (
	"errors"
	"fmt"
	"sort"
)

// Error codes. They are few on purpose: each maps to one HTTP status in
// api/errors.go and nowhere else.
const (
	EINVALID       = "invalid"        // malformed input; carries field errors
	EUNAUTHORIZED  = "unauthorized"   // no or bad credentials
	EFORBIDDEN     = "forbidden"      // authenticated but not allowed
	ENOTFOUND      = "not_found"      // the record does not exist
	ECONFLICT      = "conflict"       // clashes with existing state (duplicate, already done)
	EUNPROCESSABLE = "rule_violation" // well formed, but a business rule forbids it
	EUNAVAILABLE   = "unavailable"    // a dependency is down; retry later
	ERATELIMITED   = "rate_limited"   // too many attempts; retry later
	EINTERNAL      = "internal"       // a bug or unexpected failure; never shown to callers
)

// KnownCode reports whether code is one of the error codes above, as an
// adapter asks of a code that crossed a process boundary (a workflow
// validator's refusal).
func KnownCode(code string) bool {
	switch code {
	case EINVALID, EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EUNPROCESSABLE, EUNAVAILABLE, ERATELIMITED, EINTERNAL:
		return true
	}
	return false
}

// NotFoundOrNotYours is the one message for a record that does not exist
// and for someone else's record, so that IDs cannot be probed.
const NotFoundOrNotYours = "not found, or not yours to see"

// Error is the one application error type. Message is safe to show to the
// caller; internal detail stays in wrapped errors and logs.
type Error struct {
	Code    string
	Message string
	// Fields maps a request field (JSON path) to what is wrong with it.
	Fields map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fmt.Sprintf("%s: %s (", e.Code, e.Message)
	for i, k := range keys {
		if i > 0 {
			s += "; "
		}
		s += k + ": " + e.Fields[k]
	}
	return s + ")"
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// FieldErrors collects per-field validation problems.
type FieldErrors map[string]string

// Add records problem for field unless one is already recorded.
func (f FieldErrors) Add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

// Merge records the field problems of err, an EINVALID *Error (such as
// FieldErrors.Err returns), unless one is already recorded for the field;
// any other error, and nil, add nothing.
func (f FieldErrors) Merge(err error) {
	var e *Error
	if errors.As(err, &e) && e.Code == EINVALID {
		for k, v := range e.Fields {
			f.Add(k, v)
		}
	}
}

// Err returns nil when no problem was recorded, else an EINVALID *Error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the request has invalid fields", Fields: map[string]string(f)}
}
