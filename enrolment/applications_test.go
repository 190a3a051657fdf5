package enrolment_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/enrolmenttest"
	"careconnect/workflows"
)

// projectedStatus makes the person's status projection answer st (seq 0:
// never projected).
func (f *fixture) projectedStatus(st domain.UserStatus, seq int) {
	f.store.UserStatusJSONFn = func(context.Context, string) (json.RawMessage, int, error) {
		js, err := json.Marshal(st)
		return js, seq, err
	}
}

// role is the business role ada is provisioned with at the worksite.
var role = domain.BusinessRole{RoleContext: "Community", FunctionalDescription: "Physician"}

func TestSubmitApplication(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		by       enrolment.Caller
		worksite string
		refuse   error
		code     string
	}{
		{"anonymous", anonymous, worksite.ID, nil, domain.EUNAUTHORIZED},
		{"no account", sam, worksite.ID, nil, domain.EUNPROCESSABLE},
		{"not a worksite ID", ada, "K4T6", nil, domain.EINVALID},
		{"an unknown worksite", ada, "ZZZZZZZ", nil, domain.ENOTFOUND},
		// The workflow judges the application: a profession without access here.
		{"refused by the rules", ada, worksite.ID, domain.Errorf(domain.EUNPROCESSABLE, "no access for this profession"), domain.EUNPROCESSABLE},
		{"submitted", ada, " k4t6clp ", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.accounts(adaAccount)
			f.store.ReadWorksiteFn = func(_ context.Context, id string) (domain.WorksiteRead, error) {
				if id != worksite.ID {
					return domain.WorksiteRead{}, domain.Errorf(domain.ENOTFOUND, "not found")
				}
				js, _ := json.Marshal(domain.WorksiteStatus{State: domain.WorksiteApproved})
				return domain.WorksiteRead{Worksite: worksite, StatusJSON: js, StatusSeq: 4}, nil
			}
			f.store.IsActiveMemberFn = func(_ context.Context, _, subject string) (bool, error) { return subject == "ada", nil }
			f.projectedStatus(domain.UserStatus{Subject: "ada", State: domain.UserAccountRegistered}, 2)
			f.answerUpdates(domain.UserStatus{Applications: []domain.Application{{State: domain.AppWaiting}}}, c.refuse)
			apps, err := f.service().SubmitApplication(ctx, c.by, body(enrolment.ApplicationInput{WorksiteID: c.worksite,
				Answers: map[string]bool{"direct_clinical_care": true}}))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			u := f.updates[0]
			a := u.Arg.(workflows.SubmitApplication)
			if len(apps) != 1 || u.ID != "user/ada" || u.Name != workflows.UpdateSubmitApplication || a.Worksite.ID != worksite.ID ||
				!a.Worksite.Member || a.Worksite.State != domain.WorksiteApproved || a.Profession.Code != domain.ProfPhysician {
				t.Errorf("sent %+v; want ada's application with the worksite's projected facts", u)
			}
		})
	}
}

func TestMyApplications(t *testing.T) {
	f := newFixture(t)
	f.projectedStatus(domain.UserStatus{Applications: []domain.Application{{State: domain.AppReady}}}, 3)
	s := f.service()
	if _, err := s.MyApplications(context.Background(), tess); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("the team: %v; want EFORBIDDEN", err)
	}
	if apps, err := s.MyApplications(context.Background(), ada); err != nil || len(apps) != 1 {
		t.Errorf("ada: %v, %v; want her application", apps, err)
	}
}

// sponsorFixture is a worksite whose workflow knows ada (an active
// authorizer, provisioned there with role unless provisioned is false)
// and bea (an on-behalf-of user).
func sponsorFixture(t *testing.T, provisioned bool) *fixture {
	f := newFixture(t)
	f.knowsWorksite()
	f.accounts(adaAccount)
	ada := domain.Member{Subject: "ada", Name: "Ada Lovelace", Email: adaAccount.Email, UserType: domain.Authorizer, Active: true, Admin: true}
	beaM := domain.Member{Subject: "bea", Name: "Bea Moa", UserType: domain.OnBehalfOf, Active: true}
	adaStatus := domain.UserStatus{Subject: "ada"}
	if provisioned {
		adaStatus.Applications = []domain.Application{{Worksite: domain.WorksiteFacts{ID: worksite.ID}, State: domain.AppProvisioned, BusinessRole: &role}}
	}
	f.wf.QueryFn = func(_ context.Context, id, name string, out any) error {
		switch {
		case id == workflows.WorksiteWorkflowID(worksite.ID) && name == workflows.QueryMembership:
			return enrolmenttest.Return(out, domain.Membership{Members: []domain.Member{ada, beaM}})
		case id == "user/ada" && name == workflows.QueryStatus:
			return enrolmenttest.Return(out, adaStatus)
		}
		return errNoWorkflow
	}
	return f
}

