// Package authz is the one place that decides who may do what. Every API
// handler names an Action and the Resource it touches and calls Authorize;
// the rules are the table below, so the whole policy reads in one screen.
package authz

import (
	"slices"

	"careconnect/domain"
)

// Action is something a caller wants to do.
type Action string

// Actions, by who may take them.
const (
	// An applicant on their own person and account.
	ReadOwnStatus    Action = "self.status.read"
	RegisterAccount  Action = "self.account.register"
	ReadOwnAccount   Action = "self.account.read"
	UpdateOwnAccount Action = "self.account.update"
	ResetOwnPassword Action = "self.password.reset"
	// ConfirmOwnEmail uses an emailed confirmation link: the link proves
	// the mailbox, and only the account's owner (Resource.Owner, named by
	// the link), signed in, may use it for their account.
	ConfirmOwnEmail Action = "self.email.confirm"
	// An applicant with an account registers a worksite and becomes its administrator.
	RegisterWorksite Action = "worksite.register"
	// A site administrator of the worksite, or the enrolment team.
	ReadWorksite  Action = "worksite.read"
	ReadMembers   Action = "worksite.members.read"
	CloseWorksite Action = "worksite.close"
	// A site administrator of the worksite only.
	ManageWorksite Action = "worksite.manage"
	// Anyone signed in (applicants find worksites to join; the team looks them up).
	SearchWorksites Action = "worksite.search"
	// Applicants with an account.
	RequestJoin       Action = "worksite.join"
	AcceptInvitation  Action = "invitation.accept"
	SubmitApplication Action = "self.application.submit"
	// An authorizer who is an active member of the worksite and provisioned there.
	ApproveSponsorship Action = "sponsorship.approve"
	// ReadSponsorshipRequests lists a worksite's sponsorship requests: its
	// active authorizer members (Resource.Sponsors) and the team.
	ReadSponsorshipRequests Action = "sponsorship.requests.read"
	ReadOwnWorksites        Action = "self.worksites.read"
	// The enrolment team only.
	TeamListWorksites    Action = "team.worksites.list"
	TeamReadWorksite     Action = "team.worksite.read"
	TeamDecideWorksite   Action = "team.worksite.decide"
	TeamReadPerson       Action = "team.person.read"
	TeamChangeProfession Action = "team.person.profession"
	TeamSuspendPerson    Action = "team.person.suspend"
	// TeamRevokeSessions ends every signed-in session of a person (or team member).
	TeamRevokeSessions    Action = "team.person.sessions.revoke"
	TeamClassifyWorksite  Action = "team.worksite.classify"
	TeamSuspendWorksite   Action = "team.worksite.suspend"
	TeamListApplications  Action = "team.applications.list"
	TeamDecideApplication Action = "team.application.decide"
	// TeamReadReference reads what only the team's console needs (the Temporal Web UI's address).
	TeamReadReference Action = "team.reference.read"
	// TeamUseCodec decrypts and encrypts workflow payloads for the Temporal
	// Web UI (/codec/*): what it shows holds every enrolment's personal information.
	TeamUseCodec Action = "team.codec.use"
)

// Resource describes what an action touches. Zero fields mean "not about that".
type Resource struct {
	// Owner is the subject of the person the resource belongs to.
	Owner string
	// HasAccount is whether the caller has an HxBC account (RegisterWorksite).
	HasAccount bool
	// Admins are the subjects administering the worksite.
	Admins []string
	// Sponsors are the subjects who may sponsor at the worksite: active
	// authorizer members provisioned there.
	Sponsors []string
}

type rule func(p domain.Principal, r Resource) error

var (
	errTeamOnly  = domain.Errorf(domain.EFORBIDDEN, "this is for the CareConnect enrolment team only")
	errApplicant = domain.Errorf(domain.EFORBIDDEN, "this is for applicants signed in with the BC Services Card")
	// errNotYours hides whether someone else's record exists.
	errNotYours = domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
)

func team(p domain.Principal, _ Resource) error {
	if p.Role != domain.RoleTeam {
		return errTeamOnly
	}
	return nil
}

func self(p domain.Principal, r Resource) error {
	if p.Role != domain.RoleApplicant {
		return errApplicant
	}
	if r.Owner != "" && r.Owner != p.Subject {
		return errNotYours
	}
	return nil
}

