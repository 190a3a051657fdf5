package domain_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"careconnect/domain"
)

// bcPostalCodeRE is a normalised British Columbia postal code: V, then
// Canada Post's letters and digits, with the space in the middle.
var bcPostalCodeRE = regexp.MustCompile(`^V[0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9]$`)

// canadianPostalCodeRE is any normalised Canadian postal code.
var canadianPostalCodeRE = regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9]$`)

var phoneRE = regexp.MustCompile(`^\([2-9][0-9]{2}\) [2-9][0-9]{2}-[0-9]{4}$`)

// FuzzNormalisePostalCode: normalising is idempotent, and what it accepts
// is a Canadian postal code in the one spelling "A1A 1A1".
func FuzzNormalisePostalCode(f *testing.F) {
	for _, s := range []string{"V5T 4G5", "v5t4g5", " v5t  4g5 ", "V5T-4G5", "W5T 4G5", "V5T 4G", "\tv\n5t4g5", "K1A 0B1", "ⅴ5t4g5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pc, ok := domain.NormalisePostalCode(s)
		if !ok {
			if pc != "" {
				t.Fatalf("NormalisePostalCode(%q) = %q, false; want \"\" when refused", s, pc)
			}
			return
		}
		if !canadianPostalCodeRE.MatchString(pc) {
			t.Fatalf("NormalisePostalCode(%q) = %q; not a normalised postal code", s, pc)
		}
		again, ok := domain.NormalisePostalCode(pc)
		if !ok || again != pc {
			t.Fatalf("NormalisePostalCode(%q) = %q, %v; want %q (idempotent)", pc, again, ok, pc)
		}
	})
}

// FuzzAddressNormalisation: the address text and unit normalisers are
// idempotent, and an address key does not change when the address is
// written in its normalised form, so the same place however written is one
// (address, unit) pair.
func FuzzAddressNormalisation(f *testing.F) {
	f.Add("370", "Broadway East", "Vancouver", "BC", "v5t4g5", "Suite 101")
	f.Add("370a", "broadway e.", "vancouver", "b.c.", "V5T 4G5", "#101")
	f.Add("12", "W. 10th Avenue", "North  Vancouver", "British Columbia", "V7M 1A1", "unit 3")
	f.Add("1", "St. Paul's Street", "Victoria", "BC", "V8W1A1", "STE UNIT 5")
	f.Fuzz(func(t *testing.T, number, street, city, province, postal, unit string) {
		for _, s := range []string{number, street, city, province, postal, unit} {
			n := domain.NormaliseText(s)
			if again := domain.NormaliseText(n); again != n {
				t.Fatalf("NormaliseText(%q) = %q; NormaliseText of that = %q (not idempotent)", s, n, again)
			}
		}
		u := domain.UnitKey(unit)
		if again := domain.UnitKey(u); again != u {
			t.Fatalf("UnitKey(%q) = %q; UnitKey of that = %q (not idempotent)", unit, u, again)
		}
		a := domain.Address{StreetNumber: number, StreetName: street, City: city, Province: province, PostalCode: postal}
		key := domain.AddressKey(a)
		pc, _ := domain.NormalisePostalCode(postal)
		norm := domain.Address{StreetNumber: domain.NormaliseText(number), StreetName: domain.NormaliseText(street),
			City: domain.NormaliseText(city), Province: domain.NormaliseText(province), PostalCode: pc}
		if got := domain.AddressKey(norm); got != key {
			t.Fatalf("AddressKey(%+v) = %q; of its normalised form %q (want the same)", a, key, got)
		}
	})
}

// FuzzValidateWorksiteRegistration: any registration is accepted or refused
// with an EINVALID error naming fields, never a panic; an accepted one is
// normalised (BC postal code, phone spelling, province BC) and validating it
// again accepts it unchanged.
func FuzzValidateWorksiteRegistration(f *testing.F) {
	f.Add("Proctor Clinic", "604-555-4555", "12", "front@proctor.example.ca", "101", "370", "Broadway East", "Vancouver", "BC", "v5t4g5",
		"community_private_practice", "physician_led", "", "OSCAR")
	f.Add(" Clinic ", "+1 (604) 555 4555", "", "a@b.ca", "Suite 7", "12b", "Main St", "Surrey", "b.c.", " V3T 1A1 ",
		"other", "", "mobile clinic", "other/none")
	f.Add("Clinic", "6045554555", "", "a@b.ca", "STE UNIT 5", "1", "Main", "Victoria", "British Columbia", "V8W1A1",
		"community_private_practice", "np_led", "", "oscar")
	f.Add("Clinic", "6045554555", "", "a@b.ca", "", "1", "Main", "Ottawa", "ON", "K1A 0B1", "health_authority_clinic", "", "", "OSCAR")
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	emrs := domain.DefaultEMRVendors()
	f.Fuzz(func(t *testing.T, name, phone, ext, email, unit, number, street, city, province, postal, locType, sub, other, emr string) {
		in := domain.WorksiteRegistration{Name: name, Phone: phone, Extension: ext, Email: email,
			Address:      domain.Address{Unit: unit, StreetNumber: number, StreetName: street, City: city, Province: province, PostalCode: postal},
			LocationType: domain.LocationType(locType), SubOption: sub, OtherDescription: other, EMR: emr,
			Administrator: domain.Person{Name: "Dr. Priya Sharma", Email: "priya@clinic.example.ca", Subject: "bcsc-1"}}
		out, err := domain.ValidateWorksiteRegistration(in, types, emrs)
		if err != nil {
			mustFieldErrors(t, err)
			return
		}
		if !bcPostalCodeRE.MatchString(out.Address.PostalCode) {
			t.Fatalf("accepted postal code %q (from %q); want a BC postal code", out.Address.PostalCode, postal)
		}
		if !phoneRE.MatchString(out.Phone) {
			t.Fatalf("accepted phone %q (from %q); want (604) 555-4555", out.Phone, phone)
		}
		if out.Address.Province != "BC" {
			t.Fatalf("accepted province %q; want BC", out.Address.Province)
		}
		again, err := domain.ValidateWorksiteRegistration(out, types, emrs)
		if err != nil {
			t.Fatalf("the normalised registration %+v is refused: %v", out, err)
		}
		if !reflect.DeepEqual(again, out) {
			t.Fatalf("validating again changed the registration:\n got %+v\nwant %+v", again, out)
		}
	})
}

// FuzzValidateAccountRegistration: any account registration is accepted or
// refused with an EINVALID error naming fields; an accepted one is in its
// normalised form, and validating it again accepts it unchanged.
func FuzzValidateAccountRegistration(f *testing.F) {
	f.Add("Priya", "Sharma", "physician", "msp_billing_number", "A1234", "cpsid", "12345", true, false, "dr.sharma@example.ca", "604 555 0100", "", "psharma", "Secret!42")
	f.Add("", "", "physician", "msp_billing_number", "b2345", "cpsid", "23456", true, true, "Res@Example.ca", "16045550100", "778-555-0100", "res.one", "Aa1!aa")
	f.Add("", "", "medical_office_assistant", "college_id", "x", "", "", false, false, "moa@example.ca", "6045550100", "", "moa_1", "Secret!42")
	f.Add("", "", "registered_nurse", "college_id", "RN-2002", "", "", true, false, "rn@example.ca", "6045550100", "", "rn", "short")
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	f.Fuzz(func(t *testing.T, first, last, profession, k1, v1, k2, v2 string, answered, resident bool, email, phone, mobile, username, password string) {
		in := domain.AccountRegistration{PreferredFirstName: first, PreferredLastName: last, Profession: profession,
			ProfessionIDs: map[string]string{}, Email: email, Phone: phone, Mobile: mobile, Username: username, Password: password}
		if k1 != "" {
			in.ProfessionIDs[k1] = v1
		}
		if k2 != "" {
			in.ProfessionIDs[k2] = v2
		}
		no := false
		in.HasHANetworkAccount = &no
		if answered {
			in.IsResident = &resident
		}
		out, err := domain.ValidateAccountRegistration(in, profs)
		if err != nil {
			mustFieldErrors(t, err)
			return
		}
		if out.Email != strings.ToLower(out.Email) || !domain.ValidEmail(out.Email) {
			t.Fatalf("accepted email %q (from %q); want a valid lower-case address", out.Email, email)
		}
		if !phoneRE.MatchString(out.Phone) || (out.Mobile != "" && !phoneRE.MatchString(out.Mobile)) {
			t.Fatalf("accepted phone %q, mobile %q; want (604) 555-4555", out.Phone, out.Mobile)
		}
		if domain.ValidPassword(out.Password) != nil {
			t.Fatalf("accepted password %q that ValidPassword refuses", out.Password)
		}
		// A resident is a physician who answered yes: validating again
		// starts from what they chose.
		redo := out
		if out.Profession == domain.ProfResident {
			redo.Profession = domain.ProfPhysician
		}
		again, err := domain.ValidateAccountRegistration(redo, profs)
		if err != nil {
			t.Fatalf("the normalised registration %+v is refused: %v", out, err)
		}
		if !reflect.DeepEqual(again, out) {
			t.Fatalf("validating again changed the registration:\n got %+v\nwant %+v", again, out)
		}
	})
}

// mustFieldErrors fails unless err is an EINVALID *domain.Error naming at
// least one field.
func mustFieldErrors(t *testing.T, err error) {
	t.Helper()
	de, ok := err.(*domain.Error)
	if !ok || de.Code != domain.EINVALID || len(de.Fields) == 0 {
		t.Fatalf("refusal %#v; want an EINVALID *domain.Error naming fields", err)
	}
}
