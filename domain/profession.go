package domain

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// UserType is how a profession takes part in CareConnect access (DOMAIN
// "User types and professions").
type UserType string

// User types.
const (
	Authorizer    UserType = "authorizer"     // may sponsor on-behalf-of users
	OnBehalfOf    UserType = "on_behalf_of"   // needs an authorizer's sponsorship
	Independent   UserType = "independent"    // applies alone
	NotDesignated UserType = "not_designated" // may register and join, not apply
)

// IDField is one profession ID an account must carry.
type IDField struct {
	Key     string `json:"key" mapstructure:"key"`
	Label   string `json:"label" mapstructure:"label"`
	Pattern string `json:"pattern" mapstructure:"pattern"`
	// Example is shown with a format error.
	Example string `json:"example" mapstructure:"example"`
}

// Profession is one row of the profession policy table.
type Profession struct {
	Code         string    `json:"code" mapstructure:"code"`
	Label        string    `json:"label" mapstructure:"label"`
	Type         UserType  `json:"type" mapstructure:"type"`
	NeedsSponsor bool      `json:"needsSponsor" mapstructure:"needs_sponsor"`
	NeedsHPCAA   bool      `json:"needsHpcaa" mapstructure:"needs_hpcaa"`
	CanAuthorize bool      `json:"canAuthorize" mapstructure:"can_authorize"`
	Remote       bool      `json:"remote" mapstructure:"remote"`
	Designated   bool      `json:"designated" mapstructure:"designated"`
	IDs          []IDField `json:"ids" mapstructure:"ids"`
	// Selectable is false for professions reached only through a question
	// (Resident: a physician answering "yes" to the resident question).
	Selectable bool `json:"selectable" mapstructure:"selectable"`
	// MaySponsorResidents: a resident's sponsor must be of a profession
	// with this column set (the seeds' FAQ: "a physician who is already
	// enrolled"), besides being able to authorize.
	MaySponsorResidents bool `json:"maySponsorResidents" mapstructure:"may_sponsor_residents"`
}

// SponsorFits reports whether a person of profession sponsor may sponsor
// an applicant of profession applicant: one who can authorize, and for a
// resident one whose profession may sponsor residents. Whether they are
// an active member provisioned at the worksite is for the caller to check.
func SponsorFits(sponsor, applicant Profession) bool {
	if !sponsor.CanAuthorize {
		return false
	}
	return applicant.Code != ProfResident || sponsor.MaySponsorResidents
}

// Profession codes of the default table.
const (
	ProfPhysician         = "physician"
	ProfNursePractitioner = "nurse_practitioner"
	ProfRegisteredNurse   = "registered_nurse"
	ProfResident          = "resident"
	ProfPharmacist        = "pharmacist"
	ProfRPN               = "registered_psychiatric_nurse"
	ProfLPN               = "licensed_practical_nurse"
	ProfSocialWorker      = "social_worker"
	ProfMOA               = "medical_office_assistant"
	ProfOther             = "other"
)

// cpsidPattern is DOMAIN's format for CPSIDs: A0000 or 00000.
const cpsidPattern = `^([A-Z][0-9]{4}|[0-9]{5})$`

// mspBillingPattern is DOMAIN's format for MSP billing numbers: up to 7
// digits (the seeds' example is 1234567) or the letter-and-digits form A0000.
const mspBillingPattern = `^([A-Z][0-9]{4}|[0-9]{1,7})$`

// collegeID is the ID field of professions registered with a college.
func collegeID(college string) []IDField {
	return []IDField{{Key: "college_id", Label: college + " registration number", Pattern: `^[A-Z0-9-]{3,20}$`, Example: "12345"}}
}

