package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/workflows"
)

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// declarationClaims checks the token in the :token parameter. A forged or
// malformed token is 404 (the link does not exist); an expired one is 422.
func (s *Server) declarationClaims(c *gin.Context) (links.Claims, error) {
	claims, err := s.links.Verify(c.Param("token"), links.PurposeDeclaration, s.now())
	switch {
	case errors.Is(err, links.ErrExpired):
		return claims, domain.Errorf(domain.EUNPROCESSABLE, "this declaration link has expired; contact the CareConnect enrolment team at %s", s.cfg.Team.Email)
	case err != nil:
		return claims, domain.Errorf(domain.ENOTFOUND, "this declaration link is not valid; use the link in your worksite registration email")
	}
	return claims, nil
}

// getDeclarationForm returns what the declaration form shows: the worksite,
// its status and the statements to attest.
func (s *Server) getDeclarationForm(c *gin.Context) {
	claims, err := s.declarationClaims(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	w, err := s.store.GetWorksite(c.Request.Context(), claims.Subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	st, _, err := s.worksiteStatus(c, w.ID)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"worksite": s.view(w), "state": st.State, "attestations": s.cfg.Policy.Attestations,
		"maxScreenshotBytes": s.cfg.Uploads.MaxScreenshotBytes, "linkExpires": claims.Expires})
}

// multipartOverhead is what a declaration form adds to its screenshot.
const multipartOverhead = 64 << 10

