package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"careconnect/activities"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/workflows"
)

// People in the membership tests besides the registrant (Ada, the first
// administrator): Bob and Carol join by request, Dan is turned away, Erin
// is invited.
var (
	bob = domain.Member{Subject: "bcsc-bob", Name: "Bob Baker", Email: "bob@clinic.example.ca",
		Profession: domain.ProfRegisteredNurse, UserType: domain.Authorizer}
	carol = domain.Member{Subject: "bcsc-carol", Name: "Carol Chen", Email: "carol@clinic.example.ca",
		Profession: domain.ProfMOA, UserType: domain.OnBehalfOf}
	dan = domain.Member{Subject: "bcsc-dan", Name: "Dan Dunn", Email: "dan@elsewhere.example.ca",
		Profession: domain.ProfPharmacist, UserType: domain.Independent}
	erin = domain.Member{Subject: "bcsc-erin", Name: "Erin Evans", Email: "erin.evans@clinic.example.ca",
		Profession: domain.ProfNursePractitioner, UserType: domain.Authorizer}
)

// ada is the registrant, the worksite's first administrator.
var ada = registrant

// teamChange is a worksite change by the enrolment team.
func teamChange(id, reason string) workflows.WorksiteChange {
	return workflows.WorksiteChange{Actor: "alice@team.example.ca", ActorRole: domain.RoleTeam, Reason: reason, RequestID: id}
}

// requestJoin is who's join request at start+at; its ID is "jr-"+id.
func (h *harness) requestJoin(at time.Duration, id string, who domain.Member) *updateOutcome {
	return h.update(at, workflows.UpdateRequestJoin, id, workflows.JoinRequestArgs{
		Requester: who, Comment: "I work here on Tuesdays", RequestID: id})
}

// decideJoin is actor's answer to join request jr at start+at.
func (h *harness) decideJoin(at time.Duration, id, jr string, actor domain.Member, approve bool, reason string, endsAt *time.Time) *updateOutcome {
	return h.update(at, workflows.UpdateDecideJoin, id, workflows.JoinDecision{
		JoinRequestID: jr, Approve: approve, Reason: reason, Actor: actor.Subject, EndsAt: endsAt, RequestID: id})
}

// join makes who an active member: a request at start+at that Ada
// approves ten minutes later.
func (h *harness) join(at time.Duration, who domain.Member) {
	id := "req-join-" + who.Subject
	h.requestJoin(at, id, who)
	h.decideJoin(at+10*time.Minute, "req-approve-"+who.Subject, "jr-"+id, ada, true, "", nil)
}

// change is a member update (promote, demote, deactivate, reactivate, set end) at start+at.
func (h *harness) change(at time.Duration, name, id string, actor, target domain.Member, reason string, endsAt *time.Time) *updateOutcome {
	return h.update(at, name, id, workflows.MemberChange{Actor: actor.Subject, Target: target.Subject, Reason: reason, EndsAt: endsAt, RequestID: id})
}

// invite is actor's invitation of email at start+at; its ID is "inv-"+id.
func (h *harness) invite(at time.Duration, id, email string, actor domain.Member) *updateOutcome {
	return h.update(at, workflows.UpdateInvite, id, workflows.InviteArgs{Email: email, Actor: actor.Subject, ActorName: actor.Name, RequestID: id})
}

// accept is who's acceptance of invitation inv at start+at from an account with accountEmail.
func (h *harness) accept(at time.Duration, id, inv string, who domain.Member, accountEmail string) *updateOutcome {
	return h.update(at, workflows.UpdateAcceptInvitation, id, workflows.AcceptInvitation{
		InvitationID: inv, Member: who, AccountEmail: accountEmail, RequestID: id})
}

// trace is everything a change can leave behind, seen at one moment.
type trace struct {
	ran bool
	err error
	st  domain.WorksiteStatus
	mem domain.Membership
	// Counts of emails, audit records, member notices and membership projections so far.
	emails, audits, notices, projections int
}

// traceAt records the trace at start+at.
func (h *harness) traceAt(at time.Duration) *trace {
	tr := &trace{}
	h.env.RegisterDelayedCallback(func() {
		tr.ran = true
		v, err := h.env.QueryWorkflow(workflows.QueryStatus)
		if err == nil {
			err = v.Get(&tr.st)
		}
		if err == nil {
			if v, err = h.env.QueryWorkflow(workflows.QueryMembership); err == nil {
				err = v.Get(&tr.mem)
			}
		}
		tr.err = err
		h.mu.Lock()
		defer h.mu.Unlock()
		tr.emails, tr.audits, tr.notices, tr.projections = len(h.emails), len(h.audits), len(h.notices), len(h.memberships)
	}, at)
	return tr
}

// refusal is an update that must be refused, with the traces around it.
type refusal struct {
	label         string
	at            time.Duration
	o             *updateOutcome
	before, after *trace
}

// refuse sends an update at start+at that must be refused, tracing a
// minute before and a minute after it.
func (h *harness) refuse(label string, at time.Duration, name, id string, arg any) *refusal {
	return &refusal{label: label, at: at, before: h.traceAt(at - time.Minute), o: h.update(at, name, id, arg), after: h.traceAt(at + time.Minute)}
}

// checkRefused checks that the validator refused r with code wantType and
// that r left no trace: status (and its Seq), membership, emails, audit
// records, notices and projections are as they were.
func (h *harness) checkRefused(r *refusal, wantType string) {
	h.t.Helper()
	t := h.t
	if r.o.accepted || r.o.completed {
		t.Errorf("%s: accepted=%v completed=%v; want refused by the validator", r.label, r.o.accepted, r.o.completed)
	}
	if r.o.rejected == nil {
		t.Errorf("%s: not rejected; want %s", r.label, wantType)
		return
	}
	if got := rejectedType(t, r.o.rejected); got != wantType {
		t.Errorf("%s: rejection type = %q (%v); want %q", r.label, got, r.o.rejected, wantType)
	}
	b, a := r.before, r.after
	if !b.ran || !a.ran || b.err != nil || a.err != nil {
		t.Fatalf("%s: traces ran %v/%v, errors %v/%v; want both", r.label, b.ran, a.ran, b.err, a.err)
	}
	if a.st.Seq != b.st.Seq || !reflect.DeepEqual(a.st, b.st) {
		t.Errorf("%s: status changed (seq %d -> %d):\n before %+v\n after  %+v", r.label, b.st.Seq, a.st.Seq, b.st, a.st)
	}
	if !reflect.DeepEqual(a.mem, b.mem) {
		t.Errorf("%s: membership changed:\n before %+v\n after  %+v", r.label, b.mem, a.mem)
	}
	if a.emails != b.emails || a.audits != b.audits || a.notices != b.notices || a.projections != b.projections {
		t.Errorf("%s: emails %d -> %d, audits %d -> %d, notices %d -> %d, projections %d -> %d; want none added",
			r.label, b.emails, a.emails, b.audits, a.audits, b.notices, a.notices, b.projections, a.projections)
	}
}

// member returns subject's membership in m, failing if there is none.
func mustMember(t *testing.T, m domain.Membership, subject string) domain.Member {
	t.Helper()
	x, ok := m.Member(subject)
	if !ok {
		t.Fatalf("no member %s in %+v", subject, m.Members)
	}
	return *x
}

// emailsTo returns the emails of kind k addressed to email alone.
func (h *harness) emailsTo(k mail.Kind, email string) []sentEmail {
	var out []sentEmail
	for _, e := range h.emailsOf(k) {
		if len(e.Recipients) == 1 && e.Recipients[0].Email == email {
			out = append(out, e)
		}
	}
	return out
}

// noticesTo returns the member notices sent to subject's workflow.
func (h *harness) noticesTo(subject string) []notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []notice
	for _, n := range h.notices {
		if n.WorkflowID == workflows.UserWorkflowID(subject) {
			out = append(out, n)
		}
	}
	return out
}

// auditsOf returns the audit records with action.
func (h *harness) auditsOf(action string) []domain.AuditEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.AuditEvent
	for _, e := range h.audits {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// checkUniqueKeys fails if two emails share an idempotency key.
func (h *harness) checkUniqueKeys() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]int{}
	for i, e := range h.emails {
		if j, ok := seen[e.Key]; ok {
			h.t.Errorf("emails %d and %d share key %q; want one key per email", j, i, e.Key)
		}
		seen[e.Key] = i
	}
}

