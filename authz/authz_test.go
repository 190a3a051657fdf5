package authz_test

import (
	"fmt"
	"testing"

	"careconnect/authz"
	"careconnect/domain"
)

// The callers every action is judged for. Alice is the applicant the
// resource belongs to; Bob is another applicant; Carol is an applicant who
// administers the worksite; Helen is on the enrolment team.
var (
	alice = &domain.Principal{Subject: "bcsc-alice", Role: domain.RoleApplicant}
	bob   = &domain.Principal{Subject: "bcsc-bob", Role: domain.RoleApplicant}
	carol = &domain.Principal{Subject: "bcsc-carol", Role: domain.RoleApplicant}
	helen = &domain.Principal{Subject: "idir-helen", Role: domain.RoleTeam}
)

// caller is one column of the matrix.
type caller struct {
	name string
	p    *domain.Principal
}

var callers = []caller{
	{"anonymous", nil},
	{"applicant self", alice},
	{"another applicant", bob},
	{"site administrator", carol},
	{"team", helen},
}

// ok is the "allowed" outcome in the matrix, for readability.
const ok = ""

// want is the expected error code per caller, in the order of callers.
type want [5]string

func TestAuthorizeMatrix(t *testing.T) {
	aliceOwns := authz.Resource{Owner: alice.Subject}
	carolAdmins := authz.Resource{Admins: []string{carol.Subject}}
	selfOnly := want{domain.EUNAUTHORIZED, ok, domain.ENOTFOUND, domain.ENOTFOUND, domain.EFORBIDDEN}
	// Without an owner the resource is the caller's own (how the API asks).
	ownImplicit := want{domain.EUNAUTHORIZED, ok, ok, ok, domain.EFORBIDDEN}
	teamOnly := want{domain.EUNAUTHORIZED, domain.EFORBIDDEN, domain.EFORBIDDEN, domain.EFORBIDDEN, ok}

	tests := []struct {
		action authz.Action
		res    authz.Resource
		want   want
	}{
		{authz.ReadOwnStatus, aliceOwns, selfOnly},
		{authz.ReadOwnStatus, authz.Resource{}, ownImplicit},
		{authz.RegisterAccount, aliceOwns, selfOnly},
		{authz.RegisterAccount, authz.Resource{}, ownImplicit},
		{authz.ReadOwnAccount, aliceOwns, selfOnly},
		{authz.ReadOwnAccount, authz.Resource{}, ownImplicit},
		{authz.UpdateOwnAccount, aliceOwns, selfOnly},
		{authz.UpdateOwnAccount, authz.Resource{}, ownImplicit},
		{authz.ResetOwnPassword, aliceOwns, selfOnly},
		{authz.ResetOwnPassword, authz.Resource{}, ownImplicit},
		// A confirmation link names its account: another applicant is told it is not theirs.
		{authz.ConfirmOwnEmail, aliceOwns, want{domain.EUNAUTHORIZED, ok, domain.EFORBIDDEN, domain.EFORBIDDEN, domain.EFORBIDDEN}},
		{authz.ConfirmOwnEmail, authz.Resource{}, ownImplicit},
		// Any applicant with an account may register a worksite; the team may not.
		{authz.RegisterWorksite, authz.Resource{HasAccount: true}, ownImplicit},
		// Without an account the applicant is told what to do first.
		{authz.RegisterWorksite, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.EUNPROCESSABLE, domain.EUNPROCESSABLE,
			domain.EUNPROCESSABLE, domain.EFORBIDDEN}},
		// Someone else's account is not theirs to use, account or not.
		{authz.RegisterWorksite, authz.Resource{Owner: alice.Subject, HasAccount: true}, selfOnly},
		// Only the worksite's administrators and the team read it; others learn nothing.
		{authz.ReadWorksite, carolAdmins, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, ok, ok}},
		{authz.ReadWorksite, authz.Resource{Admins: []string{alice.Subject, carol.Subject}}, want{domain.EUNAUTHORIZED, ok,
			domain.ENOTFOUND, ok, ok}},
		// A worksite with no administrators is the team's alone.
		{authz.ReadWorksite, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, domain.ENOTFOUND, ok}},
		// A team member listed as an administrator is still judged by role, not by subject.
		{authz.ReadWorksite, authz.Resource{Admins: []string{helen.Subject}}, want{domain.EUNAUTHORIZED, domain.ENOTFOUND,
			domain.ENOTFOUND, domain.ENOTFOUND, ok}},
		// Members are read, and the worksite closed, by its administrators and the team.
		{authz.ReadMembers, carolAdmins, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, ok, ok}},
		{authz.ReadMembers, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, domain.ENOTFOUND, ok}},
		{authz.CloseWorksite, carolAdmins, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, ok, ok}},
		// Managing a worksite is its administrators' alone: the team is told so, others learn nothing.
		{authz.ManageWorksite, carolAdmins, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND, ok, domain.EFORBIDDEN}},
		{authz.ManageWorksite, authz.Resource{Admins: []string{helen.Subject}}, want{domain.EUNAUTHORIZED, domain.ENOTFOUND,
			domain.ENOTFOUND, domain.ENOTFOUND, domain.EFORBIDDEN}},
		// Search is open to every signed-in caller, account or not, team included.
		{authz.SearchWorksites, authz.Resource{}, want{domain.EUNAUTHORIZED, ok, ok, ok, ok}},
		// Joining and accepting an invitation need an account, like registering a worksite.
		{authz.RequestJoin, authz.Resource{HasAccount: true}, ownImplicit},
		{authz.RequestJoin, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.EUNPROCESSABLE, domain.EUNPROCESSABLE,
			domain.EUNPROCESSABLE, domain.EFORBIDDEN}},
		{authz.AcceptInvitation, authz.Resource{HasAccount: true}, ownImplicit},
		{authz.AcceptInvitation, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.EUNPROCESSABLE, domain.EUNPROCESSABLE,
			domain.EUNPROCESSABLE, domain.EFORBIDDEN}},
		{authz.ReadOwnWorksites, aliceOwns, selfOnly},
		{authz.ReadOwnWorksites, authz.Resource{}, ownImplicit},
		{authz.TeamClassifyWorksite, carolAdmins, teamOnly},
		{authz.TeamSuspendWorksite, carolAdmins, teamOnly},
		{authz.TeamListWorksites, authz.Resource{}, teamOnly},
		{authz.TeamReadWorksite, carolAdmins, teamOnly},
		{authz.TeamDecideWorksite, carolAdmins, teamOnly},
		{authz.TeamReadPerson, aliceOwns, teamOnly},
		{authz.TeamChangeProfession, aliceOwns, teamOnly},
		{authz.TeamSuspendPerson, aliceOwns, teamOnly},
		{authz.TeamRevokeSessions, aliceOwns, teamOnly},
		{authz.TeamReadReference, authz.Resource{}, teamOnly},
		{authz.TeamUseCodec, authz.Resource{}, teamOnly},
		// Applying for access needs an account, like joining a worksite.
		{authz.SubmitApplication, authz.Resource{HasAccount: true}, ownImplicit},
		{authz.SubmitApplication, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.EUNPROCESSABLE, domain.EUNPROCESSABLE,
			domain.EUNPROCESSABLE, domain.EFORBIDDEN}},
		{authz.SubmitApplication, authz.Resource{Owner: alice.Subject, HasAccount: true}, selfOnly},
		// The application queue and its decisions are the team's alone, whoever applied.
		{authz.TeamListApplications, authz.Resource{}, teamOnly},
		{authz.TeamDecideApplication, aliceOwns, teamOnly},
		{authz.TeamDecideApplication, authz.Resource{}, teamOnly},
		// Only a listed sponsor (an authorizer provisioned at the worksite) may
		// approve a sponsorship; other applicants and the team are refused.
		{authz.ApproveSponsorship, authz.Resource{Sponsors: []string{carol.Subject}}, want{domain.EUNAUTHORIZED,
			domain.EFORBIDDEN, domain.EFORBIDDEN, ok, domain.EFORBIDDEN}},
		{authz.ApproveSponsorship, authz.Resource{Sponsors: []string{alice.Subject, carol.Subject}}, want{domain.EUNAUTHORIZED,
			ok, domain.EFORBIDDEN, ok, domain.EFORBIDDEN}},
		// Nobody may sponsor at a worksite without sponsors, the team included.
		{authz.ApproveSponsorship, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.EFORBIDDEN, domain.EFORBIDDEN,
			domain.EFORBIDDEN, domain.EFORBIDDEN}},
		// A worksite's authorizers and the team read its sponsorship requests; others learn nothing.
		{authz.ReadSponsorshipRequests, authz.Resource{Sponsors: []string{carol.Subject}}, want{domain.EUNAUTHORIZED,
			domain.ENOTFOUND, domain.ENOTFOUND, ok, ok}},
		{authz.ReadSponsorshipRequests, authz.Resource{}, want{domain.EUNAUTHORIZED, domain.ENOTFOUND, domain.ENOTFOUND,
			domain.ENOTFOUND, ok}},
		// A team member listed as a sponsor is still judged by role, not by subject.
		{authz.ApproveSponsorship, authz.Resource{Sponsors: []string{helen.Subject}}, want{domain.EUNAUTHORIZED,
			domain.EFORBIDDEN, domain.EFORBIDDEN, domain.EFORBIDDEN, domain.EFORBIDDEN}},
	}

	covered := map[authz.Action]bool{}
	for _, tt := range tests {
		covered[tt.action] = true
		for i, c := range callers {
			t.Run(fmt.Sprintf("%s/%+v/%s", tt.action, tt.res, c.name), func(t *testing.T) {
				err := authz.Authorize(c.p, tt.action, tt.res)
				if got := domain.ErrorCode(err); got != tt.want[i] {
					t.Errorf("Authorize(%s, %s, %+v) = %v (code %q); want code %q", c.name, tt.action, tt.res, err, got, tt.want[i])
				}
				// A refusal is always a *domain.Error whose message can be shown.
				if err != nil && domain.ErrorMessage(err) == "internal error" {
					t.Errorf("refusal %v has no caller-safe message", err)
				}
			})
		}
	}
	// A new action without a row in this table fails here.
	for _, a := range authz.Actions() {
		if !covered[a] {
			t.Errorf("action %q has no row in the matrix", a)
		}
	}
}

