package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/workflows"
)

// worksiteUpdate runs a worksite workflow update and decodes its result into
// out; the update ID is scoped by caller and request. A finished workflow
// (closed, lapsed, rejected) takes no updates: the caller hears why, not
// "not found" — closed, when given, judges the request against the final
// status (e.g. "already decided", 409); otherwise the answer is 422.
func (s *Server) worksiteUpdate(c *gin.Context, worksiteID, name string, arg, out any, closed ...func(domain.WorksiteStatus) error) error {
	h, err := s.temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		UpdateID: updateID(c, name), WorkflowID: workflows.WorksiteWorkflowID(worksiteID), UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(c.Request.Context(), out)
	}
	if err == nil {
		return nil
	}
	var gone *serviceerror.NotFound
	if !errors.As(err, &gone) {
		return fromTemporal(err) // includes a validator's own "not found"
	}
	final, _, serr := s.worksiteStatus(c, worksiteID)
	if serr != nil {
		return serr
	}
	for _, judge := range closed {
		if cerr := judge(final); cerr != nil {
			return cerr
		}
	}
	return domain.Errorf(domain.EUNPROCESSABLE, "this worksite is %s; it can no longer change", final.State)
}

// worksiteFor loads the :id worksite and authorizes action a on it against
// its active administrators as the workflow knows them (the source of
// truth, so a promotion a moment ago counts; the projection when Temporal
// cannot answer), writing the error and returning false on failure.
func (s *Server) worksiteFor(c *gin.Context, a authz.Action) (domain.Worksite, bool) {
	if principal(c) == nil {
		writeError(c, s.log, domain.Errorf(domain.EUNAUTHORIZED, "sign in first"))
		return domain.Worksite{}, false
	}
	w, err := s.lookupWorksite(c)
	if err != nil {
		writeError(c, s.log, err)
		return w, false
	}
	var admins []string
	if m, qerr := s.liveMembership(c, w.ID); qerr == nil {
		admins = m.ActiveAdmins()
	} else if admins, err = s.store.WorksiteAdmins(c.Request.Context(), w.ID); err != nil {
		writeError(c, s.log, err)
		return w, false
	}
	return w, s.authorize(c, a, authz.Resource{Admins: admins})
}

// liveMembership queries the worksite workflow for its membership.
func (s *Server) liveMembership(c *gin.Context, id string) (domain.Membership, error) {
	var m domain.Membership
	v, err := s.temporal.QueryWorkflow(c.Request.Context(), workflows.WorksiteWorkflowID(id), "", workflows.QueryMembership)
	if err == nil {
		err = v.Get(&m)
	}
	return m, err
}

// account is the caller's account, or the error authz gives without one.
func (s *Server) account(c *gin.Context, a authz.Action) (domain.Account, bool) {
	p := principal(c)
	if !s.authorize(c, a, authz.Resource{HasAccount: true}) {
		return domain.Account{}, false
	}
	acct, err := s.store.GetAccount(c.Request.Context(), p.Subject)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		err = authz.Authorize(p, a, authz.Resource{HasAccount: false})
	}
	if err != nil {
		writeError(c, s.log, err)
		return acct, false
	}
	return acct, true
}

// asMember describes an account as a worksite member.
func (s *Server) asMember(a domain.Account) domain.Member {
	return domain.Member{Subject: a.Subject, Name: a.DisplayName(), Email: a.Email, Profession: a.Profession,
		UserType: s.professions[a.Profession].Type}
}

