package domain_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"careconnect/domain"
)

// fieldErrors returns the field errors of an EINVALID error, failing the
// test when err is something else.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EINVALID {
		t.Fatalf("error = %v (%T); want an EINVALID *domain.Error", err, err)
	}
	return de.Fields
}

// fieldNames lists the fields of an error's field map, sorted.
func fieldNames(f map[string]string) []string {
	out := make([]string, 0, len(f))
	for k := range f {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestValidPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		// wantErr is a word the refusal must contain; "" means accepted.
		wantErr string
	}{
		// The example password of the account helpers: upper, lower, digit, symbol.
		{"all four classes", "Secret!42", ""},
		// Exactly six characters with three classes is the minimum.
		{"six characters, three classes", "Abc123", ""},
		{"upper lower symbol", "Abcde!", ""},
		{"upper digit symbol", "ABC12!", ""},
		{"lower digit symbol", "abc12!", ""},
		// Five characters fail on length even with every class.
		{"five characters", "Ab1!x", "six"},
		{"empty", "", "six"},
		// Two classes are not enough, however long.
		{"lower and upper only", "abcdefGHIJKL", "three"},
		{"lower and digits only", "abcdef123456", "three"},
		{"digits and symbols only", "123456!!!!", "three"},
		{"one class", "aaaaaaaaaaaa", "three"},
		// Symbols are any printable non-alphanumeric ASCII.
		{"symbols count", "abc.12", ""},
		{"backslash and braces count", `ab{}\1`, ""},
		// Spaces are not a symbol class.
		{"spaces are not symbols", "abc   123", "three"},
		// Length counts characters, not bytes: five two-byte letters and one digit
		// are ten bytes but six characters.
		{"unicode counts characters", "ÉéÉé1A", ""},
		{"four unicode characters are too short", "Éé1A", "six"},
		// 128 characters is the longest accepted password.
		{"128 characters", "Aa1!" + strings.Repeat("x", 124), ""},
		{"129 characters", "Aa1!" + strings.Repeat("x", 125), "128"},
		{"129 multibyte characters", "Aa1!" + strings.Repeat("é", 125), "128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidPassword(tt.pw)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidPassword(%q) = %v; want nil", tt.pw, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("ValidPassword(%q) = nil; want an error mentioning %q", tt.pw, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("ValidPassword(%q) = %v; want it to mention %q", tt.pw, err, tt.wantErr)
			}
		})
	}
}

// validAccount is a physician registration (not a resident) that passes
// validation unchanged, already in normalised form. Cases change one thing
// in a copy of it.
func validAccount() domain.AccountRegistration {
	no := false
	return domain.AccountRegistration{
		PreferredFirstName:  "Pri",
		PreferredLastName:   "Sharma",
		Profession:          domain.ProfPhysician,
		ProfessionIDs:       map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"},
		IsResident:          &no,
		Email:               "priya@clinic.example.ca",
		Phone:               "(604) 555-0100",
		HasHANetworkAccount: &no,
		Username:            "psharma",
		Password:            "Secret!42",
	}
}

func boolPtr(b bool) *bool { return &b }

