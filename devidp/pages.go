package devidp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// pageTitle is the title of the persona picker; it says plainly what this is
// so that nobody mistakes it for the real BC Services Card.
const pageTitle = "Dev identity provider — not BC Services Card"

// field is one hidden input of the picker form.
type field struct{ Name, Value string }

// pickerPage is the data of the persona picker.
type pickerPage struct {
	Title    string
	ClientID string
	Hidden   []field
	Personas []Persona
}

// indexPage is the data of the page at /.
type indexPage struct {
	Title        string
	Issuer       string
	DiscoveryURL string
	Personas     []Persona
}

// errorPage is the data of the page shown for a request the client must not
// be told about (unknown client or redirect URI) or that the picker broke.
type errorPage struct {
	Title   string
	Message string
}

// pagesSource holds the HTML templates. Text is escaped by html/template.
const pagesSource = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fafafa; line-height: 1.5; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.banner { background: #fff4ce; border-bottom: 3px solid #d8a300; padding: .75rem 1.5rem; margin: 0; }
ul.personas { list-style: none; padding: 0; }
ul.personas li { border: 1px solid #c8c8c8; border-radius: 6px; background: #fff; padding: .75rem 1rem; margin: .75rem 0; }
button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 2px solid #003366; background: #003366; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #003366; }
button:focus-visible, a:focus-visible { outline: 3px solid #d8a300; outline-offset: 2px; }
dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: .5rem 0 0; }
dt { font-weight: 600; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #c8c8c8; padding: .4rem .6rem; text-align: left; vertical-align: top; }
code { word-break: break-all; }
</style>
</head>
<body>
<p class="banner" role="note"><strong>Development only.</strong> This is not the BC Services Card. It signs you in as a made-up persona; no real identity is checked.</p>
{{end}}

{{define "foot"}}</body>
</html>
{{end}}

{{define "persona-details"}}<dl>
<dt>Name</dt><dd>{{.GivenName}} {{.FamilyName}}</dd>
<dt>Profession</dt><dd>{{.Description}}</dd>
<dt>Identity assurance</dt><dd>IAL {{.IAL}}</dd>
<dt>Email</dt><dd>{{.Email}}</dd>
<dt>Subject</dt><dd><code>{{.Subject}}</code></dd>
{{if .Roles}}<dt>Roles</dt><dd>{{range $i, $r := .Roles}}{{if $i}}, {{end}}{{$r}}{{end}}</dd>{{end}}
</dl>{{end}}

{{define "picker"}}{{template "head" .Title}}<main>
<h1>{{.Title}}</h1>
<p>The application <code>{{.ClientID}}</code> asks you to sign in. Choose who to be.</p>
<form method="post" action="authorize">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<fieldset>
<legend>Personas</legend>
<ul class="personas">
{{range .Personas}}<li>
<button type="submit" name="persona" value="{{.Key}}" aria-describedby="persona-{{.Key}}">Sign in as {{.GivenName}} {{.FamilyName}}</button>
<div id="persona-{{.Key}}">{{template "persona-details" .}}</div>
</li>
{{end}}</ul>
</fieldset>
<p><button type="submit" class="secondary" name="cancel" value="1">Cancel and return to the application</button></p>
</form>
</main>
{{template "foot"}}{{end}}

{{define "index"}}{{template "head" .Title}}<main>
<h1>{{.Title}}</h1>
<p>Issuer: <code>{{.Issuer}}</code></p>
<p>Discovery document: <a href="{{.DiscoveryURL}}"><code>{{.DiscoveryURL}}</code></a></p>
<h2>Personas</h2>
<table>
<caption>People you can sign in as</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Profession</th><th scope="col">IAL</th><th scope="col">Subject</th><th scope="col">Roles</th></tr></thead>
<tbody>
{{range .Personas}}<tr><th scope="row"><code>{{.Key}}</code></th><td>{{.GivenName}} {{.FamilyName}}</td><td>{{.Description}}</td><td>{{.IAL}}</td><td><code>{{.Subject}}</code></td><td>{{range $i, $r := .Roles}}{{if $i}}, {{end}}{{$r}}{{end}}</td></tr>
{{end}}</tbody>
</table>
</main>
{{template "foot"}}{{end}}

{{define "error"}}{{template "head" "Dev identity provider — error"}}<main>
<h1>{{.Title}}</h1>
<p role="alert">{{.Message}}</p>
<p>The application that sent you here is not told about this error, because its client ID or redirect URI could not be trusted, or the sign-in form was incomplete.</p>
</main>
{{template "foot"}}{{end}}
`

// parsePages parses the HTML templates; each Provider has its own set.
func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Parse(pagesSource)
	if err != nil {
		return nil, fmt.Errorf("devidp: parse pages: %w", err)
	}
	return t, nil
}

// pagesCSP lets the pages use their own style sheet, allowed by its hash
// (the text between <style> and </style> in pagesSource), and nothing else.
var pagesCSP = func() string {
	_, rest, _ := strings.Cut(pagesSource, "<style>")
	css, _, _ := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; frame-ancestors 'none'; base-uri 'none'"
}()

// renderPicker shows the persona picker for a validated request.
func (p *Provider) renderPicker(w http.ResponseWriter, a authRequest) {
	p.renderPage(w, http.StatusOK, "picker", pickerPage{
		Title:    pageTitle,
		ClientID: a.ClientID,
		Hidden:   a.hiddenFields(),
		Personas: p.personas,
	})
}

// renderPage executes the named template into a buffer first, so that a
// template error becomes a clean 500 rather than half a page.
func (p *Provider) renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "devidp: render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pagesCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	// A failed write means the browser went away; there is nobody left to tell.
	_, _ = buf.WriteTo(w)
}