func withAccount(p domain.Principal, r Resource) error {
	if err := self(p, r); err != nil {
		return err
	}
	if !r.HasAccount {
		return domain.Errorf(domain.EUNPROCESSABLE, "register your HxBC account first")
	}
	return nil
}

func admin(p domain.Principal, r Resource) error {
	if p.Role == domain.RoleApplicant && slices.Contains(r.Admins, p.Subject) {
		return nil
	}
	if p.Role == domain.RoleTeam {
		return domain.Errorf(domain.EFORBIDDEN, "only the worksite's site administrators do this")
	}
	return errNotYours
}

func signedIn(p domain.Principal, _ Resource) error { return nil }

// emailOwner lets an applicant use a confirmation link of their own
// account. Someone else's link is refused in words (not hidden as a
// missing record): the holder received it, and must learn that it
// confirms another account, which they should not do.
func emailOwner(p domain.Principal, r Resource) error {
	if p.Role != domain.RoleApplicant {
		return errApplicant
	}
	if r.Owner != "" && r.Owner != p.Subject {
		return domain.Errorf(domain.EFORBIDDEN, "this link confirms the email address of another HxBC account; "+
			"only that account's owner, signed in, can use it (if you did not register that account, ignore the email)")
	}
	return nil
}

func sponsor(p domain.Principal, r Resource) error {
	if p.Role != domain.RoleApplicant {
		return errApplicant
	}
	if !slices.Contains(r.Sponsors, p.Subject) {
		return domain.Errorf(domain.EFORBIDDEN, "only an authorizer who is an active member of this worksite and provisioned there can sponsor")
	}
	return nil
}

func authorizerOrTeam(p domain.Principal, r Resource) error {
	if p.Role == domain.RoleTeam || (p.Role == domain.RoleApplicant && slices.Contains(r.Sponsors, p.Subject)) {
		return nil
	}
	return errNotYours
}

func adminOrTeam(p domain.Principal, r Resource) error {
	if p.Role == domain.RoleTeam || (p.Role == domain.RoleApplicant && slices.Contains(r.Admins, p.Subject)) {
		return nil
	}
	return errNotYours
}

// policy is the whole authorization policy.
var policy = map[Action]rule{
	ReadOwnStatus:           self,
	RegisterAccount:         self,
	ReadOwnAccount:          self,
	UpdateOwnAccount:        self,
	ResetOwnPassword:        self,
	ConfirmOwnEmail:         emailOwner,
	RegisterWorksite:        withAccount,
	ReadWorksite:            adminOrTeam,
	ReadMembers:             adminOrTeam,
	CloseWorksite:           adminOrTeam,
	ManageWorksite:          admin,
	SearchWorksites:         signedIn,
	RequestJoin:             withAccount,
	AcceptInvitation:        withAccount,
	SubmitApplication:       withAccount,
	ApproveSponsorship:      sponsor,
	ReadSponsorshipRequests: authorizerOrTeam,
	TeamListApplications:    team,
	TeamDecideApplication:   team,
	ReadOwnWorksites:        self,
	TeamClassifyWorksite:    team,
	TeamSuspendWorksite:     team,
	TeamListWorksites:       team,
	TeamReadWorksite:        team,
	TeamDecideWorksite:      team,
	TeamReadPerson:          team,
	TeamChangeProfession:    team,
	TeamSuspendPerson:       team,
	TeamRevokeSessions:      team,
	TeamReadReference:       team,
	TeamUseCodec:            team,
}

// Authorize says whether p may take action a on r. A nil principal is
// anonymous. Errors: EUNAUTHORIZED (sign in), EFORBIDDEN (wrong role),
// ENOTFOUND (someone else's record), EUNPROCESSABLE (a prerequisite is missing).
func Authorize(p *domain.Principal, a Action, r Resource) error {
	rule, ok := policy[a]
	if !ok {
		return domain.Errorf(domain.EINTERNAL, "authz: no rule for action %q", a)
	}
	if p == nil {
		return domain.Errorf(domain.EUNAUTHORIZED, "sign in first")
	}
	return rule(*p, r)
}

// Actions lists every action with a rule, for tests that cover them all.
func Actions() []Action {
	out := make([]Action, 0, len(policy))
	for a := range policy {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
