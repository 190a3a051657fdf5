package api

import (
	"context"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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
