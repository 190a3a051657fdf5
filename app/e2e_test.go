package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// registration returns a valid worksite registration. The registrant,
// who becomes its administrator, is the caller.
func registration() map[string]any {
	return map[string]any{
		"name": "Proctor Clinic", "phone": "604-555-4555", "extension": "12", "email": "front@proctor.example.ca",
		"address": map[string]any{"unit": "101", "streetNumber": "370", "streetName": "Broadway East",
			"city": "Vancouver", "province": "BC", "postalCode": "v5t4g5"},
		"locationType": "community_private_practice", "subOption": "physician_led", "emr": "OSCAR",
	}
}

type worksiteResponse struct {
	Worksite struct {
		ID string `json:"id"`
	} `json:"worksite"`
	Status       domain.WorksiteStatus `json:"status"`
	StatusSource string                `json:"statusSource"`
}

func mustRegister(t *testing.T, env *apptest.Env, body map[string]any) string {
	t.Helper()
	res := env.PostJSON("/api/v1/worksites", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: got %d %s; want 201", res.Status, res.Body)
	}
	var got worksiteResponse
	res.JSON(t, &got)
	if !domain.ValidWorksiteID(got.Worksite.ID) {
		t.Fatalf("got worksite ID %q; want 7 uppercase letters and digits", got.Worksite.ID)
	}
	return got.Worksite.ID
}

// waitState polls the API until the worksite is in state want.
func waitState(t *testing.T, env *apptest.Env, id string, want domain.WorksiteState) domain.WorksiteStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last worksiteResponse
	for time.Now().Before(deadline) {
		res := env.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil)
		if res.Status == http.StatusOK {
			last = worksiteResponse{}
			res.JSON(t, &last)
			if last.Status.State == want {
				return last.Status
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("worksite %s: state %q; want %q", id, last.Status.State, want)
	return domain.WorksiteStatus{}
}

func waitMail(t *testing.T, env *apptest.Env, to string, subjectHas string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool {
		return strings.Contains(m.Subject, subjectHas) && len(m.To) == 1 && m.To[0] == to
	})
	if err != nil {
		t.Fatalf("no email to %s with %q in the subject: %v (caught: %d)", to, subjectHas, err, len(env.Catcher.Messages()))
	}
	return m
}

