package domain

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// LocationType is a worksite's location type, as chosen at registration.
type LocationType string

// Location types, per DOMAIN "Worksites".
const (
	CommunityPrivatePractice LocationType = "community_private_practice"
	HomeOffice               LocationType = "home_office"
	FirstNationsFacility     LocationType = "first_nations_facility"
	HealthAuthorityClinic    LocationType = "health_authority_clinic"
	CommunityPharmacy        LocationType = "community_pharmacy"
	LongTermCareFacility     LocationType = "long_term_care_facility"
	NoClinicalApps           LocationType = "no_clinical_apps"
	OtherLocation            LocationType = "other"
)

// Access says how far a worksite of a given type can go towards CareConnect access.
type Access string

// Access values of the worksite type policy table.
const (
	// AccessYes: full worksite enrolment; members may apply.
	AccessYes Access = "yes"
	// AccessRestricted: full worksite enrolment, but only some applicants may
	// apply (home office: physicians and NPs provisioned at a physical worksite).
	AccessRestricted Access = "restricted"
	// AccessRefused: the worksite is registered but applications are refused
	// with Reason (health authority clinics).
	AccessRefused Access = "refused"
	// AccessStops: enrolment stops after registration (Services Card only).
	AccessStops Access = "stops"
	// AccessReclassify: no access until the enrolment team reclassifies the type.
	AccessReclassify Access = "reclassify"
)

// Option is one allowed value of a worksite type's sub-option.
type Option struct {
	Value string `json:"value" mapstructure:"value"`
	Label string `json:"label" mapstructure:"label"`
}

// WorksiteTypePolicy is one row of the worksite type policy table.
type WorksiteTypePolicy struct {
	Type  LocationType `json:"type" mapstructure:"type"`
	Label string       `json:"label" mapstructure:"label"`
	// SubOptions lists the allowed sub-options; empty means the type has none.
	SubOptions []Option `json:"subOptions,omitempty" mapstructure:"sub_options"`
	// NeedsDescription is true where the sub-option is free text (Other).
	NeedsDescription bool   `json:"needsDescription,omitempty" mapstructure:"needs_description"`
	Access           Access `json:"access" mapstructure:"access"`
	// Reason explains, in words for the registrant, any access other than AccessYes.
	Reason string `json:"reason,omitempty" mapstructure:"reason"`
}

// DefaultWorksiteTypes is the worksite type policy table from DOMAIN.
func DefaultWorksiteTypes() []WorksiteTypePolicy {
	return []WorksiteTypePolicy{
		{Type: CommunityPrivatePractice, Label: "Community Based Private Practice", Access: AccessYes,
			SubOptions: []Option{{"physician_led", "Physician Led"}, {"np_led", "NP Led"}, {"rn_led", "RN Led"}, {"other", "Other"}}},
		{Type: HomeOffice, Label: "Home Office", Access: AccessRestricted,
			SubOptions: []Option{{"moh_worksite_rtvs", "MoH Worksite (RTVS)"}, {"remote_access", "Remote Access (Home Office)"}, {"other", "Other"}},
			Reason:     "only physicians and nurse practitioners already provisioned at a physical worksite may apply for access here"},
		{Type: FirstNationsFacility, Label: "First Nations Health Authority Facility", Access: AccessYes,
			SubOptions: []Option{{"physician", "Physician"}, {"np", "NP"}, {"rn", "RN"}, {"moa_led", "MOA Led"}, {"other", "Other"}}},
		{Type: HealthAuthorityClinic, Label: "Health Authority Clinic", Access: AccessRefused,
			SubOptions: []Option{{"VCHA", "VCHA"}, {"PHSA", "PHSA"}, {"IHA", "IHA"}, {"VIHA", "VIHA"}, {"NHA", "NHA"}, {"FHA", "FHA"}},
			Reason:     "CareConnect access for health authority clinics goes through the health authority, not this enrolment"},
		{Type: CommunityPharmacy, Label: "Community Pharmacy", Access: AccessYes,
			SubOptions: []Option{{"licensed", "Licensed community pharmacy"}, {"not_licensed", "Not a licensed community pharmacy"}}},
		{Type: LongTermCareFacility, Label: "Long Term Care Facility (non-Health Authority)", Access: AccessYes},
		{Type: NoClinicalApps, Label: "No Clinical Apps (Services Card registration only)", Access: AccessStops,
			Reason: "this worksite is registered for BC Services Card registration only; CareConnect enrolment stops here"},
		{Type: OtherLocation, Label: "Other", Access: AccessReclassify, NeedsDescription: true,
			Reason: "the enrolment team must reclassify this worksite's type before it can be approved for CareConnect access"},
	}
}

