package strictjson

import (
	"strings"
	"testing"

	"careconnect/domain"
)

func TestDecode(t *testing.T) {
	type inner struct {
		Code string `json:"code"`
	}
	type body struct {
		Name  string            `json:"name"`
		Count int               `json:"count"`
		In    *inner            `json:"in"`
		List  []inner           `json:"list"`
		IDs   map[string]string `json:"ids"`
	}
	cases := []struct {
		name, in string
		field    string // the field the error names; "" for none
		msgHas   string
	}{
		// A valid object decodes.
		{"ok", `{"name":"a","count":1}`, "", ""},
		{"empty", ``, "", "empty"},
		{"syntax", `{"name":`, "", "not valid JSON"},
		{"trailing value", `{"name":"a"} {}`, "", "exactly one"},
		{"trailing brace", `{"name":"a"}}`, "", "exactly one"},
		{"unknown field", `{"nmae":"a"}`, "nmae", ""},
		{"wrong type", `{"name":5}`, "name", "must be a string, not number"},
		{"not an object", `[1]`, "", "JSON object"},
		// A repeated key is ambiguous (encoding/json keeps the last, other
		// parsers the first), so it is refused wherever it is.
		{"duplicate key", `{"name":"a","name":"b"}`, "name", "more than once"},
		{"duplicate key, same value", `{"name":"a","count":1,"name":"a"}`, "name", "more than once"},
		{"duplicate key spelt with an escape", `{"name":"a","n\u0061me":"b"}`, "name", "more than once"},
		{"duplicate key in other case", `{"name":"a","NAME":"b"}`, "NAME", "more than once"},
		{"duplicate key in a nested object", `{"in":{"code":"a","code":"b"}}`, "in.code", "more than once"},
		{"duplicate key in an array's object", `{"list":[{"code":"a"},{"code":"a","code":"b"}]}`, "list.code", "more than once"},
		{"duplicate map key", `{"ids":{"cpsid":"1","cpsid":"2"}}`, "ids.cpsid", "more than once"},
		{"duplicate key, both null", `{"in":null,"in":null}`, "in", "more than once"},
	}
	for _, c := range cases {
		var b body
		err := Decode([]byte(c.in), &b)
		if c.name == "ok" {
			if err != nil || b.Name != "a" || b.Count != 1 {
				t.Errorf("%s: got %+v, %v; want decoded", c.name, b, err)
			}
			continue
		}
		de, ok := err.(*domain.Error)
		if !ok || de.Code != domain.EINVALID {
			t.Errorf("%s: got %v; want an EINVALID *domain.Error", c.name, err)
			continue
		}
		if c.field != "" && de.Fields[c.field] == "" {
			t.Errorf("%s: fields %v; want %q named", c.name, de.Fields, c.field)
		}
		if c.msgHas != "" && !strings.Contains(de.Error(), c.msgHas) {
			t.Errorf("%s: %q; want it to say %q", c.name, de.Error(), c.msgHas)
		}
		if strings.Contains(de.Error(), "json:") || strings.Contains(de.Error(), "main.") {
			t.Errorf("%s: %q leaks Go internals", c.name, de.Error())
		}
	}
}

// TestDecodeAcceptsRepeatsThatAreNotKeys: the same key in sibling objects,
// a value equal to a key, and keys at different depths are not duplicates.
func TestDecodeAcceptsRepeatsThatAreNotKeys(t *testing.T) {
	type inner struct {
		Code string `json:"code"`
	}
	type body struct {
		Code string  `json:"code"`
		In   inner   `json:"in"`
		List []inner `json:"list"`
	}
	for _, in := range []string{
		`{"code":"code","in":{"code":"x"},"list":[{"code":"a"},{"code":"b"}]}`,
		`{"list":[{"code":"a"},{"code":"a"}]}`,
	} {
		var b body
		if err := Decode([]byte(in), &b); err != nil {
			t.Errorf("Decode(%s) = %v; want it accepted", in, err)
		}
	}
}
