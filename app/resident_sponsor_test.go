package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
)

// mustJoin has persona ask to join worksite id and admin approve it; it
// returns the persona's token and subject.
func mustJoin(t *testing.T, env *apptest.Env, id, admin, persona string) (string, string) {
	t.Helper()
	auth := env.RegisterConfirmedAccount(persona)
	if res := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "hello"}, "Authorization", auth); res.Status != http.StatusCreated {
		t.Fatalf("%s join: %d %s", persona, res.Status, res.Body)
	}
	var subject string
	for _, r := range mustMembers(t, env, id, admin).Requests {
		if res := env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/join-requests/"+r.ID+"/approve", "", nil, "Authorization", admin); res.Status != http.StatusOK {
			t.Fatalf("approve %s: %d %s", persona, res.Status, res.Body)
		}
		subject = r.Subject
	}
	return auth, subject
}

// TestResidentSponsoredByAPhysician: a resident's sponsorship request goes
// to the provisioned physician, not to the provisioned nurse practitioner
// of the worksite, who does not see it and whose approval is refused
// (422); the physician sponsors with the residency's dates.
func TestResidentSponsoredByAPhysician(t *testing.T) {
	env := apptest.Start(t, nil)
	id, doc := provisionedPhysician(t, env)
	np, _ := mustJoin(t, env, id, doc, devidp.PersonaNursePractitioner)
	npEmail := apptest.AccountFor(devidp.PersonaNursePractitioner)["email"].(string)
	apply(t, env, np, id)
	callbacks(t, env, npEmail, "np", true)
	provisionWhenReady(t, env, np, id)

	res, resident := mustJoin(t, env, id, doc, devidp.PersonaResident)
	apply(t, env, res, id)
	waitLearningHubStatus(t, env, res, func(st domain.UserStatus) bool { return appOf(st, id) != nil })
	if r := env.Do(http.MethodPost, "/api/v1/me/applications/"+id+"/sponsorship-request", "", nil, "Authorization", res); r.Status != http.StatusOK {
		t.Fatalf("request sponsorship: %d %s", r.Status, r.Body)
	}
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	waitMailTo(t, env, docEmail, "sponsor")

	if r := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/sponsorship-requests", "", nil, "Authorization", np); r.Status != http.StatusOK || strings.Contains(string(r.Body), resident) {
		t.Errorf("the nurse practitioner's sponsorship requests: %d %s; want the resident's left out", r.Status, r.Body)
	}
	start, end := time.Now().UTC().Truncate(time.Second), time.Now().UTC().AddDate(1, 0, 0).Truncate(time.Second)
	dates := map[string]any{"residencyStart": start, "residencyEnd": end}
	if r := env.PostJSON("/api/v1/worksites/"+id+"/sponsorships/"+resident+"/approve", dates, "Authorization", np); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), "physician") {
		t.Errorf("sponsorship of a resident by a nurse practitioner: %d %s; want 422 naming the physician", r.Status, r.Body)
	}
	if r := env.PostJSON("/api/v1/worksites/"+id+"/sponsorships/"+resident+"/approve", dates, "Authorization", doc); r.Status != http.StatusOK {
		t.Fatalf("sponsorship by the physician: %d %s", r.Status, r.Body)
	}
	for _, e := range env.Catcher.Messages() {
		if strings.EqualFold(strings.Join(e.To, ","), npEmail) && strings.Contains(e.Subject, "sponsor") {
			t.Errorf("the nurse practitioner was asked to sponsor the resident: %q", e.Subject)
		}
	}
}