// The administrator rules: an administrator can neither demote nor
// deactivate themselves, so the last administrator stays one; only another
// administrator can. Every refused change leaves no trace.
func TestMembershipAdministratorInvariants(t *testing.T) {
	h := newHarness(t)
	h.join(10*time.Minute, bob)
	type step struct {
		label    string
		name     string
		actor    domain.Member
		target   domain.Member
		wantType string // "" when the change must be accepted
	}
	steps := []step{
		// Ada is the only administrator.
		{"last admin demotes herself", workflows.UpdateDemote, ada, ada, domain.EUNPROCESSABLE},
		{"last admin deactivates herself", workflows.UpdateDeactivate, ada, ada, domain.EUNPROCESSABLE},
		{"member demotes the last admin", workflows.UpdateDemote, bob, ada, domain.EFORBIDDEN},
		{"member deactivates the last admin", workflows.UpdateDeactivate, bob, ada, domain.EFORBIDDEN},
		{"member promotes himself", workflows.UpdatePromote, bob, bob, domain.EFORBIDDEN},
		{"admin promotes a member", workflows.UpdatePromote, ada, bob, ""},
		{"admin promotes an admin", workflows.UpdatePromote, ada, bob, domain.ECONFLICT},
		// Two administrators: still neither can demote or deactivate themselves.
		{"second admin exists, demote herself", workflows.UpdateDemote, ada, ada, domain.EUNPROCESSABLE},
		{"second admin exists, deactivate herself", workflows.UpdateDeactivate, ada, ada, domain.EUNPROCESSABLE},
		{"another admin demotes her", workflows.UpdateDemote, bob, ada, ""},
		{"demote a member who is not an admin", workflows.UpdateDemote, bob, ada, domain.ECONFLICT},
		// Bob is now the last administrator.
		{"new last admin demotes himself", workflows.UpdateDemote, bob, bob, domain.EUNPROCESSABLE},
		{"new last admin deactivates himself", workflows.UpdateDeactivate, bob, bob, domain.EUNPROCESSABLE},
		{"former admin demotes the last admin", workflows.UpdateDemote, ada, bob, domain.EFORBIDDEN},
		{"former admin deactivates the last admin", workflows.UpdateDeactivate, ada, bob, domain.EFORBIDDEN},
		{"stranger deactivates a member", workflows.UpdateDeactivate, dan, ada, domain.EFORBIDDEN},
		{"admin deactivates a stranger", workflows.UpdateDeactivate, bob, dan, domain.ENOTFOUND},
	}
	type sent struct {
		refused  *refusal
		accepted *updateOutcome
	}
	out := make([]sent, len(steps))
	for i, s := range steps {
		at := time.Hour + time.Duration(i)*10*time.Minute
		id := "req-step-" + s.label
		if s.wantType == "" {
			out[i].accepted = h.change(at, s.name, id, s.actor, s.target, "", nil)
			continue
		}
		out[i].refused = h.refuse(s.label, at, s.name, id, workflows.MemberChange{Actor: s.actor.Subject, Target: s.target.Subject, RequestID: id})
	}
	end := h.membership(6 * time.Hour)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 7*time.Hour)

	for i, s := range steps {
		if s.wantType == "" {
			h.mustAccepted(s.label, out[i].accepted)
			continue
		}
		h.checkRefused(out[i].refused, s.wantType)
	}
	m := h.mustMembership(end)
	if got := m.ActiveAdmins(); !reflect.DeepEqual(got, []string{bob.Subject}) {
		t.Errorf("active admins = %v; want only %s", got, bob.Subject)
	}
	if a := mustMember(t, m, ada.Subject); !a.Active || a.Admin {
		t.Errorf("ada = %+v; want an active member, no longer an administrator", a)
	}
}

// A join request emails every active administrator their own link; they
// are reminded at 2 and 5 business days (America/Vancouver, weekends
// skipped), after which the request stays open, shown as overdue.
func TestMembershipJoinRequestReminders(t *testing.T) {
	h := newHarness(t)
	van := mustVancouver(t)
	h.join(10*time.Minute, bob)
	h.change(30*time.Minute, workflows.UpdatePromote, "req-promote-bob", ada, bob, "", nil)

	// Thursday 5 November 2026, 10:00: reminders Monday 9 and Thursday 12 November, 10:00.
	requestedAt := time.Date(2026, 11, 5, 10, 0, 0, 0, van)
	first, last := time.Date(2026, 11, 9, 10, 0, 0, 0, van), time.Date(2026, 11, 12, 10, 0, 0, 0, van)
	rel := func(t time.Time) time.Duration { return t.Sub(h.start) }
	requested := h.requestJoin(rel(requestedAt), "req-carol", carol)
	beforeFirst := h.membership(rel(first) - time.Minute)
	afterFirst := h.membership(rel(first) + time.Minute)
	beforeLast := h.query(rel(last) - time.Minute)
	afterLastMem := h.membership(rel(last) + time.Minute)
	afterLast := h.query(rel(last) + time.Minute)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 28*day)

	h.mustAccepted("request", requested)
	if len(requested.mem.Requests) != 1 || requested.mem.Requests[0].ID != "jr-req-carol" {
		t.Errorf("request result = %+v; want the one pending request jr-req-carol", requested.mem.Requests)
	}
	// Each administrator gets their own email and link, at the request and at each reminder.
	for _, admin := range []domain.Member{ada, bob} {
		var es []sentEmail
		for _, e := range h.emailsTo(mail.KindJoinRequest, admin.Email) {
			if e.MemberName == carol.Name {
				es = append(es, e)
			}
		}
		wantAt := []time.Duration{rel(requestedAt), rel(first), rel(last)}
		if len(es) != len(wantAt) {
			t.Fatalf("join request emails to %s = %d (%+v); want %d", admin.Name, len(es), es, len(wantAt))
		}
		for seq, e := range es {
			wantKey := "worksite/K4T6CLP/join_request/jr-req-carol/" + string(rune('0'+seq)) + "/" + admin.Subject
			if e.At != wantAt[seq] || e.Seq != seq || e.Key != wantKey {
				t.Errorf("join request email %d to %s = at +%v #%d key %q; want at +%v #%d key %q", seq, admin.Name, e.At, e.Seq, e.Key, wantAt[seq], seq, wantKey)
			}
			if e.LinkPurpose != "join-decision" || e.LinkSubject != "K4T6CLP/jr-req-carol/"+admin.Subject || e.MemberName != carol.Name {
				t.Errorf("join request email %d to %s: link %q %q about %q; want join-decision K4T6CLP/jr-req-carol/%s about %s",
					seq, admin.Name, e.LinkPurpose, e.LinkSubject, e.MemberName, admin.Subject, carol.Name)
			}
			checkRecipients(t, "join request email", e.Recipients, admin)
		}
	}
	// The requester is told, once, that the request went to the administrators (not at the reminders).
	if got := h.emailsTo(mail.KindJoinRequestReceived, carol.Email); len(got) != 1 || got[0].Key != "worksite/K4T6CLP/join_request_received/jr-req-carol" ||
		got[0].At != rel(requestedAt) {
		t.Errorf("join request received emails to Carol = %+v; want one, at the request, keyed by it", got)
	} else {
		checkRecipients(t, "join request received email", got[0].Recipients, carol)
	}
	if n := len(h.emailsOf(mail.KindJoinRequest)); n != 6+1 { // + Bob's own request, to Ada alone
		t.Errorf("join request emails = %d; want 7 (Bob's, then Carol's three to each of two admins)", n)
	}

	r := func(label string, q *memQuery) domain.JoinRequest {
		t.Helper()
		m := h.mustMembership(q)
		if len(m.Requests) != 1 {
			t.Fatalf("%s: requests = %+v; want Carol's", label, m.Requests)
		}
		return m.Requests[0]
	}
	if jr := r("before the first reminder", beforeFirst); jr.RemindersSent != 0 || jr.Overdue || !jr.RequestedAt.Equal(requestedAt) {
		t.Errorf("before the first reminder: %+v; want 0 reminders, not overdue, requested %v", jr, requestedAt)
	}
	if jr := r("after the first reminder", afterFirst); jr.RemindersSent != 1 || jr.Overdue {
		t.Errorf("after the first reminder: %d reminders, overdue %v; want 1, false", jr.RemindersSent, jr.Overdue)
	}
	if jr := r("after the last reminder", afterLastMem); jr.RemindersSent != 2 || !jr.Overdue {
		t.Errorf("after the last reminder: %d reminders, overdue %v; want 2, true", jr.RemindersSent, jr.Overdue)
	}
	b, a := h.mustStatus(beforeLast), h.mustStatus(afterLast)
	if len(a.Timeline) != len(b.Timeline)+1 {
		t.Fatalf("timeline grew from %d to %d events at the last reminder; want one overdue event", len(b.Timeline), len(a.Timeline))
	}
	if e := a.Timeline[len(a.Timeline)-1]; e.Kind != "join_request_overdue" || !e.At.Equal(last) {
		t.Errorf("last timeline event = %+v; want join_request_overdue at %v", e, last)
	}
	h.checkUniqueKeys()
}

