package strictjson_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"careconnect/domain"
	"careconnect/strictjson"
)

// goWords are Go type and package names a refusal must never show the caller.
var goWords = regexp.MustCompile(`\b(int|int64|uint|float64|struct|map\[|\[\]|interface|domain\.|api\.|json:|reflect|main\.)`)

// mustRefuseCleanly fails unless err is an EINVALID *domain.Error whose
// message and field problems are words for the caller, not Go types.
func mustRefuseCleanly(t *testing.T, body []byte, err error) {
	t.Helper()
	de, ok := err.(*domain.Error)
	if !ok || de.Code != domain.EINVALID {
		t.Fatalf("refusal of %q: %#v; want an EINVALID *domain.Error", body, err)
	}
	if goWords.MatchString(de.Message) {
		t.Fatalf("refusal of %q shows Go internals: %q", body, de.Message)
	}
	for f, p := range de.Fields {
		if goWords.MatchString(p) {
			t.Fatalf("refusal of %q: field %q problem shows Go internals: %q", body, f, p)
		}
	}
}

// decodeStrict decodes body as the API does (api.DecodeJSONBytes is
// strictjson.Decode; the fuzz targets live here, where they build quickly
// without gin and Temporal). It also checks that the strict decoder never
// accepts what encoding/json refuses.
func decodeStrict(t *testing.T, body []byte, v any) bool {
	t.Helper()
	if err := strictjson.Decode(body, v); err != nil {
		mustRefuseCleanly(t, body, err)
		return false
	}
	loose := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	if err := json.Unmarshal(body, loose); err != nil {
		t.Fatalf("strict decoding accepted %q, which encoding/json refuses: %v", body, err)
	}
	var tree any
	if err := json.Unmarshal(body, &tree); err != nil {
		t.Fatalf("strict decoding accepted %q, which encoding/json refuses as a value: %v", body, err)
	}
	if spelled, kept := spelledKeys(t, body), keptKeys(tree); spelled != kept {
		t.Fatalf("strict decoding accepted %q, which spells %d keys of which %d survive: a key appears twice", body, spelled, kept)
	}
	return true
}

// spelledKeys counts the object keys written in body, a valid JSON value.
func spelledKeys(t *testing.T, body []byte) int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	var value func() int
	value = func() int {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("reading %q: %v", body, err)
		}
		n := 0
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				if _, err := dec.Token(); err != nil { // the key
					t.Fatalf("reading %q: %v", body, err)
				}
				n += 1 + value()
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				n += value()
			}
			_, _ = dec.Token()
		}
		return n
	}
	return value()
}

// keptKeys counts the keys of every object in a decoded value, where a
// repeated key has collapsed into one.
func keptKeys(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			n += 1 + keptKeys(e)
		}
	case []any:
		for _, e := range x {
			n += keptKeys(e)
		}
	}
	return n
}

// FuzzDecodeWorksiteRegistration: any body to POST /api/v1/worksites is
// decoded and validated or refused with a field-named EINVALID error, never
// a panic; an accepted registration validates again unchanged.
func FuzzDecodeWorksiteRegistration(f *testing.F) {
	f.Add([]byte(`{"name":"Proctor Clinic","phone":"604-555-4555","extension":"12","email":"front@proctor.example.ca",
		"address":{"unit":"101","streetNumber":"370","streetName":"Broadway East","city":"Vancouver","province":"BC","postalCode":"v5t4g5"},
		"locationType":"community_private_practice","subOption":"physician_led","emr":"OSCAR"}`))
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(`{"address":{"postalCode":["V5T 4G5"]}}`))
	f.Add([]byte(`{"administrator":{"name":"x"}}`))
	f.Add([]byte(`{"name":"a"} {"name":"b"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Add([]byte(`{"name":"a","name":"b"}`))
	f.Add([]byte(`{"address":{"city":"Vancouver","City":"Victoria"}}`))
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	emrs := domain.DefaultEMRVendors()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req domain.WorksiteRegistration
		if !decodeStrict(t, body, &req) {
			return
		}
		if req.Administrator != (domain.Person{}) {
			t.Fatalf("the body %q set the administrator, which only the API fills", body)
		}
		req.Administrator = domain.Person{Name: "Priya Sharma", Email: "priya@clinic.example.ca", Subject: "bcsc-1"}
		out, err := domain.ValidateWorksiteRegistration(req, types, emrs)
		if err != nil {
			mustRefuseCleanly(t, body, err)
			return
		}
		again, err := domain.ValidateWorksiteRegistration(out, types, emrs)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("validating the accepted %+v again: %+v, %v", out, again, err)
		}
	})
}

// FuzzDecodeAccountRegistration: the same for POST /api/v1/me/account.
func FuzzDecodeAccountRegistration(f *testing.F) {
	f.Add([]byte(`{"profession":"physician","isResident":false,"professionIds":{"msp_billing_number":"A1234","cpsid":"12345"},
		"email":"dr.sharma@example.ca","phone":"604 555 0100","hasHealthAuthorityNetworkAccount":false,"username":"psharma","password":"Secret!42"}`))
	f.Add([]byte(`{"profession":"physician","isResident":true,"professionIds":{"msp_billing_number":"b2345","cpsid":"23456"},
		"email":"Res@Example.ca","phone":"16045550100","hasHealthAuthorityNetworkAccount":true,"username":"res.one","password":"Aa1!aa"}`))
	f.Add([]byte(`{"isResident":"yes"}`))
	f.Add([]byte(`{"professionIds":{"cpsid":12345}}`))
	f.Add([]byte(`{"professionIds":[1]}`))
	f.Add([]byte(`{"password":null,"extra":1}`))
	f.Add([]byte(`{"professionIds":{"cpsid":"12345","cpsid":"54321"}}`))
	profs := domain.IndexProfessions(domain.DefaultProfessions())
	f.Fuzz(func(t *testing.T, body []byte) {
		var req domain.AccountRegistration
		if !decodeStrict(t, body, &req) {
			return
		}
		out, err := domain.ValidateAccountRegistration(req, profs)
		if err != nil {
			mustRefuseCleanly(t, body, err)
			return
		}
		redo := out
		if out.Profession == domain.ProfResident {
			redo.Profession = domain.ProfPhysician // a resident is a physician who answered yes
		}
		again, err := domain.ValidateAccountRegistration(redo, profs)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("validating the accepted %+v again: %+v, %v", out, again, err)
		}
	})
}
