package enrolment_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/workflows"
)

// memberOf makes MemberWorksites answer ws for every subject.
func (f *fixture) memberOf(ws ...domain.MemberWorksite) {
	f.store.MemberWorksitesFn = func(context.Context, string) ([]domain.MemberWorksite, error) { return ws, nil }
}

// pending makes PendingForPerson answer ps, recording the address asked.
func (f *fixture) pending(ps ...domain.PendingMembership) *string {
	var asked string
	f.store.PendingForPersonFn = func(_ context.Context, _, email string, _ time.Time) ([]domain.PendingMembership, error) {
		asked = email
		return ps, nil
	}
	return &asked
}

// The status a person reads names who must act next even where their
// workflow knows nothing: no worksite (the applicant), a join request
// (the site administrators, since it was asked), a worksite registered a
// moment ago (listed at once).
func TestMyStatusWhoMustAct(t *testing.T) {
	ctx := context.Background()
	asked := now.Add(-26 * time.Hour)
	join := domain.PendingMembership{Kind: domain.PendingJoinRequest, ID: "jr-1", WorksiteID: worksite.ID, WorksiteName: worksite.Name, At: asked}
	for _, c := range []struct {
		name      string
		worksites []domain.MemberWorksite
		pending   []domain.PendingMembership
		party     domain.Party
		actionHas string
		listed    int
	}{
		{"no worksite", nil, nil, domain.PartyApplicant, "register your worksite or join one", 0},
		{"join request pending", nil, []domain.PendingMembership{join}, domain.PartySiteAdmin, "request to join Proctor Clinic", 0},
		{"registered a worksite a moment ago", []domain.MemberWorksite{{WorksiteID: worksite.ID, Active: true, Admin: true, State: "awaiting_declaration"}},
			nil, domain.PartyNone, "", 1},
	} {
		// The workflow projects "no worksite" itself (NextStep); one that
		// ran before it did projected nobody. Both read the same.
		for _, projected := range []domain.Party{domain.PartyApplicant, domain.PartyNone} {
			t.Run(c.name+" (projected "+string(projected)+")", func(t *testing.T) {
				f := newFixture(t)
				f.accounts(adaAccount)
				st := domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, WaitingSince: now.Add(-72 * time.Hour)}
				if projected != domain.PartyNone {
					st.WaitingOn, st.NextAction = projected, domain.NoWorksiteAction
				}
				f.projectedStatus(st, 5)
				f.memberOf(c.worksites...)
				address := f.pending(c.pending...)
				got, err := f.service().MyStatus(ctx, ada)
				if err != nil {
					t.Fatal(err)
				}
				st = statusOf(t, got)
				if st.WaitingOn != c.party || !strings.Contains(st.NextAction, c.actionHas) || len(st.Worksites) != c.listed {
					t.Errorf("got %q %q with %d worksites; want %q, %q, %d", st.WaitingOn, st.NextAction, len(st.Worksites), c.party, c.actionHas, c.listed)
				}
				if c.pending != nil && (!st.WaitingSince.Equal(asked) || *address != adaAccount.Email) {
					t.Errorf("since %v, asked for %q; want the date asked and the account's address", st.WaitingSince, *address)
				}
			})
		}
	}
}

// statusOf is the status MyStatus answered, decoded when it passed the
// projection on as stored.
func statusOf(t *testing.T, got enrolment.MyStatus) domain.UserStatus {
	t.Helper()
	if got.JSON == nil {
		return got.Status
	}
	var st domain.UserStatus
	if err := json.Unmarshal(got.JSON, &st); err != nil {
		t.Fatalf("the status passed on: %v", err)
	}
	return st
}