func TestValidateAccountRegistrationValid(t *testing.T) {
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	tests := []struct {
		name string
		edit func(r *domain.AccountRegistration)
		// check inspects the normalised registration.
		check func(t *testing.T, got domain.AccountRegistration)
	}{
		{"unchanged", func(r *domain.AccountRegistration) {}, func(t *testing.T, got domain.AccountRegistration) {
			if !reflect.DeepEqual(got, validAccount()) {
				t.Errorf("got %+v; want the input unchanged %+v", got, validAccount())
			}
		}},
		// Physician IDs are stored upper-case and trimmed: a0000 is A0000.
		{"lowercase physician IDs are normalised", func(r *domain.AccountRegistration) {
			r.ProfessionIDs = map[string]string{"msp_billing_number": " a1234 ", "cpsid": "b9876"}
		}, func(t *testing.T, got domain.AccountRegistration) {
			want := map[string]string{"msp_billing_number": "A1234", "cpsid": "B9876"}
			if !reflect.DeepEqual(got.ProfessionIDs, want) {
				t.Errorf("ProfessionIDs = %v; want %v", got.ProfessionIDs, want)
			}
		}},
		// A physician answering yes to the resident question becomes a Resident.
		{"physician resident becomes resident", func(r *domain.AccountRegistration) {
			r.IsResident = boolPtr(true)
		}, func(t *testing.T, got domain.AccountRegistration) {
			if got.Profession != domain.ProfResident {
				t.Errorf("Profession = %q; want %q", got.Profession, domain.ProfResident)
			}
			if got.ProfessionIDs["msp_billing_number"] != "A1234" || got.ProfessionIDs["cpsid"] != "12345" {
				t.Errorf("ProfessionIDs = %v; want the physician IDs kept", got.ProfessionIDs)
			}
		}},
		// Email is case-insensitive and stored lower-case; contact fields are trimmed and formatted.
		{"email, phone and mobile normalised", func(r *domain.AccountRegistration) {
			r.Email, r.Phone, r.Mobile = " Priya@Clinic.Example.CA ", "604.555.0100", "+1 250 555 0199"
		}, func(t *testing.T, got domain.AccountRegistration) {
			if got.Email != "priya@clinic.example.ca" || got.Phone != "(604) 555-0100" || got.Mobile != "(250) 555-0199" {
				t.Errorf("email, phone, mobile = %q, %q, %q; want normalised", got.Email, got.Phone, got.Mobile)
			}
		}},
		// An MOA has no profession IDs and is not asked the resident question.
		{"moa without IDs", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfMOA, nil, nil
		}, func(t *testing.T, got domain.AccountRegistration) {
			if got.Profession != domain.ProfMOA || len(got.ProfessionIDs) != 0 {
				t.Errorf("got profession %q IDs %v; want moa with none", got.Profession, got.ProfessionIDs)
			}
		}},
		// A non-physician answering "no" to a question not asked of them is harmless.
		{"nurse practitioner answering no", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfNursePractitioner, map[string]string{"college_id": "np-1001"}, boolPtr(false)
		}, func(t *testing.T, got domain.AccountRegistration) {
			if got.Profession != domain.ProfNursePractitioner || got.ProfessionIDs["college_id"] != "NP-1001" {
				t.Errorf("got %q %v; want nurse_practitioner with NP-1001", got.Profession, got.ProfessionIDs)
			}
		}},
		// A profession not yet designated may still register an account.
		{"other profession may register", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfOther, nil, nil
		}, func(t *testing.T, got domain.AccountRegistration) {
			if got.Profession != domain.ProfOther {
				t.Errorf("Profession = %q; want other", got.Profession)
			}
		}},
		{"mixed-case username kept as typed", func(r *domain.AccountRegistration) { r.Username = " Dr.Lee_2 " },
			func(t *testing.T, got domain.AccountRegistration) {
				if got.Username != "Dr.Lee_2" {
					t.Errorf("Username = %q; want it trimmed, case kept", got.Username)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validAccount()
			tt.edit(&r)
			got, err := domain.ValidateAccountRegistration(r, profs)
			if err != nil {
				t.Fatalf("ValidateAccountRegistration: %v; want nil", err)
			}
			tt.check(t, got)
		})
	}
}

