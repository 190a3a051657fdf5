package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/workflows"
)

// waitMembers polls a worksite's members until done holds (the person's
// workflow, the outbox relay and the worksite's workflow take a moment).
func waitMembers(t *testing.T, env *apptest.Env, id, auth string, done func(membersResponse) bool) membersResponse {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := mustMembers(t, env, id, auth)
		if done(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("members never as wanted: %+v, requests %+v", m.Members, m.Requests)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMemberProfileReachesWorksites: the team corrects an MOA to physician,
// and the worksite where they are a member lists them as an authorizer (so
// they may sponsor), with the correction on its timeline; the worksite
// where they only asked to join shows the corrected profession on the
// request. Their change of name reaches both records too. Real Temporal,
// PostgreSQL and the outbox relay throughout.
func TestMemberProfileReachesWorksites(t *testing.T) {
	env := apptest.Start(t, nil)
	doc := env.RegisterAccount(devidp.PersonaPhysician)
	doc2 := env.RegisterAccount(devidp.PersonaPhysician2)
	moa := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	moaSubject := mustPersonaOf(t, env, devidp.PersonaMOA).Subject

	register := func(auth string, body map[string]any) string {
		t.Helper()
		res := env.PostJSON("/api/v1/worksites", body, "Authorization", auth)
		if res.Status != http.StatusCreated {
			t.Fatalf("register: %d %s", res.Status, res.Body)
		}
		var reg worksiteResponse
		res.JSON(t, &reg)
		return reg.Worksite.ID
	}
	id := register(doc, registration())
	second := registration()
	second["address"].(map[string]any)["streetNumber"] = "12"
	other := register(doc2, second)

	// The MOA is a member of the first worksite and asks to join the second.
	mustStatus(t, "join request", env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{}, "Authorization", moa), http.StatusCreated)
	jr := mustMembers(t, env, id, doc).Requests
	if len(jr) != 1 {
		t.Fatalf("join requests = %+v; want the MOA's", jr)
	}
	mustStatus(t, "approve", env.PostJSON("/api/v1/worksites/"+id+"/join-requests/"+jr[0].ID+"/approve", map[string]any{}, "Authorization", doc), http.StatusOK)
	mustStatus(t, "second join request", env.PostJSON("/api/v1/worksites/"+other+"/join-requests", map[string]string{}, "Authorization", moa), http.StatusCreated)
	if x := findMember(mustMembers(t, env, id, doc), "active", moaSubject); x == nil || x.UserType != domain.OnBehalfOf {
		t.Fatalf("MOA member = %+v; want on-behalf-of", x)
	}

	// The team corrects the profession.
	mustStatus(t, "correction", env.Staff(http.MethodPut, "/api/v1/staff/people/"+moaSubject+"/profession", map[string]any{
		"profession": domain.ProfPhysician, "reason": "CPSBC lists them as a physician",
		"professionIds": map[string]string{"msp_billing_number": "1234567", "cpsid": "12345"}}), http.StatusOK)
	m := waitMembers(t, env, id, doc, func(m membersResponse) bool {
		x := findMember(m, "active", moaSubject)
		return x != nil && x.Profession == domain.ProfPhysician
	})
	if x := findMember(m, "active", moaSubject); x.UserType != domain.Authorizer || !x.MaySponsor() || len(m.Members["active"]["onBehalfOf"]) != 0 {
		t.Errorf("member after the correction = %+v (on-behalf-of: %+v); want an authorizer who may sponsor", *x, m.Members["active"]["onBehalfOf"])
	}
	waitMembers(t, env, other, doc2, func(m membersResponse) bool {
		return len(m.Requests) == 1 && m.Requests[0].Profession == domain.ProfPhysician && m.Requests[0].UserType == domain.Authorizer
	})
	res := env.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil, "Authorization", doc)
	var ws worksiteResponse
	res.JSON(t, &ws)
	found := false
	for _, e := range ws.Status.Timeline {
		found = found || (e.Kind == "member_profession_changed" && strings.Contains(e.Detail, domain.ProfPhysician))
	}
	if !found {
		t.Errorf("worksite timeline %+v; want the member's profession correction", ws.Status.Timeline)
	}

	// The MOA gives a preferred name: both records follow.
	res = env.Do(http.MethodPatch, "/api/v1/me/account", "application/json", mustMarshal(t, map[string]any{"preferredFirstName": "Mo"}), "Authorization", moa)
	mustStatus(t, "rename", res, http.StatusOK)
	waitMembers(t, env, id, doc, func(m membersResponse) bool {
		x := findMember(m, "active", moaSubject)
		return x != nil && strings.HasPrefix(x.Name, "Mo ")
	})
	waitMembers(t, env, other, doc2, func(m membersResponse) bool {
		return len(m.Requests) == 1 && strings.HasPrefix(m.Requests[0].Name, "Mo ")
	})
}

// TestNoWorksiteWaitsOnApplicantInTemporal: a registered account with no
// worksite is indexed in Temporal as waiting on the applicant (who must
// register or join a worksite), as the portal says, and its projected
// status says so too.
func TestNoWorksiteWaitsOnApplicantInTemporal(t *testing.T) {
	env := apptest.Start(t, nil)
	auth := env.RegisterConfirmedAccount(devidp.PersonaPharmacist)
	subject := mustPersonaOf(t, env, devidp.PersonaPharmacist).Subject
	dc := converter.GetDefaultDataConverter()
	var waiting string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		d, err := env.Main.Temporal.DescribeWorkflowExecution(context.Background(), workflows.UserWorkflowID(subject), "")
		if err != nil {
			t.Fatal(err)
		}
		if p := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.SearchWaitingOn.GetName()]; p != nil {
			if err := dc.FromPayload(p, &waiting); err != nil {
				t.Fatal(err)
			}
		}
		if waiting == string(domain.PartyApplicant) {
			break
		}
	}
	if waiting != string(domain.PartyApplicant) {
		t.Errorf("search attribute %s = %q; want %q", workflows.SearchWaitingOn.GetName(), waiting, domain.PartyApplicant)
	}
	st := mustUserStatus(t, env, auth)
	if st.WaitingOn != domain.PartyApplicant || st.NextAction != domain.NoWorksiteAction {
		t.Errorf("status: %q %q; want the applicant to register or join a worksite", st.WaitingOn, st.NextAction)
	}
	stored, err := env.Store.GetUserStatus(context.Background(), subject)
	if err != nil || stored.WaitingOn != domain.PartyApplicant {
		t.Errorf("projected status waits on %q (%v); want the applicant", stored.WaitingOn, err)
	}
}
