package domain

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// errNameCharacters is ValidName's one refusal, in words for the caller.
var errNameCharacters = errors.New("must be text on one line: no line breaks, tabs or other control characters")

// ValidName checks a name-like value: a person's preferred name, a signer's
// name or title, a worksite's name, street or city. Such a value is shown
// on one line in the portal, in email subjects and greetings, in audit
// records and logs, so it must be valid UTF-8 and hold none of:
//   - control characters (Unicode Cc: C0 including tab, CR and LF; DEL; C1),
//     which break lines in emails, logs and CSV exports;
//   - line and paragraph separators (U+2028, U+2029), line breaks by
//     another name;
//   - bidirectional embeddings, overrides and isolates (U+202A-U+202E,
//     U+2066-U+2069), which make text display as other text.
//
// Joiners (U+200C, U+200D) stay: some scripts' names need them. Length is
// each caller's own rule. The error's text is a field problem.
func ValidName(s string) error {
	if !utf8.ValidString(s) || strings.IndexFunc(s, refusedInName) >= 0 {
		return errNameCharacters
	}
	return nil
}

// refusedInName reports whether r may not appear in a name (ValidName).
func refusedInName(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r), r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// CleanName returns s with every character ValidName refuses (and every
// invalid byte) replaced by a space, runs of white space folded into one
// and the ends trimmed. It is for names we cannot send back to be
// corrected: the legal names in a BC Services Card token, which the person
// cannot edit, are cleaned at sign-in rather than refused, so a stray line
// break at the identity provider does not lock them out.
func CleanName(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if refusedInName(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