func TestSponsorshipRequests(t *testing.T) {
	ctx := context.Background()
	f := sponsorFixture(t, false)
	f.store.SponsorshipRequestsFn = func(context.Context, string) ([]domain.SponsorshipRequest, error) {
		return []domain.SponsorshipRequest{{Subject: "bea"}}, nil
	}
	s := f.service()
	for _, c := range []struct {
		name string
		by   enrolment.Caller
		id   string
		code string
	}{
		{"anonymous", anonymous, worksite.ID, domain.EUNAUTHORIZED},
		{"an unknown worksite", ada, "ZZZZZZZ", domain.ENOTFOUND},
		// Only those who may sponsor there see them: an on-behalf-of member may not.
		{"an on-behalf-of member", bea, worksite.ID, domain.ENOTFOUND},
		{"an authorizer there", ada, worksite.ID, ""},
		{"the team", tess, worksite.ID, ""},
	} {
		r, err := s.SponsorshipRequests(ctx, c.by, c.id)
		if domain.ErrorCode(err) != c.code || (c.code == "" && (r.WorksiteID != worksite.ID || len(r.Requests) != 1)) {
			t.Errorf("%s: %+v, %v; want code %q", c.name, r, err, c.code)
		}
	}
}

// TestSponsorshipRequestsAResidentsSponsorSees: a resident's request is
// listed to a physician and the team, not to a nurse practitioner, who may
// not approve it.
func TestSponsorshipRequestsAResidentsSponsorSees(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		profession string
		want       int
	}{{"a physician", domain.ProfPhysician, 2}, {"a nurse practitioner", domain.ProfNursePractitioner, 1}} {
		t.Run(c.name, func(t *testing.T) {
			f := sponsorFixture(t, true)
			acct := adaAccount
			acct.Profession = c.profession
			f.accounts(acct)
			f.store.SponsorshipRequestsFn = func(context.Context, string) ([]domain.SponsorshipRequest, error) {
				return []domain.SponsorshipRequest{{Subject: "bea", Profession: domain.ProfMOA}, {Subject: "rex", Profession: domain.ProfResident}}, nil
			}
			r, err := f.service().SponsorshipRequests(ctx, ada, worksite.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Requests) != c.want {
				t.Errorf("%d requests listed; want %d", len(r.Requests), c.want)
			}
			if r, err := f.service().SponsorshipRequests(ctx, tess, worksite.ID); err != nil || len(r.Requests) != 2 {
				t.Errorf("the team sees %d (%v); want both", len(r.Requests), err)
			}
		})
	}
}

func TestRequestSponsorship(t *testing.T) {
	ctx := context.Background()
	t.Run("no such worksite", func(t *testing.T) {
		f := sponsorFixture(t, true)
		f.accounts(adaAccount, domain.Account{Subject: "bea", Profession: domain.ProfMOA})
		_, err := f.service().RequestSponsorship(ctx, bea, "ZZZZZZZ")
		wantCode(t, err, domain.ENOTFOUND)
		if domain.ErrorMessage(err) != domain.NotFoundOrNotYours {
			t.Errorf("message %q; want %q", domain.ErrorMessage(err), domain.NotFoundOrNotYours)
		}
	})
	t.Run("the authorizers are asked", func(t *testing.T) {
		f := sponsorFixture(t, true)
		f.accounts(adaAccount, domain.Account{Subject: "bea", Profession: domain.ProfMOA})
		f.answerUpdates(domain.UserStatus{}, nil)
		if _, err := f.service().RequestSponsorship(ctx, bea, strings.ToLower(worksite.ID)); err != nil {
			t.Fatal(err)
		}
		r := f.updates[0].Arg.(workflows.SponsorshipRequest)
		if f.updates[0].ID != "user/bea" || r.WorksiteID != worksite.ID || len(r.Authorizers) != 1 || r.Authorizers[0].Subject != "ada" {
			t.Errorf("request %+v; want ada, the one who may sponsor, asked for bea", r)
		}
	})
	t.Run("a resident asks only physicians", func(t *testing.T) {
		f := sponsorFixture(t, true)
		f.accounts(adaAccount, domain.Account{Subject: "bea", Profession: domain.ProfResident})
		np := domain.Member{Subject: "nia", Name: "Nia Patel", Profession: domain.ProfNursePractitioner, UserType: domain.Authorizer, Active: true}
		doc := domain.Member{Subject: "ada", Name: "Ada Lovelace", Profession: domain.ProfPhysician, UserType: domain.Authorizer, Active: true}
		members := []domain.Member{np}
		f.wf.QueryFn = func(_ context.Context, id, name string, out any) error {
			return enrolmenttest.Return(out, domain.Membership{Members: members})
		}
		f.answerUpdates(domain.UserStatus{}, nil)
		_, err := f.service().RequestSponsorship(ctx, bea, worksite.ID)
		wantCode(t, err, domain.EUNPROCESSABLE)
		if !strings.Contains(domain.ErrorMessage(err), "physician") {
			t.Errorf("message %q; want it to say a physician sponsors a resident", domain.ErrorMessage(err))
		}
		members = []domain.Member{np, doc}
		if _, err := f.service().RequestSponsorship(ctx, bea, worksite.ID); err != nil {
			t.Fatal(err)
		}
		r := f.updates[len(f.updates)-1].Arg.(workflows.SponsorshipRequest)
		if len(r.Authorizers) != 1 || r.Authorizers[0].Subject != "ada" {
			t.Errorf("asked %+v; want the physician only", r.Authorizers)
		}
	})
	t.Run("no account", func(t *testing.T) {
		f := sponsorFixture(t, true)
		_, err := f.service().RequestSponsorship(ctx, sam, worksite.ID)
		wantCode(t, err, domain.EUNPROCESSABLE)
	})
}

