package enrolment

import (
	"context"
	"errors"
	"strings"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/workflows"
)

// worksiteFor loads worksite id and authorizes action a on it against its
// active administrators as the workflow knows them (the source of truth,
// so a promotion a moment ago counts; the projection when the workflow
// cannot answer). Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN.
func (s *Service) worksiteFor(ctx context.Context, by Caller, id string, a authz.Action) (domain.Worksite, error) {
	if err := signedIn(by); err != nil {
		return domain.Worksite{}, err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return w, err
	}
	var admins []string
	if m, qerr := s.liveMembership(ctx, w.ID); qerr == nil {
		admins = m.ActiveAdmins()
	} else if admins, err = s.store.WorksiteAdmins(ctx, w.ID); err != nil {
		return w, err
	}
	return w, authorize(by, a, authz.Resource{Admins: admins})
}

// liveMembership asks the worksite workflow for its membership.
func (s *Service) liveMembership(ctx context.Context, id string) (domain.Membership, error) {
	var m domain.Membership
	err := s.wf.Query(ctx, workflows.WorksiteWorkflowID(id), workflows.QueryMembership, &m)
	return m, err
}

// membership is a worksite's membership from its workflow, or from the
// projection when the workflow does not answer.
func (s *Service) membership(ctx context.Context, id string) (domain.Membership, error) {
	m, err := s.liveMembership(ctx, id)
	if err != nil {
		m, err = s.store.GetMembership(ctx, id)
	}
	return m, err
}

// account is the caller's account, or the refusal authz gives without one.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) account(ctx context.Context, by Caller, a authz.Action) (domain.Account, error) {
	if err := authorize(by, a, authz.Resource{HasAccount: true}); err != nil {
		return domain.Account{}, err
	}
	acct, err := s.store.GetAccount(ctx, by.Principal.Subject)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		err = authorize(by, a, authz.Resource{HasAccount: false})
	}
	return acct, err
}

// asMember describes an account as a worksite member.
func (s *Service) asMember(a domain.Account) domain.Member {
	return domain.Member{Subject: a.Subject, Name: a.DisplayName(), Email: a.Email, Profession: a.Profession,
		UserType: s.professions[a.Profession].Type}
}

// callerName is the acting person's name and email, from their account
// when they have one, else from their token.
func (s *Service) callerName(ctx context.Context, p *domain.Principal) (string, string) {
	if acct, err := s.store.GetAccount(ctx, p.Subject); err == nil {
		return acct.DisplayName(), acct.Email
	}
	return strings.TrimSpace(p.GivenName + " " + p.FamilyName), p.Email
}

// JoinRequestInput is what a person asking to join writes to the
// worksite's administrators.
type JoinRequestInput struct {
	Comment string `json:"comment"`
}

// JoinRequested names a join request sent.
type JoinRequested struct {
	ID, WorksiteID string
}

// RequestJoin asks to join worksite id, with a comment for its
// administrators (a JoinRequestInput). Errors: EUNAUTHORIZED, EFORBIDDEN
// (no account), EINVALID, ENOTFOUND, ECONFLICT (a member or asked already).
func (s *Service) RequestJoin(ctx context.Context, by Caller, id string, in Input) (JoinRequested, error) {
	acct, err := s.account(ctx, by, authz.RequestJoin)
	if err != nil {
		return JoinRequested{}, err
	}
	var req JoinRequestInput
	if err := in(&req); err != nil {
		return JoinRequested{}, err
	}
	w, err := s.lookupWorksite(ctx, id)
	if err != nil {
		return JoinRequested{}, err
	}
	var m domain.Membership
	jrID := "jr-" + newID()
	if err := s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateRequestJoin, workflows.JoinRequestArgs{ID: jrID, Requester: s.asMember(acct),
		Comment: strings.TrimSpace(req.Comment), RequestID: by.RequestID, NotAfter: s.notAfter()}, &m); err != nil {
		return JoinRequested{}, err
	}
	return JoinRequested{ID: jrID, WorksiteID: w.ID}, nil
}

// Members is worksite id's membership: members, join requests and
// invitations, for its administrators and the team. Errors:
// EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN.
func (s *Service) Members(ctx context.Context, by Caller, id string) (domain.Membership, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ReadMembers)
	if err != nil {
		return domain.Membership{}, err
	}
	return s.membership(ctx, w.ID)
}

// MemberInput is the optional input of the member actions: a reason, and
// an end date where the action takes one.
type MemberInput struct {
	Reason string     `json:"reason"`
	EndsAt *time.Time `json:"endsAt"`
}