// WorksiteTypes is a policy table indexed by type.
type WorksiteTypes map[LocationType]WorksiteTypePolicy

// IndexWorksiteTypes indexes a policy table by type.
func IndexWorksiteTypes(rows []WorksiteTypePolicy) WorksiteTypes {
	m := make(WorksiteTypes, len(rows))
	for _, r := range rows {
		m[r.Type] = r
	}
	return m
}

// EMRVendor is one EMR vendor the registration form offers.
type EMRVendor struct {
	Name        string `json:"name" mapstructure:"name"`
	RapidAccess bool   `json:"rapidAccess" mapstructure:"rapid_access"`
}

// DefaultEMRVendors is DOMAIN's EMR vendor list. Rapid access flags default
// to false; operators set them in configuration.
func DefaultEMRVendors() []EMRVendor {
	names := []string{"Accuro", "Arya", "AVA EMR", "Collaborative Health Record (CHR)", "HWNG", "iClinic", "Jane",
		"Juno", "Kroll", "MedAccess", "MOIS", "Mustimuhw cEMR", "Myle", "Nexxys", "OSCAR", "OSCAR Pro", "Osler",
		"Plexia", "Point Click", "Other/None"}
	out := make([]EMRVendor, len(names))
	for i, n := range names {
		out[i] = EMRVendor{Name: n}
	}
	return out
}

// Address is a worksite's street address.
type Address struct {
	Unit         string `json:"unit"`
	StreetNumber string `json:"streetNumber"`
	StreetName   string `json:"streetName"`
	City         string `json:"city"`
	Province     string `json:"province"`
	PostalCode   string `json:"postalCode"`
}

// String formats the address the way Canada Post and the portal show it:
// "101-370 Broadway E, Vancouver, BC V5T 4G5".
func (a Address) String() string {
	street := strings.TrimSpace(a.StreetNumber + " " + a.StreetName)
	if a.Unit != "" {
		street = a.Unit + "-" + street
	}
	return fmt.Sprintf("%s, %s, %s %s", street, a.City, a.Province, a.PostalCode)
}

// WorksiteRegistration is what a registrant submits to register a worksite.
type WorksiteRegistration struct {
	Name             string       `json:"name"`
	Phone            string       `json:"phone"`
	Extension        string       `json:"extension"`
	Email            string       `json:"email"`
	Address          Address      `json:"address"`
	LocationType     LocationType `json:"locationType"`
	SubOption        string       `json:"subOption"`
	OtherDescription string       `json:"otherDescription"`
	EMR              string       `json:"emr"`
	// ContactName is the person to contact at the worksite (optional;
	// shown to the enrolment team).
	ContactName string `json:"contactName"`
	// Administrator is the registrant, who becomes the first site
	// administrator; the API fills it from the caller's account.
	Administrator Person `json:"-"`
}

// Person names someone the system emails.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Subject is the person's identity (BCSC subject), when they have signed in.
	Subject string `json:"-"`
}

var (
	postalCodeRE = regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]$`)
	streetNumRE  = regexp.MustCompile(`^[0-9]{1,6}[A-Z]?$`)
	unitRE       = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 -]{0,9}$`)
	extensionRE  = regexp.MustCompile(`^[0-9]{1,7}$`)
	spacesRE     = regexp.MustCompile(`\s+`)
)

// NormalisePostalCode upper-cases a Canadian postal code and puts the space
// in the middle ("v5t4g5" -> "V5T 4G5"). ok is false when it is not one.
func NormalisePostalCode(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) != 6 || !postalCodeRE.MatchString(s) {
		return "", false
	}
	return s[:3] + " " + s[3:], true
}

// NormalisePhone returns a North American number as "(604) 555-4555".
func NormalisePhone(s string) (string, bool) {
	digits := make([]byte, 0, 11)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case strings.ContainsRune(" -().+", r):
		default:
			return "", false
		}
	}
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	if len(digits) != 10 || digits[0] < '2' || digits[3] < '2' {
		return "", false
	}
	d := string(digits)
	return fmt.Sprintf("(%s) %s-%s", d[:3], d[3:6], d[6:]), true
}

// ValidEmail reports whether s is a single plain address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// streetWords maps street words to the abbreviation used in the address key,
// so that "Broadway East" and "Broadway E" are the same address.
var streetWords = map[string]string{
	"STREET": "ST", "AVENUE": "AVE", "AV": "AVE", "ROAD": "RD", "DRIVE": "DR", "BOULEVARD": "BLVD",
	"HIGHWAY": "HWY", "CRESCENT": "CRES", "PLACE": "PL", "COURT": "CRT", "LANE": "LN", "PARKWAY": "PKY",
	"EAST": "E", "WEST": "W", "NORTH": "N", "SOUTH": "S",
}

