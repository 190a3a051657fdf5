package api

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/web"
)

// confirmEmail confirms the address a link was sent to, for the signed-in
// owner of the account it names (enrolment.ConfirmEmail).
func (s *Server) confirmEmail(c *gin.Context) {
	r, err := s.app.ConfirmEmail(c.Request.Context(), caller(c), c.Param("token"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body := gin.H{"outcome": r.Outcome, "account": r.Account}
	if r.Status != nil {
		body["status"] = r.Status
	}
	c.JSON(http.StatusOK, body)
}

// resendEmailConfirmation sends another link to the address the caller's
// account waits to confirm.
func (s *Server) resendEmailConfirmation(c *gin.Context) {
	r, err := s.app.ResendEmailConfirmation(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"sentTo": r.SentTo, "status": r.Status})
}

// emailPageTmpl is the page an email confirmation link opens. It has no
// inline script or style: the token, verified before the page is
// rendered, reaches the script (/static/js/confirm-email.js) as data.
var emailPageTmpl = template.Must(template.New("confirm-email").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm your email address · CareConnect</title>
<link rel="stylesheet" href="/static/css/app.css"></head>
<body>
{{if .Token}}<main id="main" data-token="{{.Token}}">{{else}}<main id="main">{{end}}
<h1>Confirm your email address</h1>
{{if .Error}}
<p class="box bad" role="alert">{{.Error}}</p>
<p><a href="/portal#/">Go to the CareConnect enrolment portal</a></p>
{{else if .Done}}
<p class="box ok" role="status">{{.Done}}</p>
<p><a href="/portal#/">Go to your status page</a></p>
{{else}}
<p>This confirms <strong>{{.Address}}</strong> as the {{if .Change}}new {{end}}email address of the HxBC account <strong>{{.Username}}</strong>.</p>
<p>Only the owner of that account, signed in with the BC Services Card, can confirm it. If you did not register this account or change its address, do not confirm: close this page.</p>
<div class="actions"><button type="button" id="confirm">Confirm my email address</button></div>
<p id="msg" role="status" aria-live="polite"></p>
<p id="next" hidden><a class="button secondary" href="/portal#/">Go to your status page</a></p>
<script type="module" src="/static/js/confirm-email.js"></script>
{{end}}
<p class="small muted">Questions? Email <a href="mailto:{{.TeamEmail}}">{{.TeamEmail}}</a>.</p>
</main>
</body></html>
`))

// emailPage is what emailPageTmpl shows: an error, a done message, or the
// address to confirm with its token.
type emailPage struct {
	Error, Done       string
	Token             string
	Address, Username string
	Change            bool
	TeamEmail         string
}

// confirmEmailPage shows what an email confirmation link does, after
// verifying its token and reading the account: an invalid, expired or
// replaced link gets an error page without script; a used one says so.
func (s *Server) confirmEmailPage(c *gin.Context) {
	page := emailPage{TeamEmail: s.cfg.Team.Email}
	status := http.StatusOK
	fail := func(err error) {
		page.Error, status = domain.ErrorMessage(err), statusOf[domain.ErrorCode(err)]
		if status == 0 || status == http.StatusInternalServerError {
			page.Error, status = "The link could not be checked just now; try again shortly.", http.StatusServiceUnavailable
			s.log.Error("email confirmation page", "request_id", requestID(c), "error", err)
		}
	}
	token := c.Param("token")
	switch v, err := s.app.EmailLinkPage(c.Request.Context(), token); {
	case err != nil:
		fail(err)
	case v.AlreadyUsed:
		page.Done = "This email address is already confirmed. There is nothing more to do."
	default:
		page.Token, page.Address, page.Username, page.Change = token, v.Address, v.Username, v.Change
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", web.ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := emailPageTmpl.Execute(c.Writer, page); err != nil {
		s.log.Error("email confirmation page", "request_id", requestID(c), "error", err)
	}
}
