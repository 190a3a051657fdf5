package domain_test

import (
	"testing"

	"careconnect/domain"
)

// TestSearchStartsWithStreetName: what a person types into the address
// search is read from the street name unless its first word can be a
// street number.
func TestSearchStartsWithStreetName(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  bool
	}{
		{"370 Broadway E", false},       // from the street number
		{"370A Broadway", false},        // a number with its letter
		{"370", false},                  // a number alone, still being typed
		{"152 St, Surrey", false},       // a numbered street, after its number
		{"Broadway E, Vancouver", true}, // a street name alone
		{"broadway", true},
		{"6th Ave", true},   // a street name that begins with a number
		{"6TH AVE W", true}, // in any case
		{"  21st Street", true},
		{"2nd", true},
		{"3rd ave", true},
		{"10th, Vancouver", true},
		{"", false},
	} {
		if got := domain.SearchStartsWithStreetName(tc.typed); got != tc.want {
			t.Errorf("SearchStartsWithStreetName(%q) = %v; want %v", tc.typed, got, tc.want)
		}
	}
}
