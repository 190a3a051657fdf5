package domain_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"careconnect/domain"
)

// validRegistration is a registration that passes validation unchanged,
// already in normalised form. Cases change one thing in a copy of it.
func validRegistration() domain.WorksiteRegistration {
	return domain.WorksiteRegistration{
		Name:      "Mount Pleasant Family Practice",
		Phone:     "(604) 555-4555",
		Extension: "12",
		Email:     "clinic@example.ca",
		Address: domain.Address{
			Unit: "101", StreetNumber: "370", StreetName: "Broadway E",
			City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5",
		},
		LocationType:  domain.CommunityPrivatePractice,
		SubOption:     "physician_led",
		EMR:           "OSCAR Pro",
		Administrator: domain.Person{Name: "Dana Admin", Email: "dana@example.ca"},
	}
}

// mustFieldKeys returns the sorted field keys of err, failing unless err is
// an EINVALID *domain.Error.
func mustFieldKeys(t *testing.T, err error) []string {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T); want *domain.Error", err, err)
	}
	if de.Code != domain.EINVALID {
		t.Fatalf("error code = %q; want %q", de.Code, domain.EINVALID)
	}
	keys := make([]string, 0, len(de.Fields))
	for k := range de.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestValidateWorksiteRegistration_Refused(t *testing.T) {
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	emrs := domain.DefaultEMRVendors()
	tests := []struct {
		name   string
		change func(r *domain.WorksiteRegistration)
		fields []string // exact set of fields reported
		// problem, when set, must appear in the message of the first field.
		problem string
	}{
		// Only British Columbia worksites enrol, however the province is spelled.
		{"province Alberta", func(r *domain.WorksiteRegistration) { r.Address.Province = "Alberta" }, []string{"address.province"}, "must be BC"},
		// The abbreviation of another province is refused too.
		{"province AB", func(r *domain.WorksiteRegistration) { r.Address.Province = "AB" }, []string{"address.province"}, "must be BC"},
		// Province is required.
		{"province empty", func(r *domain.WorksiteRegistration) { r.Address.Province = "  " }, []string{"address.province"}, "is required"},
		// A well-formed postal code outside BC (Calgary) is refused.
		{"postal code not V", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "T2P 1J9" }, []string{"address.postalCode"}, "start with V"},
		// Too short to be a postal code.
		{"postal code short", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "V5T 4G" }, []string{"address.postalCode"}, "Canadian postal code"},
		// D is never used in Canadian postal codes.
		{"postal code letter D", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "V5D 4G5" }, []string{"address.postalCode"}, "Canadian postal code"},
		// A dash is not a separator Canada Post uses.
		{"postal code dash", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "V5T-4G5" }, []string{"address.postalCode"}, "Canadian postal code"},
		// Postal code is required.
		{"postal code empty", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "" }, []string{"address.postalCode"}, "is required"},
		// Phone is required.
		{"phone empty", func(r *domain.WorksiteRegistration) { r.Phone = "" }, []string{"phone"}, "is required"},
		// Seven digits are a local number without area code.
		{"phone seven digits", func(r *domain.WorksiteRegistration) { r.Phone = "555-4555" }, []string{"phone"}, "10-digit"},
		// Letters are not dialable digits here.
		{"phone letters", func(r *domain.WorksiteRegistration) { r.Phone = "604-555-CARE" }, []string{"phone"}, "10-digit"},
		// North American area codes never start with 1.
		{"phone area code 1", func(r *domain.WorksiteRegistration) { r.Phone = "(104) 555-4555" }, []string{"phone"}, "10-digit"},
		// Extension is digits only.
		{"extension letters", func(r *domain.WorksiteRegistration) { r.Extension = "12a" }, []string{"extension"}, "1 to 7 digits"},
		// Extension is at most 7 digits.
		{"extension long", func(r *domain.WorksiteRegistration) { r.Extension = "12345678" }, []string{"extension"}, "1 to 7 digits"},
		// Worksite email is required.
		{"email empty", func(r *domain.WorksiteRegistration) { r.Email = "" }, []string{"email"}, "is required"},
		// Not an address at all.
		{"email invalid", func(r *domain.WorksiteRegistration) { r.Email = "clinic.example.ca" }, []string{"email"}, "email address"},
		// A display name is not a plain address.
		{"email display name", func(r *domain.WorksiteRegistration) { r.Email = "Clinic <clinic@example.ca>" }, []string{"email"}, "email address"},
		// A domain without a dot cannot be delivered to from the internet.
		{"email no dot", func(r *domain.WorksiteRegistration) { r.Email = "clinic@localhost" }, []string{"email"}, "email address"},
		// Name is required.
		{"name empty", func(r *domain.WorksiteRegistration) { r.Name = " " }, []string{"name"}, "is required"},
		// Name is at most 120 characters.
		{"name long", func(r *domain.WorksiteRegistration) { r.Name = strings.Repeat("x", 121) }, []string{"name"}, "at most 120"},
		// The contact name is optional, but when given it is one line of at most 120 characters.
		{"contact name long", func(r *domain.WorksiteRegistration) { r.ContactName = strings.Repeat("x", 121) }, []string{"contactName"}, "at most 120"},
		{"contact name with a line break", func(r *domain.WorksiteRegistration) { r.ContactName = "Dana\nLee" }, []string{"contactName"}, "no line breaks"},
		// Names are one line of text: no line breaks or other control characters.
		{"name with a line break", func(r *domain.WorksiteRegistration) { r.Name = "Proctor\r\nBcc: x@example.ca" }, []string{"name"}, "no line breaks"},
		{"name with a tab", func(r *domain.WorksiteRegistration) { r.Name = "Proctor\tClinic" }, []string{"name"}, "no line breaks"},
		{"name with an override", func(r *domain.WorksiteRegistration) { r.Name = "Proctor \u202ecinilC" }, []string{"name"}, "no line breaks"},
		{"street and city with control characters", func(r *domain.WorksiteRegistration) {
			r.Address.StreetName, r.Address.City = "Broadway\nE", "Vancouver\x1b[2J"
		}, []string{"address.city", "address.streetName"}, ""},
		{"other description with a line break", func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.OtherDescription = domain.OtherLocation, "", "Mobile\nclinic"
		}, []string{"otherDescription"}, "no line breaks"},
		{"administrator name with a line break", func(r *domain.WorksiteRegistration) { r.Administrator.Name = "Dana\nLee" },
			[]string{"administrator.name"}, "no line breaks"},
		// Contact fields refuse line breaks through their own formats.
		{"email with a line break", func(r *domain.WorksiteRegistration) { r.Email = "clinic@example.ca\r\nBcc: x@example.ca" }, []string{"email"}, "email address"},
		{"phone with a line break", func(r *domain.WorksiteRegistration) { r.Phone = "604 555\n4555" }, []string{"phone"}, ""},
		{"extension with a line break", func(r *domain.WorksiteRegistration) { r.Extension = "12\n3" }, []string{"extension"}, ""},
		// Street number is required.
		{"street number empty", func(r *domain.WorksiteRegistration) { r.Address.StreetNumber = "" }, []string{"address.streetNumber"}, "is required"},
		// Street number is digits with an optional letter.
		{"street number words", func(r *domain.WorksiteRegistration) { r.Address.StreetNumber = "three" }, []string{"address.streetNumber"}, "street number"},
		// Unit allows letters, digits, spaces and dashes only.
		{"unit slash", func(r *domain.WorksiteRegistration) { r.Address.Unit = "101/2" }, []string{"address.unit"}, "letters and digits"},
		// Street name and city are required.
		{"street and city empty", func(r *domain.WorksiteRegistration) { r.Address.StreetName, r.Address.City = "", "" },
			[]string{"address.city", "address.streetName"}, ""},
		// Location type is required.
		{"location type empty", func(r *domain.WorksiteRegistration) { r.LocationType, r.SubOption = "", "" }, []string{"locationType"}, "is required"},
		// A type not in the policy table is refused.
		{"location type unknown", func(r *domain.WorksiteRegistration) { r.LocationType, r.SubOption = "spaceport", "" }, []string{"locationType"}, "not a known"},
		// Private practice needs its sub-option.
		{"sub-option required", func(r *domain.WorksiteRegistration) { r.SubOption = "" }, []string{"subOption"}, "is required"},
		// A sub-option of another type is not one of this type's.
		{"sub-option invalid", func(r *domain.WorksiteRegistration) { r.SubOption = "VCHA" }, []string{"subOption"}, "must be one of physician_led, np_led, rn_led, other"},
		// Long term care has no sub-options, so one is forbidden.
		{"sub-option forbidden", func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption = domain.LongTermCareFacility, "licensed"
		},
			[]string{"subOption"}, "has no sub-options"},
		// Other is described in free text, not a sub-option.
		{"other with sub-option", func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.OtherDescription = domain.OtherLocation, "other", "Mobile clinic"
		}, []string{"subOption"}, "otherDescription"},
		// Other needs its description.
		{"other without description", func(r *domain.WorksiteRegistration) { r.LocationType, r.SubOption = domain.OtherLocation, "" },
			[]string{"otherDescription"}, "is required"},
		// A description is only for Other.
		{"description on private practice", func(r *domain.WorksiteRegistration) { r.OtherDescription = "Mobile clinic" },
			[]string{"otherDescription"}, "only for location type other"},
		// EMR is required (Other/None exists for clinics without one).
		{"emr empty", func(r *domain.WorksiteRegistration) { r.EMR = "" }, []string{"emr"}, "is required"},
		// EMR must be on the vendor list.
		{"emr unknown", func(r *domain.WorksiteRegistration) { r.EMR = "Epic" }, []string{"emr"}, "vendor list"},
		// Administrator name is required.
		{"administrator name empty", func(r *domain.WorksiteRegistration) { r.Administrator.Name = "" }, []string{"administrator.name"}, "is required"},
		// Administrator email is required.
		{"administrator email empty", func(r *domain.WorksiteRegistration) { r.Administrator.Email = "" }, []string{"administrator.email"}, "is required"},
		// Administrator email must be an address.
		{"administrator email invalid", func(r *domain.WorksiteRegistration) { r.Administrator.Email = "dana@" }, []string{"administrator.email"}, "email address"},
		// Every problem is reported at once, one per field.
		{"many at once", func(r *domain.WorksiteRegistration) {
			r.Phone, r.Email, r.Address.Province, r.Address.PostalCode, r.EMR = "12", "x", "ON", "M5V 2T6", ""
		}, []string{"address.postalCode", "address.province", "email", "emr", "phone"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRegistration()
			tt.change(&r)
			got, err := domain.ValidateWorksiteRegistration(r, types, emrs)
			if err == nil {
				t.Fatalf("ValidateWorksiteRegistration() error = nil; want fields %v", tt.fields)
			}
			if keys := mustFieldKeys(t, err); !reflect.DeepEqual(keys, tt.fields) {
				t.Errorf("fields = %v; want %v (error %v)", keys, tt.fields, err)
			}
			if tt.problem != "" {
				var de *domain.Error
				errors.As(err, &de)
				if msg := de.Fields[tt.fields[0]]; !strings.Contains(msg, tt.problem) {
					t.Errorf("Fields[%q] = %q; want it to contain %q", tt.fields[0], msg, tt.problem)
				}
			}
			if !reflect.DeepEqual(got, domain.WorksiteRegistration{}) {
				t.Errorf("registration = %+v; want the zero value on error", got)
			}
		})
	}
}