// An administrator approves or rejects a join request; the requester is
// emailed, and an approved member's own workflow hears of it.
func TestMembershipJoinDecisions(t *testing.T) {
	h := newHarness(t)
	h.requestJoin(time.Hour, "req-carol", carol)
	h.requestJoin(time.Hour+10*time.Minute, "req-dan", dan)
	approved := h.decideJoin(2*time.Hour, "req-approve-carol", "jr-req-carol", ada, true, "", nil)
	noReason := h.refuse("reject without a reason", 3*time.Hour, workflows.UpdateDecideJoin, "req-reject-dan-1",
		workflows.JoinDecision{JoinRequestID: "jr-req-dan", Actor: ada.Subject, RequestID: "req-reject-dan-1"})
	const reason = "you do not work at this clinic"
	rejected := h.decideJoin(4*time.Hour, "req-reject-dan-2", "jr-req-dan", ada, false, reason, nil)
	again := h.refuse("answer an answered request", 5*time.Hour, workflows.UpdateDecideJoin, "req-approve-carol-2",
		workflows.JoinDecision{JoinRequestID: "jr-req-carol", Approve: true, Actor: ada.Subject, RequestID: "req-approve-carol-2"})
	member := h.refuse("an active member asks to join", 6*time.Hour, workflows.UpdateRequestJoin, "req-carol-2",
		workflows.JoinRequestArgs{Requester: carol, RequestID: "req-carol-2"})
	h.requestJoin(7*time.Hour, "req-dan-2", dan)
	twice := h.refuse("ask twice", 8*time.Hour, workflows.UpdateRequestJoin, "req-dan-3",
		workflows.JoinRequestArgs{Requester: dan, RequestID: "req-dan-3"})
	notAdmin := h.refuse("a member answers", 9*time.Hour, workflows.UpdateDecideJoin, "req-carol-decides",
		workflows.JoinDecision{JoinRequestID: "jr-req-dan-2", Approve: true, Actor: carol.Subject, RequestID: "req-carol-decides"})
	end := h.membership(10 * time.Hour)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 11*time.Hour)

	h.mustAccepted("approve", approved)
	h.mustAccepted("reject", rejected)
	h.checkRefused(noReason, domain.EINVALID)
	h.checkRefused(again, domain.ENOTFOUND)
	h.checkRefused(member, domain.ECONFLICT)
	h.checkRefused(twice, domain.ECONFLICT)
	h.checkRefused(notAdmin, domain.EFORBIDDEN)

	// Approved: Carol is an active member (not an administrator) since the approval.
	c := mustMember(t, approved.mem, carol.Subject)
	if !c.Active || c.Admin || !c.Since.Equal(h.start.Add(2*time.Hour)) || c.UserType != domain.OnBehalfOf || c.Profession != domain.ProfMOA {
		t.Errorf("carol after approval = %+v; want an active on-behalf-of MOA since +2h, not an admin", c)
	}
	es := h.emailsTo(mail.KindJoinDecided, carol.Email)
	if len(es) != 1 || es[0].Reason != "" || es[0].At != 2*time.Hour || es[0].Key != "worksite/K4T6CLP/join_decided/jr-req-carol" {
		t.Errorf("carol's decision emails = %+v; want one at +2h without a reason, key worksite/K4T6CLP/join_decided/jr-req-carol", es)
	}
	ns := h.noticesTo(carol.Subject)
	want := workflows.MembershipNotice{Subject: carol.Subject, WorksiteID: worksiteID, Change: "membership approved",
		Active: true, At: h.start.Add(2 * time.Hour)}
	if len(ns) != 1 || ns[0].Notice.Subject != want.Subject || ns[0].Notice.WorksiteID != want.WorksiteID || ns[0].Notice.Change != want.Change ||
		ns[0].Notice.Active != want.Active || ns[0].Notice.Admin || !ns[0].Notice.At.Equal(want.At) {
		t.Errorf("carol's notices = %+v; want one %+v", ns, want)
	}
	if as := h.auditsOf("join request approved"); len(as) != 1 || as[0].Actor != ada.Subject || as[0].RequestID != "req-approve-carol" {
		t.Errorf("approval audit = %+v; want one by ada for req-approve-carol", as)
	}

	// Rejected: Dan is emailed the reason and is no member; his workflow hears nothing.
	if _, ok := rejected.mem.Member(dan.Subject); ok {
		t.Errorf("dan is a member after the rejection: %+v", rejected.mem.Members)
	}
	es = h.emailsTo(mail.KindJoinDecided, dan.Email)
	if len(es) != 1 || es[0].Reason != reason || es[0].At != 4*time.Hour {
		t.Errorf("dan's decision emails = %+v; want one at +4h with reason %q", es, reason)
	}
	if ns := h.noticesTo(dan.Subject); len(ns) != 0 {
		t.Errorf("dan's notices = %+v; want none", ns)
	}
	if as := h.auditsOf("join request rejected"); len(as) != 1 || as[0].Detail != dan.Name+": "+reason {
		t.Errorf("rejection audit = %+v; want one with detail %q", as, dan.Name+": "+reason)
	}

	m := h.mustMembership(end)
	if len(m.Members) != 2 || len(m.Requests) != 1 || m.Requests[0].ID != "jr-req-dan-2" {
		t.Errorf("membership = %+v; want Ada and Carol, and Dan's second request pending", m)
	}
	h.checkUniqueKeys()
}

// An invitation is emailed, resent by hand (a new email, a new key), resent
// once by itself at 7 days and expires at 14; it cannot be accepted after.
func TestMembershipInvitationResendAndExpiry(t *testing.T) {
	h := newHarness(t)
	invitedAt := time.Hour
	invited := h.invite(invitedAt, "req-inv", erin.Email, ada)
	resent := h.update(day, workflows.UpdateResendInvitation, "req-resend", workflows.InvitationRef{
		InvitationID: "inv-req-inv", Actor: ada.Subject, RequestID: "req-resend"})
	notAdmin := h.refuse("a stranger resends", 2*day, workflows.UpdateResendInvitation, "req-resend-dan",
		workflows.InvitationRef{InvitationID: "inv-req-inv", Actor: dan.Subject, RequestID: "req-resend-dan"})
	autoAt, expiresAt := invitedAt+7*day, invitedAt+14*day
	beforeAuto := h.membership(autoAt - time.Minute)
	afterAuto := h.membership(autoAt + time.Minute)
	beforeExpiry := h.membership(expiresAt - time.Minute)
	afterExpiry := h.membership(expiresAt + time.Minute)
	late := h.refuse("accept after expiry", expiresAt+2*time.Hour, workflows.UpdateAcceptInvitation, "req-accept",
		workflows.AcceptInvitation{InvitationID: "inv-req-inv", Member: erin, AccountEmail: erin.Email, RequestID: "req-accept"})
	h.runUntil(h.input(domain.CommunityPrivatePractice), 20*day)

	h.mustAccepted("invite", invited)
	h.mustAccepted("resend", resent)
	h.checkRefused(notAdmin, domain.EFORBIDDEN)
	h.checkRefused(late, domain.ENOTFOUND)

	inv := func(label string, m domain.Membership) domain.Invitation {
		t.Helper()
		if len(m.Invitations) != 1 || m.Invitations[0].ID != "inv-req-inv" {
			t.Fatalf("%s: invitations = %+v; want inv-req-inv", label, m.Invitations)
		}
		return m.Invitations[0]
	}
	i := inv("after inviting", invited.mem)
	if i.Email != erin.Email || i.EmailsSent != 1 || i.InvitedBy != ada.Name || !i.InvitedOn.Equal(h.start.Add(invitedAt)) ||
		!i.ExpiresAt.Equal(h.start.Add(expiresAt)) || i.AutoResent {
		t.Errorf("invitation = %+v; want to %s by %s, 1 email, invited +1h, expiring +14d1h", i, erin.Email, ada.Name)
	}
	if i := inv("after the resend", resent.mem); i.EmailsSent != 2 || !i.LastSentAt.Equal(h.start.Add(day)) {
		t.Errorf("after the resend: %d emails, last sent %v; want 2, %v", i.EmailsSent, i.LastSentAt, h.start.Add(day))
	}
	if i := inv("before the automatic resend", h.mustMembership(beforeAuto)); i.EmailsSent != 2 || i.AutoResent {
		t.Errorf("before the automatic resend: %d emails, auto %v; want 2, false", i.EmailsSent, i.AutoResent)
	}
	if i := inv("after the automatic resend", h.mustMembership(afterAuto)); i.EmailsSent != 3 || !i.AutoResent || !i.LastSentAt.Equal(h.start.Add(autoAt)) {
		t.Errorf("after the automatic resend: %+v; want 3 emails, auto-resent at +%v", i, autoAt)
	}
	inv("just before expiry", h.mustMembership(beforeExpiry))
	if m := h.mustMembership(afterExpiry); len(m.Invitations) != 0 {
		t.Errorf("invitations after expiry = %+v; want none", m.Invitations)
	}

	es := h.emailsOf(mail.KindInvitation)
	wantAt := []time.Duration{invitedAt, day, autoAt} // and no second automatic resend
	if len(es) != len(wantAt) {
		t.Fatalf("invitation emails = %+v; want %d", es, len(wantAt))
	}
	for n, e := range es {
		wantKey := "worksite/K4T6CLP/invitation/inv-req-inv/" + string(rune('1'+n))
		if e.At != wantAt[n] || e.Seq != n+1 || e.Key != wantKey {
			t.Errorf("invitation email %d = at +%v #%d key %q; want at +%v #%d key %q", n, e.At, e.Seq, e.Key, wantAt[n], n+1, wantKey)
		}
		if e.LinkPurpose != "invitation" || e.LinkSubject != "K4T6CLP/inv-req-inv" || !e.LinkExpires.Equal(h.start.Add(expiresAt)) || e.MemberName != ada.Name {
			t.Errorf("invitation email %d: link %q %q expiring %v, from %q; want invitation K4T6CLP/inv-req-inv expiring %v, from %s",
				n, e.LinkPurpose, e.LinkSubject, e.LinkExpires, e.MemberName, h.start.Add(expiresAt), ada.Name)
		}
		if len(e.Recipients) != 1 || e.Recipients[0].Email != erin.Email {
			t.Errorf("invitation email %d recipients = %+v; want %s", n, e.Recipients, erin.Email)
		}
	}
	if as := h.auditsOf("invitation expired"); len(as) != 1 || !as[0].At.Equal(h.start.Add(expiresAt)) || as[0].Actor != "system" {
		t.Errorf("expiry audit = %+v; want one by system at +%v", as, expiresAt)
	}
	h.checkUniqueKeys()
}

