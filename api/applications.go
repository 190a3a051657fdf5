package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/enrolment"
)

// submitApplication applies for CareConnect access at a worksite.
func (s *Server) submitApplication(c *gin.Context) {
	apps, err := s.app.SubmitApplication(c.Request.Context(), caller(c), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"applications": apps})
}

// myApplications lists the caller's applications with their outstanding requirements.
func (s *Server) myApplications(c *gin.Context) {
	apps, err := s.app.MyApplications(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"applications": nonNil(apps)})
}

// applicationQueue is the team's list of applications, by state (default:
// ready), with the worksites awaiting approval.
func (s *Server) applicationQueue(c *gin.Context) {
	q, err := s.app.ApplicationQueue(c.Request.Context(), caller(c), enrolment.QueueQuery{
		State: c.DefaultQuery("state", string(domain.AppReady)), Profession: c.Query("profession"),
		WorksiteType: c.Query("worksiteType"), Overdue: c.Query("overdue")})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body, err := queuePage(q.Applications, q.Worksites)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// sponsorshipRequests lists the sponsorship requests waiting at a worksite.
func (s *Server) sponsorshipRequests(c *gin.Context) {
	r, err := s.app.SponsorshipRequests(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]gin.H, 0, len(r.Requests))
	for _, x := range r.Requests {
		out = append(out, gin.H{"subject": x.Subject, "name": x.Name, "profession": x.Profession,
			"requestedAt": x.Application.SponsorshipRequestedAt, "needsResidencyDates": x.Profession == domain.ProfResident})
	}
	c.JSON(http.StatusOK, gin.H{"worksiteId": r.WorksiteID, "requests": out})
}

// decideApplication is the team's provision, reject or send back.
func (s *Server) decideApplication(d enrolment.ApplicationDecision) gin.HandlerFunc {
	return func(c *gin.Context) {
		apps, err := s.app.DecideApplication(c.Request.Context(), caller(c), c.Param("subject"), c.Param("worksite"), d, jsonInput(c))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"applications": apps})
	}
}

// requestSponsorship asks the worksite's authorizers to sponsor the
// caller's application (on-behalf-of users).
func (s *Server) requestSponsorship(c *gin.Context) {
	apps, err := s.app.RequestSponsorship(c.Request.Context(), caller(c), c.Param("worksite"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"applications": apps})
}

// approveSponsorship is an authorizer's approval of :subject's sponsorship at :id.
func (s *Server) approveSponsorship(c *gin.Context) {
	if err := s.app.ApproveSponsorship(c.Request.Context(), caller(c), c.Param("id"), c.Param("subject"), jsonInput(c)); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "sponsorship approved"})
}

// suspendPerson is the team's suspension (or reinstatement) of a person's
// CareConnect access at every worksite, with the reason.
func (s *Server) suspendPerson(suspend bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := s.app.SuspendPerson(c.Request.Context(), caller(c), c.Param("subject"), suspend, jsonInput(c))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": st})
	}
}