// NormaliseText upper-cases s, drops punctuation and folds white space. It
// is the form used for address keys and address prefix search.
func NormaliseText(s string) string {
	s = strings.ToUpper(s)
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(".,#'", r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(spacesRE.ReplaceAllString(s, " "))
}

// AddressKey is the normalised address without its unit: the first half of
// the unique (address, unit) pair. Its words are ordered as a person types an
// address, so a prefix of what they type is a prefix of the key.
func AddressKey(a Address) string {
	words := strings.Fields(NormaliseText(a.StreetName))
	for i, w := range words {
		if abbr, ok := streetWords[w]; ok {
			words[i] = abbr
		}
	}
	pc, _ := NormalisePostalCode(a.PostalCode)
	parts := []string{NormaliseText(a.StreetNumber), strings.Join(words, " "), NormaliseText(a.City), NormaliseText(a.Province), pc}
	return strings.Join(parts, " ")
}

// StreetKey is AddressKey without the street number: what a search by
// street name alone ("Broadway E, Vancouver") is a prefix of.
func StreetKey(a Address) string {
	key := AddressKey(a)
	_, rest, _ := strings.Cut(key, " ")
	return rest
}

// UnitKey is the normalised unit: "Suite 101" and "#101" are both "101".
// Prefixes are dropped until none is left ("Ste Unit 5" is "5"), so the key
// of a key is itself and a unit has one key however it is written.
func UnitKey(unit string) string {
	u := NormaliseText(unit)
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range []string{"UNIT ", "SUITE ", "STE "} {
			if rest, ok := strings.CutPrefix(u, p); ok {
				u, trimmed = rest, true
			}
		}
	}
	return u
}

// ValidateWorksiteRegistration checks r against DOMAIN's rules and returns
// the normalised registration, or an EINVALID *Error naming each bad field.
func ValidateWorksiteRegistration(r WorksiteRegistration, types WorksiteTypes, emrs []EMRVendor) (WorksiteRegistration, error) {
	fe := FieldErrors{}
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&r.Name, &r.ContactName, &r.Phone, &r.Extension, &r.Email, &r.SubOption, &r.OtherDescription, &r.EMR,
		&r.Address.Unit, &r.Address.StreetNumber, &r.Address.StreetName, &r.Address.City, &r.Address.Province,
		&r.Address.PostalCode, &r.Administrator.Name, &r.Administrator.Email} {
		trim(s)
	}
	// requireLen checks a required free-text field: present, at most max
	// bytes, and one line of text (ValidName).
	requireLen := func(field, v string, max int) {
		switch {
		case v == "":
			fe.Add(field, "is required")
		case len(v) > max:
			fe.Add(field, fmt.Sprintf("must be at most %d characters", max))
		case ValidName(v) != nil:
			fe.Add(field, ValidName(v).Error())
		}
	}

	requireLen("name", r.Name, 120)
	if r.ContactName != "" {
		requireLen("contactName", r.ContactName, 120)
	}
	if r.Phone == "" {
		fe.Add("phone", "is required")
	} else if p, ok := NormalisePhone(r.Phone); !ok {
		fe.Add("phone", "must be a 10-digit North American phone number, e.g. (604) 555-4555")
	} else {
		r.Phone = p
	}
	if r.Extension != "" && !extensionRE.MatchString(r.Extension) {
		fe.Add("extension", "must be 1 to 7 digits")
	}
	if r.Email == "" {
		fe.Add("email", "is required")
	} else if !ValidEmail(r.Email) {
		fe.Add("email", "must be an email address such as clinic@example.ca")
	}

	a := &r.Address
	a.Unit = UnitKey(a.Unit) // "#101", "Suite 101" and "101" are one unit
	if a.Unit != "" && !unitRE.MatchString(a.Unit) {
		fe.Add("address.unit", "must be letters and digits, e.g. 101 or 101A")
	}
	a.StreetNumber = strings.ToUpper(a.StreetNumber)
	if a.StreetNumber == "" {
		fe.Add("address.streetNumber", "is required")
	} else if !streetNumRE.MatchString(a.StreetNumber) {
		fe.Add("address.streetNumber", "must be a street number such as 370 or 370A")
	}
	requireLen("address.streetName", a.StreetName, 100)
	requireLen("address.city", a.City, 60)
	switch p := strings.ToUpper(a.Province); p {
	case "":
		fe.Add("address.province", "is required")
	case "BC", "B.C.", "BRITISH COLUMBIA":
		a.Province = "BC"
	default:
		fe.Add("address.province", "must be BC: CareConnect community enrolment is for British Columbia worksites only")
	}
	if a.PostalCode == "" {
		fe.Add("address.postalCode", "is required")
	} else if pc, ok := NormalisePostalCode(a.PostalCode); !ok {
		fe.Add("address.postalCode", "must be a Canadian postal code such as V5T 4G5")
	} else if pc[0] != 'V' {
		fe.Add("address.postalCode", "must be a British Columbia postal code (they start with V)")
	} else {
		a.PostalCode = pc
	}

	if r.LocationType == "" {
		fe.Add("locationType", "is required")
	} else if t, ok := types[r.LocationType]; !ok {
		fe.Add("locationType", "is not a known location type")
	} else {
		switch {
		case t.NeedsDescription:
			requireLen("otherDescription", r.OtherDescription, 200)
			if r.SubOption != "" {
				fe.Add("subOption", "must be empty for this location type; describe it in otherDescription")
			}
		case len(t.SubOptions) == 0:
			if r.SubOption != "" {
				fe.Add("subOption", "must be empty: "+t.Label+" has no sub-options")
			}
		case r.SubOption == "":
			fe.Add("subOption", "is required for "+t.Label)
		case !hasOption(t.SubOptions, r.SubOption):
			fe.Add("subOption", "must be one of "+optionValues(t.SubOptions))
		}
		if !t.NeedsDescription && r.OtherDescription != "" {
			fe.Add("otherDescription", "is only for location type other")
		}
	}
	if r.EMR == "" {
		fe.Add("emr", "is required (choose Other/None if you have no EMR)")
	} else if name, ok := findEMR(emrs, r.EMR); !ok {
		fe.Add("emr", "is not on the EMR vendor list")
	} else {
		r.EMR = name
	}

	requireLen("administrator.name", r.Administrator.Name, 120)
	if r.Administrator.Email == "" {
		fe.Add("administrator.email", "is required")
	} else if !ValidEmail(r.Administrator.Email) {
		fe.Add("administrator.email", "must be an email address")
	}
	if err := fe.Err(); err != nil {
		return WorksiteRegistration{}, err
	}
	return r, nil
}

func hasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func optionValues(opts []Option) string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = o.Value
	}
	return strings.Join(vs, ", ")
}

// findEMR returns the listed spelling of name, matched without regard to case.
func findEMR(emrs []EMRVendor, name string) (string, bool) {
	for _, e := range emrs {
		if strings.EqualFold(e.Name, name) {
			return e.Name, true
		}
	}
	return "", false
}

// worksiteIDAlphabet is the alphabet of worksite IDs (DOMAIN: uppercase letters and digits).
const worksiteIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// WorksiteIDLength is the length of a worksite ID.
const WorksiteIDLength = 7

var worksiteIDRE = regexp.MustCompile(`^[A-Z0-9]{7}$`)

// NewWorksiteID draws a random worksite ID from rnd (crypto/rand.Reader when nil).
// Uniqueness is the store's job: it retries on a collision.
func NewWorksiteID(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	const n = byte(len(worksiteIDAlphabet)) // 36
	out := make([]byte, 0, WorksiteIDLength)
	buf := make([]byte, 16)
	for len(out) < WorksiteIDLength {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", fmt.Errorf("domain: worksite id: %w", err)
		}
		for _, b := range buf {
			// Reject bytes past the largest multiple of 36 so every symbol is equally likely.
			if b < 252 && len(out) < WorksiteIDLength {
				out = append(out, worksiteIDAlphabet[b%n])
			}
		}
	}
	return string(out), nil
}

// ValidWorksiteID reports whether s has the worksite ID format.
func ValidWorksiteID(s string) bool { return worksiteIDRE.MatchString(s) }

// Worksite is a registered worksite as the system stores it.
type Worksite struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	Phone            string       `json:"phone"`
	Extension        string       `json:"extension,omitempty"`
	Email            string       `json:"email"`
	Address          Address      `json:"address"`
	LocationType     LocationType `json:"locationType"`
	SubOption        string       `json:"subOption,omitempty"`
	OtherDescription string       `json:"otherDescription,omitempty"`
	EMR              string       `json:"emr"`
	ContactName      string       `json:"contactName,omitempty"`
	Administrator    Person       `json:"administrator"`
	RegisteredAt     time.Time    `json:"registeredAt"`
}

// Admins returns the subjects administering the worksite.
func (w Worksite) Admins() []string {
	if w.Administrator.Subject == "" {
		return nil
	}
	return []string{w.Administrator.Subject}
}
