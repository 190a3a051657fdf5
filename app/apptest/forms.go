package apptest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"testing"

	"careconnect/domain"
	"careconnect/mail"
)

// PNG returns a small valid PNG image.
func PNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Declaration is a declaration form to post.
type Declaration struct {
	SignerName, SignerTitle string
	Attestations            []string
	// File is the screenshot; FileType is the Content-Type the part claims.
	File     []byte
	FileType string
}

// ValidDeclaration returns a complete declaration with a real PNG.
func ValidDeclaration(t testing.TB) Declaration {
	t.Helper()
	var ids []string
	for _, a := range domain.DefaultAttestations() {
		ids = append(ids, a.ID)
	}
	return Declaration{SignerName: "Dr. Lee Lead", SignerTitle: "Clinical Lead", Attestations: ids, File: PNG(t), FileType: "image/png"}
}

// Multipart encodes d as multipart/form-data and returns the body and its content type.
func (d Declaration) Multipart(t testing.TB) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteField("signerName", d.SignerName))
	must(w.WriteField("signerTitle", d.SignerTitle))
	for _, a := range d.Attestations {
		must(w.WriteField("attestations", a))
	}
	if d.File != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="screenshot"; filename="antivirus.png"`)
		h.Set("Content-Type", d.FileType)
		part, err := w.CreatePart(h)
		must(err)
		_, err = part.Write(d.File)
		must(err)
	}
	must(w.Close())
	return b.Bytes(), w.FormDataContentType()
}

// PostDeclaration posts d to the declaration API for token.
func (e *Env) PostDeclaration(token string, d Declaration) Response {
	e.T.Helper()
	body, ct := d.Multipart(e.T)
	return e.Do(http.MethodPost, "/api/v1/declarations/"+token, ct, body)
}

var declarationLinkRE = regexp.MustCompile(`(https?://[^\s"<>]+)/declaration/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`)

// DeclarationLink extracts the declaration link's base URL and token from an email.
func DeclarationLink(t testing.TB, m mail.Caught) (base, token string) {
	t.Helper()
	g := declarationLinkRE.FindStringSubmatch(m.Text)
	if g == nil {
		t.Fatalf("no declaration link in email %q:\n%s", m.Subject, m.Text)
	}
	return g[1], g[2]
}