func TestValidateAccountRegistrationInvalid(t *testing.T) {
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	tests := []struct {
		name string
		edit func(r *domain.AccountRegistration)
		// want are exactly the fields that must be reported.
		want []string
	}{
		{"no profession", func(r *domain.AccountRegistration) { r.Profession = "" }, []string{"profession"}},
		{"unknown profession", func(r *domain.AccountRegistration) { r.Profession = "astronaut" }, []string{"profession"}},
		// Resident is reached only through the physician question.
		{"resident is not a direct choice", func(r *domain.AccountRegistration) { r.Profession, r.IsResident = domain.ProfResident, nil },
			[]string{"profession"}},
		// Physicians must answer the resident question.
		{"physician without resident answer", func(r *domain.AccountRegistration) { r.IsResident = nil }, []string{"isResident"}},
		// Only physicians may say they are residents.
		{"pharmacist claiming residency", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfPharmacist, map[string]string{"college_id": "PH-3003"}, boolPtr(true)
		}, []string{"isResident"}},
		{"moa claiming residency", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfMOA, nil, boolPtr(true)
		}, []string{"isResident"}},
		{"missing MSP billing number", func(r *domain.AccountRegistration) { delete(r.ProfessionIDs, "msp_billing_number") },
			[]string{"professionIds.msp_billing_number"}},
		{"missing both physician IDs", func(r *domain.AccountRegistration) { r.ProfessionIDs = nil },
			[]string{"professionIds.cpsid", "professionIds.msp_billing_number"}},
		{"blank CPSID", func(r *domain.AccountRegistration) { r.ProfessionIDs["cpsid"] = "  " }, []string{"professionIds.cpsid"}},
		// Residents keep the physician IDs and their format.
		{"resident with a bad CPSID", func(r *domain.AccountRegistration) { r.IsResident, r.ProfessionIDs["cpsid"] = boolPtr(true), "1234" },
			[]string{"professionIds.cpsid"}},
		{"nurse without college ID", func(r *domain.AccountRegistration) {
			r.Profession, r.ProfessionIDs, r.IsResident = domain.ProfRegisteredNurse, nil, nil
		}, []string{"professionIds.college_id"}},
		// An ID another profession carries is refused rather than silently dropped.
		{"physician sending a college ID", func(r *domain.AccountRegistration) { r.ProfessionIDs["college_id"] = "X123" },
			[]string{"professionIds.college_id"}},
		{"moa sending an ID", func(r *domain.AccountRegistration) {
			r.Profession, r.IsResident, r.ProfessionIDs = domain.ProfMOA, nil, map[string]string{"cpsid": "12345"}
		}, []string{"professionIds.cpsid"}},
		{"no email", func(r *domain.AccountRegistration) { r.Email = " " }, []string{"email"}},
		{"email without domain dot", func(r *domain.AccountRegistration) { r.Email = "priya@clinic" }, []string{"email"}},
		{"email with display name", func(r *domain.AccountRegistration) { r.Email = "Priya <priya@clinic.example.ca>" }, []string{"email"}},
		{"no phone", func(r *domain.AccountRegistration) { r.Phone = "" }, []string{"phone"}},
		{"short phone", func(r *domain.AccountRegistration) { r.Phone = "555-0100" }, []string{"phone"}},
		{"phone with letters", func(r *domain.AccountRegistration) { r.Phone = "604-555-CALL" }, []string{"phone"}},
		{"bad mobile", func(r *domain.AccountRegistration) { r.Mobile = "12" }, []string{"mobile"}},
		// The health authority network question must be answered, yes or no.
		{"HA network question unanswered", func(r *domain.AccountRegistration) { r.HasHANetworkAccount = nil },
			[]string{"hasHealthAuthorityNetworkAccount"}},
		{"no username", func(r *domain.AccountRegistration) { r.Username = "" }, []string{"username"}},
		{"username too short", func(r *domain.AccountRegistration) { r.Username = "ab" }, []string{"username"}},
		{"username too long", func(r *domain.AccountRegistration) { r.Username = strings.Repeat("a", 33) }, []string{"username"}},
		{"username starting with a dot", func(r *domain.AccountRegistration) { r.Username = ".lee" }, []string{"username"}},
		{"username with a space", func(r *domain.AccountRegistration) { r.Username = "dr lee" }, []string{"username"}},
		{"username with a backslash", func(r *domain.AccountRegistration) { r.Username = `HXBC\lee` }, []string{"username"}},
		{"username with an at sign", func(r *domain.AccountRegistration) { r.Username = "lee@clinic" }, []string{"username"}},
		{"weak password", func(r *domain.AccountRegistration) { r.Password = "password" }, []string{"password"}},
		{"preferred first name too long", func(r *domain.AccountRegistration) { r.PreferredFirstName = strings.Repeat("a", 61) },
			[]string{"preferredFirstName"}},
		{"preferred last name too long", func(r *domain.AccountRegistration) { r.PreferredLastName = strings.Repeat("a", 61) },
			[]string{"preferredLastName"}},
		// Preferred names are one line of text.
		{"preferred first name with a line break", func(r *domain.AccountRegistration) { r.PreferredFirstName = "Al\r\nBcc: x@example.ca" },
			[]string{"preferredFirstName"}},
		{"preferred last name with a control character", func(r *domain.AccountRegistration) { r.PreferredLastName = "Lee\x1b[2J" },
			[]string{"preferredLastName"}},
		{"email with a line break", func(r *domain.AccountRegistration) { r.Email = "lee@example.ca\nBcc: x@example.ca" }, []string{"email"}},
		// Every problem is reported at once.
		{"everything missing", func(r *domain.AccountRegistration) { *r = domain.AccountRegistration{} },
			[]string{"email", "hasHealthAuthorityNetworkAccount", "password", "phone", "profession", "username"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validAccount()
			tt.edit(&r)
			got, err := domain.ValidateAccountRegistration(r, profs)
			if err == nil {
				t.Fatalf("ValidateAccountRegistration = %+v, nil; want fields %v refused", got, tt.want)
			}
			if names := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(names, tt.want) {
				t.Errorf("refused fields = %v; want %v (%v)", names, tt.want, err)
			}
			if !reflect.DeepEqual(got, domain.AccountRegistration{}) {
				t.Errorf("got %+v with an error; want the zero registration", got)
			}
		})
	}
}