// readMemberInput reads and checks a MemberInput.
func readMemberInput(in Input) (MemberInput, error) {
	var b MemberInput
	if err := in(&b); err != nil {
		return b, err
	}
	b.Reason = strings.TrimSpace(b.Reason)
	return b, domain.LimitReason(b.Reason)
}

// DecideJoinRequest is an administrator's approval (approve) or rejection
// of join request rid in the portal; the input is a MemberInput (a reason
// is required to reject). Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN,
// EINVALID, the workflow's refusals.
func (s *Service) DecideJoinRequest(ctx context.Context, by Caller, id, rid string, approve bool, in Input) (domain.Membership, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ManageWorksite)
	if err != nil {
		return domain.Membership{}, err
	}
	b, err := readMemberInput(in)
	if err != nil {
		return domain.Membership{}, err
	}
	var m domain.Membership
	err = s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateDecideJoin, workflows.JoinDecision{JoinRequestID: rid, Approve: approve,
		Reason: b.Reason, Actor: by.Principal.Subject, EndsAt: b.EndsAt, RequestID: by.RequestID, NotAfter: s.notAfter()}, &m)
	return m, err
}

// MemberAction is what an administrator does to a member.
type MemberAction int

// The member actions.
const (
	Promote MemberAction = iota
	Demote
	Deactivate
	Reactivate
	SetEndDate
)

// memberUpdates are the member actions' workflow updates.
var memberUpdates = map[MemberAction]string{
	Promote:    workflows.UpdatePromote,
	Demote:     workflows.UpdateDemote,
	Deactivate: workflows.UpdateDeactivate,
	Reactivate: workflows.UpdateReactivate,
	SetEndDate: workflows.UpdateSetMemberEnd,
}

// ChangeMember applies action to member subject of worksite id; the input
// is a MemberInput (the end date for Reactivate and SetEndDate). The
// workflow keeps the invariants (one active administrator at least,
// nobody demotes or deactivates themselves). Errors: EUNAUTHORIZED,
// ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT, EUNPROCESSABLE.
func (s *Service) ChangeMember(ctx context.Context, by Caller, id, subject string, action MemberAction, in Input) (domain.Membership, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ManageWorksite)
	if err != nil {
		return domain.Membership{}, err
	}
	b, err := readMemberInput(in)
	if err != nil {
		return domain.Membership{}, err
	}
	var m domain.Membership
	err = s.worksiteUpdate(ctx, by, w.ID, memberUpdates[action], workflows.MemberChange{Actor: by.Principal.Subject, Target: subject,
		Reason: b.Reason, EndsAt: b.EndsAt, RequestID: by.RequestID, NotAfter: s.notAfter()}, &m)
	return m, err
}

// InviteInput is an invitation's address.
type InviteInput struct {
	Email string `json:"email"`
}

// Invite invites one email address (an InviteInput) to worksite id.
// Errors: EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN, EINVALID, ECONFLICT (a
// member, or invited already).
func (s *Service) Invite(ctx context.Context, by Caller, id string, in Input) (domain.Membership, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ManageWorksite)
	if err != nil {
		return domain.Membership{}, err
	}
	var req InviteInput
	if err := in(&req); err != nil {
		return domain.Membership{}, err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if !domain.ValidEmail(email) {
		return domain.Membership{}, (domain.FieldErrors{"email": "must be one email address, such as name@example.ca"}).Err()
	}
	p := by.Principal
	name, _ := s.callerName(ctx, p)
	var m domain.Membership
	err = s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateInvite, workflows.InviteArgs{ID: "inv-" + newID(), Email: email, Actor: p.Subject,
		ActorName: name, RequestID: by.RequestID, NotAfter: s.notAfter()}, &m)
	return m, err
}

// ResendInvitation sends invitation iid of worksite id again. Errors:
// EUNAUTHORIZED, ENOTFOUND, EFORBIDDEN.
func (s *Service) ResendInvitation(ctx context.Context, by Caller, id, iid string) (domain.Membership, error) {
	w, err := s.worksiteFor(ctx, by, id, authz.ManageWorksite)
	if err != nil {
		return domain.Membership{}, err
	}
	var m domain.Membership
	err = s.worksiteUpdate(ctx, by, w.ID, workflows.UpdateResendInvitation, workflows.InvitationRef{InvitationID: iid,
		Actor: by.Principal.Subject, RequestID: by.RequestID, NotAfter: s.notAfter()}, &m)
	return m, err
}

// linkParts is how many parts the subject of a link of each purpose has.
var linkParts = map[domain.LinkPurpose]int{
	domain.LinkJoinDecision: 3, // worksite ID, join request ID, administrator
	domain.LinkInvitation:   2, // worksite ID, invitation ID
}

