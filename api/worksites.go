package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
)

// WorksiteView is a worksite as the API shows it.
type WorksiteView struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Phone            string              `json:"phone"`
	Extension        string              `json:"extension,omitempty"`
	Email            string              `json:"email"`
	ContactName      string              `json:"contactName,omitempty"`
	Address          domain.Address      `json:"address"`
	AddressLine      string              `json:"addressLine"`
	LocationType     domain.LocationType `json:"locationType"`
	LocationLabel    string              `json:"locationTypeLabel"`
	SubOption        string              `json:"subOption,omitempty"`
	OtherDescription string              `json:"otherDescription,omitempty"`
	EMR              string              `json:"emr"`
	Access           domain.Access       `json:"access"`
	AccessNote       string              `json:"accessNote,omitempty"`
	RegisteredAt     string              `json:"registeredAt"`
}

func (s *Server) view(w domain.Worksite) WorksiteView {
	t := s.types[w.LocationType]
	return WorksiteView{ID: w.ID, Name: w.Name, Phone: w.Phone, Extension: w.Extension, Email: w.Email, ContactName: w.ContactName,
		Address: w.Address, AddressLine: w.Address.String(), LocationType: w.LocationType, LocationLabel: t.Label,
		SubOption: w.SubOption, OtherDescription: w.OtherDescription, EMR: w.EMR, Access: t.Access, AccessNote: t.Reason,
		RegisteredAt: w.RegisteredAt.UTC().Format("2006-01-02T15:04:05Z07:00")}
}

// registerWorksite registers a worksite and starts its enrolment (enrolment.RegisterWorksite).
func (s *Server) registerWorksite(c *gin.Context) {
	w, err := s.app.RegisterWorksite(c.Request.Context(), caller(c), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Location", "/api/v1/worksites/"+w.ID)
	c.JSON(http.StatusCreated, gin.H{"worksite": s.view(w), "statusUrl": "/api/v1/worksites/" + w.ID})
}

// getWorksite returns a worksite and its status (enrolment.GetWorksite);
// a projected status is passed on as stored.
func (s *Server) getWorksite(c *gin.Context) {
	r, err := s.app.GetWorksite(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if r.StatusJSON != nil {
		view, err := json.Marshal(s.view(r.Worksite))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		writeJSONObject(c, jsonField{"worksite", view}, jsonField{"status", r.StatusJSON},
			jsonField{"statusSource", json.RawMessage(`"projection"`)})
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(r.Worksite), "status": r.Status, "statusSource": r.Source})
}

func (s *Server) worksiteAudit(c *gin.Context) {
	a, err := s.app.WorksiteAudit(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"subject": a.Subject, "events": a.Events})
}

func (s *Server) worksiteEmails(c *gin.Context) {
	emails, err := s.app.WorksiteEmails(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"emails": emails})
}

// decideWorksite is the team's approve or reject.
func (s *Server) decideWorksite(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.answerStatus(c)(s.app.DecideWorksite(c.Request.Context(), caller(c), c.Param("id"), approve, jsonInput(c)))
	}
}

// searchWorksites finds worksites by address prefix as the person types.
func (s *Server) searchWorksites(c *gin.Context) {
	hits, err := s.app.SearchWorksites(c.Request.Context(), caller(c), c.Query("address"), c.Query("limit"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksites": hits})
}

// previewWorksite shows a live worksite's name and address before a join
// request by ID (enrolment.PreviewWorksite).
func (s *Server) previewWorksite(c *gin.Context) {
	p, err := s.app.PreviewWorksite(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": p})
}

// myWorksites lists the caller's memberships.
func (s *Server) myWorksites(c *gin.Context) {
	ws, err := s.app.MyWorksites(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksites": ws})
}

// editWorksite changes the details an administrator may edit.
func (s *Server) editWorksite(c *gin.Context) {
	w, err := s.app.EditWorksite(c.Request.Context(), caller(c), c.Param("id"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(w)})
}

// closeWorksite closes a worksite: every membership ends.
func (s *Server) closeWorksite(c *gin.Context) {
	s.answerStatus(c)(s.app.CloseWorksite(c.Request.Context(), caller(c), c.Param("id"), jsonInput(c)))
}

// suspendWorksite is the team's suspension or reinstatement, with a reason.
func (s *Server) suspendWorksite(suspend bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.answerStatus(c)(s.app.SuspendWorksite(c.Request.Context(), caller(c), c.Param("id"), suspend, jsonInput(c)))
	}
}

// answerStatus answers with a worksite's status, or the error.
func (s *Server) answerStatus(c *gin.Context) func(domain.WorksiteStatus, error) {
	return func(st domain.WorksiteStatus, err error) {
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": st})
	}
}

// classifyWorksite is the team's change of address and/or type.
func (s *Server) classifyWorksite(c *gin.Context) {
	r, err := s.app.ClassifyWorksite(c.Request.Context(), caller(c), c.Param("id"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(r.Worksite), "status": r.Status})
}
