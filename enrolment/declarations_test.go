package enrolment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"mime/multipart"
	"net/textproto"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/links"
	"careconnect/workflows"
)

// declarationLink is a link of purpose for the fixtures' worksite, expiring in ttl.
func (f *fixture) declarationLink(purpose links.Purpose, ttl time.Duration) string {
	return f.signer.Sign(links.Claims{Purpose: purpose, Subject: worksite.ID, Expires: now.Add(ttl)})
}

// projected makes ReadWorksite answer the worksite with a projected state.
func (f *fixture) projected(st domain.WorksiteState) {
	f.store.ReadWorksiteFn = func(context.Context, string) (domain.WorksiteRead, error) {
		js, _ := json.Marshal(domain.WorksiteStatus{WorksiteID: worksite.ID, State: st})
		return domain.WorksiteRead{Worksite: worksite, Admins: []string{"ada"}, StatusJSON: js, StatusSeq: 2}, nil
	}
}

// screenshot is an uploaded file of content b, as multipart parsing gives it.
func screenshot(t *testing.T, b []byte) *multipart.FileHeader {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="screenshot"; filename="antivirus.png"`)
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(b)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	form, err := multipart.NewReader(&buf, w.Boundary()).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	return form.File["screenshot"][0]
}

// validDeclaration is a complete declaration form with a real PNG.
func validDeclaration(t *testing.T) enrolment.DeclarationInput {
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range domain.DefaultAttestations() {
		ids = append(ids, a.ID)
	}
	return enrolment.DeclarationInput{SignerName: "Dr. Lee Lead", SignerTitle: "Clinical Lead", Attestations: ids,
		Screenshots: []*multipart.FileHeader{screenshot(t, img.Bytes())}}
}

// form is an Input giving d, as the HTTP layer decodes the multipart form.
func form(d enrolment.DeclarationInput) enrolment.Input {
	return func(v any) error { *v.(*enrolment.DeclarationInput) = d; return nil }
}

func TestDeclarationLink(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.knowsWorksite()
	f.administeredBy("ada", domain.WorksiteAwaitingDeclaration)
	s := f.service()
	cases := []struct {
		name  string
		token string
		code  string
	}{
		{"forged", "not-a-token", domain.ENOTFOUND},
		{"another link's purpose", f.declarationLink(links.PurposeInvitation, time.Hour), domain.ENOTFOUND},
		{"expired", f.declarationLink(links.PurposeDeclaration, -time.Minute), domain.EUNPROCESSABLE},
		{"valid", f.declarationLink(links.PurposeDeclaration, time.Hour), ""},
	}
	for _, c := range cases {
		l, err := s.DeclarationForm(ctx, c.token)
		if domain.ErrorCode(err) != c.code {
			t.Errorf("%s: form %v; want code %q", c.name, err, c.code)
		}
		if c.code == "" && (l.Worksite.ID != worksite.ID || l.State != domain.WorksiteAwaitingDeclaration || !l.Expires.Equal(now.Add(time.Hour))) {
			t.Errorf("%s: form %+v; want the worksite awaiting its declaration", c.name, l)
		}
		if _, err := s.DeclarationPage(ctx, c.token); domain.ErrorCode(err) != c.code {
			t.Errorf("%s: page %v; want code %q", c.name, err, c.code)
		}
	}
	// The page shows the form when the state cannot be read; signing checks again.
	f.wf.QueryFn = func(context.Context, string, string, any) error { return errDown }
	f.store.GetWorksiteStatusFn = func(context.Context, string) (domain.WorksiteStatus, error) { return domain.WorksiteStatus{}, errDown }
	if l, err := f.service().DeclarationPage(ctx, f.declarationLink(links.PurposeDeclaration, time.Hour)); err != nil || l.State != "" {
		t.Errorf("page without a state: %+v, %v; want the worksite and no state", l, err)
	}
}

func TestSignDeclaration(t *testing.T) {
	ctx := context.Background()
	t.Run("refused before the form is read", func(t *testing.T) {
		cases := []struct {
			name  string
			link  func(*fixture) string
			state domain.WorksiteState
			code  string
		}{
			{"forged link", func(*fixture) string { return "forged" }, domain.WorksiteAwaitingDeclaration, domain.ENOTFOUND},
			{"expired link", func(f *fixture) string { return f.declarationLink(links.PurposeDeclaration, -time.Second) },
				domain.WorksiteAwaitingDeclaration, domain.EUNPROCESSABLE},
			{"signed already", func(f *fixture) string { return f.declarationLink(links.PurposeDeclaration, time.Hour) },
				domain.WorksiteAwaitingReview, domain.ECONFLICT},
			{"lapsed", func(f *fixture) string { return f.declarationLink(links.PurposeDeclaration, time.Hour) },
				domain.WorksiteLapsed, domain.EUNPROCESSABLE},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := newFixture(t)
				f.projected(c.state)
				_, err := f.service().SignDeclaration(ctx, anonymous, c.link(f), noBody(t))
				wantCode(t, err, c.code)
			})
		}
	})
	t.Run("an incomplete form names each field", func(t *testing.T) {
		f := newFixture(t)
		f.projected(domain.WorksiteAwaitingDeclaration)
		d := validDeclaration(t)
		d.SignerName, d.Attestations, d.Screenshots = "", d.Attestations[1:], nil
		_, err := f.service().SignDeclaration(ctx, anonymous, f.declarationLink(links.PurposeDeclaration, time.Hour), form(d))
		for _, field := range []string{"signerName", "attestations", "screenshot"} {
			wantField(t, err, field, "")
		}
	})
	t.Run("a screenshot that is not an image", func(t *testing.T) {
		f := newFixture(t)
		f.projected(domain.WorksiteAwaitingDeclaration)
		d := validDeclaration(t)
		d.Screenshots = []*multipart.FileHeader{screenshot(t, []byte("MZ\x90\x00 an executable"))}
		_, err := f.service().SignDeclaration(ctx, anonymous, f.declarationLink(links.PurposeDeclaration, time.Hour), form(d))
		wantField(t, err, "screenshot", "PNG or JPEG")
	})
	// The screenshot is staged; the update carries its ID and NotAfter, and
	// its answer maps: refused (409), not accepted in time (503), accepted
	// but not finished (202).
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"the workflow refuses", domain.Errorf(domain.ECONFLICT, "already signed"), domain.ECONFLICT},
		{"not accepted in time", domain.Unavailable(), domain.EUNAVAILABLE},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.projected(domain.WorksiteAwaitingDeclaration)
			f.store.StageUploadFn = func(context.Context, string, []byte, string, string, time.Time) (string, error) { return "up-1", nil }
			f.answerWrites(nil, c.err)
			_, err := f.service().SignDeclaration(ctx, anonymous, f.declarationLink(links.PurposeDeclaration, time.Hour), form(validDeclaration(t)))
			wantCode(t, err, c.code)
		})
	}
	t.Run("accepted, not finished in time", func(t *testing.T) {
		f := newFixture(t)
		f.projected(domain.WorksiteAwaitingDeclaration)
		f.store.StageUploadFn = func(context.Context, string, []byte, string, string, time.Time) (string, error) { return "up-1", nil }
		f.answerWrites(nil, &domain.Accepted{Message: "accepted"})
		_, err := f.service().SignDeclaration(ctx, anonymous, f.declarationLink(links.PurposeDeclaration, time.Hour), form(validDeclaration(t)))
		var acc *domain.Accepted
		if !errors.As(err, &acc) {
			t.Errorf("SignDeclaration = %v; want Accepted (202)", err)
		}
	})
	t.Run("signed", func(t *testing.T) {
		f := newFixture(t)
		f.projected(domain.WorksiteAwaitingDeclaration)
		var staged []byte
		var typ, sha, wsID string
		f.store.StageUploadFn = func(_ context.Context, id string, b []byte, ct, sum string, _ time.Time) (string, error) {
			staged, typ, sha, wsID = b, ct, sum, id
			return "up-1", nil
		}
		f.answerWrites(domain.WorksiteStatus{State: domain.WorksiteAwaitingReview}, nil)
		st, err := f.service().SignDeclaration(ctx, anonymous, f.declarationLink(links.PurposeDeclaration, time.Hour), form(validDeclaration(t)))
		wantCode(t, err, "")
		if st.State != domain.WorksiteAwaitingReview {
			t.Errorf("state %s; want awaiting review", st.State)
		}
		if wsID != worksite.ID || typ != "image/png" || len(sha) != 64 || len(staged) == 0 {
			t.Errorf("staged %s %s %s; want the worksite's PNG", wsID, typ, sha)
		}
		u := f.writes[0]
		arg := u.Arg.(workflows.SignDeclaration)
		d := arg.Write.Declaration
		if u.Name != workflows.UpdateSignDeclaration || u.UpdateID != "sign-declaration/link/req-1" || arg.SignerName != "Dr. Lee Lead" ||
			d.UploadID != "up-1" || d.WorksiteID != worksite.ID || !d.SignedAt.Equal(now) || len(d.Attestation) != len(domain.DefaultAttestations()) ||
			!arg.NotAfter.Equal(now.Add(10*time.Second)) {
			t.Errorf("update %+v; want the signature with the staged upload, as the link's holder", u)
		}
	})
}

func TestDeclarationScreenshot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.knowsWorksite()
	f.store.GetDeclarationFn = func(_ context.Context, id string) (domain.Declaration, error) {
		return domain.Declaration{WorksiteID: id, ScreenshotType: "image/png", Screenshot: []byte("png")}, nil
	}
	s := f.service()
	if _, err := s.DeclarationScreenshot(ctx, ada, worksite.ID); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Errorf("an administrator: %v; want EFORBIDDEN (the team's)", err)
	}
	if _, err := s.DeclarationScreenshot(ctx, tess, "ZZZZZZZ"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an unknown worksite: %v; want ENOTFOUND", err)
	}
	if d, err := s.DeclarationScreenshot(ctx, tess, worksite.ID); err != nil || string(d.Screenshot) != "png" {
		t.Errorf("the team: %v, %v; want the screenshot", d, err)
	}
}