// tokenParts verifies a signed link token of purpose and splits its
// subject. Errors: ENOTFOUND (not valid), EUNPROCESSABLE (expired).
func (s *Service) tokenParts(token string, purpose domain.LinkPurpose) ([]string, error) {
	n := linkParts[purpose]
	claims, err := s.links.Verify(token, purpose, s.now())
	switch {
	case errors.Is(err, links.ErrExpired):
		return nil, domain.Errorf(domain.EUNPROCESSABLE, "this link has expired")
	case err != nil:
		return nil, domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	parts := strings.SplitN(claims.Subject, "/", n)
	if len(parts) != n {
		return nil, domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	return parts, nil
}

// CheckLink verifies the token of an emailed join request or invitation
// link (purpose domain.LinkJoinDecision or domain.LinkInvitation) before
// its page is shown. Errors: ENOTFOUND (not valid), EUNPROCESSABLE (expired).
func (s *Service) CheckLink(token string, purpose domain.LinkPurpose) error {
	if linkParts[purpose] == 0 {
		return domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	_, err := s.tokenParts(token, purpose)
	return err
}

// AcceptInvitation accepts the invitation in token for the caller, whose
// confirmed account email must be the invited address: an unconfirmed
// address accepts nothing. It returns the worksite's ID. Errors:
// EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, EUNPROCESSABLE, ECONFLICT.
func (s *Service) AcceptInvitation(ctx context.Context, by Caller, token string) (string, error) {
	acct, err := s.account(ctx, by, authz.AcceptInvitation)
	if err != nil {
		return "", err
	}
	parts, err := s.tokenParts(token, domain.LinkInvitation)
	if err != nil {
		return "", err
	}
	var m domain.Membership
	if err := s.worksiteUpdate(ctx, by, parts[0], workflows.UpdateAcceptInvitation, workflows.AcceptInvitation{InvitationID: parts[1],
		Member: s.asMember(acct), AccountEmail: acct.ConfirmedEmail(), RequestID: by.RequestID, NotAfter: s.notAfter()}, &m); err != nil {
		return "", err
	}
	return parts[0], nil
}

// JoinLinkRequest is the join request an emailed link answers, at WorksiteID.
type JoinLinkRequest struct {
	WorksiteID string
	Request    domain.JoinRequest
}

// JoinLink returns the join request an emailed link answers; the token is
// the credential. Errors: ENOTFOUND (not valid, or answered already),
// EUNPROCESSABLE (expired).
func (s *Service) JoinLink(ctx context.Context, token string) (JoinLinkRequest, error) {
	parts, err := s.tokenParts(token, domain.LinkJoinDecision)
	if err != nil {
		return JoinLinkRequest{}, err
	}
	// The workflow first: the link's email goes out before the projection
	// that lists the request is written.
	m, err := s.membership(ctx, parts[0])
	if err != nil {
		return JoinLinkRequest{}, err
	}
	i, ok := m.Request(parts[1])
	if !ok {
		return JoinLinkRequest{}, domain.Errorf(domain.ENOTFOUND, "this join request was already answered")
	}
	return JoinLinkRequest{WorksiteID: parts[0], Request: m.Requests[i]}, nil
}

// JoinLinkAnswer is the input of an answer through a join request link.
type JoinLinkAnswer struct {
	Approve *bool      `json:"approve"`
	Reason  string     `json:"reason"`
	EndsAt  *time.Time `json:"endsAt"`
}

// AnswerJoinLink approves or rejects a join request through an emailed
// link (the input is a JoinLinkAnswer); the link names the administrator,
// who is the actor. It says whether the request was approved. Errors:
// ENOTFOUND, EUNPROCESSABLE, EINVALID, EFORBIDDEN (no longer an administrator).
func (s *Service) AnswerJoinLink(ctx context.Context, by Caller, token string, in Input) (bool, error) {
	parts, err := s.tokenParts(token, domain.LinkJoinDecision)
	if err != nil {
		return false, err
	}
	var req JoinLinkAnswer
	if err := in(&req); err != nil {
		return false, err
	}
	if req.Approve == nil {
		return false, (domain.FieldErrors{"approve": "is required: true to approve, false to reject"}).Err()
	}
	var m domain.Membership
	if err := s.worksiteUpdate(ctx, by, parts[0], workflows.UpdateDecideJoin, workflows.JoinDecision{JoinRequestID: parts[1],
		Approve: *req.Approve, Reason: strings.TrimSpace(req.Reason), Actor: parts[2], EndsAt: req.EndsAt,
		RequestID: by.RequestID, NotAfter: s.notAfter()}, &m); err != nil {
		return false, err
	}
	return *req.Approve, nil
}
