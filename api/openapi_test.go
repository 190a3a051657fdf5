package api

import (
	"context"
	"encoding/json"
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
	"careconnect/enrolment"
	"careconnect/learninghub"
	"careconnect/mail"
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
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" || bearer.Value.BearerFormat != "JWT" ||
		!strings.Contains(bearer.Value.Description, "OIDC ID token") {
		t.Errorf("bearerAuth = %+v; want an http bearer scheme taking OIDC ID tokens (JWT)", bearer)
	}
	cookie := doc.Components.SecuritySchemes["cookieAuth"]
	if cookie == nil || cookie.Value.Type != "apiKey" || cookie.Value.In != "cookie" || cookie.Value.Name != SessionCookie ||
		!strings.Contains(cookie.Value.Description, CSRFHeader) {
		t.Errorf("cookieAuth = %+v; want the %s cookie, described with its %s header", cookie, SessionCookie, CSRFHeader)
	}
	csrf := doc.Components.Parameters["CSRFToken"]
	if csrf == nil || csrf.Value.In != "header" || csrf.Value.Name != CSRFHeader {
		t.Errorf("parameter CSRFToken = %+v; want the %s header", csrf, CSRFHeader)
	}
	if strings.Contains(string(OpenAPI()), "TEMPORARY") {
		t.Errorf("openapi.yaml still mentions the TEMPORARY staff token")
	}
}

// ginPath turns "/worksites/:id" into "/worksites/{id}".
var ginParam = regexp.MustCompile(`:([A-Za-z]+)`)

func ginPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// authenticated says whether a route goes through the authenticate
// middleware (server.go): everything under /api/v1 except the reference
// tables, the declaration link, which a signing authority reaches without
// an account, and the join request link, whose token names the answering
// administrator; plus sign-out and the codec endpoint (not its CORS preflight).
func authenticated(method, path string) bool {
	switch {
	case path == "/auth/logout":
		return true
	case strings.HasPrefix(path, "/codec/"):
		return method == http.MethodPost
	case path == "/api/v1/reference", strings.HasPrefix(path, "/api/v1/declarations/"),
		strings.HasPrefix(path, "/api/v1/join-links/"):
		return false
	}
	return strings.HasPrefix(path, "/api/v1/")
}

// rateLimited are the routes behind the rate limiter (server.go).
var rateLimited = map[string]bool{
	"GET /auth/login": true, "GET /auth/callback": true,
	"POST /api/v1/me/account": true, "POST /api/v1/me/password": true,
	"GET /api/v1/declarations/{token}": true, "POST /api/v1/declarations/{token}": true, "GET /declaration/{token}": true,
	"GET /api/v1/join-links/{token}": true, "POST /api/v1/join-links/{token}": true,
	"GET /invitations/{token}": true, "GET /join-requests/{token}": true, "POST /api/v1/invitations/{token}/accept": true,
	"GET /api/v1/worksites/search": true, "GET /api/v1/worksites/{id}/preview": true, "POST /webhooks/learninghub": true,
	"POST /api/v1/me/email-confirmation": true, "POST /api/v1/email-confirmations/{token}": true, "GET /confirm-email/{token}": true,
}

// TestOpenAPIRoutes: every route the server serves is documented, and every
// documented operation is served; the routes that know their caller, and
// only they, take a bearer ID token or the session cookie, document 401 and
// 403 and, for state changes, the CSRF header; rate-limited routes document 429.
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
			checkSecurity(t, key, op, authenticated(method, path))
			if documented := op.Responses.Status(http.StatusTooManyRequests) != nil; documented != rateLimited[key] {
				t.Errorf("%s: documents 429 = %v; want %v (the rate-limited routes, and only they)", key, documented, rateLimited[key])
			}
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", key)
			}
		}
	}
}

