package domain

import (
	"regexp"
	"strings"
	"unicode"
)

// StreetWordAbbreviations returns a copy of the street word abbreviations
// AddressKey applies ("EAST" -> "E", "AVENUE" -> "AVE"), keyed by the
// normalised word, so that address prefix search can turn what a person
// types into a prefix of the key. A copy, so no caller can change the key.
func StreetWordAbbreviations() map[string]string {
	out := make(map[string]string, len(streetWords))
	for w, a := range streetWords {
		out[w] = a
	}
	return out
}

// SearchStartsWithStreetName reports whether what a person typed into the
// address search starts with the street name rather than the street
// number: it does not start with a digit ("Broadway E, Vancouver"), or its
// first word cannot be a street number because it is a numbered street
// ("6th Ave", "21st Street": an ordinal). A first word that can be a
// street number ("370", "370A", "152" of "152 St") is read as one.
func SearchStartsWithStreetName(typed string) bool {
	s := strings.TrimLeftFunc(typed, unicode.IsSpace)
	if s == "" {
		return false
	}
	if !unicode.IsDigit([]rune(s)[0]) {
		return true
	}
	first := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })[0]
	return ordinalRE.MatchString(strings.ToUpper(first))
}

// ordinalRE is a numbered street's first word: 1ST, 2ND, 3RD, 4TH, 11TH, 21ST...
var ordinalRE = regexp.MustCompile(`^[0-9]+(ST|ND|RD|TH)$`)
