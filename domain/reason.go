package domain

// MaxReasonLength is the longest reason (in bytes) a caller may give for a
// decision; it is recorded in the audit trail and emailed.
const MaxReasonLength = 1000

// RequireReason is the one rule "a reason is required": a decision that
// must say why (a rejection, a suspension, a reclassification...) carries
// a reason, already trimmed by the caller. ask completes "is required" in
// the words of the form that asks (" when rejecting", ": say why"; "" for
// none). It returns nil, or an EINVALID error naming the "reason" field.
func RequireReason(reason, ask string) error {
	if reason == "" {
		return (FieldErrors{"reason": "is required" + ask}).Err()
	}
	return nil
}

// LimitReason refuses a reason longer than MaxReasonLength, with an
// EINVALID error naming the "reason" field.
func LimitReason(reason string) error {
	if len(reason) > MaxReasonLength {
		return (FieldErrors{"reason": "must be at most 1000 characters"}).Err()
	}
	return nil
}