func TestPhysicianIDFormats(t *testing.T) {
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	type idCase struct {
		id string
		// want is the stored ID; "" means refused.
		want string
	}
	// both are the cases where the two IDs agree.
	both := []idCase{
		{"A0000", "A0000"},
		{"00000", "00000"},
		{"Z9876", "Z9876"},
		{"12345", "12345"},
		// Lower case is normalised to upper case.
		{"a0000", "A0000"},
		{" b1234\t", "B1234"},
		{"AB123", ""},
		{"A123", ""},
		{"A12345", ""},
		{"A-123", ""},
		{"A 123", ""},
		{"1234A", ""},
		{"É1234", ""},
		{"１２３４５", ""}, // full-width digits
		{"12345678", ""},
	}
	formats := []struct {
		key     string
		example string
		cases   []idCase
	}{
		// The MSP billing number is up to 7 digits (the seeds' 1234567) or A0000.
		{"msp_billing_number", "1234567 or A1234", append([]idCase{{"1234567", "1234567"}, {"123456", "123456"}, {"1234", "1234"}, {"7", "7"}}, both...)},
		// The CPSID is exactly A0000 or 00000.
		{"cpsid", "A1234 or 12345", append([]idCase{{"1234", ""}, {"123456", ""}, {"1234567", ""}}, both...)},
	}
	for _, f := range formats {
		for _, tt := range f.cases {
			key := f.key
			t.Run(key+"/"+tt.id, func(t *testing.T) {
				r := validAccount()
				r.ProfessionIDs[key] = tt.id
				got, err := domain.ValidateAccountRegistration(r, profs)
				if tt.want == "" {
					if err == nil {
						t.Fatalf("%s %q accepted as %q; want refused", key, tt.id, got.ProfessionIDs[key])
					}
					fe := fieldErrors(t, err)
					if !strings.Contains(fe["professionIds."+key], f.example) {
						t.Errorf("refusal = %v; want professionIds.%s to show the example format %q", fe, key, f.example)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s %q: %v; want accepted", key, tt.id, err)
				}
				if got.ProfessionIDs[key] != tt.want {
					t.Errorf("%s %q stored as %q; want %q", key, tt.id, got.ProfessionIDs[key], tt.want)
				}
			})
		}
	}
}

func TestCollegeIDFormats(t *testing.T) {
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	tests := []struct {
		id   string
		want string // "" means refused
	}{
		{"12345", "12345"},
		{"rn-2002", "RN-2002"},
		{"ABC", "ABC"},
		{"AB", ""},
		{strings.Repeat("1", 21), ""},
		{"RN 2002", ""},
		{"RN_2002", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := validAccount()
			r.Profession, r.IsResident, r.ProfessionIDs = domain.ProfPharmacist, nil, map[string]string{"college_id": tt.id}
			got, err := domain.ValidateAccountRegistration(r, profs)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("college_id %q accepted; want refused", tt.id)
			case tt.want != "" && err != nil:
				t.Errorf("college_id %q: %v; want accepted", tt.id, err)
			case tt.want != "" && got.ProfessionIDs["college_id"] != tt.want:
				t.Errorf("college_id %q stored as %q; want %q", tt.id, got.ProfessionIDs["college_id"], tt.want)
			}
		})
	}
}

