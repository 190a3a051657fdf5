package workflows_test

import (
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/workflows"
)

// signal sends a signal to the worksite's workflow at start+at.
func (h *harness) signal(at time.Duration, name string, arg any) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(name, arg) }, at)
}

// A person's profile notice (the relay's signal from their workflow's
// outbox) reaches their member record and their pending join request: a
// profession correction changes the member's user type, so whether they
// may sponsor, and is on the worksite's timeline and audit trail; a late
// or repeated notice changes nothing.
func TestWorksiteMemberProfileChanged(t *testing.T) {
	h := newHarness(t)
	h.join(10*time.Minute, carol) // an MOA: on-behalf-of, may not sponsor
	h.requestJoin(20*time.Minute, "req-join-dan", dan)
	before := h.traceAt(30 * time.Minute)
	// Carol is corrected to physician (notice 2), then renamed (notice 3).
	h.signal(time.Hour, workflows.SignalMemberProfileChanged, domain.MemberProfileNotice{Key: "user/bcsc-carol/profile/2", Seq: 2,
		Subject: carol.Subject, Profession: domain.ProfPhysician, UserType: domain.Authorizer, Name: carol.Name, Email: carol.Email,
		Change: "profession corrected"})
	corrected := h.traceAt(time.Hour + time.Minute)
	h.signal(2*time.Hour, workflows.SignalMemberProfileChanged, domain.MemberProfileNotice{Key: "user/bcsc-carol/profile/3", Seq: 3,
		Subject: carol.Subject, Profession: domain.ProfPhysician, UserType: domain.Authorizer, Name: "Carol Chen-Ng", Email: "carol@new.example.ca"})
	// Notice 1 arrives late: older than what was applied, it changes nothing.
	h.signal(3*time.Hour, workflows.SignalMemberProfileChanged, domain.MemberProfileNotice{Key: "user/bcsc-carol/profile/1", Seq: 1,
		Subject: carol.Subject, Profession: domain.ProfMOA, UserType: domain.OnBehalfOf, Name: "Old Name"})
	// Dan, who only asked to join, changed his address.
	h.signal(4*time.Hour, workflows.SignalMemberProfileChanged, domain.MemberProfileNotice{Key: "user/bcsc-dan/profile/1", Seq: 1,
		Subject: dan.Subject, Profession: dan.Profession, UserType: dan.UserType, Name: dan.Name, Email: "dan@new.example.ca"})
	after := h.traceAt(5 * time.Hour)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 6*time.Hour)

	for _, tr := range []*trace{before, corrected, after} {
		if !tr.ran || tr.err != nil {
			t.Fatalf("trace: ran %v, err %v", tr.ran, tr.err)
		}
	}
	if c := mustMember(t, before.mem, carol.Subject); c.MaySponsor() {
		t.Fatalf("carol before = %+v; want an MOA who may not sponsor", c)
	}
	if c := mustMember(t, corrected.mem, carol.Subject); c.Profession != domain.ProfPhysician || c.UserType != domain.Authorizer || !c.MaySponsor() {
		t.Errorf("carol corrected = %+v; want a physician authorizer who may sponsor", c)
	}
	if g := corrected.mem.Grouped(); len(g["active"]["onBehalfOf"]) != 0 {
		t.Errorf("on-behalf-of members after the correction = %+v; want none", g["active"]["onBehalfOf"])
	}
	if c := mustMember(t, after.mem, carol.Subject); c.Name != "Carol Chen-Ng" || c.Email != "carol@new.example.ca" || c.Profession != domain.ProfPhysician {
		t.Errorf("carol after = %+v; want Carol Chen-Ng at carol@new.example.ca, a physician (the late notice ignored)", c)
	}
	if len(after.mem.Requests) != 1 || after.mem.Requests[0].Email != "dan@new.example.ca" {
		t.Errorf("join requests = %+v; want Dan's at dan@new.example.ca", after.mem.Requests)
	}
	var events []string
	for _, e := range after.st.Timeline {
		if e.Kind == "member_profession_changed" {
			events = append(events, e.Detail)
		}
	}
	if len(events) != 1 || !strings.Contains(events[0], "Carol Chen") || !strings.Contains(events[0], domain.ProfPhysician) {
		t.Errorf("profession events = %q; want one naming Carol and physician", events)
	}
	if as := h.auditsOf("member profession changed"); len(as) != 1 {
		t.Errorf("audits = %+v; want one profession change", as)
	}
	h.checkUniqueKeys()
}
