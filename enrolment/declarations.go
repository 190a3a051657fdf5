package enrolment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"time"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/workflows"
)

// declarationClaims checks a declaration link's token. A forged or
// malformed token is ENOTFOUND (the link does not exist); an expired one
// is EUNPROCESSABLE.
func (s *Service) declarationClaims(token string) (links.Claims, error) {
	claims, err := s.links.Verify(token, domain.LinkDeclaration, s.now())
	switch {
	case errors.Is(err, links.ErrExpired):
		return claims, domain.Errorf(domain.EUNPROCESSABLE, "this declaration link has expired; contact the CareConnect enrolment team at %s", s.cfg.Team.Email)
	case err != nil:
		return claims, domain.Errorf(domain.ENOTFOUND, "this declaration link is not valid; use the link in your worksite registration email")
	}
	return claims, nil
}

// DeclarationLink is what a declaration link opens: its worksite, the
// worksite's state and when the link expires.
type DeclarationLink struct {
	Worksite domain.Worksite
	// State is the worksite's state; the declaration page leaves it empty
	// when it could not be read.
	State   domain.WorksiteState
	Expires time.Time
}

// DeclarationForm returns what the declaration form shows: the worksite,
// its state and the link's expiry; the token is the credential. Errors:
// ENOTFOUND (not valid), EUNPROCESSABLE (expired), EUNAVAILABLE.
func (s *Service) DeclarationForm(ctx context.Context, token string) (DeclarationLink, error) {
	claims, err := s.declarationClaims(token)
	if err != nil {
		return DeclarationLink{}, err
	}
	w, err := s.store.GetWorksite(ctx, claims.Subject)
	if err != nil {
		return DeclarationLink{}, err
	}
	st, _, err := s.worksiteStatus(ctx, w.ID)
	if err != nil {
		return DeclarationLink{}, err
	}
	return DeclarationLink{Worksite: w, State: st.State, Expires: claims.Expires}, nil
}

// DeclarationPage is DeclarationForm for the HTML page an emailed link
// opens: a state that cannot be read leaves State empty (the page offers
// the form; signing it checks again). Errors: ENOTFOUND, EUNPROCESSABLE,
// EUNAVAILABLE.
func (s *Service) DeclarationPage(ctx context.Context, token string) (DeclarationLink, error) {
	claims, err := s.declarationClaims(token)
	var w domain.Worksite
	if err == nil {
		w, err = s.store.GetWorksite(ctx, claims.Subject)
	}
	if err != nil {
		return DeclarationLink{}, err
	}
	l := DeclarationLink{Worksite: w, Expires: claims.Expires}
	if st, _, serr := s.worksiteStatus(ctx, w.ID); serr == nil {
		l.State = st.State
	}
	return l, nil
}

// DeclarationInput is the declaration form as the HTTP layer decoded it:
// the fields as sent, trimmed; one attestation ID per accepted statement;
// and the files sent as the screenshot.
type DeclarationInput struct {
	SignerName, SignerTitle, SignerEmail string
	Attestations                         []string
	Screenshots                          []*multipart.FileHeader
}

// SignDeclaration takes a worksite's signed Privacy & Security
// Declaration through its emailed link; the input is a DeclarationInput.
// The link and the worksite's state are checked before the input is read,
// so a forged or used link costs no upload, parse or decode. The
// screenshot is staged (uploads; too big for the workflow's history), and
// the sign-declaration update carries the upload's ID: the workflow makes
// the declaration row from it with the signing, in one transaction.
// Errors: ENOTFOUND, EUNPROCESSABLE (expired, lapsed), ECONFLICT (signed
// already), EINVALID, EUNAVAILABLE (nothing signed; among them, no
// screenshot decoder free in time), *domain.Accepted (it will be).
func (s *Service) SignDeclaration(ctx context.Context, by Caller, token string, in Input) (domain.WorksiteStatus, error) {
	claims, err := s.declarationClaims(token)
	if err == nil {
		err = s.takesDeclaration(ctx, claims.Subject)
	}
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	var form DeclarationInput
	if err := in(&form); err != nil {
		return domain.WorksiteStatus{}, err
	}
	d, err := s.validateDeclaration(ctx, form)
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	d.WorksiteID = claims.Subject
	d.SignedAt = s.now().UTC()
	upload, err := s.store.StageUpload(ctx, d.WorksiteID, d.Screenshot, d.ScreenshotType, d.ScreenshotSHA, d.SignedAt)
	if err != nil {
		return domain.WorksiteStatus{}, err
	}
	notAfter := s.notAfter()
	var st domain.WorksiteStatus
	arg := workflows.SignDeclaration{SignerName: d.SignerName, SignerTitle: d.SignerTitle, SignedAt: d.SignedAt,
		RequestID: by.RequestID, NotAfter: notAfter, Write: &domain.Write{Key: "declaration/" + d.WorksiteID,
			Declaration: &domain.DeclarationWrite{WorksiteID: d.WorksiteID, UploadID: upload, SignerName: d.SignerName,
				SignerTitle: d.SignerTitle, SignerEmail: d.SignerEmail, Attestation: d.Attestation, SignedAt: d.SignedAt,
				RequestID: by.RequestID}}}
	err = s.write(ctx, WriteCall{WorkflowID: workflows.WorksiteWorkflowID(d.WorksiteID),
		UpdateID: updateID(by, workflows.UpdateSignDeclaration), Name: workflows.UpdateSignDeclaration, Arg: arg, Out: &st,
		NotAfter: notAfter}, "")
	if errors.Is(err, ErrNoWorkflow) {
		// A finished worksite (lapsed, rejected) says why.
		err = s.worksiteUpdate(ctx, by, d.WorksiteID, workflows.UpdateSignDeclaration, arg, &st, func(st domain.WorksiteStatus) error {
			return domain.CanSignDeclaration(st.State, d.SignerName, d.SignerTitle)
		})
	}
	return st, err
}