func TestDefaultProfessionsMatchDomain(t *testing.T) {
	rows := domain.DefaultProfessions()
	if err := domain.ValidateProfessions(rows); err != nil {
		t.Fatalf("ValidateProfessions(DefaultProfessions()) = %v; want nil", err)
	}
	profs := domain.IndexProfessions(rows)
	// DOMAIN's policy table, row by row.
	tests := []struct {
		code                                      string
		typ                                       domain.UserType
		sponsor, hpcaa, authorize, remote, choose bool
	}{
		{domain.ProfPhysician, domain.Authorizer, false, true, true, true, true},
		{domain.ProfNursePractitioner, domain.Authorizer, false, true, true, true, true},
		{domain.ProfRegisteredNurse, domain.Authorizer, false, true, true, false, true},
		{domain.ProfResident, domain.OnBehalfOf, true, true, false, false, false},
		{domain.ProfPharmacist, domain.Independent, false, true, false, false, true},
		{domain.ProfRPN, domain.Independent, false, true, false, false, true},
		{domain.ProfLPN, domain.Independent, false, true, false, false, true},
		{domain.ProfSocialWorker, domain.Independent, false, true, false, false, true},
		{domain.ProfMOA, domain.OnBehalfOf, true, false, false, false, true},
		{domain.ProfOther, domain.NotDesignated, false, false, false, false, true},
	}
	if len(profs) != len(tests) {
		t.Errorf("default table has %d professions; want %d", len(profs), len(tests))
	}
	for _, tt := range tests {
		p, ok := profs[tt.code]
		if !ok {
			t.Errorf("no %q row", tt.code)
			continue
		}
		if p.Type != tt.typ || p.NeedsSponsor != tt.sponsor || p.NeedsHPCAA != tt.hpcaa || p.CanAuthorize != tt.authorize ||
			p.Remote != tt.remote || p.Selectable != tt.choose {
			t.Errorf("%s = %+v; want type %s sponsor %v hpcaa %v authorize %v remote %v selectable %v",
				tt.code, p, tt.typ, tt.sponsor, tt.hpcaa, tt.authorize, tt.remote, tt.choose)
		}
		if p.Designated == (tt.typ == domain.NotDesignated) {
			t.Errorf("%s Designated = %v; want %v", tt.code, p.Designated, tt.typ != domain.NotDesignated)
		}
	}
}