// checkSecurity checks that op takes the bearer token or the session cookie
// when, and only when, authenticated; sign-out alone may also be anonymous.
func checkSecurity(t *testing.T, key string, op *openapi3.Operation, authenticated bool) {
	t.Helper()
	var got []string
	if op.Security != nil {
		for _, req := range *op.Security {
			names := make([]string, 0, len(req))
			for name := range req {
				names = append(names, name)
			}
			sort.Strings(names)
			got = append(got, "{"+strings.Join(names, ",")+"}")
		}
	}
	sort.Strings(got)
	var want []string
	switch {
	case key == "POST /auth/logout":
		want = []string{"{bearerAuth}", "{cookieAuth}", "{}"}
	case authenticated:
		want = []string{"{bearerAuth}", "{cookieAuth}"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: security %v; want %v", key, got, want)
	}
	if !authenticated {
		return
	}
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		if op.Responses.Status(status) == nil {
			t.Errorf("%s: %d not documented; every authenticated route can answer it", key, status)
		}
	}
	method, _, _ := strings.Cut(key, " ")
	csrf := false
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == "header" && p.Value.Name == CSRFHeader {
			csrf = true
		}
	}
	// The codec endpoint changes nothing and refuses other origins; the
	// Temporal Web UI could not send the token.
	_, path, _ := strings.Cut(key, " ")
	if change := method != http.MethodGet && !strings.HasPrefix(path, "/codec/"); change != csrf {
		t.Errorf("%s: documents %s = %v; want %v (state changes, and only they, need it under a cookie session)", key, CSRFHeader, csrf, change)
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
				if path == "/readyz" || path == "/declaration/{token}" || path == "/join-requests/{token}" || path == "/invitations/{token}" ||
					path == "/confirm-email/{token}" || path == "/dev/mail" || path == "/static/{dir}/{file}" || path == "/auth/callback" {
					continue // a readiness report, HTML pages (the sign-in's too) and the portal's assets, by design
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
		{"WorksiteSummary", domain.WorksiteSummary{}, false},
		{"AuditEvent", domain.AuditEvent{}, false},
		{"EmailRecord", domain.EmailRecord{}, false},
		{"WorksiteTypePolicy", domain.WorksiteTypePolicy{}, false},
		{"EMRVendor", domain.EMRVendor{}, false},
		{"Attestation", domain.Attestation{}, false},
		{"CaughtEmail", mail.Caught{}, false},
		{"Profession", domain.Profession{}, false},
		{"IDField", domain.IDField{}, false},
		{"Principal", domain.Principal{}, false},
		{"UserStatus", domain.UserStatus{}, false},
		{"Account", domain.Account{}, false},
		{"WorksiteRegistration", domain.WorksiteRegistration{}, true},
		{"Decision", enrolment.DecisionRequest{}, true},
		{"AccountRegistration", domain.AccountRegistration{}, true},
		// The PATCH body is the use case's own type; domain.AccountUpdate is what it becomes.
		{"AccountUpdate", enrolment.AccountChange{}, true},
		{"UserWorksite", domain.UserWorksite{}, false},
		{"Member", domain.Member{}, false},
		{"JoinRequest", domain.JoinRequest{}, false},
		{"JoinLinkAnswered", joinLinkAnswered{}, false},
		{"Invitation", domain.Invitation{}, false},
		{"MemberWorksite", domain.MemberWorksite{}, false},
		{"PendingMembership", domain.PendingMembership{}, false},
		{"AttentionItem", domain.AttentionItem{}, false},
		{"PersonHit", domain.PersonHit{}, false},
		{"PeoplePage", domain.PeoplePage{}, false},
		{"ApplicationQueue", queueBody{}, false},
		{"WorksiteList", domain.WorksitePage{}, false},
		{"WorksiteHit", domain.WorksiteHit{}, false},
		{"MemberChange", enrolment.MemberInput{}, true},
		{"WorksiteEdit", enrolment.WorksiteEdit{}, true},
		{"LearningHubAck", LearningHubAck{}, false},
		{"LearningHubEvent", learninghub.Event{}, true},
		{"Application", domain.Application{}, false},
		{"WorksiteFacts", domain.WorksiteFacts{}, false},
		{"Requirement", domain.Requirement{}, false},
		{"BusinessRole", domain.BusinessRole{}, false},
		{"Question", domain.Question{}, false},
		{"QueuedApplication", domain.QueuedApplication{}, false},
		{"FunnelStep", domain.FunnelStep{}, false},
		{"ApplicationTimer", domain.DueTimer{}, false},
		{"AccessSuspension", domain.AccessSuspension{}, false},
		{"ApplicationRequest", enrolment.ApplicationInput{}, true},
		{"ApplicationDecision", enrolment.DecisionInput{}, true},
		{"Sponsorship", domain.Sponsorship{}, false},
		{"SponsorshipApproval", enrolment.SponsorshipInput{}, true},
		{"SponsorshipApproved", struct {
			Message string `json:"message"`
		}{}, false},
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

// rawAs names the Go type whose JSON each json.RawMessage field carries:
// the queue passes the stored application through as SaveApplication
// encoded it, a domain.Application.
var rawAs = map[string]reflect.Type{"QueuedApplication.application": reflect.TypeOf(domain.Application{}),
	"ApplicationQueue.applications[].application": reflect.TypeOf(domain.Application{})}

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
	if typ == reflect.TypeOf(json.RawMessage(nil)) {
		carried, ok := rawAs[where]
		if !ok {
			t.Errorf("%s: json.RawMessage; name the Go type of its JSON in rawAs", where)
			return
		}
		typ = carried
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

// TestOpenAPIMembersViewMatchesGo: membersView, a gin.H rather than a Go
// struct, conforms to the MembersView schema, with every optional field of
// its members set and with none, and with nothing pending.
func TestOpenAPIMembersViewMatchesGo(t *testing.T) {
	doc := mustLoadOpenAPI(t)
	schema := doc.Components.Schemas["MembersView"]
	if schema == nil {
		t.Fatal("no schema MembersView")
	}
	at := time.Date(2025, 3, 3, 17, 0, 0, 0, time.UTC)
	ends := at.AddDate(0, 1, 0)
	full := domain.Membership{
		Members: []domain.Member{
			{Subject: "s1", Name: "Alex Doe", Email: "a@example.ca", Profession: domain.ProfPhysician, UserType: domain.Authorizer,
				Admin: true, Active: true, Since: at, EndsAt: &ends},
			{Subject: "s2", Name: "Lee Moa", Email: "l@example.ca", Profession: domain.ProfMOA, UserType: domain.OnBehalfOf,
				Since: at, InactiveSince: &at, InactiveWhy: "left the clinic"},
		},
		Requests: []domain.JoinRequest{{ID: "jr-1", Subject: "s3", Name: "Sam", Email: "s@example.ca", Profession: domain.ProfMOA,
			UserType: domain.OnBehalfOf, Comment: "front desk", RequestedAt: at, RemindersSent: 1, Overdue: true}},
		Invitations: []domain.Invitation{{ID: "inv-1", Email: "i@example.ca", InvitedBy: "Alex Doe", InvitedOn: at, LastSentAt: at,
			EmailsSent: 2, ExpiresAt: ends, AutoResent: true}},
	}
	cases := []struct {
		name string
		m    domain.Membership
	}{
		{"every field set", full},
		{"nothing at all", domain.Membership{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(membersView(tc.m))
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			if err := schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("membersView does not conform to MembersView: %v\n%s", err, b)
			}
		})
	}
}
