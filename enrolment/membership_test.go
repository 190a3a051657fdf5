package enrolment_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/links"
	"careconnect/workflows"
)

// membershipFixture is a fixture whose worksite ada administers, whose
// workflow answers updates with the membership m (or refuses with refuse).
func membershipFixture(t *testing.T, refuse error) *fixture {
	f := newFixture(t)
	f.knowsWorksite()
	f.accounts(adaAccount, domain.Account{Subject: "bea", Username: "bea", Profession: domain.ProfMOA, Email: "bea@clinic.example.ca",
		EmailConfirmed: true, LegalFirstName: "Bea", LegalLastName: "Moa"})
	f.administeredBy("ada", domain.WorksiteApproved)
	f.answerUpdates(domain.Membership{Members: []domain.Member{{Subject: "ada", Admin: true, Active: true}}}, refuse)
	return f
}

// bea is an applicant (an MOA) with an account, a member of no worksite.
var bea = enrolment.Caller{Principal: &domain.Principal{Subject: "bea", Role: domain.RoleApplicant, GivenName: "Bea", FamilyName: "Moa"},
	RequestID: "req-2"}

func TestRequestJoin(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		by      enrolment.Caller
		id      string
		comment string
		refuse  error
		code    string
	}{
		{"anonymous", anonymous, worksite.ID, "", nil, domain.EUNAUTHORIZED},
		{"the team", tess, worksite.ID, "", nil, domain.EFORBIDDEN},
		{"no account", sam, worksite.ID, "", nil, domain.EUNPROCESSABLE},
		{"unknown worksite", bea, "ZZZZZZZ", "", nil, domain.ENOTFOUND},
		// The workflow's rules: a member asks again, or a comment too long.
		{"asked already", bea, worksite.ID, "", domain.Errorf(domain.ECONFLICT, "you already asked"), domain.ECONFLICT},
		{"comment too long", bea, worksite.ID, strings.Repeat("x", 501), (domain.FieldErrors{"comment": "too long"}).Err(), domain.EINVALID},
		{"asked", bea, strings.ToLower(worksite.ID), " I work here. ", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := membershipFixture(t, c.refuse)
			in := body(enrolment.JoinRequestInput{Comment: c.comment})
			if c.code == domain.EUNAUTHORIZED || c.code == domain.EFORBIDDEN || c.code == domain.EUNPROCESSABLE {
				in = noBody(t)
			}
			jr, err := f.service().RequestJoin(ctx, c.by, c.id, in)
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			a := f.updates[0].Arg.(workflows.JoinRequestArgs)
			if jr.WorksiteID != worksite.ID || !strings.HasPrefix(jr.ID, "jr-") || a.ID != jr.ID || a.Requester.Subject != "bea" ||
				a.Requester.UserType != domain.OnBehalfOf || a.Comment != "I work here." {
				t.Errorf("request %+v sent as %+v; want bea's, named by the server, the comment trimmed", jr, a)
			}
		})
	}
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	f := membershipFixture(t, nil)
	s := f.service()
	for _, c := range []struct {
		name string
		by   enrolment.Caller
		code string
	}{
		{"anonymous", anonymous, domain.EUNAUTHORIZED},
		// Someone else's worksite looks missing.
		{"not an administrator", bea, domain.ENOTFOUND},
		{"its administrator", ada, ""},
		{"the team", tess, ""},
	} {
		m, err := s.Members(ctx, c.by, worksite.ID)
		if domain.ErrorCode(err) != c.code || (c.code == "" && len(m.Members) != 1) {
			t.Errorf("%s: %+v, %v; want code %q", c.name, m, err, c.code)
		}
	}
	// The workflow silent: the administrators and the membership come from the projection.
	f.wf.QueryFn = func(context.Context, string, string, any) error { return errDown }
	f.store.WorksiteAdminsFn = func(context.Context, string) ([]string, error) { return []string{"ada"}, nil }
	f.store.GetMembershipFn = func(context.Context, string) (domain.Membership, error) {
		return domain.Membership{Members: []domain.Member{{Subject: "ada"}, {Subject: "bea"}}}, nil
	}
	if m, err := f.service().Members(ctx, ada, worksite.ID); err != nil || len(m.Members) != 2 {
		t.Errorf("from the projection: %+v, %v; want its two members", m, err)
	}
}