func TestValidateProfessions(t *testing.T) {
	tests := []struct {
		name string
		edit func([]domain.Profession) []domain.Profession
		// want is a word the error must contain; "" means valid.
		want string
	}{
		{"default table", func(p []domain.Profession) []domain.Profession { return p }, ""},
		{"empty table", func([]domain.Profession) []domain.Profession { return nil }, ""},
		// Without physicians the resident row is not needed.
		{"no physician, no resident", func([]domain.Profession) []domain.Profession {
			return []domain.Profession{{Code: domain.ProfMOA, Type: domain.OnBehalfOf}}
		}, ""},
		{"empty code", func(p []domain.Profession) []domain.Profession { p[2].Code = ""; return p }, "[2].code"},
		{"repeated code", func(p []domain.Profession) []domain.Profession { p[3].Code = p[0].Code; return p }, "[3].code"},
		{"unknown type", func(p []domain.Profession) []domain.Profession { p[1].Type = "wizard"; return p }, "[1].type"},
		{"empty type", func(p []domain.Profession) []domain.Profession { p[1].Type = ""; return p }, "[1].type"},
		{"uncompilable ID pattern", func(p []domain.Profession) []domain.Profession {
			p[0].IDs = []domain.IDField{{Key: "cpsid", Pattern: "(["}}
			return p
		}, "[0].ids[0]"},
		{"ID without key", func(p []domain.Profession) []domain.Profession {
			p[0].IDs = append([]domain.IDField{}, p[0].IDs...)
			p[0].IDs[1].Key = ""
			return p
		}, "[0].ids[1]"},
		// The resident question needs a resident row to land on.
		{"physician without resident", func(p []domain.Profession) []domain.Profession {
			var out []domain.Profession
			for _, r := range p {
				if r.Code != domain.ProfResident {
					out = append(out, r)
				}
			}
			return out
		}, "resident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateProfessions(tt.edit(domain.DefaultProfessions()))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateProfessions = %v; want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("ValidateProfessions = nil; want an error naming %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("ValidateProfessions = %v; want it to name %q", err, tt.want)
			}
		})
	}
}

