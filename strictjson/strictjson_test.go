package strictjson

import (
	"strings"
	"testing"

	"careconnect/domain"
)

func TestDecode(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
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