func TestActionsListsEveryRuleOnce(t *testing.T) {
	acts := authz.Actions()
	want := []authz.Action{authz.ReadOwnStatus, authz.RegisterAccount, authz.ReadOwnAccount, authz.UpdateOwnAccount,
		authz.ResetOwnPassword, authz.ConfirmOwnEmail, authz.RegisterWorksite, authz.ReadWorksite, authz.ReadMembers, authz.CloseWorksite,
		authz.ManageWorksite, authz.SearchWorksites, authz.RequestJoin, authz.AcceptInvitation, authz.ReadOwnWorksites,
		authz.TeamListWorksites, authz.TeamReadWorksite, authz.TeamDecideWorksite, authz.TeamReadPerson,
		authz.TeamChangeProfession, authz.TeamSuspendPerson, authz.TeamRevokeSessions, authz.TeamClassifyWorksite, authz.TeamSuspendWorksite,
		authz.SubmitApplication, authz.TeamListApplications, authz.TeamDecideApplication, authz.ApproveSponsorship, authz.ReadSponsorshipRequests,
		authz.TeamReadReference, authz.TeamUseCodec}
	seen := map[authz.Action]int{}
	for i, a := range acts {
		seen[a]++
		if i > 0 && acts[i-1] >= a {
			t.Errorf("Actions() = %v; want sorted, unique", acts)
		}
	}
	for _, a := range want {
		if seen[a] != 1 {
			t.Errorf("Actions() lists %q %d times; want once", a, seen[a])
		}
	}
	if len(acts) != len(want) {
		t.Errorf("Actions() has %d actions; want %d", len(acts), len(want))
	}
}

func TestAuthorizeUnknownAction(t *testing.T) {
	// An action without a rule is a bug, never a silent allow, whoever asks.
	for _, c := range callers {
		if got := domain.ErrorCode(authz.Authorize(c.p, "team.everything", authz.Resource{})); got != domain.EINTERNAL {
			t.Errorf("%s: unknown action code = %q; want %q", c.name, got, domain.EINTERNAL)
		}
	}
}

func TestAuthorizeUnknownRole(t *testing.T) {
	// A principal with no known role (a mis-mapped token) is allowed nothing
	// beyond what any signed-in caller may do.
	anySignedIn := map[authz.Action]bool{authz.SearchWorksites: true}
	res := authz.Resource{Owner: alice.Subject, HasAccount: true, Admins: []string{alice.Subject}}
	for _, role := range []domain.Role{"superuser", ""} {
		p := &domain.Principal{Subject: alice.Subject, Role: role}
		for _, a := range authz.Actions() {
			if err := authz.Authorize(p, a, res); (err == nil) != anySignedIn[a] {
				t.Errorf("Authorize(role %q, %s) = %v; want allowed %v", role, a, err, anySignedIn[a])
			}
		}
	}
}
