package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/enrolment"
)

// requestJoin asks to join a worksite, with a comment for its administrators.
func (s *Server) requestJoin(c *gin.Context) {
	jr, err := s.app.RequestJoin(c.Request.Context(), caller(c), c.Param("id"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"joinRequestId": jr.ID, "worksiteId": jr.WorksiteID,
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

// members lists a worksite's members, join requests and invitations.
func (s *Server) members(c *gin.Context) {
	s.answerMembers(c, http.StatusOK)(s.app.Members(c.Request.Context(), caller(c), c.Param("id")))
}

// answerMembers answers with the members view of a membership, or the error.
func (s *Server) answerMembers(c *gin.Context, status int) func(domain.Membership, error) {
	return func(m domain.Membership, err error) {
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(status, membersView(m))
	}
}

// decideJoinRequest approves or rejects a join request in the portal.
func (s *Server) decideJoinRequest(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.answerMembers(c, http.StatusOK)(s.app.DecideJoinRequest(c.Request.Context(), caller(c), c.Param("id"), c.Param("rid"),
			approve, optionalJSONInput(c)))
	}
}

// memberAction promotes, demotes, deactivates, reactivates or sets the end date of :subject.
func (s *Server) memberAction(action enrolment.MemberAction) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.answerMembers(c, http.StatusOK)(s.app.ChangeMember(c.Request.Context(), caller(c), c.Param("id"), c.Param("subject"),
			action, optionalJSONInput(c)))
	}
}

// invite invites one email address to a worksite.
func (s *Server) invite(c *gin.Context) {
	s.answerMembers(c, http.StatusCreated)(s.app.Invite(c.Request.Context(), caller(c), c.Param("id"), jsonInput(c)))
}

func (s *Server) resendInvitation(c *gin.Context) {
	s.answerMembers(c, http.StatusOK)(s.app.ResendInvitation(c.Request.Context(), caller(c), c.Param("id"), c.Param("iid")))
}

// acceptInvitation accepts the invitation in the token for the caller.
func (s *Server) acceptInvitation(c *gin.Context) {
	id, err := s.app.AcceptInvitation(c.Request.Context(), caller(c), c.Param("token"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksiteId": id, "message": "you are now a member of this worksite"})
}

// joinLink shows the join request an emailed link answers.
func (s *Server) joinLink(c *gin.Context) {
	r, err := s.app.JoinLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	jr := r.Request
	c.JSON(http.StatusOK, gin.H{"worksiteId": r.WorksiteID, "joinRequest": gin.H{"id": jr.ID, "name": jr.Name,
		"profession": jr.Profession, "comment": jr.Comment, "requestedAt": jr.RequestedAt}})
}

// answerJoinLink approves or rejects through an emailed link; the link names
// the administrator, who is the actor.
func (s *Server) answerJoinLink(c *gin.Context) {
	approved, err := s.app.AnswerJoinLink(c.Request.Context(), caller(c), c.Param("token"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// Only an acknowledgement: whoever holds the link learns nothing of the
	// worksite's members from it.
	ack := joinLinkAnswered{Status: "rejected", Message: "Rejected. The person has been told why."}
	if approved {
		ack = joinLinkAnswered{Status: "approved", Message: "Approved. The person is now a member of the worksite and has been told."}
	}
	c.JSON(http.StatusOK, ack)
}

// joinLinkAnswered acknowledges an answer given through a join request link.
type joinLinkAnswered struct {
	Status  string `json:"status"` // approved or rejected
	Message string `json:"message"`
}

// myPending lists the invitations to the caller's address and the join
// requests they sent that still wait.
func (s *Server) myPending(c *gin.Context) {
	p, err := s.app.MyPending(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"invitations": p.Invitations, "joinRequests": p.JoinRequests, "emailConfirmed": p.EmailConfirmed})
}

// acceptMyInvitation accepts one of the caller's invitations from the portal.
func (s *Server) acceptMyInvitation(c *gin.Context) {
	id, err := s.app.AcceptMyInvitation(c.Request.Context(), caller(c), c.Param("id"), c.Param("iid"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksiteId": id, "message": "you are now a member of this worksite"})
}

// attention lists the requests waiting on the caller as a site
// administrator or an authorizer.
func (s *Server) attention(c *gin.Context) {
	items, err := s.app.Attention(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}
