package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"careconnect/api"
	"careconnect/app/apptest"
	"careconnect/domain"
	"careconnect/links"
)

// mustRegisterChecked registers body through c and returns the new worksite's ID.
func mustRegisterChecked(t *testing.T, c *apptest.Checked, body map[string]any) string {
	t.Helper()
	res := c.PostJSON("/api/v1/worksites", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: got %d %s; want 201", res.Status, res.Body)
	}
	var got worksiteResponse
	res.JSON(t, &got)
	if loc := res.Header.Get("Location"); loc != "/api/v1/worksites/"+got.Worksite.ID {
		t.Errorf("Location = %q; want the worksite's status URL", loc)
	}
	return got.Worksite.ID
}

// getStatusChecked reads a worksite's status through c.
func getStatusChecked(t *testing.T, c *apptest.Checked, id string) domain.WorksiteStatus {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET worksite %s: got %d %s; want 200", id, res.Status, res.Body)
	}
	var got worksiteResponse
	res.JSON(t, &got)
	return got.Status
}

// waitStateChecked polls through c until the worksite is in state want.
func waitStateChecked(t *testing.T, c *apptest.Checked, id string, want domain.WorksiteState) domain.WorksiteStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := getStatusChecked(t, c, id)
		if st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("worksite %s: state %q; want %q", id, st.State, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitListedChecked polls the team's list until id is in it for query.
func waitListedChecked(t *testing.T, c *apptest.Checked, query, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := c.Staff(http.MethodGet, "/api/v1/staff/worksites"+query, nil)
		if res.Status == http.StatusOK && strings.Contains(string(res.Body), id) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("team list %s: got %d %s; want %s in it", query, res.Status, res.Body, id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOpenAPIConformance runs the real system through every documented
// operation, success and error paths, and validates each request and
// response against api/openapi.yaml.
func TestOpenAPIConformance(t *testing.T) {
	env := apptest.Start(t, nil)
	c := env.Checked()

	// Operations.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/reference"} {
		if res := c.Do(http.MethodGet, p, "", nil); res.Status != http.StatusOK {
			t.Errorf("GET %s: got %d %s; want 200", p, res.Status, res.Body)
		}
	}
	if res := c.Do(http.MethodGet, "/api/openapi.yaml", "", nil); res.Status != http.StatusOK || !bytes.Equal(res.Body, api.OpenAPI()) {
		t.Errorf("GET /api/openapi.yaml: got %d; want 200 with the embedded document", res.Status)
	}
	if res := c.Do(http.MethodGet, "/healthz", "", nil, "X-Request-ID", "conformance-1"); res.Header.Get("X-Request-ID") != "conformance-1" {
		t.Errorf("X-Request-ID = %q; want the caller's conformance-1 echoed", res.Header.Get("X-Request-ID"))
	}

	// Registration, and the emailed declaration link.
	admin := "conformance@proctor.example.ca"
	id := mustRegisterChecked(t, c, registration(admin))
	waitStateChecked(t, c, id, domain.WorksiteAwaitingDeclaration)
	// IDs are matched without regard to case.
	if got := getStatusChecked(t, c, strings.ToLower(id)); got.WorksiteID != id {
		t.Errorf("lower-case ID: got worksite %q; want %q", got.WorksiteID, id)
	}
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	if res := c.Do(http.MethodGet, "/declaration/"+token, "", nil); res.Status != http.StatusOK || !strings.Contains(string(res.Body), `name="screenshot"`) {
		t.Errorf("declaration page: got %d; want 200 with the form", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+token, "", nil); res.Status != http.StatusOK {
		t.Errorf("declaration form: got %d %s; want 200", res.Status, res.Body)
	}

	// The dev mail catcher, in its three forms.
	for _, q := range []string{"", "?format=json", "?html=0"} {
		if res := c.Do(http.MethodGet, "/dev/mail"+q, "", nil); res.Status != http.StatusOK {
			t.Errorf("GET /dev/mail%s: got %d; want 200", q, res.Status)
		}
	}
	if res := c.Do(http.MethodGet, "/dev/mail?html=999", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("GET /dev/mail?html=999: got %d; want 404", res.Status)
	}

	// Staff reads before the declaration; approving now is a rule violation.
	for _, p := range []string{"", "?state=awaiting_declaration", "?waitingOn=signing_authority"} {
		if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites"+p, nil); res.Status != http.StatusOK {
			t.Errorf("team list %s: got %d %s", p, res.Status, res.Body)
		}
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/declaration/screenshot", nil); res.Status != http.StatusNotFound {
		t.Errorf("screenshot before signing: got %d %s; want 404", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"actor": "casey@team.example.ca"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("approve before signing: got %d %s; want 422", res.Status, res.Body)
	}

	// Sign; a second signature conflicts.
	decl := apptest.ValidDeclaration(t)
	if res := c.PostDeclaration(token, decl); res.Status != http.StatusOK {
		t.Fatalf("sign: got %d %s; want 200", res.Status, res.Body)
	}
	if res := c.PostDeclaration(token, decl); res.Status != http.StatusConflict {
		t.Errorf("second signature: got %d %s; want 409", res.Status, res.Body)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+token, "", nil); res.Status != http.StatusOK || strings.Contains(string(res.Body), `name="screenshot"`) {
		t.Errorf("declaration page after signing: got %d; want 200 saying it was received, without the form", res.Status)
	}
	waitStateChecked(t, c, id, domain.WorksiteAwaitingReview)
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/declaration/screenshot", nil); res.Status != http.StatusOK || !bytes.Equal(res.Body, decl.File) {
		t.Errorf("screenshot: got %d (%d bytes); want 200 with the uploaded PNG", res.Status, len(res.Body))
	}
	waitListedChecked(t, c, "?waitingOn=enrolment_team", id)

	// Approve: a missing actor is refused by document and server alike.
	if res := c.Expect(apptest.RequestInvalid).Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{}); res.Status != http.StatusBadRequest {
		t.Errorf("approve without actor: got %d %s; want 400", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"actor": "casey@team.example.ca", "reason": "complete"}); res.Status != http.StatusOK {
		t.Fatalf("approve: got %d %s; want 200", res.Status, res.Body)
	}
	waitStateChecked(t, c, id, domain.WorksiteApproved)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{"actor": "casey@team.example.ca", "reason": "late"}); res.Status != http.StatusConflict {
		t.Errorf("reject after approval: got %d %s; want 409", res.Status, res.Body)
	}
	waitMail(t, env, admin, "approved")
	for _, p := range []string{"/audit", "/emails"} {
		if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+p, nil); res.Status != http.StatusOK {
			t.Errorf("GET %s: got %d %s; want 200", p, res.Status, res.Body)
		}
	}

	// A second worksite is rejected, with and without a reason.
	other := registration("other@rejected.example.ca")
	other["address"].(map[string]any)["streetNumber"] = "372"
	other2 := mustRegisterChecked(t, c, other)
	_, token2 := apptest.DeclarationLink(t, waitMail(t, env, "other@rejected.example.ca", other2))
	if res := c.PostDeclaration(token2, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign second: got %d %s", res.Status, res.Body)
	}
	waitStateChecked(t, c, other2, domain.WorksiteAwaitingReview)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+other2+"/reject", map[string]string{"actor": "casey@team.example.ca"}); res.Status != http.StatusBadRequest {
		t.Errorf("reject without reason: got %d %s; want 400", res.Status, res.Body)
	}
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+other2+"/reject", map[string]string{"actor": "casey@team.example.ca", "reason": "no antivirus"}); res.Status != http.StatusOK {
		t.Errorf("reject: got %d %s; want 200", res.Status, res.Body)
	}
	waitStateChecked(t, c, other2, domain.WorksiteRejected)

	// A type that does not enrol stops at registration; it cannot be approved.
	ha := registration("clinic@ha.example.ca")
	ha["address"].(map[string]any)["streetNumber"] = "374"
	ha["locationType"], ha["subOption"] = "health_authority_clinic", "VCHA"
	haID := mustRegisterChecked(t, c, ha)
	waitStateChecked(t, c, haID, domain.WorksiteRegisteredOnly)
	if res := c.Staff(http.MethodPost, "/api/v1/staff/worksites/"+haID+"/approve", map[string]string{"actor": "casey@team.example.ca"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("approve a registered-only worksite: got %d %s; want 422", res.Status, res.Body)
	}
	waitListedChecked(t, c, "?state=registered_only", haID)

	// Error responses.
	bad := c.Expect(apptest.RequestInvalid)
	if res := bad.Do(http.MethodPost, "/api/v1/worksites", "application/json", []byte(`{"name":`)); res.Status != http.StatusBadRequest {
		t.Errorf("malformed JSON: got %d; want 400", res.Status)
	}
	if res := bad.PostJSON("/api/v1/worksites", map[string]any{"name": 5}); res.Status != http.StatusBadRequest {
		t.Errorf("wrong type: got %d; want 400", res.Status)
	}
	if res := bad.Do(http.MethodGet, "/api/v1/staff/worksites", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("no staff token: got %d; want 401", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/staff/worksites", "", nil, "Authorization", "Bearer not-the-token"); res.Status != http.StatusForbidden {
		t.Errorf("wrong staff token: got %d; want 403", res.Status)
	}
	if res := c.Do(http.MethodGet, "/api/v1/worksites/ZZZZZZZ", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown worksite: got %d; want 404", res.Status)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/ZZZZZZZ/audit", nil); res.Status != http.StatusNotFound {
		t.Errorf("audit of unknown worksite: got %d; want 404", res.Status)
	}
	if res := c.Staff(http.MethodGet, "/api/v1/staff/worksites/ZZZZZZZ/emails", nil); res.Status != http.StatusNotFound {
		t.Errorf("emails of unknown worksite: got %d; want 404", res.Status)
	}
	if res := c.PostJSON("/api/v1/worksites", registration("again@proctor.example.ca")); res.Status != http.StatusConflict {
		t.Errorf("duplicate address: got %d; want 409", res.Status)
	}
	forged := "AAAA.BBBB"
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+forged, "", nil); res.Status != http.StatusNotFound {
		t.Errorf("forged token: got %d; want 404", res.Status)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+forged, "", nil); res.Status != http.StatusNotFound {
		t.Errorf("forged token page: got %d; want 404", res.Status)
	}
	expired := mustSigner(t, env.Config.Links.Secret).Sign(links.Claims{Purpose: links.PurposeDeclaration, Subject: id, Expires: time.Now().Add(-time.Hour)})
	if res := c.Do(http.MethodGet, "/api/v1/declarations/"+expired, "", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("expired token: got %d; want 422", res.Status)
	}
	if res := c.Do(http.MethodGet, "/declaration/"+expired, "", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("expired token page: got %d; want 422", res.Status)
	}
	if res := c.PostDeclaration(expired, apptest.ValidDeclaration(t)); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("sign with expired token: got %d; want 422", res.Status)
	}
	// Undocumented routes still answer with the Error body.
	if res := c.Expect(apptest.RequestUnchecked).Do(http.MethodGet, "/api/v1/nothing-here", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown route: got %d; want 404", res.Status)
	}
	if res := c.Expect(apptest.RequestUnchecked).Do(http.MethodDelete, "/api/v1/worksites/"+id, "", nil); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE worksite: got %d; want 405", res.Status)
	}

	// Every documented operation answered successfully at least once, and
	// each error status was seen.
	cov := c.Coverage()
	statuses := map[int]bool{}
	for path, item := range c.Doc().Paths.Map() {
		for method, op := range item.Operations() {
			ok := false
			for _, s := range cov[op.OperationID] {
				statuses[s] = true
				ok = ok || s < 300
			}
			if !ok {
				t.Errorf("%s %s (%s) never answered 2xx here: %v", method, path, op.OperationID, cov[op.OperationID])
			}
		}
	}
	for _, s := range []int{400, 401, 403, 404, 409, 422} {
		if !statuses[s] {
			t.Errorf("no operation answered %d", s)
		}
	}
	ops := make([]string, 0, len(cov))
	for op, s := range cov {
		ops = append(ops, fmt.Sprint(op, s))
	}
	sort.Strings(ops)
	t.Logf("coverage (operation [statuses]): %s", strings.Join(ops, " "))
}

// mustSigner returns a link signer for secret, as the system makes them.
func mustSigner(t *testing.T, secret string) *links.Signer {
	t.Helper()
	s, err := links.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
