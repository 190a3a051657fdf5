package domain_test

import (
	"strings"
	"testing"

	"careconnect/domain"
)

// TestRequireReason: one rule, "a reason is required", in each form's words.
func TestRequireReason(t *testing.T) {
	cases := []struct {
		name, reason, ask string
		want              string // the "reason" field's problem; "" when accepted
	}{
		// A reason given is enough, however short.
		{"given", "declaration incomplete", "", ""},
		{"one character", "x", " when rejecting", ""},
		// Missing: the plain words, or the form's.
		{"missing", "", "", "is required"},
		{"missing when rejecting", "", " when rejecting", "is required when rejecting"},
		{"missing, say why", "", ": say why", "is required: say why"},
	}
	for _, c := range cases {
		got := fieldProblem(domain.RequireReason(c.reason, c.ask), "reason")
		if got != c.want {
			t.Errorf("%s: RequireReason(%q, %q) problem = %q; want %q", c.name, c.reason, c.ask, got, c.want)
		}
	}
}

// TestLimitReason: a reason is at most MaxReasonLength bytes.
func TestLimitReason(t *testing.T) {
	cases := []struct {
		name, reason string
		want         string
	}{
		{"empty (LimitReason does not require one)", "", ""},
		{"exactly the limit", strings.Repeat("x", domain.MaxReasonLength), ""},
		{"one byte over", strings.Repeat("x", domain.MaxReasonLength+1), "must be at most 1000 characters"},
		// Bytes, not characters: 501 two-byte characters are 1002 bytes.
		{"multibyte over", strings.Repeat("é", 501), "must be at most 1000 characters"},
	}
	for _, c := range cases {
		if got := fieldProblem(domain.LimitReason(c.reason), "reason"); got != c.want {
			t.Errorf("%s: problem = %q; want %q", c.name, got, c.want)
		}
	}
}

// TestFieldErrorsMerge: field problems of an EINVALID error join those
// already recorded, the first problem of a field winning; other errors add
// nothing.
func TestFieldErrorsMerge(t *testing.T) {
	fe := domain.FieldErrors{"reason": "first"}
	fe.Merge(domain.RequireReason("", ": say why"))
	fe.Merge((domain.FieldErrors{"locationType": "is required"}).Err())
	fe.Merge(domain.Errorf(domain.ECONFLICT, "not a field error"))
	fe.Merge(nil)
	if len(fe) != 2 || fe["reason"] != "first" || fe["locationType"] != "is required" {
		t.Errorf("merged = %v; want reason kept as first and locationType added", fe)
	}
}

// fieldProblem is err's problem for field, "" when err is nil; it fails
// on any other error.
func fieldProblem(err error, field string) string {
	if err == nil {
		return ""
	}
	de, ok := err.(*domain.Error)
	if !ok || de.Code != domain.EINVALID {
		return "unexpected error: " + err.Error()
	}
	if len(de.Fields) != 1 {
		return "unexpected fields: " + err.Error()
	}
	return de.Fields[field]
}