func TestApproveSponsorship(t *testing.T) {
	ctx := context.Background()
	start, end := now.AddDate(0, 1, 0), now.AddDate(1, 0, 0)
	cases := []struct {
		name        string
		by          enrolment.Caller
		provisioned bool
		refuse      error
		code        string
	}{
		{"anonymous", anonymous, true, nil, domain.EUNAUTHORIZED},
		// Who may sponsor: an active authorizer there, provisioned there.
		{"an on-behalf-of member", bea, true, nil, domain.EFORBIDDEN},
		{"an authorizer not provisioned there", ada, false, nil, domain.EFORBIDDEN},
		{"the team may not", tess, true, nil, domain.EFORBIDDEN},
		{"no such application", ada, true, domain.Errorf(domain.ENOTFOUND, "no application at that worksite"), domain.ENOTFOUND},
		{"sponsored already", ada, true, domain.Errorf(domain.ECONFLICT, "already sponsored"), domain.ECONFLICT},
		{"approved", ada, true, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := sponsorFixture(t, c.provisioned)
			f.answerUpdates(domain.UserStatus{}, c.refuse)
			in := body(enrolment.SponsorshipInput{ResidencyStart: &start, ResidencyEnd: &end})
			if c.code == domain.EUNAUTHORIZED || c.code == domain.EFORBIDDEN {
				in = noBody(t)
			}
			err := f.service().ApproveSponsorship(ctx, c.by, worksite.ID, "bea", in)
			wantCode(t, err, c.code)
			if c.code == domain.ENOTFOUND && domain.ErrorMessage(err) != "no application by that person at this worksite" {
				t.Errorf("message %q; want it to name the application", domain.ErrorMessage(err))
			}
			if c.code != "" {
				return
			}
			a := f.updates[0].Arg.(workflows.SponsorshipApproval)
			if f.updates[0].ID != "user/bea" || a.SponsorSubject != "ada" || a.SponsorName != "Ada Lovelace" || a.Role != role ||
				!a.ResidencyEnd.Equal(end) || a.SponsorProfession.Code != domain.ProfPhysician || !a.SponsorProfession.MaySponsorResidents {
				t.Errorf("approval %+v; want ada's, under her role, with the dates", a)
			}
		})
	}
}

func TestDecideApplication(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		by       enrolment.Caller
		decision enrolment.ApplicationDecision
		req      enrolment.DecisionInput
		refuse   error
		code     string
		update   string
	}{
		{"an applicant", ada, enrolment.Provision, enrolment.DecisionInput{}, nil, domain.EFORBIDDEN, ""},
		{"reject without a reason", tess, enrolment.RejectApplication, enrolment.DecisionInput{Reason: " "}, nil, domain.EINVALID, ""},
		{"send back without a reason", tess, enrolment.SendBack, enrolment.DecisionInput{}, nil, domain.EINVALID, ""},
		{"a role without its description", tess, enrolment.Provision, enrolment.DecisionInput{BusinessRole: &domain.BusinessRole{RoleContext: "x"}},
			nil, domain.EINVALID, ""},
		{"not ready", tess, enrolment.Provision, enrolment.DecisionInput{}, domain.Errorf(domain.EUNPROCESSABLE, "not ready"), domain.EUNPROCESSABLE, ""},
		{"no such person", tess, enrolment.Provision, enrolment.DecisionInput{}, errNoWorkflow, domain.ENOTFOUND, ""},
		// Provisioning needs no reason.
		{"provisioned", tess, enrolment.Provision, enrolment.DecisionInput{}, nil, "", workflows.UpdateProvisionApplication},
		{"rejected", tess, enrolment.RejectApplication, enrolment.DecisionInput{Reason: " no "}, nil, "", workflows.UpdateRejectApplication},
		{"sent back", tess, enrolment.SendBack, enrolment.DecisionInput{Reason: "fix it"}, nil, "", workflows.UpdateSendBackApplication},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.answerUpdates(domain.UserStatus{Applications: []domain.Application{{}}}, c.refuse)
			_, err := f.service().DecideApplication(ctx, c.by, "bea", "k4t6clp", c.decision, body(c.req))
			wantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			u := f.updates[0]
			d := u.Arg.(workflows.ApplicationDecision)
			if u.ID != "user/bea" || u.Name != c.update || d.WorksiteID != worksite.ID || d.Actor != "tess" || d.Reason != strings.TrimSpace(c.req.Reason) {
				t.Errorf("sent %+v; want tess's %s at %s", u, c.update, worksite.ID)
			}
		})
	}
}