// Accepting an invitation needs an account with the invited email address
// (in any case); then the person is an active member.
func TestMembershipInvitationAccept(t *testing.T) {
	h := newHarness(t)
	invited := h.invite(time.Hour, "req-inv", "Erin.Evans@Clinic.example.ca", ada)
	other := h.refuse("accept from another address", 2*time.Hour, workflows.UpdateAcceptInvitation, "req-accept-other",
		workflows.AcceptInvitation{InvitationID: "inv-req-inv", Member: erin, AccountEmail: "frank@elsewhere.example.ca", RequestID: "req-accept-other"})
	accepted := h.accept(3*time.Hour, "req-accept", "inv-req-inv", erin, erin.Email)
	reinvite := h.refuse("invite an active member", 4*time.Hour, workflows.UpdateInvite, "req-inv-2",
		workflows.InviteArgs{Email: "ERIN.EVANS@clinic.example.ca", Actor: ada.Subject, ActorName: ada.Name, RequestID: "req-inv-2"})
	bad := h.refuse("invite a malformed address", 5*time.Hour, workflows.UpdateInvite, "req-inv-3",
		workflows.InviteArgs{Email: "erin at clinic", Actor: ada.Subject, ActorName: ada.Name, RequestID: "req-inv-3"})
	member := h.refuse("a member who is not an admin invites", 6*time.Hour, workflows.UpdateInvite, "req-inv-4",
		workflows.InviteArgs{Email: dan.Email, Actor: erin.Subject, ActorName: erin.Name, RequestID: "req-inv-4"})
	h.invite(7*time.Hour, "req-inv-dan", dan.Email, ada)
	pending := h.refuse("invite an address already invited", 8*time.Hour, workflows.UpdateInvite, "req-inv-5",
		workflows.InviteArgs{Email: "DAN@elsewhere.example.ca", Actor: ada.Subject, ActorName: ada.Name, RequestID: "req-inv-5"})
	h.runUntil(h.input(domain.CommunityPrivatePractice), 9*time.Hour)

	h.mustAccepted("invite", invited)
	h.mustAccepted("accept", accepted)
	h.checkRefused(other, domain.EFORBIDDEN)
	h.checkRefused(reinvite, domain.ECONFLICT)
	h.checkRefused(bad, domain.EINVALID)
	h.checkRefused(member, domain.EFORBIDDEN)
	h.checkRefused(pending, domain.ECONFLICT)

	m := accepted.mem
	if len(m.Invitations) != 0 {
		t.Errorf("invitations after accepting = %+v; want none", m.Invitations)
	}
	if e := mustMember(t, m, erin.Subject); !e.Active || e.Admin || !e.Since.Equal(h.start.Add(3*time.Hour)) || e.Email != erin.Email {
		t.Errorf("erin = %+v; want an active member since +3h, not an admin", e)
	}
	es := h.emailsTo(mail.KindMembershipChanged, erin.Email)
	if len(es) != 1 || es[0].At != 3*time.Hour || es[0].Change != "you are now a member of this worksite" {
		t.Errorf("erin's membership emails = %+v; want one at +3h saying she is a member", es)
	}
	if ns := h.noticesTo(erin.Subject); len(ns) != 1 || !ns[0].Notice.Active || ns[0].Notice.WorksiteID != worksiteID {
		t.Errorf("erin's notices = %+v; want one saying she is active", ns)
	}
	if as := h.auditsOf("invitation accepted"); len(as) != 1 || as[0].Actor != erin.Subject || as[0].RequestID != "req-accept" {
		t.Errorf("acceptance audit = %+v; want one by erin for req-accept", as)
	}
	h.checkUniqueKeys()
}

// A deactivated administrator who comes back (by a join request approved,
// an invitation accepted or a reactivation) comes back as a plain member:
// deactivation clears the role, and only a promotion gives it again. So a
// later join request goes to Ada, the one administrator, alone.
func TestMembershipReturningAdministratorIsPlain(t *testing.T) {
	h := newHarness(t)
	h.join(10*time.Minute, bob)
	h.join(20*time.Minute, carol)
	h.join(30*time.Minute, erin)
	for i, x := range []domain.Member{bob, carol, erin} {
		h.change(time.Hour+time.Duration(i)*time.Minute, workflows.UpdatePromote, "req-promote-"+x.Subject, ada, x, "", nil)
	}
	deactivated := h.change(2*time.Hour, workflows.UpdateDeactivate, "req-deactivate-bob", ada, bob, "left", nil)
	h.change(2*time.Hour+time.Minute, workflows.UpdateDeactivate, "req-deactivate-carol", ada, carol, "on leave", nil)
	h.change(2*time.Hour+2*time.Minute, workflows.UpdateDeactivate, "req-deactivate-erin", ada, erin, "left", nil)
	// Bob asks to join again; Carol is reactivated; Erin is invited back.
	h.requestJoin(3*time.Hour, "req-bob-again", bob)
	rejoined := h.decideJoin(3*time.Hour+10*time.Minute, "req-approve-bob-again", "jr-req-bob-again", ada, true, "", nil)
	reactivated := h.change(4*time.Hour, workflows.UpdateReactivate, "req-reactivate-carol", ada, carol, "", nil)
	h.invite(5*time.Hour, "req-inv-erin", erin.Email, ada)
	accepted := h.accept(5*time.Hour+10*time.Minute, "req-accept-erin", "inv-req-inv-erin", erin, erin.Email)
	h.requestJoin(6*time.Hour, "req-dan", dan)
	end := h.membership(7 * time.Hour)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 8*time.Hour)

	for label, o := range map[string]*updateOutcome{"deactivate": deactivated, "approve": rejoined, "reactivate": reactivated, "accept": accepted} {
		h.mustAccepted(label, o)
	}
	if b := mustMember(t, deactivated.mem, bob.Subject); b.Active || b.Admin {
		t.Errorf("bob after deactivation: active %v, admin %v; want inactive, no administrator", b.Active, b.Admin)
	}
	for _, c := range []struct {
		label string
		mem   domain.Membership
		who   domain.Member
	}{{"bob after his join request", rejoined.mem, bob}, {"carol after reactivation", reactivated.mem, carol},
		{"erin after accepting the invitation", accepted.mem, erin}} {
		if x := mustMember(t, c.mem, c.who.Subject); !x.Active || x.Admin {
			t.Errorf("%s: active %v, admin %v; want an active member, no administrator", c.label, x.Active, x.Admin)
		}
	}
	m := h.mustMembership(end)
	if got := m.ActiveAdmins(); !reflect.DeepEqual(got, []string{ada.Subject}) {
		t.Errorf("active admins = %v; want only %s", got, ada.Subject)
	}
	for _, x := range []domain.Member{bob, carol, erin} {
		ns := h.noticesTo(x.Subject)
		if n := ns[len(ns)-1]; !n.Notice.Active || n.Notice.Admin {
			t.Errorf("%s's last notice = %+v; want active, no administrator", x.Subject, n)
		}
	}
	var to []string
	for _, e := range h.emailsOf(mail.KindJoinRequest) {
		if e.At == 6*time.Hour {
			for _, r := range e.Recipients {
				to = append(to, r.Email)
			}
		}
	}
	if !reflect.DeepEqual(to, []string{ada.Email}) {
		t.Errorf("dan's join request went to %v; want %s alone", to, ada.Email)
	}
	h.checkUniqueKeys()
}

