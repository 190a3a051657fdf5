package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
)

type membersResponse struct {
	Members     map[string]map[string][]domain.Member `json:"members"`
	Requests    []domain.JoinRequest                  `json:"joinRequests"`
	Invitations []domain.Invitation                   `json:"invitations"`
}

func mustMembers(t *testing.T, env *apptest.Env, id, auth string) membersResponse {
	t.Helper()
	res := env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", auth)
	if res.Status != http.StatusOK {
		t.Fatalf("members: got %d %s", res.Status, res.Body)
	}
	var m membersResponse
	res.JSON(t, &m)
	return m
}

func findMember(m membersResponse, state, subjectSuffix string) *domain.Member {
	for _, group := range m.Members[state] {
		for i := range group {
			if strings.HasPrefix(group[i].Subject, subjectSuffix) {
				return &group[i]
			}
		}
	}
	return nil
}

var linkRE = regexp.MustCompile(`(https?://[^\s"<>]+)/(join-requests|invitations)/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`)

func mustLink(t *testing.T, m mail.Caught, kind string) string {
	t.Helper()
	for _, g := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		if g[2] == kind {
			return g[3]
		}
	}
	t.Fatalf("no %s link in %q:\n%s", kind, m.Subject, m.Text)
	return ""
}

func waitMailTo(t *testing.T, env *apptest.Env, to, subjectHas string) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool {
		return strings.Contains(m.Subject, subjectHas) && len(m.To) == 1 && strings.EqualFold(m.To[0], to)
	})
	if err != nil {
		for _, c := range env.Catcher.Messages() {
			t.Logf("caught: %v %q", c.To, c.Subject)
		}
		t.Fatalf("no email to %s with %q: %v", to, subjectHas, err)
	}
	return m
}