func TestValidateWorksiteRegistration_Normalises(t *testing.T) {
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	emrs := domain.DefaultEMRVendors()
	tests := []struct {
		name   string
		change func(r *domain.WorksiteRegistration) // applied to the input
		want   func(r *domain.WorksiteRegistration) // applied to validRegistration for the expected output
	}{
		// An already normalised registration comes back unchanged.
		{"unchanged", func(r *domain.WorksiteRegistration) {}, func(r *domain.WorksiteRegistration) {}},
		// Lowercase postal code without a space gets upper case and the space.
		{"postal code lowercase no space", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "v5t4g5" }, func(r *domain.WorksiteRegistration) {}},
		// Surrounding and inner white space is folded.
		{"postal code spaces", func(r *domain.WorksiteRegistration) { r.Address.PostalCode = "  v5t   4g5 " }, func(r *domain.WorksiteRegistration) {}},
		// Dashed phone becomes "(604) 555-4555".
		{"phone dashes", func(r *domain.WorksiteRegistration) { r.Phone = "604-555-4555" }, func(r *domain.WorksiteRegistration) {}},
		// A leading country code 1 is dropped.
		{"phone country code", func(r *domain.WorksiteRegistration) { r.Phone = "+1 604.555.4555" }, func(r *domain.WorksiteRegistration) {}},
		// Province spelled out or dotted becomes BC.
		{"province spelled out", func(r *domain.WorksiteRegistration) { r.Address.Province = "british columbia" }, func(r *domain.WorksiteRegistration) {}},
		// Dotted abbreviation becomes BC.
		{"province dotted", func(r *domain.WorksiteRegistration) { r.Address.Province = "B.C." }, func(r *domain.WorksiteRegistration) {}},
		// Unit and street number letters are upper-cased.
		{"unit and street number case", func(r *domain.WorksiteRegistration) { r.Address.Unit, r.Address.StreetNumber = "101a", "370b" },
			func(r *domain.WorksiteRegistration) { r.Address.Unit, r.Address.StreetNumber = "101A", "370B" }},
		// The contact name is trimmed and kept.
		{"contact name", func(r *domain.WorksiteRegistration) { r.ContactName = "  Dana Lee " },
			func(r *domain.WorksiteRegistration) { r.ContactName = "Dana Lee" }},
		// Every text field is trimmed.
		{"trimmed", func(r *domain.WorksiteRegistration) {
			r.Name, r.Email, r.EMR, r.Administrator.Name, r.Administrator.Email = " "+r.Name+" ", " clinic@example.ca\t", " OSCAR Pro ", " Dana Admin ", "\ndana@example.ca "
		}, func(r *domain.WorksiteRegistration) {}},
		// Other takes a description and no sub-option.
		{"other with description", func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.OtherDescription = domain.OtherLocation, "", " Mobile clinic "
		}, func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.OtherDescription = domain.OtherLocation, "", "Mobile clinic"
		}},
		// Long term care takes no sub-option; extension and unit are optional.
		{"long term care, no unit or extension", func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.Address.Unit, r.Extension = domain.LongTermCareFacility, "", "", ""
		}, func(r *domain.WorksiteRegistration) {
			r.LocationType, r.SubOption, r.Address.Unit, r.Extension = domain.LongTermCareFacility, "", "", ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validRegistration()
			tt.change(&in)
			want := validRegistration()
			tt.want(&want)
			got, err := domain.ValidateWorksiteRegistration(in, types, emrs)
			if err != nil {
				t.Fatalf("ValidateWorksiteRegistration() error = %v; want nil", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v; want %+v", got, want)
			}
		})
	}
}