// A locum's membership ends by itself at its end date: deactivated at
// that moment, told and emailed. An end date must be in the future.
func TestMembershipLocumEndDate(t *testing.T) {
	h := newHarness(t)
	h.requestJoin(time.Hour, "req-carol", carol)
	endsAt := h.start.Add(2*time.Hour + 10*day)
	approved := h.decideJoin(2*time.Hour, "req-approve", "jr-req-carol", ada, true, "", &endsAt)
	past := h.start.Add(time.Hour)
	inPast := h.refuse("end date in the past", day, workflows.UpdateSetMemberEnd, "req-end-past",
		workflows.MemberChange{Actor: ada.Subject, Target: carol.Subject, EndsAt: &past, RequestID: "req-end-past"})
	// Bob's end date is set after he joins.
	h.join(3*time.Hour, bob)
	bobEnds := h.start.Add(5 * day)
	set := h.change(2*day, workflows.UpdateSetMemberEnd, "req-end-bob", ada, bob, "", &bobEnds)
	end := endsAt.Sub(h.start)
	before := h.membership(end - time.Minute)
	after := h.membership(end + time.Minute)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 12*day)

	h.mustAccepted("approve with an end date", approved)
	h.mustAccepted("set bob's end date", set)
	h.checkRefused(inPast, domain.EINVALID)

	if c := mustMember(t, approved.mem, carol.Subject); !c.Active || c.EndsAt == nil || !c.EndsAt.Equal(endsAt) {
		t.Errorf("carol after approval = %+v; want active, ending %v", c, endsAt)
	}
	if c := mustMember(t, h.mustMembership(before), carol.Subject); !c.Active {
		t.Errorf("carol a minute before her end date = %+v; want active", c)
	}
	c := mustMember(t, h.mustMembership(after), carol.Subject)
	if c.Active || c.InactiveSince == nil || !c.InactiveSince.Equal(endsAt) || c.EndsAt != nil || c.InactiveWhy == "" {
		t.Errorf("carol a minute after her end date = %+v; want inactive since %v with a reason", c, endsAt)
	}
	ns := h.noticesTo(carol.Subject)
	if len(ns) != 2 || ns[1].Notice.Active || ns[1].At != end || ns[1].Notice.Change != "deactivated" {
		t.Errorf("carol's notices = %+v; want the approval, then deactivated at +%v", ns, end)
	}
	es := h.emailsTo(mail.KindMembershipChanged, carol.Email)
	if len(es) != 1 || es[0].At != end || es[0].Reason != c.InactiveWhy {
		t.Errorf("carol's membership emails = %+v; want one at +%v with the reason %q", es, end, c.InactiveWhy)
	}
	if as := h.auditsOf("member deactivated"); len(as) != 2 || as[0].Actor != "system" || !as[0].At.Equal(bobEnds) || as[1].Actor != "system" || !as[1].At.Equal(endsAt) {
		t.Errorf("deactivation audits = %+v; want bob's at %v and carol's at %v, by system", as, bobEnds, endsAt)
	}

	// Bob hears of his end date when it is set, and is deactivated on it.
	bs := h.emailsTo(mail.KindMembershipChanged, bob.Email)
	if len(bs) != 2 || bs[0].At != 2*day || bs[0].Change != "your membership ends on 2026-11-07" || bs[1].At != bobEnds.Sub(h.start) {
		t.Errorf("bob's membership emails = %+v; want the end date at +2d, then the deactivation at %v", bs, bobEnds)
	}
	if b := mustMember(t, h.mustMembership(after), bob.Subject); b.Active || b.InactiveSince == nil || !b.InactiveSince.Equal(bobEnds) {
		t.Errorf("bob after his end date = %+v; want inactive since %v", b, bobEnds)
	}
	h.checkUniqueKeys()
}

// Promote, demote, deactivate and reactivate: each changes the member,
// emails them and tells their workflow.
func TestMembershipMemberChanges(t *testing.T) {
	h := newHarness(t)
	h.join(10*time.Minute, bob)
	promoted := h.change(time.Hour, workflows.UpdatePromote, "req-promote", ada, bob, "", nil)
	demoted := h.change(2*time.Hour, workflows.UpdateDemote, "req-demote", ada, bob, "", nil)
	const why = "left the clinic"
	deactivated := h.change(3*time.Hour, workflows.UpdateDeactivate, "req-deactivate", ada, bob, why, nil)
	twice := h.refuse("deactivate an inactive member", 4*time.Hour, workflows.UpdateDeactivate, "req-deactivate-2",
		workflows.MemberChange{Actor: ada.Subject, Target: bob.Subject, RequestID: "req-deactivate-2"})
	promoteInactive := h.refuse("promote an inactive member", 5*time.Hour, workflows.UpdatePromote, "req-promote-2",
		workflows.MemberChange{Actor: ada.Subject, Target: bob.Subject, RequestID: "req-promote-2"})
	past := h.start.Add(time.Hour)
	reactivatePast := h.refuse("reactivate with a past end date", 6*time.Hour, workflows.UpdateReactivate, "req-reactivate-past",
		workflows.MemberChange{Actor: ada.Subject, Target: bob.Subject, EndsAt: &past, RequestID: "req-reactivate-past"})
	reactivated := h.change(7*time.Hour, workflows.UpdateReactivate, "req-reactivate", ada, bob, "", nil)
	reactivateActive := h.refuse("reactivate an active member", 8*time.Hour, workflows.UpdateReactivate, "req-reactivate-2",
		workflows.MemberChange{Actor: ada.Subject, Target: bob.Subject, RequestID: "req-reactivate-2"})
	h.runUntil(h.input(domain.CommunityPrivatePractice), 9*time.Hour)

	for _, o := range []struct {
		label string
		o     *updateOutcome
	}{{"promote", promoted}, {"demote", demoted}, {"deactivate", deactivated}, {"reactivate", reactivated}} {
		h.mustAccepted(o.label, o.o)
	}
	h.checkRefused(twice, domain.ECONFLICT)
	h.checkRefused(promoteInactive, domain.EUNPROCESSABLE)
	h.checkRefused(reactivatePast, domain.EINVALID)
	h.checkRefused(reactivateActive, domain.ECONFLICT)

	if b := mustMember(t, promoted.mem, bob.Subject); !b.Admin || !b.Active {
		t.Errorf("bob after promotion = %+v; want an active administrator", b)
	}
	if b := mustMember(t, demoted.mem, bob.Subject); b.Admin || !b.Active {
		t.Errorf("bob after demotion = %+v; want an active member, not an administrator", b)
	}
	if b := mustMember(t, deactivated.mem, bob.Subject); b.Active || b.InactiveWhy != why || b.InactiveSince == nil || !b.InactiveSince.Equal(h.start.Add(3*time.Hour)) {
		t.Errorf("bob after deactivation = %+v; want inactive since +3h because %q", b, why)
	}
	if b := mustMember(t, reactivated.mem, bob.Subject); !b.Active || b.InactiveSince != nil || b.InactiveWhy != "" || !b.Since.Equal(h.start.Add(7*time.Hour)) {
		t.Errorf("bob after reactivation = %+v; want active since +7h, no inactive fields", b)
	}

	type want struct {
		at     time.Duration
		change string
		reason string
		active bool
		admin  bool
		action string
	}
	wants := []want{
		{time.Hour, "you are now an administrator of this worksite", "", true, true, "promoted"},
		{2 * time.Hour, "you are no longer an administrator of this worksite", "", true, false, "demoted"},
		{3 * time.Hour, "your membership is inactive: you no longer have CareConnect access from this worksite", why, false, false, "deactivated"},
		{7 * time.Hour, "your membership is active again", "", true, false, "reactivated"},
	}
	es := h.emailsTo(mail.KindMembershipChanged, bob.Email)
	ns := h.noticesTo(bob.Subject)
	if len(es) != len(wants) || len(ns) != len(wants)+1 { // + the join approval's notice
		t.Fatalf("bob's emails = %+v, notices = %+v; want %d emails and %d notices", es, ns, len(wants), len(wants)+1)
	}
	ns = ns[1:]
	for i, w := range wants {
		if e := es[i]; e.At != w.at || e.Change != w.change || e.Reason != w.reason {
			t.Errorf("email %d = at +%v %q reason %q; want at +%v %q reason %q", i, e.At, e.Change, e.Reason, w.at, w.change, w.reason)
		}
		if n := ns[i]; n.At != w.at || n.Notice.Active != w.active || n.Notice.Admin != w.admin || n.Notice.Change != w.action {
			t.Errorf("notice %d = %+v; want at +%v %s, active %v, admin %v", i, n, w.at, w.action, w.active, w.admin)
		}
		as := h.auditsOf("member " + w.action)
		if len(as) != 1 || as[0].Actor != ada.Subject || !as[0].At.Equal(h.start.Add(w.at)) {
			t.Errorf("audit %q = %+v; want one by ada at +%v", "member "+w.action, as, w.at)
		}
	}
	if as := h.auditsOf("member deactivated"); len(as) == 1 && as[0].Detail != bob.Name+": "+why {
		t.Errorf("deactivation audit detail = %q; want %q", as[0].Detail, bob.Name+": "+why)
	}
	h.checkUniqueKeys()
}