// signDeclaration takes the multipart declaration form: signerName,
// signerTitle, signerEmail (optional), one attestations value per accepted
// statement, and the screenshot file. The declaration is stored first, then
// the workflow is updated; if the workflow refuses, the row is removed.
func (s *Server) signDeclaration(c *gin.Context) {
	claims, err := s.declarationClaims(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	d, err := s.parseDeclaration(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.store.GetWorksite(ctx, claims.Subject); err != nil {
		writeError(c, s.log, err)
		return
	}
	d.WorksiteID = claims.Subject
	d.SignedAt = s.now().UTC()
	if err := s.store.CreateDeclaration(ctx, d, requestID(c)); err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.update(c, d.WorksiteID, workflows.UpdateSignDeclaration, workflows.SignDeclaration{
		SignerName: d.SignerName, SignerTitle: d.SignerTitle, SignedAt: d.SignedAt, RequestID: requestID(c)},
		func(st domain.WorksiteStatus) error {
			return domain.CanSignDeclaration(st.State, d.SignerName, d.SignerTitle)
		})
	if err != nil {
		if derr := s.store.DeleteDeclaration(ctx, d.WorksiteID); derr != nil {
			s.log.Error("could not remove refused declaration", "worksite", d.WorksiteID, "error", derr)
		}
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": st})
}

func (s *Server) parseDeclaration(c *gin.Context) (domain.Declaration, error) {
	max := s.cfg.Uploads.MaxScreenshotBytes
	tooBig := (domain.FieldErrors{"screenshot": fmt.Sprintf("must be at most %d MB", max>>20)}).Err()
	if !strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		return domain.Declaration{}, domain.Errorf(domain.EINVALID, "send the declaration as multipart/form-data")
	}
	if c.Request.ContentLength > max+multipartOverhead {
		return domain.Declaration{}, tooBig
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max+multipartOverhead)
	if err := c.Request.ParseMultipartForm(max + multipartOverhead); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return domain.Declaration{}, tooBig
		}
		return domain.Declaration{}, domain.Errorf(domain.EINVALID, "the form could not be read as multipart/form-data")
	}
	form := c.Request.MultipartForm
	defer func() { _ = form.RemoveAll() }()
	value := func(k string) string {
		if v := form.Value[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	d := domain.Declaration{SignerName: value("signerName"), SignerTitle: value("signerTitle"), SignerEmail: value("signerEmail")}
	fe := domain.FieldErrors{}
	if d.SignerName == "" || len(d.SignerName) > 120 {
		fe.Add("signerName", "is required (at most 120 characters): the name of the person with signing authority")
	} else if err := domain.ValidName(d.SignerName); err != nil {
		fe.Add("signerName", err.Error())
	}
	if d.SignerTitle == "" || len(d.SignerTitle) > 120 {
		fe.Add("signerTitle", "is required (at most 120 characters), e.g. Clinical Lead or Office Manager")
	} else if err := domain.ValidName(d.SignerTitle); err != nil {
		fe.Add("signerTitle", err.Error())
	}
	if d.SignerEmail != "" && !domain.ValidEmail(d.SignerEmail) {
		fe.Add("signerEmail", "must be an email address")
	}
	accepted := map[string]bool{}
	for _, a := range form.Value["attestations"] {
		accepted[a] = true
	}
	var missing []string
	for _, a := range s.cfg.Policy.Attestations {
		if !accepted[a.ID] {
			missing = append(missing, a.ID)
		} else {
			d.Attestation = append(d.Attestation, a.ID)
		}
	}
	if len(missing) > 0 {
		fe.Add("attestations", "every statement must be accepted; missing: "+strings.Join(missing, ", "))
	}
	files := form.File["screenshot"]
	switch {
	case len(files) == 0:
		fe.Add("screenshot", "is required: a PNG or JPEG screenshot of your antivirus software")
	case len(files) > 1:
		fe.Add("screenshot", "send exactly one file")
	case files[0].Size > max:
		fe.Add("screenshot", fmt.Sprintf("must be at most %d MB", max>>20))
	default:
		img, typ, problem := readScreenshot(files[0], max)
		if problem != "" {
			fe.Add("screenshot", problem)
		}
		d.Screenshot, d.ScreenshotType = img, typ
		sum := sha256.Sum256(img)
		d.ScreenshotSHA = hex.EncodeToString(sum[:])
	}
	return d, fe.Err()
}

// readScreenshot reads an uploaded screenshot and checks its content, not
// its declared type: it must sniff as PNG or JPEG and decode as one.
func readScreenshot(fh *multipart.FileHeader, max int64) ([]byte, string, string) {
	f, err := fh.Open()
	if err != nil {
		return nil, "", "could not be read"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", "could not be read"
	}
	return CheckScreenshot(b, max)
}

// maxScreenshotPixels bounds the full decode, so a small file cannot claim a
// huge image and exhaust memory (a decompression bomb).
const maxScreenshotPixels = 40_000_000

// CheckScreenshot sniffs b and returns its type, or a problem in words.
func CheckScreenshot(b []byte, max int64) ([]byte, string, string) {
	if int64(len(b)) > max {
		return nil, "", fmt.Sprintf("must be at most %d MB", max>>20)
	}
	typ := http.DetectContentType(b)
	if typ != "image/png" && typ != "image/jpeg" {
		return nil, "", "must be a PNG or JPEG image (the file's content is not)"
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || "image/"+format != typ || cfg.Width == 0 || cfg.Height == 0 {
		return nil, "", "must be a valid PNG or JPEG image (the file is damaged or not an image)"
	}
	if cfg.Width*cfg.Height > maxScreenshotPixels {
		return nil, "", "has too many pixels; send a screenshot of at most 40 megapixels"
	}
	// The header alone can be intact on a cut or corrupted file: decode it all.
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return nil, "", "must be a valid PNG or JPEG image (the file is damaged or not an image)"
	}
	return b, typ, ""
}

func (s *Server) declarationScreenshot(c *gin.Context) {
	id, ok := s.teamWorksite(c, authz.TeamReadWorksite)
	if !ok {
		return
	}
	d, err := s.store.GetDeclaration(c.Request.Context(), id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Content-Disposition", "attachment")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, d.ScreenshotType, d.Screenshot)
}

var declarationPageTmpl = template.Must(template.New("declaration").Parse(declarationPageHTML))

// declarationPage is the HTML form an emailed declaration link opens. It
// posts to the JSON API and shows each field error next to its field.
func (s *Server) declarationPage(c *gin.Context) {
	data := gin.H{"Token": c.Param("token"), "Attestations": s.cfg.Policy.Attestations,
		"MaxMB": s.cfg.Uploads.MaxScreenshotBytes >> 20, "TeamEmail": s.cfg.Team.Email}
	status := http.StatusOK
	claims, err := s.declarationClaims(c)
	if err == nil {
		var w domain.Worksite
		if w, err = s.store.GetWorksite(c.Request.Context(), claims.Subject); err == nil {
			data["Worksite"] = s.view(w)
			if st, _, serr := s.worksiteStatus(c, w.ID); serr == nil && st.State != domain.WorksiteAwaitingDeclaration {
				data["Done"] = string(st.State)
			}
		}
	}
	if err != nil {
		status = statusOf[domain.ErrorCode(err)]
		if status == 0 || status == http.StatusInternalServerError {
			status, err = http.StatusServiceUnavailable, domain.Errorf(domain.EUNAVAILABLE, "the service is unavailable; try again shortly")
		}
		data["Error"] = domain.ErrorMessage(err)
	}
	c.Header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'")
	c.Header("Referrer-Policy", "no-referrer")
	c.Status(status)
	if err := declarationPageTmpl.Execute(c.Writer, data); err != nil {
		s.log.Error("declaration page", "error", err)
	}
}
