package api

import (
	"context"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/workflows"
)

// What is left of the handlers' own plumbing while their use cases move
// to package enrolment; it goes once the last of them has moved.

func (s *Server) worksiteStatus(c *gin.Context, id string) (domain.WorksiteStatus, string, error) {
	ctx := c.Request.Context()
	var st domain.WorksiteStatus
	qctx, cancel := context.WithTimeout(ctx, statusQueryTimeout)
	defer cancel()
	v, err := s.temporal.QueryWorkflow(qctx, workflows.WorksiteWorkflowID(id), "", workflows.QueryStatus)
	if err == nil {
		if err = v.Get(&st); err == nil {
			return st, "workflow", nil
		}
	}
	s.log.Warn("worksite status query failed; using projection", "worksite", id, "error", err)
	st, err = s.store.GetWorksiteStatus(ctx, id)
	return st, "projection", err
}

const statusQueryTimeout = 5 * time.Second

func (s *Server) lookupWorksite(c *gin.Context) (domain.Worksite, error) {
	id, err := worksiteParam(c)
	if err != nil {
		return domain.Worksite{}, err
	}
	w, err := s.store.GetWorksite(c.Request.Context(), id)
	return w, notFoundOrNotYours(err)
}

func worksiteParam(c *gin.Context) (string, error) {
	id := strings.ToUpper(c.Param("id"))
	if !domain.ValidWorksiteID(id) {
		return "", domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
	}
	return id, nil
}

func notFoundOrNotYours(err error) error {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.Errorf(domain.ENOTFOUND, domain.NotFoundOrNotYours)
	}
	return err
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

// caller is the acting person's name and email, from their account when
// they have one, else from their token.
func (s *Server) callerName(c *gin.Context, p *domain.Principal) (string, string) {
	if acct, err := s.store.GetAccount(c.Request.Context(), p.Subject); err == nil {
		return acct.DisplayName(), acct.Email
	}
	return strings.TrimSpace(p.GivenName + " " + p.FamilyName), p.Email
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