func TestMemberActions(t *testing.T) {
	endsAt := now.Add(30 * 24 * time.Hour)
	cases := []struct {
		name   string
		by     enrolment.Caller
		act    func(*enrolment.Service, enrolment.Caller, enrolment.Input) (domain.Membership, error)
		in     any // nil: no body
		refuse error
		code   string
		update string
	}{
		{"promote: not an administrator", bea, change(enrolment.Promote), nil, nil, domain.ENOTFOUND, ""},
		{"promote: the team may not", tess, change(enrolment.Promote), nil, nil, domain.EFORBIDDEN, ""},
		{"promoted", ada, change(enrolment.Promote), nil, nil, "", workflows.UpdatePromote},
		// The last-administrator rule is the workflow's: its refusal reaches the caller.
		{"demote the last administrator", ada, change(enrolment.Demote), nil,
			domain.Errorf(domain.EUNPROCESSABLE, "a worksite must keep at least one active administrator"), domain.EUNPROCESSABLE, ""},
		{"deactivated, with a reason", ada, change(enrolment.Deactivate), enrolment.MemberInput{Reason: " left "}, nil, "", workflows.UpdateDeactivate},
		{"a reason too long", ada, change(enrolment.Deactivate), enrolment.MemberInput{Reason: strings.Repeat("x", 1001)}, nil, domain.EINVALID, ""},
		{"reactivated until a date", ada, change(enrolment.Reactivate), enrolment.MemberInput{EndsAt: &endsAt}, nil, "", workflows.UpdateReactivate},
		{"end date set", ada, change(enrolment.SetEndDate), enrolment.MemberInput{EndsAt: &endsAt}, nil, "", workflows.UpdateSetMemberEnd},
		{"join request approved", ada, decideJoin(true), nil, nil, "", workflows.UpdateDecideJoin},
		{"join request rejected without a reason", ada, decideJoin(false), nil,
			(domain.FieldErrors{"reason": "is required when rejecting"}).Err(), domain.EINVALID, ""},
		{"join request: unknown", ada, decideJoin(true), nil, domain.Errorf(domain.ENOTFOUND, "no pending join request"), domain.ENOTFOUND, ""},
		{"invite: not one address", ada, invite, enrolment.InviteInput{Email: "a@x.ca, b@x.ca"}, nil, domain.EINVALID, ""},
		{"invite: a member already", ada, invite, enrolment.InviteInput{Email: "bea@clinic.example.ca"},
			domain.Errorf(domain.ECONFLICT, "already an active member"), domain.ECONFLICT, ""},
		{"invited", ada, invite, enrolment.InviteInput{Email: " New@Clinic.Example.CA "}, nil, "", workflows.UpdateInvite},
		{"invitation resent", ada, resend, nil, nil, "", workflows.UpdateResendInvitation},
		{"resend: anonymous", anonymous, resend, nil, nil, domain.EUNAUTHORIZED, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := membershipFixture(t, c.refuse)
			in := enrolment.Input(func(any) error { return nil }) // an empty optional body
			if c.in != nil {
				in = body(c.in)
			}
			_, err := c.act(f.service(), c.by, in)
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			u := f.updates[0]
			if u.Name != c.update || u.ID != "worksite/"+worksite.ID || u.UpdateID != c.update+"/ada/req-1" {
				t.Fatalf("update %+v; want %s to the worksite, as ada's request", u, c.update)
			}
			wantBounded(t, u)
			switch a := u.Arg.(type) {
			case workflows.MemberChange:
				if a.Actor != "ada" || a.Target != "bea" || strings.TrimSpace(a.Reason) != a.Reason {
					t.Errorf("change %+v; want ada acting on bea, the reason trimmed", a)
				}
			case workflows.InviteArgs:
				if a.Email != "new@clinic.example.ca" || a.ActorName != "Ada Lovelace" || !strings.HasPrefix(a.ID, "inv-") {
					t.Errorf("invitation %+v; want the address lower-cased, from ada", a)
				}
			case workflows.JoinDecision:
				if a.JoinRequestID != "jr-1" || a.Actor != "ada" {
					t.Errorf("decision %+v; want ada's on jr-1", a)
				}
			case workflows.InvitationRef:
				if a.InvitationID != "inv-1" || a.Actor != "ada" {
					t.Errorf("resend %+v; want ada's of inv-1", a)
				}
			default:
				t.Errorf("argument %T", a)
			}
		})
	}
}

func change(a enrolment.MemberAction) func(*enrolment.Service, enrolment.Caller, enrolment.Input) (domain.Membership, error) {
	return func(s *enrolment.Service, by enrolment.Caller, in enrolment.Input) (domain.Membership, error) {
		return s.ChangeMember(context.Background(), by, worksite.ID, "bea", a, in)
	}
}

func decideJoin(approve bool) func(*enrolment.Service, enrolment.Caller, enrolment.Input) (domain.Membership, error) {
	return func(s *enrolment.Service, by enrolment.Caller, in enrolment.Input) (domain.Membership, error) {
		return s.DecideJoinRequest(context.Background(), by, worksite.ID, "jr-1", approve, in)
	}
}