// takesDeclaration says whether worksite id awaits its declaration
// (domain.CanTakeDeclaration), from the state projected with the worksite
// row (one query), or from the workflow when the worksite has not been
// projected yet. The workflow's validator decides again when the form is
// signed; this check only spares the upload. Errors: ENOTFOUND, ECONFLICT,
// EUNPROCESSABLE.
func (s *Service) takesDeclaration(ctx context.Context, id string) error {
	r, err := s.store.ReadWorksite(ctx, id)
	if err != nil {
		return err
	}
	var st domain.WorksiteStatus
	if r.StatusSeq > 0 {
		if err := json.Unmarshal(r.StatusJSON, &st); err != nil {
			return fmt.Errorf("enrolment: status of worksite %s: %w", id, err)
		}
	} else if st, _, err = s.worksiteStatus(ctx, id); err != nil {
		return err
	}
	return domain.CanTakeDeclaration(st.State)
}

// attestationsMissing says how many of the declaration's statements are
// still to be ticked, in words for the person signing.
func attestationsMissing(missing, all int) string {
	if missing == all {
		return "Tick every statement to sign the declaration."
	}
	if missing == 1 {
		return "Tick every statement to sign the declaration: one is not ticked yet."
	}
	return fmt.Sprintf("Tick every statement to sign the declaration: %d are not ticked yet.", missing)
}

// validateDeclaration checks a declaration form: the signer, every
// statement of the policy attested, and one screenshot that is a PNG or
// JPEG within the decode bounds (screenshot.go) and decodes.
func (s *Service) validateDeclaration(ctx context.Context, form DeclarationInput) (domain.Declaration, error) {
	max := s.cfg.Uploads.MaxScreenshotBytes
	d := domain.Declaration{SignerName: form.SignerName, SignerTitle: form.SignerTitle, SignerEmail: form.SignerEmail}
	fe := domain.FieldErrors{}
	// The messages are shown beside the form's fields as they are: whole
	// sentences for the person signing, naming no field or code.
	switch {
	case d.SignerName == "":
		fe.Add("signerName", "Enter your full name: the person with signing authority for the worksite.")
	case len(d.SignerName) > 120:
		fe.Add("signerName", "Your name is too long: use at most 120 characters.")
	case domain.ValidName(d.SignerName) != nil:
		fe.Add("signerName", "Your name has characters that cannot be used (such as line breaks or control characters).")
	}
	switch {
	case d.SignerTitle == "":
		fe.Add("signerTitle", "Enter your title, for example Clinical Lead or Office Manager.")
	case len(d.SignerTitle) > 120:
		fe.Add("signerTitle", "Your title is too long: use at most 120 characters.")
	case domain.ValidName(d.SignerTitle) != nil:
		fe.Add("signerTitle", "Your title has characters that cannot be used (such as line breaks or control characters).")
	}
	if d.SignerEmail != "" && !domain.ValidEmail(d.SignerEmail) {
		fe.Add("signerEmail", "Enter an email address like name@example.ca, or leave it empty.")
	}
	accepted := map[string]bool{}
	for _, a := range form.Attestations {
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
		fe.Add("attestations", attestationsMissing(len(missing), len(s.cfg.Policy.Attestations)))
	}
	files := form.Screenshots
	switch {
	case len(files) == 0:
		fe.Add("screenshot", "Choose a screenshot of your antivirus software (a PNG or JPEG file).")
	case len(files) > 1:
		fe.Add("screenshot", "Choose only one screenshot.")
	case files[0].Size > max:
		fe.Add("screenshot", fmt.Sprintf("The screenshot is too large: choose a file of at most %d MB.", max>>20))
	default:
		img, typ, problem := readScreenshot(files[0], max)
		if problem == "" {
			// The header alone can be intact on a cut or corrupted file: decode it all.
			var err error
			if problem, err = s.decodeScreenshot(ctx, img); err != nil {
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

// DeclarationScreenshot is a worksite's declaration with its screenshot,
// for the team. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Service) DeclarationScreenshot(ctx context.Context, by Caller, id string) (domain.Declaration, error) {
	w, err := s.teamWorksite(ctx, by, id, authz.TeamReadWorksite)
	if err != nil {
		return domain.Declaration{}, err
	}
	return s.store.GetDeclaration(ctx, w.ID)
}
