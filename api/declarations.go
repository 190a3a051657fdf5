package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

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
// statement, and the screenshot file. The link and the worksite's state
// are checked before the body is read, so a forged or used link costs no
// upload, parse or decode. The declaration is stored first, then the
// workflow is updated; if the workflow refuses, the row is removed.
func (s *Server) signDeclaration(c *gin.Context) {
	claims, err := s.declarationClaims(c)
	if err == nil {
		err = s.takesDeclaration(c, claims.Subject)
	}
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

// takesDeclaration says whether worksite id awaits its declaration
// (domain.CanTakeDeclaration), from the state projected with the worksite
// row (one query), or from the workflow when the worksite has not been
// projected yet. The workflow's validator decides again when the form is
// signed; this check only spares the upload. Errors: ENOTFOUND, ECONFLICT,
// EUNPROCESSABLE.
func (s *Server) takesDeclaration(c *gin.Context, id string) error {
	r, err := s.store.ReadWorksite(c.Request.Context(), id)
	if err != nil {
		return err
	}
	var st domain.WorksiteStatus
	if r.StatusSeq > 0 {
		if err := json.Unmarshal(r.StatusJSON, &st); err != nil {
			return fmt.Errorf("api: status of worksite %s: %w", id, err)
		}
	} else if st, _, err = s.worksiteStatus(c, id); err != nil {
		return err
	}
	return domain.CanTakeDeclaration(st.State)
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
		if problem == "" {
			// The header alone can be intact on a cut or corrupted file: decode it all.
			var err error
			if problem, err = s.decodeScreenshot(c.Request.Context(), img); err != nil {
				return d, err
			}
		}
		if problem != "" {
			fe.Add("screenshot", problem)
		}
		d.Screenshot, d.ScreenshotType = img, typ
		sum := sha256.Sum256(img)
		d.ScreenshotSHA = hex.EncodeToString(sum[:])
	}
	return d, fe.Err()
}

// readScreenshot reads an uploaded screenshot and checks its header
// (CheckScreenshot).
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

// Decoding a screenshot costs memory in proportion to its pixels, not its
// bytes: a 300 KB PNG of 6320x6320 16-bit pixels decodes to 319 MB. So the
// header is read first and the decode refused unless it is bounded:
//
//   - at most maxScreenshotPixels pixels (16 megapixels: 4096x4096, more
//     than a 5K display's 5120x2880 screenshot), and
//   - at most maxScreenshotDecodeBytes of memory for the decode, as
//     decodeCost reckons it from the header: 4 bytes a pixel for 8-bit
//     RGBA, 8 for 16-bit colour (so a 16-bit screenshot may have 8
//     megapixels), twice the image for an interlaced PNG (Go decodes its
//     passes apart, then merges them) and 4 bytes a sample more for a
//     progressive JPEG (its coefficients are kept until the last scan).
//
// The budget is 64 MiB, what a 16-megapixel 8-bit RGBA screenshot needs,
// and at most screenshotDecodeSlots decodes run at once, so screenshots
// being checked never hold more than 128 MiB together.
const (
	maxScreenshotPixels       = 16 << 20
	maxScreenshotDecodeBytes  = 64 << 20
	screenshotDecodeSlots     = 2
	defaultScreenshotSlotWait = 2 * time.Second
)

// errDamaged is the problem of a screenshot that does not decode.
const errDamaged = "must be a valid PNG or JPEG image (the file is damaged or not an image)"

// CheckScreenshot sniffs b and checks its header: it returns the type, or
// a problem in words. A file it accepts decodes within the bounds above,
// or fails to decode (decodeScreenshot).
func CheckScreenshot(b []byte, max int64) ([]byte, string, string) {
	if int64(len(b)) > max {
		return nil, "", fmt.Sprintf("must be at most %d MB", max>>20)
	}
	typ := http.DetectContentType(b)
	if typ != "image/png" && typ != "image/jpeg" {
		return nil, "", "must be a PNG or JPEG image (the file's content is not)"
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || "image/"+format != typ || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", errDamaged
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > maxScreenshotPixels || decodeCost(b, format, cfg) > maxScreenshotDecodeBytes {
		return nil, "", fmt.Sprintf("is too large an image (%dx%d pixels); send a screenshot of at most 16 megapixels "+
			"(4096x4096) with 8-bit colour, e.g. a PNG saved by your screenshot tool", cfg.Width, cfg.Height)
	}
	return b, typ, ""
}

// decodeCost reckons from its header how many bytes decoding the image b
// (format and cfg from image.DecodeConfig) takes at its peak.
func decodeCost(b []byte, format string, cfg image.Config) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	cost := pixels * bytesPerPixel(cfg.ColorModel)
	switch format {
	case "png":
		// IHDR is the first chunk: its interlace method is byte 28 of the file.
		if len(b) > 28 && b[28] != 0 {
			cost *= 2
		}
	case "jpeg":
		if progressive, components := jpegFrame(b); progressive {
			cost += pixels * 4 * int64(components)
		}
	}
	return cost
}

// bytesPerPixel is what the image image.Decode returns spends on a pixel
// of colour model m (the widest, 8 bytes, for a model it does not know).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4; subsampled chroma needs less
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegFrame finds the frame header (SOFn) of the JPEG b and reports
// whether it is progressive and how many components it has. When the
// header cannot be found, it answers the costliest case: progressive, four
// components.
func jpegFrame(b []byte) (progressive bool, components int) {
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			return true, 4
		}
		marker := b[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01:
			i += 2 // markers without a segment
			continue
		case marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			// SOFn: length (2), precision (1), height (2), width (2), components (1).
			return marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce, int(b[i+9])
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return true, 4
}

// decodeScreenshot decodes b, whose header CheckScreenshot accepted, while
// holding one of the server's screenshotDecodeSlots, and returns a problem
// in words when it does not decode. A request that gets no slot within
// the server's wait is EUNAVAILABLE (503 with Retry-After), not queued
// without bound.
func (s *Server) decodeScreenshot(ctx context.Context, b []byte) (string, error) {
	wait := time.NewTimer(s.decodeWait)
	defer wait.Stop()
	select {
	case s.decodes <- struct{}{}:
	case <-wait.C:
		return "", domain.Errorf(domain.EUNAVAILABLE, "too many screenshots are being checked right now; try again in a few seconds")
	case <-ctx.Done():
		return "", domain.Errorf(domain.EUNAVAILABLE, "the screenshot could not be checked in time; try again")
	}
	defer func() { <-s.decodes }()
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return errDamaged, nil
	}
	return "", nil
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
	c.Data(http.StatusOK, d.ScreenshotType, d.Screenshot)
}