// DefaultProfessions is DOMAIN's profession policy table.
func DefaultProfessions() []Profession {
	physicianIDs := []IDField{
		{Key: "msp_billing_number", Label: "MSP billing number", Pattern: mspBillingPattern, Example: "1234567 or A1234"},
		{Key: "cpsid", Label: "CPSID", Pattern: cpsidPattern, Example: "A1234 or 12345"},
	}
	return []Profession{
		{Code: ProfPhysician, Label: "Physician", Type: Authorizer, NeedsHPCAA: true, CanAuthorize: true, Remote: true, Designated: true, IDs: physicianIDs, Selectable: true, MaySponsorResidents: true},
		{Code: ProfNursePractitioner, Label: "Nurse Practitioner", Type: Authorizer, NeedsHPCAA: true, CanAuthorize: true, Remote: true, Designated: true, IDs: collegeID("BCCNM"), Selectable: true},
		{Code: ProfRegisteredNurse, Label: "Registered Nurse", Type: Authorizer, NeedsHPCAA: true, CanAuthorize: true, Designated: true, IDs: collegeID("BCCNM"), Selectable: true},
		{Code: ProfResident, Label: "Resident (physician in residency)", Type: OnBehalfOf, NeedsSponsor: true, NeedsHPCAA: true, Designated: true, IDs: physicianIDs},
		{Code: ProfPharmacist, Label: "Pharmacist", Type: Independent, NeedsHPCAA: true, Designated: true, IDs: collegeID("College of Pharmacists of BC"), Selectable: true},
		{Code: ProfRPN, Label: "Registered Psychiatric Nurse", Type: Independent, NeedsHPCAA: true, Designated: true, IDs: collegeID("BCCNM"), Selectable: true},
		{Code: ProfLPN, Label: "Licensed Practical Nurse", Type: Independent, NeedsHPCAA: true, Designated: true, IDs: collegeID("BCCNM"), Selectable: true},
		{Code: ProfSocialWorker, Label: "Social Worker", Type: Independent, NeedsHPCAA: true, Designated: true, IDs: collegeID("BC College of Social Workers"), Selectable: true},
		{Code: ProfMOA, Label: "Medical Office Assistant (MOA) or other clinical support staff", Type: OnBehalfOf, NeedsSponsor: true, Designated: true, Selectable: true},
		{Code: ProfOther, Label: "Other profession (not yet designated)", Type: NotDesignated, Selectable: true},
	}
}

// Professions is a profession table indexed by code.
type Professions map[string]Profession

// IndexProfessions indexes a profession table and compiles nothing: patterns are checked by ValidateProfessions.
func IndexProfessions(rows []Profession) Professions {
	m := make(Professions, len(rows))
	for _, r := range rows {
		m[r.Code] = r
	}
	return m
}

// ValidateProfessions checks a configured table: unique codes, known types,
// compilable ID patterns, and a resident row when physicians exist.
func ValidateProfessions(rows []Profession) error {
	seen := map[string]bool{}
	for i, p := range rows {
		if p.Code == "" || seen[p.Code] {
			return fmt.Errorf("[%d].code: empty or repeated %q", i, p.Code)
		}
		seen[p.Code] = true
		switch p.Type {
		case Authorizer, OnBehalfOf, Independent, NotDesignated:
		default:
			return fmt.Errorf("[%d].type: unknown user type %q", i, p.Type)
		}
		for j, f := range p.IDs {
			if _, err := regexp.Compile(f.Pattern); err != nil || f.Key == "" {
				return fmt.Errorf("[%d].ids[%d]: key and a valid pattern are required", i, j)
			}
		}
	}
	if seen[ProfPhysician] && !seen[ProfResident] {
		return fmt.Errorf("a %q row is required when %q exists (the resident question)", ProfResident, ProfPhysician)
	}
	return nil
}