// Closing a worksite (by the team or one of its administrators) deactivates
// every member, drops pending requests and invitations, and ends the
// workflow in state closed. Nobody else may close it.
func TestWorksiteClose(t *testing.T) {
	tests := []struct {
		name   string
		change workflows.WorksiteChange
	}{
		// The enrolment team closes any worksite.
		{"by the team", teamChange("req-close", "the clinic has closed")},
		// An administrator closes their own.
		{"by an administrator", workflows.WorksiteChange{Actor: ada.Subject, ActorRole: domain.RoleApplicant, Reason: "the clinic has closed", RequestID: "req-close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.join(10*time.Minute, bob)
			h.requestJoin(30*time.Minute, "req-carol", carol)
			h.invite(40*time.Minute, "req-inv", erin.Email, ada)
			stranger := h.refuse("a member who is not an admin closes", time.Hour, workflows.UpdateClose, "req-close-bob",
				workflows.WorksiteChange{Actor: bob.Subject, ActorRole: domain.RoleApplicant, Reason: "no", RequestID: "req-close-bob"})
			closed := h.update(2*time.Hour, workflows.UpdateClose, "req-close", tt.change)
			st := h.mustRun(h.input(domain.CommunityPrivatePractice))

			h.checkRefused(stranger, domain.EFORBIDDEN)
			h.mustAccepted("close", closed)
			if st.State != domain.WorksiteClosed || st.Reason != tt.change.Reason || st.WaitingOn != domain.PartyNone || st.NextMilestone != nil {
				t.Errorf("final = %s reason %q waiting on %q next %+v; want closed, %q, nobody, none", st.State, st.Reason, st.WaitingOn, st.NextMilestone, tt.change.Reason)
			}
			if k := timelineKinds(st); k[len(k)-1] != "closed" {
				t.Errorf("timeline = %v; want it to end with closed", k)
			}
			if got := h.env.Now(); !got.Equal(h.start.Add(2 * time.Hour)) {
				t.Errorf("workflow ended at %v; want at the close, %v", got, h.start.Add(2*time.Hour))
			}
			h.mu.Lock()
			last := h.memberships[len(h.memberships)-1]
			h.mu.Unlock()
			m := last.Membership
			if len(m.Members) != 2 || len(m.Requests) != 0 || len(m.Invitations) != 0 {
				t.Errorf("last membership projection = %+v; want two members, no requests or invitations", m)
			}
			for _, x := range m.Members {
				if x.Active || x.InactiveWhy != "worksite closed" || x.InactiveSince == nil || !x.InactiveSince.Equal(h.start.Add(2*time.Hour)) {
					t.Errorf("member %s = %+v; want inactive since the close because the worksite closed", x.Name, x)
				}
			}
			for _, who := range []domain.Member{ada, bob} {
				if ns := h.noticesTo(who.Subject); len(ns) == 0 || ns[len(ns)-1].Notice.Active || ns[len(ns)-1].At != 2*time.Hour {
					t.Errorf("%s's notices = %+v; want the last saying inactive at +2h", who.Name, ns)
				}
			}
			es := h.emailsOf(mail.KindWorksiteChanged)
			if len(es) != 1 || es[0].Reason != tt.change.Reason || es[0].At != 2*time.Hour {
				t.Fatalf("worksite changed emails = %+v; want one at +2h with the reason", es)
			}
			checkRecipients(t, "closing email", es[0].Recipients, ada, bob)
			if as := h.auditsOf("worksite closed"); len(as) != 1 || as[0].Actor != tt.change.Actor || as[0].Role != string(tt.change.ActorRole) || as[0].Detail != tt.change.Reason {
				t.Errorf("closing audit = %+v; want one by %s as %s", as, tt.change.Actor, tt.change.ActorRole)
			}
		})
	}
}

// The enrolment team suspends and reinstates a worksite, each with a
// reason; suspending a suspended worksite (or reinstating one that is not)
// is a conflict.
func TestWorksiteSuspendAndReinstate(t *testing.T) {
	h := newHarness(t)
	h.join(10*time.Minute, bob)
	const why, back = "audit finding 2026-17", "finding resolved"
	suspended := h.update(time.Hour, workflows.UpdateSuspend, "req-suspend", teamChange("req-suspend", why))
	twice := h.refuse("suspend twice", 2*time.Hour, workflows.UpdateSuspend, "req-suspend-2", teamChange("req-suspend-2", "again"))
	noReason := h.refuse("reinstate without a reason", 3*time.Hour, workflows.UpdateReinstate, "req-reinstate-1", teamChange("req-reinstate-1", ""))
	reinstated := h.update(4*time.Hour, workflows.UpdateReinstate, "req-reinstate", teamChange("req-reinstate", back))
	again := h.refuse("reinstate twice", 5*time.Hour, workflows.UpdateReinstate, "req-reinstate-2", teamChange("req-reinstate-2", "again"))
	suspendNoReason := h.refuse("suspend without a reason", 6*time.Hour, workflows.UpdateSuspend, "req-suspend-3", teamChange("req-suspend-3", ""))
	stranger := h.refuse("someone outside suspends", 7*time.Hour, workflows.UpdateSuspend, "req-suspend-4",
		workflows.WorksiteChange{Actor: dan.Subject, ActorRole: domain.RoleApplicant, Reason: "x", RequestID: "req-suspend-4"})
	st := h.runUntil(h.input(domain.CommunityPrivatePractice), 8*time.Hour)

	h.mustAccepted("suspend", suspended)
	h.mustAccepted("reinstate", reinstated)
	h.checkRefused(twice, domain.ECONFLICT)
	h.checkRefused(noReason, domain.EINVALID)
	h.checkRefused(again, domain.ECONFLICT)
	h.checkRefused(suspendNoReason, domain.EINVALID)
	h.checkRefused(stranger, domain.EFORBIDDEN)

	if !suspended.status.Suspended || reinstated.status.Suspended || st.Suspended {
		t.Errorf("suspended %v, then %v, finally %v; want true, false, false", suspended.status.Suspended, reinstated.status.Suspended, st.Suspended)
	}
	var events []domain.TimelineEvent
	for _, e := range st.Timeline {
		if e.Kind == "worksite_suspended" || e.Kind == "worksite_reinstated" {
			events = append(events, e)
		}
	}
	if len(events) != 2 || events[0].Detail != why || !events[0].At.Equal(h.start.Add(time.Hour)) || events[1].Detail != back {
		t.Errorf("suspension timeline = %+v; want suspended (%q) at +1h, then reinstated (%q)", events, why, back)
	}
	es := h.emailsOf(mail.KindWorksiteChanged)
	if len(es) != 2 || es[0].Reason != why || es[0].At != time.Hour || es[1].Reason != back || es[1].At != 4*time.Hour {
		t.Fatalf("worksite changed emails = %+v; want the suspension at +1h and the reinstatement at +4h", es)
	}
	checkRecipients(t, "suspension email", es[0].Recipients, ada, bob)
	for _, a := range []string{"worksite suspended", "worksite reinstated"} {
		if as := h.auditsOf(a); len(as) != 1 || as[0].Role != string(domain.RoleTeam) || as[0].Actor != "alice@team.example.ca" {
			t.Errorf("audit %q = %+v; want one by the team", a, as)
		}
	}
	h.checkUniqueKeys()
}

