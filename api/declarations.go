package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/enrolment"
)

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// getDeclarationForm returns what the declaration form shows: the worksite,
// its status and the statements to attest.
func (s *Server) getDeclarationForm(c *gin.Context) {
	l, err := s.app.DeclarationForm(c.Request.Context(), c.Param("token"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(l.Worksite), "state": l.State, "attestations": s.cfg.Policy.Attestations,
		"maxScreenshotBytes": s.cfg.Uploads.MaxScreenshotBytes, "linkExpires": l.Expires})
}

// multipartOverhead is what a declaration form adds to its screenshot.
const multipartOverhead = 64 << 10

// signDeclaration takes the multipart declaration form: signerName,
// signerTitle, signerEmail (optional), one attestations value per accepted
// statement, and the screenshot file (enrolment.SignDeclaration, which
// checks the link and the worksite's state before the form is read).
func (s *Server) signDeclaration(c *gin.Context) {
	var form *multipart.Form
	defer func() {
		if form != nil {
			_ = form.RemoveAll()
		}
	}()
	read := func(v any) error {
		var err error
		form, err = s.readDeclarationForm(c)
		if err != nil {
			return err
		}
		value := func(k string) string {
			if v := form.Value[k]; len(v) > 0 {
				return strings.TrimSpace(v[0])
			}
			return ""
		}
		*v.(*enrolment.DeclarationInput) = enrolment.DeclarationInput{SignerName: value("signerName"), SignerTitle: value("signerTitle"),
			SignerEmail: value("signerEmail"), Attestations: form.Value["attestations"], Screenshots: form.File["screenshot"]}
		return nil
	}
	st, err := s.app.SignDeclaration(c.Request.Context(), caller(c), c.Param("token"), read)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

// readDeclarationForm reads the multipart form, bounded by the largest
// screenshot and the form's overhead.
func (s *Server) readDeclarationForm(c *gin.Context) (*multipart.Form, error) {
	max := s.cfg.Uploads.MaxScreenshotBytes
	tooBig := (domain.FieldErrors{"screenshot": fmt.Sprintf("must be at most %d MB", max>>20)}).Err()
	if !strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		return nil, domain.Errorf(domain.EINVALID, "send the declaration as multipart/form-data")
	}
	if c.Request.ContentLength > max+multipartOverhead {
		return nil, tooBig
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max+multipartOverhead)
	if err := c.Request.ParseMultipartForm(max + multipartOverhead); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooBig
		}
		return nil, domain.Errorf(domain.EINVALID, "the form could not be read as multipart/form-data")
	}
	return c.Request.MultipartForm, nil
}

// declarationScreenshot is a worksite's antivirus screenshot, for the team.
func (s *Server) declarationScreenshot(c *gin.Context) {
	d, err := s.app.DeclarationScreenshot(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// Inline, so the team's worksite page shows it in an <img>; its type
	// was sniffed when it was stored (PNG or JPEG only), nosniff and the
	// base Content-Security-Policy (nothing may load) come from
	// securityHeaders, and Cache-Control keeps it out of shared caches.
	c.Header("Content-Disposition", "inline")
	c.Data(http.StatusOK, d.ScreenshotType, d.Screenshot)
}

// worksiteDeclaration is a worksite's signed declaration, for the team.
func (s *Server) worksiteDeclaration(c *gin.Context) {
	d, err := s.app.WorksiteDeclaration(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"declaration": d})
}