func TestValidateProfessionChange(t *testing.T) {
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	const reason = "CPSBC confirms residency ended"
	tests := []struct {
		name       string
		profession string
		ids        map[string]string
		reason     string
		want       map[string]string // the normalised IDs when valid
		wantFields []string          // the refused fields when invalid
	}{
		{"to physician", domain.ProfPhysician, map[string]string{"msp_billing_number": "a1234", "cpsid": " 12345 "}, reason,
			map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}, nil},
		// The team may set Resident, which applicants cannot pick directly.
		{"to resident", domain.ProfResident, map[string]string{"msp_billing_number": "B2345", "cpsid": "23456"}, reason,
			map[string]string{"msp_billing_number": "B2345", "cpsid": "23456"}, nil},
		{"to moa", domain.ProfMOA, nil, reason, map[string]string{}, nil},
		{"to pharmacist", domain.ProfPharmacist, map[string]string{"college_id": "ph-1"}, reason,
			map[string]string{"college_id": "PH-1"}, nil},
		{"unknown profession", "astronaut", nil, reason, nil, []string{"profession"}},
		// An unknown profession does not also report its IDs as unknown.
		{"unknown profession with IDs", "astronaut", map[string]string{"x": "1"}, reason, nil, []string{"profession"}},
		{"no reason", domain.ProfMOA, nil, "  ", nil, []string{"reason"}},
		{"reason too long", domain.ProfMOA, nil, strings.Repeat("x", 1001), nil, []string{"reason"}},
		{"missing IDs", domain.ProfPhysician, nil, reason, nil, []string{"professionIds.cpsid", "professionIds.msp_billing_number"}},
		{"bad ID", domain.ProfPhysician, map[string]string{"msp_billing_number": "A12", "cpsid": "12345"}, reason, nil,
			[]string{"professionIds.msp_billing_number"}},
		{"ID of another profession", domain.ProfMOA, map[string]string{"cpsid": "12345"}, reason, nil, []string{"professionIds.cpsid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ValidateProfessionChange(tt.profession, tt.ids, tt.reason, profs)
			if tt.wantFields != nil {
				if err == nil {
					t.Fatalf("ValidateProfessionChange = %v, nil; want fields %v refused", got, tt.wantFields)
				}
				if names := fieldNames(fieldErrors(t, err)); !reflect.DeepEqual(names, tt.wantFields) {
					t.Errorf("refused fields = %v; want %v", names, tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateProfessionChange: %v; want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("IDs = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestNormaliseUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"psharma", "psharma"},
		{"PSharma", "psharma"},
		{"  Dr.Lee_2 ", "dr.lee_2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := domain.NormaliseUsername(tt.in); got != tt.want {
			t.Errorf("NormaliseUsername(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	// Usernames differing only in case are the same username.
	if domain.NormaliseUsername("DrLee") != domain.NormaliseUsername("drlee") {
		t.Errorf("DrLee and drlee normalise differently; want the same key")
	}
}

func TestAccountDisplayName(t *testing.T) {
	tests := []struct {
		name string
		a    domain.Account
		want string
	}{
		{"legal names only", domain.Account{LegalFirstName: "Priya", LegalLastName: "Sharma"}, "Priya Sharma"},
		{"preferred first", domain.Account{LegalFirstName: "Priyanka", LegalLastName: "Sharma", PreferredFirstName: "Pri"}, "Pri Sharma"},
		{"preferred last", domain.Account{LegalFirstName: "Priya", LegalLastName: "Sharma", PreferredLastName: "Lee"}, "Priya Lee"},
		{"both preferred", domain.Account{LegalFirstName: "Priyanka", LegalLastName: "Sharma", PreferredFirstName: "Pri",
			PreferredLastName: "Lee"}, "Pri Lee"},
		// One name only: no stray space.
		{"first name only", domain.Account{LegalFirstName: "Madonna"}, "Madonna"},
		{"last name only", domain.Account{LegalLastName: "Sharma"}, "Sharma"},
		{"nothing", domain.Account{}, ""},
	}
	for _, tt := range tests {
		if got := tt.a.DisplayName(); got != tt.want {
			t.Errorf("%s: DisplayName() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestUserNextAction(t *testing.T) {
	awaiting := &domain.EmailConfirmation{Awaiting: true}
	changing := &domain.EmailConfirmation{Awaiting: true, Confirmed: true}
	confirmed := &domain.EmailConfirmation{Confirmed: true}
	tests := []struct {
		name  string
		state domain.UserState
		email *domain.EmailConfirmation
		want  domain.Party
		has   string // words the action must contain
	}{
		{"no account yet", domain.UserIdentityValidated, nil, domain.PartyApplicant, "register your HxBC account"},
		{"password expired", domain.UserPasswordExpired, nil, domain.PartyApplicant, "reset"},
		{"registered, nothing known of the email", domain.UserAccountRegistered, nil, domain.PartyNone, ""},
		{"registered, email confirmed", domain.UserAccountRegistered, confirmed, domain.PartyNone, ""},
		// The applicant must confirm the address before anything is bound to it.
		{"registered, email awaiting its link", domain.UserAccountRegistered, awaiting, domain.PartyApplicant, "confirm your email address"},
		{"registered, a new address awaiting its link", domain.UserAccountRegistered, changing, domain.PartyApplicant, "confirm your new email address"},
		// The portal needs a current password first.
		{"password expired and email awaiting", domain.UserPasswordExpired, awaiting, domain.PartyApplicant, "reset"},
	}
	for _, tt := range tests {
		got, action := domain.UserNextAction(tt.state, tt.email)
		if got != tt.want || (got == domain.PartyNone) != (action == "") || !strings.Contains(action, tt.has) {
			t.Errorf("%s: UserNextAction(%s, %+v) = %q, %q; want %q with an action containing %q exactly when someone must act",
				tt.name, tt.state, tt.email, got, action, tt.want, tt.has)
		}
	}
}