// TestWorksiteRegistrationToApproval walks the first slice end to end over
// HTTP: register, read the emailed declaration link, sign through it with a
// screenshot, and have the team approve; against the real Temporal dev
// server, PostgreSQL and SMTP.
func TestWorksiteRegistrationToApproval(t *testing.T) {
	env := apptest.Start(t, nil)
	env.SignIn(devidp.PersonaPhysician)
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := mustRegister(t, env, registration())

	st := waitState(t, env, id, domain.WorksiteAwaitingDeclaration)
	if st.WaitingOn != domain.PartySigningAuthority || st.NextMilestone == nil || st.NextMilestone.Kind != domain.MilestoneReminder {
		t.Errorf("status = %+v; want the signing authority to act, next a reminder", st)
	}

	// The administrator receives the worksite ID and a signed declaration link.
	m := waitMail(t, env, admin, id)
	if !strings.Contains(m.Text, id) || !strings.Contains(m.Text, "Proctor Clinic") {
		t.Errorf("registration email lacks the worksite ID or name:\n%s", m.Text)
	}
	if m.EventKey != "worksite/"+id+"/worksite_registered/1" {
		t.Errorf("event key = %q; want the registration event", m.EventKey)
	}
	base, token := apptest.DeclarationLink(t, m)
	if base != env.Base {
		t.Errorf("link base = %q; want %q", base, env.Base)
	}

	// Following the link opens the form.
	page := env.Do(http.MethodGet, "/declaration/"+token, "", nil)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), id) || !strings.Contains(string(page.Body), `name="screenshot"`) {
		t.Fatalf("declaration page: got %d; want the form for %s\n%s", page.Status, id, page.Body)
	}
	form := env.Do(http.MethodGet, "/api/v1/declarations/"+token, "", nil)
	if form.Status != http.StatusOK || !strings.Contains(string(form.Body), `"awaiting_declaration"`) {
		t.Fatalf("declaration form API: got %d %s", form.Status, form.Body)
	}

	// The team cannot approve before the declaration is signed.
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("early approve: got %d %s; want 422", res.Status, res.Body)
	}

	res := env.PostDeclaration(token, apptest.ValidDeclaration(t))
	if res.Status != http.StatusOK {
		t.Fatalf("sign: got %d %s; want 200", res.Status, res.Body)
	}
	st = waitState(t, env, id, domain.WorksiteAwaitingReview)
	if st.WaitingOn != domain.PartyEnrolmentTeam {
		t.Errorf("after signing, waiting on %q; want the enrolment team", st.WaitingOn)
	}
	d, err := env.Store.GetDeclaration(context.Background(), id)
	if err != nil || d.ScreenshotType != "image/png" || d.SignerTitle != "Clinical Lead" {
		t.Errorf("stored declaration = %+v, %v; want the PNG and signer", d, err)
	}
	// Signing twice is a conflict.
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusConflict {
		t.Errorf("second signature: got %d %s; want 409", res.Status, res.Body)
	}
	waitMail(t, env, admin, "Declaration received")

	// The team sees it waiting for them, then approves.
	// The list reads the projection, which follows the workflow closely.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := env.Staff(http.MethodGet, "/api/v1/staff/worksites?waitingOn=enrolment_team", nil)
		if list.Status == http.StatusOK && strings.Contains(string(list.Body), id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("team list: got %d %s; want %s in it", list.Status, list.Body, id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res = env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"reason": "declaration complete"})
	if res.Status != http.StatusOK {
		t.Fatalf("approve: got %d %s; want 200", res.Status, res.Body)
	}
	waitState(t, env, id, domain.WorksiteApproved)
	approved := waitMail(t, env, admin, "approved")
	if !strings.Contains(approved.Subject, id) {
		t.Errorf("approval subject %q lacks the worksite ID", approved.Subject)
	}
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{"reason": "late"}); res.Status != http.StatusConflict {
		t.Errorf("reject after approve: got %d %s; want 409", res.Status, res.Body)
	}

	// Every email was sent once and logged as sent; the audit trail has each
	// step. The catcher can see a message before the activity records it as
	// sent, so wait for the log to settle.
	var emails []store.EmailRecord
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if emails, err = env.Store.ListEmails(context.Background(), "worksite/"+id+"/"); err != nil {
			t.Fatal(err)
		}
		if allSent(emails) || time.Now().After(deadline) {
			break
		}
	}
	for _, e := range emails {
		if e.Status != store.EmailSent {
			t.Errorf("email %s: status %s; want sent", e.Key, e.Status)
		}
		if n := countKey(env, e.Key); n != 1 {
			t.Errorf("email %s reached the catcher %d times; want 1", e.Key, n)
		}
	}
	audit := env.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/audit", nil)
	for _, action := range []string{"worksite registered", "declaration signed", "worksite approved"} {
		if !strings.Contains(string(audit.Body), action) {
			t.Errorf("audit lacks %q: %s", action, audit.Body)
		}
	}
}

func countKey(env *apptest.Env, key string) int {
	n := 0
	for _, m := range env.Catcher.Messages() {
		if m.EventKey == key {
			n++
		}
	}
	return n
}

// TestWorksiteRejection: the team rejects with a reason and the administrator is told why.
func TestWorksiteRejection(t *testing.T) {
	env := apptest.Start(t, nil)
	env.SignIn(devidp.PersonaPhysician)
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := mustRegister(t, env, registration())
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign: got %d %s", res.Status, res.Body)
	}
	waitState(t, env, id, domain.WorksiteAwaitingReview)
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{}); res.Status != http.StatusBadRequest {
		t.Errorf("reject without reason: got %d %s; want 400", res.Status, res.Body)
	}
	res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{"reason": "screenshot shows expired antivirus"})
	if res.Status != http.StatusOK {
		t.Fatalf("reject: got %d %s", res.Status, res.Body)
	}
	st := waitState(t, env, id, domain.WorksiteRejected)
	if st.Reason != "screenshot shows expired antivirus" {
		t.Errorf("reason = %q", st.Reason)
	}
	m := waitMail(t, env, admin, "not approved")
	if !strings.Contains(m.Text, "screenshot shows expired antivirus") {
		t.Errorf("rejection email lacks the reason:\n%s", m.Text)
	}
}

func allSent(emails []store.EmailRecord) bool {
	for _, e := range emails {
		if e.Status != store.EmailSent {
			return false
		}
	}
	return true
}