// ValidPassword applies the source system's rule: at least six characters
// with at least three of uppercase, lowercase, digit and symbol.
func ValidPassword(pw string) error {
	var upper, lower, digit, symbol bool
	n := 0
	for _, r := range pw {
		n++
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsSpace(r) && !unicode.IsControl(r):
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, symbol} {
		if b {
			classes++
		}
	}
	switch {
	case n < 6:
		return fmt.Errorf("must be at least six characters long")
	case n > 128:
		return fmt.Errorf("must be at most 128 characters long")
	case classes < 3:
		return fmt.Errorf("must contain at least three of: uppercase letters, lowercase letters, numbers, symbols")
	}
	return nil
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$`)

// NormaliseUsername returns the case-insensitive form usernames are unique by.
func NormaliseUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// PreferredNameProblem says what is wrong with a preferred first or last
// name (optional, trimmed by the caller), or "" when nothing is: at most 60
// characters of one-line text (ValidName).
func PreferredNameProblem(name string) string {
	if len(name) > 60 {
		return "must be at most 60 characters"
	}
	if err := ValidName(name); err != nil {
		return err.Error()
	}
	return ""
}

// AccountRegistration is what an applicant submits to create an HxBC account.
type AccountRegistration struct {
	PreferredFirstName string            `json:"preferredFirstName"`
	PreferredLastName  string            `json:"preferredLastName"`
	Profession         string            `json:"profession"`
	ProfessionIDs      map[string]string `json:"professionIds"`
	// IsResident answers "are you currently a medical resident?", asked of physicians only.
	IsResident          *bool  `json:"isResident"`
	Email               string `json:"email"`
	Phone               string `json:"phone"`
	Mobile              string `json:"mobile"`
	HasHANetworkAccount *bool  `json:"hasHealthAuthorityNetworkAccount"`
	Username            string `json:"username"`
	Password            string `json:"password"`
}

// ValidateAccountRegistration checks r against the profession table and
// DOMAIN's account rules. It returns the normalised registration, whose
// Profession is "resident" when a physician answered yes to the resident question.
func ValidateAccountRegistration(r AccountRegistration, profs Professions) (AccountRegistration, error) {
	fe := FieldErrors{}
	for _, s := range []*string{&r.PreferredFirstName, &r.PreferredLastName, &r.Profession, &r.Email, &r.Phone, &r.Mobile, &r.Username} {
		*s = strings.TrimSpace(*s)
	}
	if problem := PreferredNameProblem(r.PreferredFirstName); problem != "" {
		fe.Add("preferredFirstName", problem)
	}
	if problem := PreferredNameProblem(r.PreferredLastName); problem != "" {
		fe.Add("preferredLastName", problem)
	}
	p, ok := profs[r.Profession]
	switch {
	case r.Profession == "":
		fe.Add("profession", "is required")
	case !ok || !p.Selectable:
		fe.Add("profession", "is not on the profession list")
	default:
		if r.Profession == ProfPhysician {
			if r.IsResident == nil {
				fe.Add("isResident", "is required for physicians: are you currently a medical resident?")
			} else if *r.IsResident {
				r.Profession = ProfResident
				p = profs[ProfResident]
			}
		} else if r.IsResident != nil && *r.IsResident {
			fe.Add("isResident", "only physicians answer the resident question")
		}
		ids := map[string]string{}
		for _, f := range p.IDs {
			v := strings.ToUpper(strings.TrimSpace(r.ProfessionIDs[f.Key]))
			if v == "" {
				fe.Add("professionIds."+f.Key, "is required: your "+f.Label)
			} else if !regexp.MustCompile(f.Pattern).MatchString(v) {
				fe.Add("professionIds."+f.Key, "must look like "+f.Example)
			}
			ids[f.Key] = v
		}
		for k := range r.ProfessionIDs {
			if _, known := ids[k]; !known {
				fe.Add("professionIds."+k, "is not an ID of this profession")
			}
		}
		r.ProfessionIDs = ids
	}
	if r.Email == "" {
		fe.Add("email", "is required")
	} else if !ValidEmail(r.Email) {
		fe.Add("email", "must be an email address such as name@example.ca")
	} else {
		r.Email = strings.ToLower(r.Email)
	}
	if r.Phone == "" {
		fe.Add("phone", "is required")
	} else if ph, ok := NormalisePhone(r.Phone); !ok {
		fe.Add("phone", "must be a 10-digit North American phone number")
	} else {
		r.Phone = ph
	}
	if r.Mobile != "" {
		if m, ok := NormalisePhone(r.Mobile); !ok {
			fe.Add("mobile", "must be a 10-digit North American phone number")
		} else {
			r.Mobile = m
		}
	}
	if r.HasHANetworkAccount == nil {
		fe.Add("hasHealthAuthorityNetworkAccount", "is required: answer yes or no")
	}
	if r.Username == "" {
		fe.Add("username", "is required")
	} else if !usernameRE.MatchString(r.Username) {
		fe.Add("username", "must be 3 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit")
	}
	if err := ValidPassword(r.Password); err != nil {
		fe.Add("password", err.Error())
	}
	if err := fe.Err(); err != nil {
		return AccountRegistration{}, err
	}
	return r, nil
}

// ValidateProfessionChange checks the enrolment team's profession change
// and returns the normalised profession IDs.
func ValidateProfessionChange(profession string, ids map[string]string, reason string, profs Professions) (map[string]string, error) {
	fe := FieldErrors{}
	p, ok := profs[profession]
	if !ok {
		fe.Add("profession", "is not on the profession list")
	}
	fe.Merge(RequireReason(strings.TrimSpace(reason), ": say why the profession changes"))
	fe.Merge(LimitReason(reason))
	out := map[string]string{}
	for _, f := range p.IDs {
		v := strings.ToUpper(strings.TrimSpace(ids[f.Key]))
		if v == "" {
			fe.Add("professionIds."+f.Key, "is required: the "+f.Label)
		} else if !regexp.MustCompile(f.Pattern).MatchString(v) {
			fe.Add("professionIds."+f.Key, "must look like "+f.Example)
		}
		out[f.Key] = v
	}
	for k := range ids {
		if _, known := out[k]; !known && ok {
			fe.Add("professionIds."+k, "is not an ID of this profession")
		}
	}
	return out, fe.Err()
}
