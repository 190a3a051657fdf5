package relay

import (
	"testing"

	"careconnect/domain"
)

func TestProfessionLabel(t *testing.T) {
	c := Config{Professions: domain.DefaultProfessions()}
	moa := ""
	for _, p := range c.Professions {
		if p.Code == domain.ProfMOA {
			moa = p.Label
		}
	}
	tests := []struct {
		name, in, want string
	}{
		// A code in the table is its label, not "medical_office_assistant".
		{"code in the table", domain.ProfMOA, moa},
		// A code the table lacks is made readable.
		{"unknown code", "dental_hygienist", "Dental hygienist"},
		// Words already are words.
		{"words", "Medical Office Assistant (MOA)", "Medical Office Assistant (MOA)"},
		// Nothing stays nothing, so the email leaves the brackets out.
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := c.ProfessionLabel(tt.in); got != tt.want {
			t.Errorf("%s: ProfessionLabel(%q) = %q; want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
