package enrolment

import (
	"testing"

	"careconnect/domain"
)

// TestValidateAccountUpdateNames: preferred names are one line of text, as
// at registration (domain.PreferredNameProblem).
func TestValidateAccountUpdateNames(t *testing.T) {
	s := func(v string) *string { return &v }
	cases := []struct {
		name  string
		req   AccountChange
		field string // the field refused; "" when accepted
	}{
		{"plain names", AccountChange{PreferredFirstName: s("Pri"), PreferredLastName: s("Sharma")}, ""},
		{"surrounding space is trimmed", AccountChange{PreferredFirstName: s(" Pri\n")}, ""},
		{"first name with a line break", AccountChange{PreferredFirstName: s("Pri\r\nBcc: x@example.ca")}, "preferredFirstName"},
		{"last name with an escape sequence", AccountChange{PreferredLastName: s("Sharma\x1b[2J")}, "preferredLastName"},
		{"last name with an override", AccountChange{PreferredLastName: s("Sh\u202eamra")}, "preferredLastName"},
		{"first name too long", AccountChange{PreferredFirstName: s(string(make([]byte, 61)))}, "preferredFirstName"},
	}
	for _, c := range cases {
		_, err := validateAccountChange(c.req)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v; want accepted", c.name, err)
			}
			continue
		}
		var fields map[string]string
		if de, ok := err.(*domain.Error); ok {
			fields = de.Fields
		}
		if fields[c.field] == "" || len(fields) != 1 {
			t.Errorf("%s: err = %v; want only %s refused", c.name, err, c.field)
		}
	}
}
