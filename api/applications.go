package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

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
// ready), with the worksites awaiting approval: one page by cursor with
// the total, or every matching application as CSV (format=csv).
func (s *Server) applicationQueue(c *gin.Context) {
	q := enrolment.QueueQuery{
		State: c.DefaultQuery("state", string(domain.AppReady)), Profession: c.Query("profession"),
		WorksiteType: c.Query("worksiteType"), Overdue: c.Query("overdue"), Cursor: c.Query("cursor"), Limit: c.Query("limit"),
		WorksitesCursor: c.Query("worksitesCursor"), WorksitesLimit: c.Query("worksitesLimit")}
	if c.Query("format") == "csv" {
		s.exportApplications(c, q)
		return
	}
	page, err := s.app.ApplicationQueue(c.Request.Context(), caller(c), q)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body, err := queuePage(page.Applications, page.Worksites, page.Total, page.NextCursor, page.WorksitesTotal, page.WorksitesNextCursor)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// queuedCSV is what the queue's CSV export reads of a stored application.
type queuedCSV struct {
	Worksite struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"worksite"`
	Escalated bool `json:"escalated"`
	Breached  bool `json:"breached"`
}

// exportApplications answers every application q's filters select as CSV.
func (s *Server) exportApplications(c *gin.Context, q enrolment.QueueQuery) {
	apps, err := s.app.ExportApplications(c.Request.Context(), caller(c), q)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	rows := make([][]string, 0, len(apps))
	for _, a := range apps {
		var x queuedCSV
		if err := json.Unmarshal(a.Application, &x); err != nil {
			writeError(c, s.log, fmt.Errorf("api: queue export: the stored application of %s: %w", a.Subject, err))
			return
		}
		at := a.SubmittedAt
		rows = append(rows, []string{a.Subject, a.Name, a.Profession, x.Worksite.ID, x.Worksite.Name, string(a.State),
			timeCell(&at), timeCell(a.ReadySince), strconv.Itoa(a.BusinessDaysWaiting), strconv.FormatBool(x.Escalated),
			strconv.FormatBool(x.Breached), a.WorkflowID})
	}
	writeCSV(c, "applications.csv", []string{"subject", "name", "profession", "worksite_id", "worksite_name", "state",
		"submitted_at", "ready_since", "business_days_waiting", "escalated", "breached", "workflow_id"}, rows)
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
