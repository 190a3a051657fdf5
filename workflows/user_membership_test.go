package workflows_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
	"careconnect/workflows"
)

// memberNotice is what worksite ws tells the person at start+at.
func (h *userHarness) memberNotice(at time.Duration, ws, change string, active, admin bool) workflows.MembershipNotice {
	return workflows.MembershipNotice{Subject: userSubject, WorksiteID: ws, Change: change, Active: active, Admin: admin, At: h.start.Add(at)}
}

// notify signals n to the workflow at start+at.
func (h *userHarness) notify(at time.Duration, n workflows.MembershipNotice) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalMembershipChanged, n) }, at)
}

// membershipEvents returns st's membership_changed timeline events.
func membershipEvents(st domain.UserStatus) []domain.TimelineEvent {
	var out []domain.TimelineEvent
	for _, e := range st.Timeline {
		if e.Kind == "membership_changed" {
			out = append(out, e)
		}
	}
	return out
}

// The relay may deliver a worksite's notices out of order, or one twice
// (its worker died after the signal, before recording it): a notice whose
// Seq is not above the last one applied from that worksite changes
// nothing, so the status keeps the worksite's latest word.
func TestUserMembershipNoticeLateOrTwice(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	seq := func(n workflows.MembershipNotice, s int) workflows.MembershipNotice { n.Seq = s; return n }
	approved := seq(h.memberNotice(time.Hour, "W1AAAAA", "membership approved", true, false), 1)
	promoted := seq(h.memberNotice(2*time.Hour, "W1AAAAA", "promoted", true, true), 2)
	h.notify(time.Hour, promoted)   // the later notice arrives first,
	h.notify(2*time.Hour, approved) // then the earlier one,
	h.notify(3*time.Hour, promoted) // and the later one again;
	other := seq(h.memberNotice(4*time.Hour, "W2BBBBB", "membership approved", true, false), 1)
	h.notify(4*time.Hour, other) // another worksite's numbering is its own.
	q := h.query(5 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 6*time.Hour)

	st := h.mustStatus(q)
	checkWorksites(t, "after the notices", st.Worksites, []domain.UserWorksite{
		{WorksiteID: "W1AAAAA", Active: true, Admin: true, Since: h.start.Add(2 * time.Hour)},
		{WorksiteID: "W2BBBBB", Active: true, Admin: false, Since: h.start.Add(4 * time.Hour)},
	})
	if es := membershipEvents(st); len(es) != 2 {
		t.Errorf("membership events = %+v; want the two applied notices only", es)
	}
}

// checkWorksites compares a status's memberships with want, in order.
func checkWorksites(t *testing.T, label string, got, want []domain.UserWorksite) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		g, w := got[i], want[i]
		ok = g.WorksiteID == w.WorksiteID && g.Active == w.Active && g.Admin == w.Admin && g.Since.Equal(w.Since)
	}
	if !ok {
		t.Errorf("%s: worksites = %+v; want %+v", label, got, want)
	}
}

// A person's status shows each worksite's latest notice (one entry per
// worksite) and every notice on the timeline, and is projected.
func TestUserMembershipNotices(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	notices := []struct {
		at time.Duration
		n  workflows.MembershipNotice
	}{
		{time.Hour, h.memberNotice(time.Hour, "W1AAAAA", "membership approved", true, false)},
		{2 * time.Hour, h.memberNotice(2*time.Hour, "W2BBBBB", "promoted", true, true)},
		// A second notice from W1 replaces its entry.
		{3 * time.Hour, h.memberNotice(3*time.Hour, "W1AAAAA", "deactivated", false, false)},
	}
	before := h.query(time.Hour - time.Minute)
	for _, n := range notices {
		h.notify(n.at, n.n)
	}
	q := h.query(4 * time.Hour)
	h.runUntil(userInput(domain.DefaultSchedule()), 5*time.Hour)

	b, st := h.mustStatus(before), h.mustStatus(q)
	checkWorksites(t, "after the notices", st.Worksites, []domain.UserWorksite{
		{WorksiteID: "W1AAAAA", Active: false, Admin: false, Since: h.start.Add(3 * time.Hour)},
		{WorksiteID: "W2BBBBB", Active: true, Admin: true, Since: h.start.Add(2 * time.Hour)},
	})
	if st.Seq != b.Seq+len(notices) {
		t.Errorf("Seq = %d; want %d (one more per notice)", st.Seq, b.Seq+len(notices))
	}
	es := membershipEvents(st)
	if len(es) != len(notices) {
		t.Fatalf("membership events = %+v; want %d", es, len(notices))
	}
	for i, n := range notices {
		want := n.n.Change + " at worksite " + n.n.WorksiteID
		if !es[i].At.Equal(h.start.Add(n.at)) || es[i].Detail != want {
			t.Errorf("event %d = %+v; want %q at +%v", i, es[i], want, n.at)
		}
	}
	if p := h.lastProjection(); p.Seq != st.Seq || !reflect.DeepEqual(p.Worksites, st.Worksites) {
		t.Errorf("last projection = seq %d worksites %+v; want seq %d worksites %+v", p.Seq, p.Worksites, st.Seq, st.Worksites)
	}
	// Notices are no password events: no email came of them.
	if n := len(h.sent()); n != 1 {
		t.Errorf("emails = %+v; want only the account email", h.sent())
	}
}