func TestNormalisePostalCode(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"V5T 4G5", "V5T 4G5", true},    // canonical form
		{"v5t4g5", "V5T 4G5", true},     // lowercase, no space
		{" v5t  4g5 ", "V5T 4G5", true}, // extra white space
		{"T2P 1J9", "T2P 1J9", true},    // valid outside BC: the BC rule is the validator's
		{"V5T 4G", "", false},           // too short
		{"V5T 4G55", "", false},         // too long
		{"W5T 4G5", "", false},          // W never starts a postal code
		{"V5T 4O5", "", false},          // O is never used
		{"5VT 4G5", "", false},          // digit/letter order swapped
		{"", "", false},                 // empty
	}
	for _, tt := range tests {
		got, ok := domain.NormalisePostalCode(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalisePostalCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalisePhone(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"(604) 555-4555", "(604) 555-4555", true},  // canonical form
		{"6045554555", "(604) 555-4555", true},      // bare digits
		{"604.555.4555", "(604) 555-4555", true},    // dots
		{"+1 604 555 4555", "(604) 555-4555", true}, // country code
		{"1-604-555-4555", "(604) 555-4555", true},  // country code with dashes
		{"555-4555", "", false},                     // no area code
		{"26045554555", "", false},                  // 11 digits not starting with 1
		{"(104) 555-4555", "", false},               // area code starts with 1
		{"(604) 155-4555", "", false},               // exchange starts with 1
		{"604-555-4555 x12", "", false},             // extension belongs in its own field
		{"", "", false},                             // empty
	}
	for _, tt := range tests {
		got, ok := domain.NormalisePhone(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalisePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStreetKey(t *testing.T) {
	tests := []struct {
		a    domain.Address
		want string
	}{
		// The street number and unit are left out; the street words abbreviate as in AddressKey.
		{domain.Address{Unit: "101", StreetNumber: "370", StreetName: "Broadway East", City: "Vancouver", Province: "BC", PostalCode: "v5t4g5"},
			"BROADWAY E VANCOUVER BC V5T 4G5"},
		// A street number with a letter goes too.
		{domain.Address{StreetNumber: "12a", StreetName: "Main Street", City: "North Vancouver", Province: "BC", PostalCode: "V7L 1A1"},
			"MAIN ST NORTH VANCOUVER BC V7L 1A1"},
	}
	for _, tt := range tests {
		if got := domain.StreetKey(tt.a); got != tt.want {
			t.Errorf("StreetKey(%+v) = %q; want %q", tt.a, got, tt.want)
		}
	}
}

func TestAddressKey(t *testing.T) {
	base := domain.Address{StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"}
	with := func(f func(a *domain.Address)) domain.Address { a := base; f(&a); return a }
	const want = "370 BROADWAY E VANCOUVER BC V5T 4G5"
	if got := domain.AddressKey(base); got != want {
		t.Fatalf("AddressKey(%+v) = %q; want %q", base, got, want)
	}
	same := []struct {
		name string
		a    domain.Address
	}{
		// "East" abbreviates to "E".
		{"East", with(func(a *domain.Address) { a.StreetName = "Broadway East" })},
		// Case, punctuation and spacing do not matter.
		{"case and punctuation", with(func(a *domain.Address) { a.StreetName, a.City = "  broadway   e. ", "vancouver" })},
		// The postal code is normalised too.
		{"postal code", with(func(a *domain.Address) { a.PostalCode = "v5t4g5" })},
		// The unit is not part of the address key.
		{"unit ignored", with(func(a *domain.Address) { a.Unit = "101" })},
	}
	for _, tt := range same {
		if got := domain.AddressKey(tt.a); got != want {
			t.Errorf("%s: AddressKey(%+v) = %q; want %q", tt.name, tt.a, got, want)
		}
	}
	// Street type words abbreviate: "Main Street" == "Main St".
	if a, b := domain.AddressKey(with(func(a *domain.Address) { a.StreetName = "Main Street" })),
		domain.AddressKey(with(func(a *domain.Address) { a.StreetName = "Main St" })); a != b {
		t.Errorf("AddressKey(Main Street) = %q; want AddressKey(Main St) = %q", a, b)
	}
	// A different street number is a different address.
	if got := domain.AddressKey(with(func(a *domain.Address) { a.StreetNumber = "372" })); got == want {
		t.Errorf("AddressKey(372 Broadway E) = %q; want it to differ from %q", got, want)
	}
}

func TestUnitKey(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"101", "101"},        // bare unit
		{"#101", "101"},       // hash prefix
		{"Suite 101", "101"},  // Suite prefix
		{"ste. 101", "101"},   // abbreviated, lowercase, dotted
		{"Unit 101a", "101A"}, // Unit prefix and lowercase letter
		{"", ""},              // no unit
	}
	for _, tt := range tests {
		if got := domain.UnitKey(tt.in); got != tt.want {
			t.Errorf("UnitKey(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// countingReader yields its bytes and counts how many were read.
type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestNewWorksiteID(t *testing.T) {
	seq := func(bs ...byte) []byte { return bs }
	pad := func(b []byte, n int) []byte { return append(b, bytes.Repeat([]byte{0}, n-len(b))...) }
	tests := []struct {
		name string
		rnd  []byte
		want string
	}{
		// Byte b maps to alphabet[b%36]: A..Z then 0..9.
		{"first symbols", pad(seq(0, 1, 2, 25, 26, 35, 36), 16), "ABCZ09A"},
		// 251 is the last accepted byte (251%36 == 35, "9"); 252..255 are skipped
		// so that every symbol is equally likely.
		{"rejection", pad(seq(252, 253, 254, 255, 251, 71, 107, 143, 179, 215, 250), 16), "9999998"},
		// When a block of 16 bytes has too many rejects, another block is read.
		{"second block", append(pad(seq(255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 1, 2), 16), pad(seq(3, 4, 5, 6), 16)...), "ABCDEFG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{r: bytes.NewReader(tt.rnd)}
			got, err := domain.NewWorksiteID(r)
			if err != nil {
				t.Fatalf("NewWorksiteID() error = %v; want nil", err)
			}
			if got != tt.want {
				t.Errorf("NewWorksiteID() = %q; want %q", got, tt.want)
			}
			if r.n != len(tt.rnd) {
				t.Errorf("bytes read = %d; want %d", r.n, len(tt.rnd))
			}
			if !domain.ValidWorksiteID(got) {
				t.Errorf("ValidWorksiteID(%q) = false; want true", got)
			}
		})
	}

	// A reader that runs dry is an error, not a short or biased ID.
	if id, err := domain.NewWorksiteID(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Errorf("NewWorksiteID(10-byte reader) = %q, nil; want an error", id)
	} else if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("NewWorksiteID(10-byte reader) error = %v; want it to wrap io.ErrUnexpectedEOF", err)
	}

	// The nil reader means crypto/rand; IDs have the format and differ.
	seen := map[string]bool{}
	for range 20 {
		id, err := domain.NewWorksiteID(nil)
		if err != nil {
			t.Fatalf("NewWorksiteID(nil) error = %v; want nil", err)
		}
		if !domain.ValidWorksiteID(id) {
			t.Fatalf("NewWorksiteID(nil) = %q; want 7 uppercase letters and digits", id)
		}
		seen[id] = true
	}
	if len(seen) < 19 {
		t.Errorf("20 random IDs gave %d distinct; want about 20", len(seen))
	}
}

// TestNewWorksiteIDUniform feeds each accepted byte value 0..251 exactly
// once (and the rejected values 252..255 in between) and checks that every
// symbol of the alphabet comes out exactly 252/36 = 7 times.
func TestNewWorksiteIDUniform(t *testing.T) {
	var all []byte
	for i := range 36 {
		block := make([]byte, 0, 16)
		if i < 4 {
			block = append(block, byte(252+i)) // a rejected byte first
		}
		for k := range 7 {
			block = append(block, byte(7*i+k))
		}
		all = append(all, append(block, make([]byte, 16-len(block))...)...)
	}
	r := bytes.NewReader(all)
	counts := map[rune]int{}
	for range 36 {
		id, err := domain.NewWorksiteID(r)
		if err != nil {
			t.Fatalf("NewWorksiteID() error = %v; want nil", err)
		}
		for _, c := range id {
			counts[c]++
		}
	}
	if r.Len() != 0 {
		t.Errorf("unread bytes = %d; want 0 (one 16-byte block per ID)", r.Len())
	}
	if len(counts) != 36 {
		t.Fatalf("distinct symbols = %d; want 36", len(counts))
	}
	for c, n := range counts {
		if n != 7 {
			t.Errorf("symbol %q occurs %d times; want 7", c, n)
		}
	}
}

func TestValidWorksiteID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"K4T6CLP", true},    // example from DOMAIN
		{"0000000", true},    // digits only
		{"k4t6clp", false},   // lowercase
		{"K4T6CL", false},    // 6 characters
		{"K4T6CLPX", false},  // 8 characters
		{"K4T-CLP", false},   // punctuation
		{"K4T6CLP\n", false}, // trailing newline
		{"", false},          // empty
	}
	for _, tt := range tests {
		if got := domain.ValidWorksiteID(tt.in); got != tt.want {
			t.Errorf("ValidWorksiteID(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestAddressString(t *testing.T) {
	a := domain.Address{Unit: "101", StreetNumber: "370", StreetName: "Broadway E", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"}
	if got, want := a.String(), "101-370 Broadway E, Vancouver, BC V5T 4G5"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	a.Unit = ""
	if got, want := a.String(), "370 Broadway E, Vancouver, BC V5T 4G5"; got != want {
		t.Errorf("String() without unit = %q; want %q", got, want)
	}
}