// requestJoin asks to join the :id worksite, with a comment for its administrators.
func (s *Server) requestJoin(c *gin.Context) {
	acct, ok := s.account(c, authz.RequestJoin)
	if !ok {
		return
	}
	var req struct {
		Comment string `json:"comment"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	w, err := s.lookupWorksite(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var m domain.Membership
	jrID := "jr-" + newID()
	if err := s.worksiteUpdate(c, w.ID, workflows.UpdateRequestJoin, workflows.JoinRequestArgs{ID: jrID, Requester: s.asMember(acct),
		Comment: strings.TrimSpace(req.Comment), RequestID: requestID(c)}, &m); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"joinRequestId": jrID, "worksiteId": w.ID,
		"message": "your request was sent to the worksite's administrators"})
}

// membersView is what administrators and the team see of a membership.
func membersView(m domain.Membership) gin.H {
	return gin.H{"members": m.Grouped(), "joinRequests": nonNil(m.Requests), "invitations": nonNil(m.Invitations)}
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// members lists the :id worksite's members, join requests and invitations.
func (s *Server) members(c *gin.Context) {
	w, ok := s.worksiteFor(c, authz.ReadMembers)
	if !ok {
		return
	}
	m, err := s.liveMembership(c, w.ID)
	if err != nil {
		if m, err = s.store.GetMembership(c.Request.Context(), w.ID); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	c.JSON(http.StatusOK, membersView(m))
}

// adminAction authorizes an administrator's action on the :id worksite and
// returns the worksite ID and the actor.
func (s *Server) adminAction(c *gin.Context) (string, *domain.Principal, bool) {
	w, ok := s.worksiteFor(c, authz.ManageWorksite)
	return w.ID, principal(c), ok
}

// memberBody is the optional body of member actions.
type memberBody struct {
	Reason string     `json:"reason"`
	EndsAt *time.Time `json:"endsAt"`
}

func (s *Server) readMemberBody(c *gin.Context) (memberBody, error) {
	var b memberBody
	if c.Request.ContentLength == 0 {
		return b, nil
	}
	if err := decodeJSON(c, &b); err != nil {
		return b, err
	}
	b.Reason = strings.TrimSpace(b.Reason)
	if len(b.Reason) > 1000 {
		return b, (domain.FieldErrors{"reason": "must be at most 1000 characters"}).Err()
	}
	return b, nil
}

// decideJoinRequest approves or rejects a join request in the portal.
func (s *Server) decideJoinRequest(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, p, ok := s.adminAction(c)
		if !ok {
			return
		}
		b, err := s.readMemberBody(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		s.membershipUpdate(c, id, workflows.UpdateDecideJoin, workflows.JoinDecision{JoinRequestID: c.Param("rid"), Approve: approve,
			Reason: b.Reason, Actor: p.Subject, EndsAt: b.EndsAt, RequestID: requestID(c)}, http.StatusOK)
	}
}

// membershipUpdate runs a membership update and answers with the members
// view it returns, or the error.
func (s *Server) membershipUpdate(c *gin.Context, worksiteID, name string, arg any, status int) {
	var m domain.Membership
	if err := s.worksiteUpdate(c, worksiteID, name, arg, &m); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(status, membersView(m))
}

// caller is the acting person's name and email, from their account when
// they have one, else from their token.
func (s *Server) caller(c *gin.Context, p *domain.Principal) (string, string) {
	if acct, err := s.store.GetAccount(c.Request.Context(), p.Subject); err == nil {
		return acct.DisplayName(), acct.Email
	}
	return strings.TrimSpace(p.GivenName + " " + p.FamilyName), p.Email
}

// memberAction applies promote, demote, deactivate or reactivate to :subject.
func (s *Server) memberAction(update string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, p, ok := s.adminAction(c)
		if !ok {
			return
		}
		b, err := s.readMemberBody(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		s.membershipUpdate(c, id, update, workflows.MemberChange{Actor: p.Subject, Target: c.Param("subject"),
			Reason: b.Reason, EndsAt: b.EndsAt, RequestID: requestID(c)}, http.StatusOK)
	}
}

// invite invites one email address to the :id worksite.
func (s *Server) invite(c *gin.Context) {
	id, p, ok := s.adminAction(c)
	if !ok {
		return
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if !domain.ValidEmail(email) {
		writeError(c, s.log, (domain.FieldErrors{"email": "must be one email address, such as name@example.ca"}).Err())
		return
	}
	name, _ := s.caller(c, p)
	s.membershipUpdate(c, id, workflows.UpdateInvite, workflows.InviteArgs{ID: "inv-" + newID(), Email: email, Actor: p.Subject,
		ActorName: name, RequestID: requestID(c)}, http.StatusCreated)
}

func (s *Server) resendInvitation(c *gin.Context) {
	id, p, ok := s.adminAction(c)
	if !ok {
		return
	}
	s.membershipUpdate(c, id, workflows.UpdateResendInvitation, workflows.InvitationRef{InvitationID: c.Param("iid"),
		Actor: p.Subject, RequestID: requestID(c)}, http.StatusOK)
}

// tokenParts verifies a signed link token of purpose and splits its subject.
func (s *Server) tokenParts(c *gin.Context, purpose links.Purpose, n int) ([]string, error) {
	claims, err := s.links.Verify(c.Param("token"), purpose, s.now())
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

// acceptInvitation accepts the invitation in the token for the caller,
// whose confirmed account email must be the invited address: an
// unconfirmed address accepts nothing.
func (s *Server) acceptInvitation(c *gin.Context) {
	acct, ok := s.account(c, authz.AcceptInvitation)
	if !ok {
		return
	}
	parts, err := s.tokenParts(c, links.PurposeInvitation, 2)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var m domain.Membership
	if err := s.worksiteUpdate(c, parts[0], workflows.UpdateAcceptInvitation, workflows.AcceptInvitation{InvitationID: parts[1],
		Member: s.asMember(acct), AccountEmail: acct.ConfirmedEmail(), RequestID: requestID(c)}, &m); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksiteId": parts[0], "message": "you are now a member of this worksite"})
}

// joinLink shows the join request an emailed link answers.
func (s *Server) joinLink(c *gin.Context) {
	parts, err := s.tokenParts(c, links.PurposeJoinDecision, 3)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// The workflow first: the link's email goes out before the projection
	// that lists the request is written.
	m, err := s.liveMembership(c, parts[0])
	if err != nil {
		m, err = s.store.GetMembership(c.Request.Context(), parts[0])
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	i, ok := m.Request(parts[1])
	if !ok {
		writeError(c, s.log, domain.Errorf(domain.ENOTFOUND, "this join request was already answered"))
		return
	}
	jr := m.Requests[i]
	c.JSON(http.StatusOK, gin.H{"worksiteId": parts[0], "joinRequest": gin.H{"id": jr.ID, "name": jr.Name,
		"profession": jr.Profession, "comment": jr.Comment, "requestedAt": jr.RequestedAt}})
}

// answerJoinLink approves or rejects through an emailed link; the link names
// the administrator, who is the actor.
func (s *Server) answerJoinLink(c *gin.Context) {
	parts, err := s.tokenParts(c, links.PurposeJoinDecision, 3)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var req struct {
		Approve *bool      `json:"approve"`
		Reason  string     `json:"reason"`
		EndsAt  *time.Time `json:"endsAt"`
	}
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, s.log, err)
		return
	}
	if req.Approve == nil {
		writeError(c, s.log, (domain.FieldErrors{"approve": "is required: true to approve, false to reject"}).Err())
		return
	}
	var m domain.Membership
	if err := s.worksiteUpdate(c, parts[0], workflows.UpdateDecideJoin, workflows.JoinDecision{JoinRequestID: parts[1],
		Approve: *req.Approve, Reason: strings.TrimSpace(req.Reason), Actor: parts[2], EndsAt: req.EndsAt,
		RequestID: requestID(c)}, &m); err != nil {
		writeError(c, s.log, err)
		return
	}
	// Only an acknowledgement: whoever holds the link learns nothing of the
	// worksite's members from it.
	ack := joinLinkAnswered{Status: "rejected", Message: "Rejected. The person has been told why."}
	if *req.Approve {
		ack = joinLinkAnswered{Status: "approved", Message: "Approved. The person is now a member of the worksite and has been told."}
	}
	c.JSON(http.StatusOK, ack)
}

// joinLinkAnswered acknowledges an answer given through a join request link.
type joinLinkAnswered struct {
	Status  string `json:"status"` // approved or rejected
	Message string `json:"message"`
}

// updateID makes a workflow update's ID from the request ID, scoped by the
// caller, so one caller's retry is applied once and two callers who send
// the same X-Request-ID never share a result.
func updateID(c *gin.Context, name string) string {
	who := "link"
	if p := principal(c); p != nil {
		who = p.Subject
	}
	return name + "/" + who + "/" + requestID(c)
}

// newID names a join request or invitation; it is the server's, not the caller's.
func newID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("api: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