func invite(s *enrolment.Service, by enrolment.Caller, in enrolment.Input) (domain.Membership, error) {
	return s.Invite(context.Background(), by, worksite.ID, in)
}

func resend(s *enrolment.Service, by enrolment.Caller, _ enrolment.Input) (domain.Membership, error) {
	return s.ResendInvitation(context.Background(), by, worksite.ID, "inv-1")
}

func TestLinks(t *testing.T) {
	ctx := context.Background()
	f := membershipFixture(t, nil)
	sign := func(p links.Purpose, subject string, ttl time.Duration) string {
		return f.signer.Sign(links.Claims{Purpose: p, Subject: subject, Expires: now.Add(ttl)})
	}
	join := sign(links.PurposeJoinDecision, worksite.ID+"/jr-1/ada", time.Hour)
	invitation := sign(links.PurposeInvitation, worksite.ID+"/inv-1", time.Hour)
	s := f.service()
	for _, c := range []struct {
		name    string
		token   string
		purpose domain.LinkPurpose
		code    string
	}{
		{"join link", join, domain.LinkJoinDecision, ""},
		{"invitation link", invitation, domain.LinkInvitation, ""},
		{"a join link for an invitation page", join, domain.LinkInvitation, domain.ENOTFOUND},
		{"expired", sign(links.PurposeInvitation, worksite.ID+"/inv-1", -time.Second), domain.LinkInvitation, domain.EUNPROCESSABLE},
		{"a subject missing its parts", sign(links.PurposeJoinDecision, worksite.ID+"/jr-1", time.Hour), domain.LinkJoinDecision, domain.ENOTFOUND},
		// Declarations have a page of their own.
		{"a declaration link", sign(links.PurposeDeclaration, worksite.ID, time.Hour), domain.LinkDeclaration, domain.ENOTFOUND},
	} {
		if err := s.CheckLink(c.token, c.purpose); domain.ErrorCode(err) != c.code {
			t.Errorf("%s: %v; want code %q", c.name, err, c.code)
		}
	}

	t.Run("join link", func(t *testing.T) {
		f.answerQueries(workflows.WorksiteWorkflowID(worksite.ID), map[string]any{workflows.QueryMembership: domain.Membership{
			Requests: []domain.JoinRequest{{ID: "jr-1", Subject: "bea", Name: "Bea Moa", Comment: "hello"}}}})
		r, err := f.service().JoinLink(ctx, join)
		if err != nil || r.WorksiteID != worksite.ID || r.Request.Name != "Bea Moa" {
			t.Errorf("join link: %+v, %v; want bea's request", r, err)
		}
		answered := sign(links.PurposeJoinDecision, worksite.ID+"/jr-2/ada", time.Hour)
		if _, err := f.service().JoinLink(ctx, answered); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("an answered request: %v; want ENOTFOUND", err)
		}
	})
	t.Run("answer through the join link", func(t *testing.T) {
		_, err := s.AnswerJoinLink(ctx, anonymous, join, body(map[string]any{"reason": "x"}))
		wantField(t, err, "approve", "is required")
		approved, err := s.AnswerJoinLink(ctx, anonymous, join, body(enrolment.JoinLinkAnswer{Approve: ptr(false), Reason: " not here "}))
		if err != nil || approved {
			t.Fatalf("rejected: %v, %v", approved, err)
		}
		d := f.updates[len(f.updates)-1]
		// The link names the administrator, who acts; the update is the link's.
		if a := d.Arg.(workflows.JoinDecision); a.Actor != "ada" || a.Approve || a.Reason != "not here" || d.UpdateID != "decide-join/link/req-1" {
			t.Errorf("decision %+v as %s; want ada's rejection through the link", a, d.UpdateID)
		}
		if _, err := s.AnswerJoinLink(ctx, anonymous, invitation, noBody(t)); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("an invitation link: %v; want ENOTFOUND", err)
		}
	})
	t.Run("accept an invitation", func(t *testing.T) {
		if _, err := s.AcceptInvitation(ctx, sam, invitation); domain.ErrorCode(err) != domain.EUNPROCESSABLE {
			t.Errorf("without an account: %v; want EUNPROCESSABLE", err)
		}
		if _, err := s.AcceptInvitation(ctx, bea, join); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("with a join link: %v; want ENOTFOUND", err)
		}
		id, err := s.AcceptInvitation(ctx, bea, invitation)
		if err != nil || id != worksite.ID {
			t.Fatalf("accepted: %q, %v", id, err)
		}
		a := f.updates[len(f.updates)-1].Arg.(workflows.AcceptInvitation)
		if a.InvitationID != "inv-1" || a.Member.Subject != "bea" || a.AccountEmail != "bea@clinic.example.ca" {
			t.Errorf("acceptance %+v; want bea's, with her confirmed address", a)
		}
	})
}