// Membership runs alongside enrolment: people join while the declaration
// is awaited, after approval, and at a worksite that only registered.
func TestMembershipWhateverTheEnrolment(t *testing.T) {
	tests := []struct {
		name string
		lt   domain.LocationType
		// approve signs and approves the worksite before Bob asks to join.
		approve bool
		want    domain.WorksiteState
	}{
		{"awaiting the declaration", domain.CommunityPrivatePractice, false, domain.WorksiteAwaitingDeclaration},
		{"approved", domain.CommunityPrivatePractice, true, domain.WorksiteApproved},
		{"registered only", domain.NoClinicalApps, false, domain.WorksiteRegisteredOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.approve {
				h.sign(time.Hour, "req-sign")
				h.decide(2*time.Hour, "req-approve", true, "")
			}
			// Weeks later, still running.
			h.join(20*day, bob)
			end := h.membership(21 * day)
			st := h.runUntil(h.input(tt.lt), 21*day)

			if st.State != tt.want {
				t.Errorf("State = %s; want %s", st.State, tt.want)
			}
			if b := mustMember(t, h.mustMembership(end), bob.Subject); !b.Active {
				t.Errorf("bob = %+v; want active", b)
			}
			if es := h.emailsTo(mail.KindJoinDecided, bob.Email); len(es) != 1 {
				t.Errorf("bob's decision emails = %d; want 1", len(es))
			}
		})
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// projectionStore is the store behind the real projection activities in
// TestWorksiteMembershipSurvivesContinueAsNew: it keeps the newest status
// and membership, as the database does, and counts writes that arrive out
// of order. Any other Store method panics (the embedded interface is nil).
type projectionStore struct {
	activities.Store

	mu     sync.Mutex
	status domain.WorksiteStatus
	mem    domain.Membership
	memSeq int
	// stale counts membership writes with a lower Seq than one already written.
	stale int
}

// ApplyProjection writes p's status and membership as the store does.
func (s *projectionStore) ApplyProjection(ctx context.Context, p domain.Projection) (domain.ProjectResult, error) {
	if p.Worksite != nil {
		if err := s.SaveWorksiteStatus(ctx, *p.Worksite); err != nil {
			return domain.ProjectResult{}, err
		}
	}
	if m := p.Membership; m != nil {
		return domain.ProjectResult{}, s.SaveMembership(ctx, m.WorksiteID, m.Membership, m.Seq)
	}
	return domain.ProjectResult{}, nil
}

func (s *projectionStore) SaveWorksiteStatus(_ context.Context, st domain.WorksiteStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Seq >= s.status.Seq {
		s.status = st
	}
	return nil
}

func (s *projectionStore) SaveMembership(_ context.Context, _ string, m domain.Membership, seq int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.memSeq {
		s.stale++
		return nil
	}
	s.mem, s.memSeq = m, seq
	return nil
}

// A worksite's membership outlives any one run: 1,000 join requests and
// 1,000 approvals, each its own update, go through runs that continue as
// new every 400 membership events; at the end all 1,000 people are active
// members, none lost and none twice, and the enrolment status is intact.
func TestWorksiteMembershipSurvivesContinueAsNew(t *testing.T) {
	const (
		// perRun is workflows.maxWorksiteEventsPerRun.
		perRun = 400
		gap    = 10 * time.Second
	)
	// Every event projects the whole membership, so the cost grows with
	// its square; the race detector makes that ~15 times slower, so it
	// gets one continue-as-new instead of five. people*2 must be a
	// multiple of perRun: every run ends by continuing as new.
	people := 1000
	if raceEnabled() {
		people = perRun / 2
	}
	person := func(i int) domain.Member {
		return domain.Member{Subject: fmt.Sprintf("bcsc-person-%04d", i), Name: fmt.Sprintf("Person %04d", i),
			Email: fmt.Sprintf("person%04d@clinic.example.ca", i), Profession: domain.ProfRegisteredNurse, UserType: domain.Authorizer}
	}
	type event struct {
		name, id string
		arg      any
	}
	events := make([]event, 0, 2*people)
	for i := range people {
		id, aid := fmt.Sprintf("req-join-%04d", i), fmt.Sprintf("req-approve-%04d", i)
		events = append(events,
			event{workflows.UpdateRequestJoin, id, workflows.JoinRequestArgs{Requester: person(i), RequestID: id}},
			event{workflows.UpdateDecideJoin, aid, workflows.JoinDecision{JoinRequestID: "jr-" + id, Approve: true, Actor: ada.Subject, RequestID: aid}})
	}

	store := &projectionStore{}
	first := newHarnessWith(t, time.Date(2026, 11, 2, 9, 0, 0, 0, mustVancouver(t)), store)
	in := first.input(domain.CommunityPrivatePractice)
	var original workflows.WorksiteInput // as a payload decodes it
	first.mustCopy(in, &original)
	signAt := first.start.Add(gap / 2)
	var signed domain.WorksiteStatus // the status once signed, which no membership event changes
	emailKeys := map[string]mail.Kind{}
	var audits, notices int
	noticed := map[string]bool{}

	h, done := first, 0
	for run := 1; done < len(events); run++ {
		if run > len(events)/perRun+1 {
			t.Fatalf("run %d with %d of %d events done; want every run to take %d", run, done, len(events), perRun)
		}
		var signedQ *queryOutcome
		if run == 1 {
			h.sign(gap/2, "req-sign")
			signedQ = h.query(gap/2 + time.Second)
		}
		// One event every gap, each callback scheduling the next: the test
		// environment's queue of pending callbacks is bounded.
		outs := make([]*updateOutcome, len(events)-done)
		for k := range outs {
			outs[k] = &updateOutcome{}
		}
		var send func(k int)
		send = func(k int) {
			e := events[done+k]
			h.sendUpdate(outs[k], e.name, e.id, e.arg, false)
			if k+1 < len(outs) {
				h.env.RegisterDelayedCallback(func() { send(k + 1) }, gap)
			}
		}
		h.env.RegisterDelayedCallback(func() { send(0) }, gap)
		h.env.ExecuteWorkflow(workflows.WorksiteWorkflowName, in)
		if run == 1 {
			signed = h.mustStatus(signedQ)
		}

		var can *workflow.ContinueAsNewError
		if err := h.env.GetWorkflowError(); !h.env.IsWorkflowCompleted() || !errors.As(err, &can) {
			t.Fatalf("run %d: completed %v, error %v; want continue-as-new", run, h.env.IsWorkflowCompleted(), err)
		}
		// The run took a prefix of the events; the rest never reached it.
		n := 0
		for n < len(outs) && outs[n].completed {
			h.mustAccepted(fmt.Sprintf("run %d event %d", run, done+n), outs[n])
			n++
		}
		for k := n; k < len(outs); k++ {
			if outs[k].accepted || outs[k].rejected != nil || outs[k].completed {
				t.Fatalf("run %d: event %d reached the run after event %d did not", run, done+k, done+n)
			}
		}
		if n != perRun && done+n != len(events) {
			t.Errorf("run %d took %d events; want %d before continuing as new", run, n, perRun)
		}
		done += n

		var next workflows.WorksiteInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatalf("run %d: decode continue-as-new input: %v", run, err)
		}
		if can.WorkflowType == nil || can.WorkflowType.Name != workflows.WorksiteWorkflowName || next.Carry == nil {
			t.Fatalf("run %d continued as %+v with carry %v; want %s with a carry", run, can.WorkflowType, next.Carry, workflows.WorksiteWorkflowName)
		}
		c := next.Carry
		bare := next
		bare.Carry = nil
		if !reflect.DeepEqual(bare, original) {
			t.Errorf("run %d: next input = %+v; want the original input %+v", run, bare, original)
		}
		if !reflect.DeepEqual(c.Status, signed) {
			t.Errorf("run %d: carried status = %+v; want the status once signed %+v", run, c.Status, signed)
		}
		if c.Signer == nil || c.Signer.SignerName != "Dr Lee" || len(c.Milestones) != 2 || c.NextIndex != 0 {
			t.Errorf("run %d: carried signer %+v, milestones %+v, next %d; want Dr Lee and the review's two milestones, none passed", run, c.Signer, c.Milestones, c.NextIndex)
		}
		approved := done / 2
		if len(c.Membership.Members) != 1+approved || len(c.Membership.Requests) != done%2 || c.MembershipSeq != 1+done {
			t.Errorf("run %d: carried %d members, %d requests, seq %d; want %d, %d, %d",
				run, len(c.Membership.Members), len(c.Membership.Requests), c.MembershipSeq, 1+approved, done%2, 1+done)
		}

		h.mu.Lock()
		for _, e := range h.emails {
			if k, ok := emailKeys[e.Key]; ok {
				t.Errorf("run %d: email key %q (%s) was already used by a %s email", run, e.Key, e.Kind, k)
			}
			emailKeys[e.Key] = e.Kind
		}
		audits += len(h.audits)
		for _, n := range h.notices {
			if noticed[n.WorkflowID] {
				t.Errorf("run %d: %s told twice", run, n.WorkflowID)
			}
			noticed[n.WorkflowID] = true
		}
		notices += len(h.notices)
		h.mu.Unlock()

		in = next
		h = newHarnessWith(t, h.env.Now(), store)
	}

	// One more run from the last carry shows everything was kept.
	mq := h.membership(time.Minute)
	st := h.runUntil(in, time.Minute)
	m := h.mustMembership(mq)

	if len(m.Members) != 1+people || len(m.Requests) != 0 {
		t.Fatalf("members = %d, requests = %d; want %d members and no request", len(m.Members), len(m.Requests), 1+people)
	}
	seen := map[string]bool{}
	for _, x := range m.Members {
		if seen[x.Subject] {
			t.Errorf("%s is a member twice", x.Subject)
		}
		seen[x.Subject] = true
		if !x.Active {
			t.Errorf("%s is inactive; want every member active", x.Subject)
		}
	}
	for i := range people {
		if !seen[person(i).Subject] {
			t.Errorf("%s is missing", person(i).Subject)
		}
	}
	if got := m.ActiveAdmins(); !reflect.DeepEqual(got, []string{ada.Subject}) {
		t.Errorf("active admins = %v; want only the registrant", got)
	}
	if !reflect.DeepEqual(st, signed) {
		t.Errorf("status = %+v; want the status once signed, carried through every run: %+v", st, signed)
	}
	if got := timelineKinds(st); !reflect.DeepEqual(got, []string{"registered", "declaration_signed"}) {
		t.Errorf("timeline = %v; want registered, declaration_signed", got)
	}
	checkMilestone(t, "after every run", st.NextMilestone, domain.MilestoneEscalate, in.Calendar.AddBusinessDays(signAt, 5), 1)

	kinds := map[mail.Kind]int{}
	for _, k := range emailKeys {
		kinds[k]++
	}
	if kinds[mail.KindJoinRequest] != people || kinds[mail.KindJoinDecided] != people {
		t.Errorf("emails by kind = %v; want %d join requests and %d decisions, each once", kinds, people, people)
	}
	if audits != 2*people+1 || notices != people {
		t.Errorf("audits = %d, notices = %d; want %d (and the declaration's) and %d", audits, notices, 2*people, people)
	}

	store.mu.Lock()
	defer store.mu.Unlock()
	if store.memSeq != 1+len(events) || store.stale != 0 || len(store.mem.Members) != 1+people {
		t.Errorf("membership projection: seq %d, %d stale writes, %d members; want seq %d, none stale, %d members",
			store.memSeq, store.stale, len(store.mem.Members), 1+len(events), 1+people)
	}
	if store.status.Seq != signed.Seq || store.status.State != domain.WorksiteAwaitingReview {
		t.Errorf("status projection = %s seq %d; want %s seq %d", store.status.State, store.status.Seq, domain.WorksiteAwaitingReview, signed.Seq)
	}
}