// A status that completing changes nothing in is passed on as stored,
// undecoded (the status page polls it); one it changes keeps everything
// else the workflow projected.
func TestMyStatusPassesAnUnchangedProjectionOn(t *testing.T) {
	ctx := context.Background()
	member := domain.MemberWorksite{WorksiteID: worksite.ID, Name: worksite.Name, Active: true, State: "approved", Since: now}
	provisioned := domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered, WaitingSince: now,
		Worksites:    []domain.UserWorksite{{WorksiteID: worksite.ID, Active: true, Since: now}},
		Applications: []domain.Application{{State: domain.AppProvisioned, SubmittedAt: now}}}
	f := newFixture(t)
	f.accounts(adaAccount)
	f.projectedStatus(provisioned, 7)
	f.memberOf(member)
	got, err := f.service().MyStatus(ctx, ada)
	want, _ := json.Marshal(provisioned)
	if err != nil || string(got.JSON) != string(want) {
		t.Fatalf("got %s, %v; want the projection as stored", got.JSON, err)
	}

	// A worksite registered a moment ago is added; the rest stays.
	f.memberOf(member, domain.MemberWorksite{WorksiteID: "B7Q2ZZA", Name: "New Clinic", Active: true, Admin: true,
		State: "awaiting_declaration", Since: now})
	got, err = f.service().MyStatus(ctx, ada)
	if err != nil || got.JSON != nil {
		t.Fatalf("got %s, %v; want the completed status", got.JSON, err)
	}
	st := got.Status
	if len(st.Worksites) != 2 || st.Worksites[1].WorksiteID != "B7Q2ZZA" || !st.Worksites[1].Admin ||
		len(st.Applications) != 1 || st.Applications[0].State != domain.AppProvisioned {
		t.Errorf("got %+v; want both worksites and the application kept", st)
	}
}

func TestMyPendingAndAcceptInvitation(t *testing.T) {
	ctx := context.Background()
	inv := domain.PendingMembership{Kind: domain.PendingInvitation, ID: "inv-1", WorksiteID: worksite.ID, WorksiteName: worksite.Name, At: now}
	f := membershipFixture(t, nil)
	f.pending(inv, domain.PendingMembership{Kind: domain.PendingJoinRequest, ID: "jr-9", WorksiteID: "B7Q2ZZA"})
	_, err := f.service().MyPending(ctx, sam)
	wantCode(t, err, domain.EUNPROCESSABLE)
	p, err := f.service().MyPending(ctx, bea)
	if err != nil || len(p.Invitations) != 1 || len(p.JoinRequests) != 1 || !p.EmailConfirmed {
		t.Fatalf("pending %+v, %v; want one invitation, one join request", p, err)
	}

	_, err = f.service().AcceptMyInvitation(ctx, bea, "ZZZZZZZ", "inv-1")
	wantCode(t, err, domain.ENOTFOUND)
	id, err := f.service().AcceptMyInvitation(ctx, bea, strings.ToLower(worksite.ID), "inv-1")
	if err != nil || id != worksite.ID {
		t.Fatalf("accept: %q, %v", id, err)
	}
	a := f.updates[0].Arg.(workflows.AcceptInvitation)
	if f.updates[0].Name != workflows.UpdateAcceptInvitation || a.InvitationID != "inv-1" || a.AccountEmail != "bea@clinic.example.ca" || a.Member.Subject != "bea" {
		t.Errorf("sent %+v; want bea's acceptance of inv-1 with her confirmed address", f.updates[0])
	}
	wantBounded(t, f.updates[0])
	// The workflow's refusal (another address) is the answer.
	f = membershipFixture(t, domain.Errorf(domain.EFORBIDDEN, "this invitation was sent to another address"))
	_, err = f.service().AcceptMyInvitation(ctx, bea, worksite.ID, "inv-1")
	wantCode(t, err, domain.EFORBIDDEN)
}

func TestAttention(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.knowsWorksite()
	f.memberOf(domain.MemberWorksite{WorksiteID: worksite.ID, Active: true, Admin: true})
	f.answerQueries(workflows.WorksiteWorkflowID(worksite.ID), map[string]any{workflows.QueryMembership: domain.Membership{
		Members:  []domain.Member{{Subject: "ada", Admin: true, Active: true, UserType: domain.Authorizer}},
		Requests: []domain.JoinRequest{{ID: "jr-1", Name: "Bea Moa", RequestedAt: now.Add(-50 * time.Hour)}}}})
	f.store.SponsorshipRequestsFn = func(context.Context, string) ([]domain.SponsorshipRequest, error) {
		return []domain.SponsorshipRequest{{Subject: "cam", Name: "Cam Moa", Application: domain.Application{SubmittedAt: now.Add(-time.Hour)}}}, nil
	}
	_, err := f.service().Attention(ctx, anonymous)
	wantCode(t, err, domain.EUNAUTHORIZED)
	items, err := f.service().Attention(ctx, ada)
	if err != nil || len(items) != 2 {
		t.Fatalf("attention %+v, %v; want the join request and the sponsorship request", items, err)
	}
	if items[0].Kind != domain.AttentionJoinRequest || items[0].AgeDays != 2 || items[1].Kind != domain.AttentionSponsorship {
		t.Errorf("attention %+v; want the older join request first, 2 days old", items)
	}
}