// TestMembershipJourney: a physician registers a worksite; an MOA finds it
// by address and asks to join; the physician approves through the emailed
// link; a second physician is invited, accepts and is promoted; and the
// first physician is set inactive by the second. Real Temporal, PostgreSQL
// and SMTP throughout.
func TestMembershipJourney(t *testing.T) {
	env := apptest.Start(t, nil)
	doc := env.RegisterAccount(devidp.PersonaPhysician)
	moa := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	doc2 := env.RegisterConfirmedAccount(devidp.PersonaPhysician2)
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)
	doc2Email := apptest.AccountFor(devidp.PersonaPhysician2)["email"].(string)

	// 1. The physician registers the worksite and is its administrator.
	res := env.PostJSON("/api/v1/worksites", registration(), "Authorization", doc)
	if res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var reg worksiteResponse
	res.JSON(t, &reg)
	id := reg.Worksite.ID

	// 2. The MOA finds it by typing the address and asks to join.
	res = env.Do(http.MethodGet, "/api/v1/worksites/search?address="+url.QueryEscape("370 broadway e"), "", nil, "Authorization", moa)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), id) {
		t.Fatalf("search: got %d %s; want %s", res.Status, res.Body, id)
	}
	res = env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "I run the front desk"}, "Authorization", moa)
	if res.Status != http.StatusCreated {
		t.Fatalf("join request: %d %s", res.Status, res.Body)
	}
	if again := env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{}, "Authorization", moa); again.Status != http.StatusConflict {
		t.Errorf("second join request: got %d %s; want 409", again.Status, again.Body)
	}

	// 3. The physician approves through the emailed link (no sign-in: the signed link names them).
	ask := waitMailTo(t, env, docEmail, "asks to join")
	if !strings.Contains(ask.Text, "I run the front desk") || !strings.Contains(ask.Subject, id) {
		t.Errorf("join request email lacks the comment or worksite ID:\n%s", ask.Text)
	}
	token := mustLink(t, ask, "join-requests")
	if page := env.Do(http.MethodGet, "/join-requests/"+token, "", nil); page.Status != http.StatusOK {
		t.Errorf("join request page: %d", page.Status)
	}
	res = env.PostJSON("/api/v1/join-links/"+token, map[string]any{"approve": true})
	if res.Status != http.StatusOK {
		t.Fatalf("approve by link: %d %s", res.Status, res.Body)
	}
	// Whoever holds the link gets an acknowledgement, not the member list.
	var ack map[string]any
	res.JSON(t, &ack)
	if len(ack) != 2 || ack["status"] != "approved" || ack["message"] == "" || strings.Contains(string(res.Body), docEmail) {
		t.Errorf("approve by link answered %s; want only {status: approved, message}", res.Body)
	}
	waitMailTo(t, env, moaEmail, "was approved")
	if again := env.PostJSON("/api/v1/join-links/"+token, map[string]any{"approve": true}); again.Status != http.StatusNotFound {
		t.Errorf("approving twice: got %d %s; want 404", again.Status, again.Body)
	}
	m := mustMembers(t, env, id, doc)
	if x := findMember(m, "active", "bcsc-moa"); x == nil || x.UserType != domain.OnBehalfOf {
		t.Fatalf("MOA not an active on-behalf-of member: %+v", m.Members)
	}

	// 4. A second physician is invited, accepts, and is promoted.
	res = env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": doc2Email}, "Authorization", doc)
	if res.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	inv := waitMailTo(t, env, doc2Email, "invited to join")
	itoken := mustLink(t, inv, "invitations")
	// Only the account whose confirmed email is the invited address may accept.
	if wrong := env.Do(http.MethodPost, "/api/v1/invitations/"+itoken+"/accept", "", nil, "Authorization", moa); wrong.Status != http.StatusForbidden {
		t.Errorf("accept by another account: got %d %s; want 403", wrong.Status, wrong.Body)
	}
	if res := env.Do(http.MethodPost, "/api/v1/invitations/"+itoken+"/accept", "", nil, "Authorization", doc2); res.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	doc2Subject := findMember(mustMembers(t, env, id, doc), "active", "bcsc-physician-0002").Subject
	res = env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/members/"+doc2Subject+"/promote", "", nil, "Authorization", doc)
	if res.Status != http.StatusOK {
		t.Fatalf("promote: %d %s", res.Status, res.Body)
	}
	waitMailTo(t, env, doc2Email, "administrator")

	// The first physician cannot deactivate themselves...
	docSubject := findMember(mustMembers(t, env, id, doc), "active", "bcsc-physician-0001").Subject
	if self := env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/members/"+docSubject+"/deactivate", "", nil, "Authorization", doc); self.Status != http.StatusUnprocessableEntity {
		t.Errorf("self-deactivation: got %d %s; want 422", self.Status, self.Body)
	}
	// 5. ...so the second physician sets them inactive.
	res = env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/members/"+docSubject+"/deactivate", "", nil, "Authorization", doc2)
	if res.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", res.Status, res.Body)
	}
	m = mustMembers(t, env, id, doc2)
	if findMember(m, "inactive", "bcsc-physician-0001") == nil {
		t.Errorf("first physician not inactive: %+v", m.Members)
	}
	waitMailTo(t, env, docEmail, "inactive")
	// The deactivated physician no longer administers the worksite.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res = env.Do(http.MethodGet, "/api/v1/worksites/"+id+"/members", "", nil, "Authorization", doc)
		if res.Status == http.StatusNotFound || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res.Status != http.StatusNotFound {
		t.Errorf("former administrator reading members: got %d; want 404", res.Status)
	}
	// Each person's own enrolment heard of their memberships.
	var mine struct {
		Worksites []map[string]any `json:"worksites"`
	}
	env.Do(http.MethodGet, "/api/v1/me/worksites", "", nil, "Authorization", moa).JSON(t, &mine)
	if len(mine.Worksites) != 1 || mine.Worksites[0]["worksiteId"] != id {
		t.Errorf("MOA's worksites = %+v; want %s", mine.Worksites, id)
	}
}