// Worksite changes (details edited by an administrator, changes by the
// team) are on the timeline, audited and emailed to the administrators
// with their own reason; membership emails never carry the worksite's
// reason (here: why a health authority clinic only registers).
func TestWorksiteChangedAndReasons(t *testing.T) {
	h := newHarness(t)
	h.invite(time.Hour, "req-inv", erin.Email, ada)
	h.accept(2*time.Hour, "req-accept", "inv-req-inv", erin, erin.Email)
	edited := h.update(3*time.Hour, workflows.UpdateWorksiteChanged, "req-edit", workflows.WorksiteChange{
		Actor: ada.Subject, ActorRole: domain.RoleApplicant, Change: "details edited: phone", RequestID: "req-edit"})
	const why = "the street name was misspelled"
	team := h.update(4*time.Hour, workflows.UpdateWorksiteChanged, "req-team", workflows.WorksiteChange{
		Actor: "alice@team.example.ca", ActorRole: domain.RoleTeam, Change: "address changed", Reason: why, RequestID: "req-team"})
	stranger := h.refuse("a member who is not an admin edits", 5*time.Hour, workflows.UpdateWorksiteChanged, "req-edit-erin",
		workflows.WorksiteChange{Actor: erin.Subject, ActorRole: domain.RoleApplicant, Change: "details edited: name", RequestID: "req-edit-erin"})
	in := h.input(domain.HealthAuthorityClinic)
	st := h.runUntil(in, 6*time.Hour)

	h.mustAccepted("edit", edited)
	h.mustAccepted("team change", team)
	h.checkRefused(stranger, domain.EFORBIDDEN)
	if st.State != domain.WorksiteRegisteredOnly || st.Reason != in.TypePolicy.Reason {
		t.Errorf("final = %s reason %q; want %s with the type's reason", st.State, st.Reason, domain.WorksiteRegisteredOnly)
	}
	if es := h.emailsTo(mail.KindMembershipChanged, erin.Email); len(es) != 1 || es[0].Reason != "" {
		t.Errorf("erin's acceptance emails = %+v; want one without a reason (not the worksite's %q)", es, st.Reason)
	}
	es := h.emailsOf(mail.KindWorksiteChanged)
	if len(es) != 2 {
		t.Fatalf("worksite changed emails = %+v; want 2", es)
	}
	for i, w := range []struct {
		change, reason string
		at             time.Duration
	}{{"details edited: phone", "", 3 * time.Hour}, {"address changed", why, 4 * time.Hour}} {
		if e := es[i]; e.Change != w.change || e.Reason != w.reason || e.At != w.at || e.To != domain.ToSiteAdmins {
			t.Errorf("email %d = %+v; want %q, reason %q, at +%v, to the site admins", i, e, w.change, w.reason, w.at)
		}
		checkRecipients(t, "worksite changed email", es[i].Recipients, ada)
	}
	var changes []string
	for _, e := range st.Timeline {
		if e.Kind == "worksite_changed" {
			changes = append(changes, e.Detail)
		}
	}
	if want := []string{"details edited: phone", "address changed"}; !reflect.DeepEqual(changes, want) {
		t.Errorf("worksite_changed events = %v; want %v", changes, want)
	}
	if as := h.auditsOf("worksite changed"); len(as) != 2 || as[0].Actor != ada.Subject || as[1].Role != string(domain.RoleTeam) {
		t.Errorf("audits = %+v; want ada's edit and the team's change", as)
	}
	h.checkUniqueKeys()
}

// An "Other" worksite cannot be approved until the team reclassifies it;
// the new type's policy then decides, and the next action says so.
func TestWorksiteReclassified(t *testing.T) {
	h := newHarness(t)
	h.sign(time.Hour, "req-sign")
	signed := h.query(time.Hour + time.Minute)
	early := h.refuse("approve before reclassifying", 2*time.Hour, workflows.UpdateDecide, "req-approve-1",
		workflows.Decision{Approve: true, Actor: "alice@team.example.ca", RequestID: "req-approve-1"})
	p, ok := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())[domain.CommunityPrivatePractice]
	if !ok {
		t.Fatalf("no default policy for %q", domain.CommunityPrivatePractice)
	}
	change := teamChange("req-reclassify", "it is a physician-led clinic")
	change.Change, change.TypePolicy = "type changed to Community Based Private Practice", &p
	reclassified := h.update(3*time.Hour, workflows.UpdateWorksiteChanged, "req-reclassify", change)
	approved := h.decide(4*time.Hour, "req-approve-2", true, "")
	st := h.runUntil(h.input(domain.OtherLocation), 5*time.Hour)

	h.checkRefused(early, domain.EUNPROCESSABLE)
	h.mustAccepted("reclassify", reclassified)
	h.mustAccepted("approve", approved)
	s := h.mustStatus(signed)
	r := reclassified.status
	if s.WaitingOn != domain.PartyEnrolmentTeam || r.WaitingOn != domain.PartyEnrolmentTeam || s.NextAction == r.NextAction {
		t.Errorf("next action before %q, after %q; want the team either way, no longer asked to reclassify", s.NextAction, r.NextAction)
	}
	if st.State != domain.WorksiteApproved {
		t.Errorf("State = %s; want %s", st.State, domain.WorksiteApproved)
	}
	if es := h.emailsOf(mail.KindWorksiteChanged); len(es) != 1 || es[0].Reason != change.Reason {
		t.Errorf("worksite changed emails = %+v; want one with the team's reason %q", es, change.Reason)
	}
}

// An administrator cannot set their own end date: it would deactivate
// them (which only another administrator may do) and, for the last one,
// leave the worksite with no active administrator.
func TestMembershipNoSelfEndDate(t *testing.T) {
	h := newHarness(t)
	ends := h.start.Add(2 * day)
	self := h.refuse("the last administrator sets her own end date", time.Hour, workflows.UpdateSetMemberEnd, "req-end-self",
		workflows.MemberChange{Actor: ada.Subject, Target: ada.Subject, EndsAt: &ends, RequestID: "req-end-self"})
	end := h.membership(3 * day)
	h.runUntil(h.input(domain.CommunityPrivatePractice), 3*day)

	h.checkRefused(self, domain.EUNPROCESSABLE)
	if m := h.mustMembership(end); !reflect.DeepEqual(m.ActiveAdmins(), []string{ada.Subject}) {
		t.Errorf("active admins = %v; want ada still", m.ActiveAdmins())
	}
}

// Approving a join request with an end date in the past is refused, as
// setting one or reactivating with one is.
func TestMembershipApproveWithPastEndDate(t *testing.T) {
	h := newHarness(t)
	h.requestJoin(time.Hour, "req-carol", carol)
	past := h.start
	r := h.refuse("approve with a past end date", 2*time.Hour, workflows.UpdateDecideJoin, "req-approve",
		workflows.JoinDecision{JoinRequestID: "jr-req-carol", Approve: true, Actor: ada.Subject, EndsAt: &past, RequestID: "req-approve"})
	h.runUntil(h.input(domain.CommunityPrivatePractice), 3*time.Hour)
	h.checkRefused(r, domain.EINVALID)
}
