package api

import (
	"context"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
)

// mustLoadOpenAPI loads and validates the embedded document.
func mustLoadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// TestOpenAPIValid: the embedded document loads and validates as OpenAPI 3.0.
func TestOpenAPIValid(t *testing.T) {
	doc := mustLoadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q; want 3.0.3", doc.OpenAPI)
	}
	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	if scheme == nil || scheme.Value.Type != "http" || scheme.Value.Scheme != "bearer" ||
		!strings.Contains(scheme.Value.Description, "TEMPORARY") || !strings.Contains(scheme.Value.Description, "OIDC") {
		t.Errorf("bearerAuth = %+v; want an http bearer scheme described as TEMPORARY until OIDC", scheme)
	}
}

// ginPath turns "/worksites/:id" into "/worksites/{id}".
var ginParam = regexp.MustCompile(`:([A-Za-z]+)`)

func ginPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// TestOpenAPIRoutes: every route the server serves is documented, and every
// documented operation is served; staff routes, and only they, need the bearer token.
func TestOpenAPIRoutes(t *testing.T) {
	doc := mustLoadOpenAPI(t)
	s := New(Deps{Config: config.Default(), DevMail: http.NotFoundHandler()})
	served := map[string]bool{}
	for _, r := range s.engine.Routes() {
		key := r.Method + " " + ginPath(r.Path)
		served[key] = true
		item := doc.Paths.Find(ginPath(r.Path))
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is served but not documented", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			if !served[key] {
				t.Errorf("operation %s is documented but not served", key)
			}
			staff := strings.HasPrefix(path, "/api/v1/staff/")
			secured := op.Security != nil && len(*op.Security) > 0
			if staff != secured {
				t.Errorf("%s: secured = %v; want %v (staff endpoints, and only they, need bearerAuth)", key, secured, staff)
			}
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", key)
			}
		}
	}
}

// TestOpenAPIErrorResponses: the Error schema's code enum is the error
// table's codes, and every documented error status is one the table (or
// readyz and the HTML page) can produce, described by the Error schema.
func TestOpenAPIErrorResponses(t *testing.T) {
	doc := mustLoadOpenAPI(t)
	codeSchema := doc.Components.Schemas["ErrorDetail"].Value.Properties["code"].Value
	var got []string
	for _, v := range codeSchema.Enum {
		got = append(got, v.(string))
	}
	want := []string{"method_not_allowed"} // the NoMethod handler's code, outside the table
	statuses := map[int]bool{}
	for code, status := range statusOf {
		want = append(want, code)
		statuses[status] = true
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("Error code enum = %v; want %v", got, want)
	}

	errorRef := "#/components/schemas/Error"
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil {
					t.Errorf("%s %s: response %q; want explicit statuses, no default", method, path, code)
					continue
				}
				if status < 400 {
					continue
				}
				if !statuses[status] {
					t.Errorf("%s %s: documents status %d, which no error code maps to", method, path, status)
				}
				if path == "/readyz" || path == "/declaration/{token}" || path == "/dev/mail" {
					continue // a readiness report and HTML pages, by design
				}
				mt := resp.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != errorRef {
					t.Errorf("%s %s %d: want the Error schema as application/json", method, path, status)
				}
				if resp.Value.Headers["X-Request-ID"] == nil {
					t.Errorf("%s %s %d: X-Request-ID header not documented", method, path, status)
				}
			}
		}
	}
}

// TestOpenAPISchemasMatchGo: each response schema has exactly the JSON
// fields its Go type serialises, with matching types; fields without
// omitempty are required. So a renamed, added or dropped field fails here.
func TestOpenAPISchemasMatchGo(t *testing.T) {
	doc := mustLoadOpenAPI(t)
	cases := []struct {
		schema string
		typ    any
		// request schemas need not require every field: the server validates those it needs.
		request bool
	}{
		{"Error", ErrorBody{}, false},
		{"WorksiteView", WorksiteView{}, false},
		{"Address", domain.Address{}, false},
		{"WorksiteStatus", domain.WorksiteStatus{}, false},
		{"Milestone", domain.Milestone{}, false},
		{"TimelineEvent", domain.TimelineEvent{}, false},
		{"WorksiteSummary", store.WorksiteSummary{}, false},
		{"AuditEvent", domain.AuditEvent{}, false},
		{"EmailRecord", store.EmailRecord{}, false},
		{"WorksiteTypePolicy", domain.WorksiteTypePolicy{}, false},
		{"EMRVendor", domain.EMRVendor{}, false},
		{"Attestation", domain.Attestation{}, false},
		{"CaughtEmail", mail.Caught{}, false},
		{"WorksiteRegistration", domain.WorksiteRegistration{}, true},
		{"Decision", decisionRequest{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[tc.schema]
			if ref == nil {
				t.Fatalf("no schema %s", tc.schema)
			}
			checkSchema(t, tc.schema, reflect.TypeOf(tc.typ), ref.Value, tc.request)
		})
	}
}

// alwaysSet are omitempty fields the server always fills, so the document requires them.
var alwaysSet = map[string]bool{"Error.error.requestId": true}

var timeType = reflect.TypeOf(time.Time{})

// checkSchema compares the Go type typ, as encoding/json writes it, with s.
func checkSchema(t *testing.T, where string, typ reflect.Type, s *openapi3.Schema, request bool) {
	t.Helper()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem() // only omitempty pointers here: absent, never null
	}
	is := func(want string) {
		t.Helper()
		if !s.Type.Is(want) {
			t.Errorf("%s: schema type %v; want %s for Go %s", where, s.Type.Slice(), want, typ)
		}
	}
	switch {
	case typ == timeType:
		is("string")
		if s.Format != "date-time" {
			t.Errorf("%s: format %q; want date-time", where, s.Format)
		}
	case typ.Kind() == reflect.String:
		is("string")
	case typ.Kind() == reflect.Bool:
		is("boolean")
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		is("integer")
	case typ.Kind() == reflect.Slice:
		is("array")
		if s.Items != nil {
			checkSchema(t, where+"[]", typ.Elem(), s.Items.Value, request)
		}
	case typ.Kind() == reflect.Map:
		is("object")
		if s.AdditionalProperties.Schema == nil {
			t.Errorf("%s: map %s needs additionalProperties with a schema", where, typ)
		} else {
			checkSchema(t, where+"{}", typ.Elem(), s.AdditionalProperties.Schema.Value, request)
		}
	case typ.Kind() == reflect.Struct:
		is("object")
		checkObject(t, where, typ, s, request)
	default:
		t.Errorf("%s: unexpected Go kind %s", where, typ.Kind())
	}
}

func checkObject(t *testing.T, where string, typ reflect.Type, s *openapi3.Schema, request bool) {
	t.Helper()
	if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
		t.Errorf("%s: want additionalProperties: false so that drift is caught", where)
	}
	fields := map[string]reflect.StructField{}
	omit := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fields[name] = f
		omit[name] = strings.Contains(opts, "omitempty")
	}
	for name := range s.Properties {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: schema property %q is not a JSON field of %s", where, name, typ)
		}
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for name, f := range fields {
		prop := s.Properties[name]
		path := where + "." + name
		if prop == nil {
			t.Errorf("%s: JSON field missing from the schema", path)
			continue
		}
		if !request {
			switch {
			case omit[name] && required[name] && !alwaysSet[path]:
				t.Errorf("%s: required, but omitted when empty", path)
			case !omit[name] && !required[name]:
				t.Errorf("%s: always written, so it should be required", path)
			}
		}
		checkSchema(t, path, f.Type, prop.Value, request)
	}
}