// Notices that arrive just before the run continues as new are drained
// into the carry, and the next run shows them all.
func TestUserMembershipNoticesCarriedAcrossContinueAsNew(t *testing.T) {
	h := newUserHarness(t, defaultStart)
	h.registered(time.Minute, "register")
	const worksites = 5
	at := time.Hour
	var sent []workflows.MembershipNotice
	for i := range worksites {
		sent = append(sent, h.memberNotice(at, fmt.Sprintf("WS%05d", i), "membership approved", true, i == 0))
	}
	reset := &userUpdate{}
	h.env.RegisterDelayedCallback(func() {
		// The server suggests continue-as-new; the notices arrive, then a
		// password reset wakes the run, which continues as new at once.
		h.env.SetContinueAsNewSuggested(true)
		for _, n := range sent {
			h.env.SignalWorkflow(workflows.SignalMembershipChanged, n)
		}
		h.env.UpdateWorkflow(workflows.UpdatePasswordChanged, "reset", &testsuite.TestUpdateCallback{
			OnAccept:   func() { reset.accepted = true },
			OnReject:   func(err error) { reset.rejected = err },
			OnComplete: func(_ any, err error) { reset.completed, reset.err = true, err },
		}, workflows.PasswordChanged{At: h.start.Add(at), RequestID: "reset"})
	}, at)
	h.env.ExecuteWorkflow(workflows.UserWorkflowName, userInput(domain.DefaultSchedule()))

	h.mustAccepted("reset", reset)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !h.env.IsWorkflowCompleted() || !errors.As(err, &can) {
		t.Fatalf("workflow error = %v; want *workflow.ContinueAsNewError", err)
	}
	var next workflows.UserInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	if next.Carry == nil {
		t.Fatalf("next input has no carry")
	}
	want := make([]domain.UserWorksite, worksites)
	for i, n := range sent {
		want[i] = domain.UserWorksite{WorksiteID: n.WorksiteID, Active: true, Admin: i == 0, Since: n.At}
	}
	c := next.Carry.Status
	// Arrival order is not promised; compare by worksite.
	got := map[string]domain.UserWorksite{}
	for _, w := range c.Worksites {
		got[w.WorksiteID] = w
	}
	if len(c.Worksites) != worksites {
		t.Errorf("carried worksites = %+v; want all %d", c.Worksites, worksites)
	}
	for _, w := range want {
		g, ok := got[w.WorksiteID]
		if !ok || g.Active != w.Active || g.Admin != w.Admin || !g.Since.Equal(w.Since) {
			t.Errorf("carried %s = %+v (present %v); want %+v", w.WorksiteID, g, ok, w)
		}
	}
	if es := membershipEvents(c); len(es) != worksites {
		t.Errorf("carried membership events = %d; want %d", len(es), worksites)
	}

	// The next run starts from the carry: every worksite is there, and it
	// goes on hearing notices.
	h2 := newUserHarness(t, h.env.Now())
	h2.notify(time.Hour, workflows.MembershipNotice{Subject: userSubject, WorksiteID: "WS00001", Change: "promoted",
		Active: true, Admin: true, At: h2.start.Add(time.Hour)})
	q := h2.query(2 * time.Hour)
	h2.runUntil(next, 3*time.Hour)
	st := h2.mustStatus(q)
	if len(st.Worksites) != worksites || len(membershipEvents(st)) != worksites+1 || st.Seq != c.Seq+1 {
		t.Errorf("next run: %d worksites, %d membership events, seq %d; want %d, %d, %d",
			len(st.Worksites), len(membershipEvents(st)), st.Seq, worksites, worksites+1, c.Seq+1)
	}
	for _, w := range st.Worksites {
		if w.WorksiteID == "WS00001" && !w.Admin {
			t.Errorf("WS00001 = %+v; want admin after the promotion", w)
		}
	}
}
