package api

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
)

// declarationTmpl is the worksite Privacy & Security Declaration form, a
// link page (link_pages.go): its script, web/static/js/declaration.js,
// posts the form to the JSON API and shows each field error beside its field.
var declarationTmpl = template.Must(linkPagesTmpl.New("declaration").Parse(`{{template "head" .}}{{with .Declaration}}
{{if .Done}}
<p class="box ok" role="status">The declaration for {{.Worksite.Name}} (worksite ID <strong>{{.Worksite.ID}}</strong>) has already been received. Current status: {{.Done}}.</p>
{{else}}
<p>Worksite <strong>{{.Worksite.Name}}</strong>, ID <strong>{{.Worksite.ID}}</strong>, {{.Worksite.AddressLine}}.</p>
<p>This form must be completed by a person with legal signing authority for the organization (for example the clinical lead or office manager).</p>
<form id="decl" class="stack" novalidate>
 <p class="small muted">Every field marked <span class="req">*</span> is required.</p>
 <div class="field">
  <label for="signerName">Your full name<span class="req" aria-hidden="true"> *</span></label>
  <input type="text" id="signerName" name="signerName" data-field="signerName" autocomplete="name" required aria-describedby="signerName-err">
  <p class="field-error" id="signerName-err" data-error-for="signerName"></p>
 </div>
 <div class="field">
  <label for="signerTitle">Your title<span class="req" aria-hidden="true"> *</span></label>
  <input type="text" id="signerTitle" name="signerTitle" data-field="signerTitle" autocomplete="organization-title" required aria-describedby="signerTitle-err">
  <p class="field-error" id="signerTitle-err" data-error-for="signerTitle"></p>
 </div>
 <div class="field">
  <label for="signerEmail">Your email (optional)</label>
  <input type="email" id="signerEmail" name="signerEmail" data-field="signerEmail" autocomplete="email" aria-describedby="signerEmail-err">
  <p class="field-error" id="signerEmail-err" data-error-for="signerEmail"></p>
 </div>
 <fieldset aria-describedby="attestations-err">
  <legend>I attest that<span class="req" aria-hidden="true"> *</span></legend>
  {{range .Attestations}}<div class="field check"><input type="checkbox" id="att-{{.ID}}" name="attestations" data-field="attestations" value="{{.ID}}" required> <label for="att-{{.ID}}">{{.Text}}</label></div>
  {{end}}
  <p class="field-error" id="attestations-err" data-error-for="attestations"></p>
 </fieldset>
 <div class="field">
  <label for="screenshot">Antivirus screenshot (PNG or JPEG, at most {{.MaxMB}} MB and 16 megapixels)<span class="req" aria-hidden="true"> *</span></label>
  <input type="file" id="screenshot" name="screenshot" data-field="screenshot" accept="image/png,image/jpeg" required aria-describedby="screenshot-err">
  <p class="field-error" id="screenshot-err" data-error-for="screenshot"></p>
 </div>
 <div class="actions"><button type="submit">Sign the declaration</button></div>
 <p class="form-error" id="form-err" role="alert" data-form-error></p>
</form>
<p id="done" class="box ok" role="status" hidden>Thank you. The declaration is signed; the CareConnect enrolment team will now review the worksite.</p>
{{end}}{{end}}
{{template "foot" .}}`))

// declarationForm is what the declaration page shows of a verified link.
type declarationForm struct {
	Worksite     WorksiteView
	Done         string // the worksite's state in words (domain.Labels) once the declaration is in; empty while it awaits one
	Attestations []domain.Attestation
	MaxMB        int64
}

const declarationTitle = "Worksite Privacy & Security Declaration"

// declarationPage is the HTML form an emailed declaration link opens. The
// token is verified first; a link that cannot be used gets an error page
// (404 not valid, 422 expired, 503) that says what to do, and no script.
func (s *Server) declarationPage(c *gin.Context) {
	l, err := s.app.DeclarationPage(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.linkErrorPage(c, declarationTitle, err,
			[2]string{"This declaration link is not valid. It may have been cut short or changed when it was copied.",
				"Open the link in your worksite registration email again. If it still does not work, contact the CareConnect enrolment team."},
			[2]string{"This declaration link has expired.",
				"Contact the CareConnect enrolment team at " + s.cfg.Team.Email + " for a new link."})
		return
	}
	form := &declarationForm{Worksite: s.view(l.Worksite), Attestations: s.cfg.Policy.Attestations, MaxMB: s.cfg.Uploads.MaxScreenshotBytes >> 20}
	page := linkPage{Title: declarationTitle, TeamEmail: s.cfg.Team.Email, Declaration: form}
	if l.State != "" && l.State != domain.WorksiteAwaitingDeclaration {
		form.Done = domain.Label(domain.DefaultLabels().WorksiteStates, string(l.State))
	} else {
		page.Script, page.Token = "declaration.js", c.Param("token")
	}
	s.renderLinkPage(c, http.StatusOK, "declaration", page)
}
