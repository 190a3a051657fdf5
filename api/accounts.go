package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// me returns the caller: who they are, their account if any, their
// enrolment status, and the CSRF token a browser session must echo.
func (s *Server) me(c *gin.Context) {
	me, err := s.app.Me(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	p := principal(c)
	body := gin.H{"principal": p}
	if p.CSRFToken != "" {
		body["csrfToken"] = p.CSRFToken
	}
	if me.Status != nil {
		body["status"] = me.Status
	}
	if me.Account != nil {
		body["account"] = me.Account
	}
	c.JSON(http.StatusOK, body)
}

// registerAccount creates the caller's HxBC account.
func (s *Server) registerAccount(c *gin.Context) {
	r, err := s.app.RegisterAccount(c.Request.Context(), caller(c), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"account": r.Account, "status": r.Status})
}

// updateAccount changes the caller's preferred names and contact details.
func (s *Server) updateAccount(c *gin.Context) {
	r, err := s.app.UpdateAccount(c.Request.Context(), caller(c), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body := gin.H{"account": r.Account}
	if r.Status != nil {
		body["status"] = r.Status
	}
	c.JSON(http.StatusOK, body)
}

// resetPassword sets a new password for the caller.
func (s *Server) resetPassword(c *gin.Context) {
	st, err := s.app.ResetPassword(c.Request.Context(), caller(c), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

// myStatus is the caller's enrolment status; a projected one is passed on as stored.
func (s *Server) myStatus(c *gin.Context) {
	st, err := s.app.MyStatus(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if st.JSON != nil {
		writeJSONObject(c, jsonField{"status", st.JSON})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st.Status})
}

// staffPerson is the team's view of a person: account, status and audit timeline.
func (s *Server) staffPerson(c *gin.Context) {
	p, err := s.app.StaffPerson(c.Request.Context(), caller(c), c.Param("subject"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body := gin.H{"status": p.Status, "audit": p.Audit}
	if p.Account != nil {
		body["account"] = p.Account
	}
	c.JSON(http.StatusOK, body)
}

// changeProfession is the team's profession correction, recorded with who and why.
func (s *Server) changeProfession(c *gin.Context) {
	st, err := s.app.ChangeProfession(c.Request.Context(), caller(c), c.Param("subject"), jsonInput(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}
