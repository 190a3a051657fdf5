package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// appOf returns the caller's application at worksite id.
func appOf(st domain.UserStatus, id string) *domain.Application {
	for i := range st.Applications {
		if st.Applications[i].Worksite.ID == id {
			return &st.Applications[i]
		}
	}
	return nil
}

func outstanding(a *domain.Application) []string {
	var keys []string
	for _, r := range a.Requirements {
		if !r.Done {
			keys = append(keys, r.Key+"("+string(r.WaitingOn)+")")
		}
	}
	return keys
}

// TestApplicationToProvisioning: a physician registers a worksite, the
// declaration is signed through the emailed link and the team approves the
// worksite; the physician applies, sees what is outstanding and who must
// act, completes the course and the HPCAA (signed LearningHub callbacks),
// and the team provisions them from its queue; the welcome package names
// the viewer's address and the business role.
func TestApplicationToProvisioning(t *testing.T) {
	env := apptest.Start(t, nil)
	doc := env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	env.Auth = doc // the administrator reads the worksite's status while waiting
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	res := env.PostJSON("/api/v1/worksites", registration(), "Authorization", doc)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var reg worksiteResponse
	res.JSON(t, &reg)
	id := reg.Worksite.ID

	// Applying needs the questionnaire's "direct clinical care only".
	if bad := env.PostJSON("/api/v1/me/applications", map[string]any{"worksiteId": id, "answers": map[string]bool{"direct_clinical_care": false}},
		"Authorization", doc); bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), "answers.direct_clinical_care") {
		t.Fatalf("no to direct care: got %d %s; want 400 naming the answer", bad.Status, bad.Body)
	}
	res = env.PostJSON("/api/v1/me/applications", map[string]any{"worksiteId": id, "answers": map[string]bool{"direct_clinical_care": true}},
		"Authorization", doc)
	if res.Status != http.StatusCreated {
		t.Fatalf("apply: %d %s", res.Status, res.Body)
	}
	if again := env.PostJSON("/api/v1/me/applications", map[string]any{"worksiteId": id, "answers": map[string]bool{"direct_clinical_care": true}},
		"Authorization", doc); again.Status != http.StatusConflict {
		t.Errorf("second application: got %d %s; want 409", again.Status, again.Body)
	}
	waitMailTo(t, env, docEmail, "application")

	st := waitLearningHubStatus(t, env, doc, func(st domain.UserStatus) bool { return appOf(st, id) != nil })
	got := strings.Join(outstanding(appOf(st, id)), " ")
	for _, want := range []string{"worksite(signing_authority)", "course(applicant)", "hpcaa(applicant)"} {
		if !strings.Contains(got, want) {
			t.Errorf("outstanding = %s; want %s among them", got, want)
		}
	}

	// The declaration, and the team's approval of the worksite.
	_, token := apptest.DeclarationLink(t, waitEventMail(t, env, "worksite/"+id+"/worksite_registered/")) // the application email names the worksite too
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	waitState(t, env, id, domain.WorksiteAwaitingReview)
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{}); res.Status != http.StatusOK {
		t.Fatalf("approve worksite: %d %s", res.Status, res.Body)
	}

	// LearningHub: the course and the HPCAA.
	c := env.Checked()
	secret := []byte(env.Config.LearningHub.Secret)
	for i, typ := range []string{learninghub.TypeCourseCompleted, learninghub.TypeAgreementAcknowledged} {
		code := env.Config.LearningHub.CourseCode
		if typ == learninghub.TypeAgreementAcknowledged {
			code = env.Config.LearningHub.AgreementCode
		}
		body := learningHubBody(t, "evt-app-"+string(rune('a'+i)), typ, code, docEmail)
		res := c.Do(http.MethodPost, learningHubPath, "application/json", body, learninghub.Header, learninghub.Sign(secret, time.Now().Unix(), body))
		if res.Status != http.StatusAccepted {
			t.Fatalf("callback %s: %d %s", typ, res.Status, res.Body)
		}
	}
	st = waitLearningHubStatus(t, env, doc, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State == domain.AppReady
	})
	if a := appOf(st, id); strings.Join(outstanding(a), " ") != "team(enrolment_team)" {
		t.Errorf("ready application outstanding = %v; want only the team", outstanding(a))
	}

	// The team's queue holds it; the team provisions with the default role.
	var queue struct {
		Applications []struct {
			Subject     string             `json:"subject"`
			Application domain.Application `json:"application"`
		} `json:"applications"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := env.Staff(http.MethodGet, "/api/v1/staff/applications", nil)
		queue.Applications = nil
		res.JSON(t, &queue)
		if len(queue.Applications) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(queue.Applications) != 1 || queue.Applications[0].Application.Worksite.ID != id {
		t.Fatalf("queue = %+v; want the physician's application", queue.Applications)
	}
	subject := queue.Applications[0].Subject
	if res := env.PostJSON("/api/v1/staff/applications/"+subject+"/"+id+"/provision", map[string]any{}, "Authorization", doc); res.Status != http.StatusForbidden {
		t.Errorf("provision by an applicant: got %d; want 403", res.Status)
	}
	res = env.Staff(http.MethodPost, "/api/v1/staff/applications/"+subject+"/"+id+"/provision", map[string]any{})
	if res.Status != http.StatusOK {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	welcome := waitMailTo(t, env, docEmail, "Welcome to CareConnect")
	for _, want := range []string{env.Config.Viewer.URL, "Community Services", "Prescriber", id} {
		if !strings.Contains(welcome.Text, want) {
			t.Errorf("welcome package lacks %q:\n%s", want, welcome.Text)
		}
	}
	if again := env.Staff(http.MethodPost, "/api/v1/staff/applications/"+subject+"/"+id+"/provision", map[string]any{}); again.Status != http.StatusUnprocessableEntity {
		t.Errorf("provisioning twice: got %d; want 422", again.Status)
	}

	// The Temporal Web UI's filters find both workflows by their typed search attributes.
	for query, wantID := range map[string]string{
		fmt.Sprintf("CareConnectWorksiteID = '%s' AND CareConnectStatus = 'provisioned' AND CareConnectProfession = 'physician'", id):              workflows.UserWorkflowID(subject),
		fmt.Sprintf("CareConnectWorksiteID = '%s' AND CareConnectStatus = 'approved' AND WorkflowType = '%s'", id, workflows.WorksiteWorkflowName): workflows.WorksiteWorkflowID(id),
	} {
		var found []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			res, err := env.Main.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: env.Config.Temporal.Namespace, Query: query})
			if err != nil {
				t.Fatalf("list workflows %q: %v", query, err)
			}
			found = found[:0]
			for _, e := range res.GetExecutions() {
				found = append(found, e.GetExecution().GetWorkflowId())
			}
			if len(found) == 1 && found[0] == wantID {
				break
			}
		}
		if len(found) != 1 || found[0] != wantID {
			t.Errorf("workflows matching %q = %v; want [%s]", query, found, wantID)
		}
	}
}

// provisionedPhysician runs the physician's journey to provisioned access
// at a new worksite and returns the worksite ID and the physician's auth.
func provisionedPhysician(t *testing.T, env *apptest.Env) (string, string) {
	t.Helper()
	doc := env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	env.Auth = doc
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	res := env.PostJSON("/api/v1/worksites", registration(), "Authorization", doc)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var reg worksiteResponse
	res.JSON(t, &reg)
	id := reg.Worksite.ID
	_, token := apptest.DeclarationLink(t, waitMail(t, env, docEmail, id))
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	waitState(t, env, id, domain.WorksiteAwaitingReview)
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{}); res.Status != http.StatusOK {
		t.Fatalf("approve worksite: %d %s", res.Status, res.Body)
	}
	apply(t, env, doc, id)
	callbacks(t, env, docEmail, "doc", true)
	provisionWhenReady(t, env, doc, id)
	return id, doc
}

func apply(t *testing.T, env *apptest.Env, auth, id string) {
	t.Helper()
	res := env.PostJSON("/api/v1/me/applications", map[string]any{"worksiteId": id, "answers": map[string]bool{"direct_clinical_care": true}},
		"Authorization", auth)
	if res.Status != http.StatusCreated {
		t.Fatalf("apply: %d %s", res.Status, res.Body)
	}
}

func callbacks(t *testing.T, env *apptest.Env, email, prefix string, hpcaa bool) {
	t.Helper()
	secret := []byte(env.Config.LearningHub.Secret)
	send := func(id, typ, code string) {
		body := learningHubBody(t, id, typ, code, email)
		res := env.Do(http.MethodPost, learningHubPath, "application/json", body, learninghub.Header, learninghub.Sign(secret, time.Now().Unix(), body))
		if res.Status != http.StatusAccepted {
			t.Fatalf("callback %s: %d %s", typ, res.Status, res.Body)
		}
	}
	send(prefix+"-course", learninghub.TypeCourseCompleted, env.Config.LearningHub.CourseCode)
	if hpcaa {
		send(prefix+"-hpcaa", learninghub.TypeAgreementAcknowledged, env.Config.LearningHub.AgreementCode)
	}
}

// provisionWhenReady waits for the application at id to be ready and has the team provision it.
func provisionWhenReady(t *testing.T, env *apptest.Env, auth, id string) domain.Application {
	t.Helper()
	waitLearningHubStatus(t, env, auth, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State == domain.AppReady
	})
	var me struct {
		Principal struct {
			Subject string `json:"subject"`
		} `json:"principal"`
	}
	env.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", auth).JSON(t, &me)
	res := env.Staff(http.MethodPost, "/api/v1/staff/applications/"+me.Principal.Subject+"/"+id+"/provision", map[string]any{})
	if res.Status != http.StatusOK {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	st := waitLearningHubStatus(t, env, auth, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State == domain.AppProvisioned
	})
	return *appOf(st, id)
}

// TestSponsoredApplication: an MOA joins, applies and requests
// sponsorship; the provisioned physician sponsors; the MOA completes the
// course and the team provisions the MOA with the physician's business role.
func TestSponsoredApplication(t *testing.T) {
	env := apptest.Start(t, nil)
	id, doc := provisionedPhysician(t, env)
	moa := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)

	if res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "front desk"}, "Authorization", moa); res.Status != http.StatusCreated {
		t.Fatalf("join: %d %s", res.Status, res.Body)
	}
	m := mustMembers(t, env, id, doc)
	if len(m.Requests) != 1 {
		t.Fatalf("join requests = %+v", m.Requests)
	}
	if res := env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/join-requests/"+m.Requests[0].ID+"/approve", "", nil, "Authorization", doc); res.Status != http.StatusOK {
		t.Fatalf("approve join: %d %s", res.Status, res.Body)
	}
	moaSubject := m.Requests[0].Subject
	apply(t, env, moa, id)
	st := waitLearningHubStatus(t, env, moa, func(st domain.UserStatus) bool { return appOf(st, id) != nil })
	if got := strings.Join(outstanding(appOf(st, id)), " "); !strings.Contains(got, "sponsor(applicant)") || strings.Contains(got, "hpcaa") {
		t.Errorf("MOA outstanding = %s; want the sponsorship to request, and no HPCAA", got)
	}
	if res := env.Do(http.MethodPost, "/api/v1/me/applications/"+id+"/sponsorship-request", "", nil, "Authorization", moa); res.Status != http.StatusOK {
		t.Fatalf("request sponsorship: %d %s", res.Status, res.Body)
	}
	waitMailTo(t, env, docEmail, "sponsor")
	// The MOA cannot sponsor themselves, nor anyone.
	if res := env.PostJSON("/api/v1/worksites/"+id+"/sponsorships/"+moaSubject+"/approve", map[string]any{}, "Authorization", moa); res.Status != http.StatusForbidden {
		t.Errorf("sponsorship by the MOA: got %d; want 403", res.Status)
	}
	if res := env.PostJSON("/api/v1/worksites/"+id+"/sponsorships/"+moaSubject+"/approve", map[string]any{}, "Authorization", doc); res.Status != http.StatusOK {
		t.Fatalf("sponsor: %d %s", res.Status, res.Body)
	}
	waitMailTo(t, env, moaEmail, "sponsorship")
	callbacks(t, env, moaEmail, "moa", false)
	a := provisionWhenReady(t, env, moa, id)
	if a.BusinessRole == nil || a.BusinessRole.FunctionalDescription != "Prescriber" || a.Sponsorship == nil {
		t.Errorf("MOA provisioned as %+v; want the sponsor's role (Prescriber) and the sponsorship recorded", a)
	}
	welcome := waitMailTo(t, env, moaEmail, "Welcome to CareConnect")
	if !strings.Contains(welcome.Text, "Prescriber") {
		t.Errorf("MOA welcome package lacks the sponsor's role:\n%s", welcome.Text)
	}
}
