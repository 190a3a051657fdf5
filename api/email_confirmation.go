package api

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/web"
	"careconnect/workflows"
)

// An account's email binds nothing (LearningHub events, invitations) until
// its owner has used the signed link sent to it (DOMAIN "Account fields").
// The link proves the mailbox; the session proves the account: only the
// account's owner, signed in, may use it, so that a link sent for someone
// else's account (a squatter who registered your address) confirms
// nothing when you click it.

// emailLink verifies an email confirmation token and returns the account
// it names and the nonce of the link.
func (s *Server) emailLink(token string) (subject, nonce string, err error) {
	claims, err := s.links.Verify(token, links.PurposeEmailConfirmation, s.now())
	switch {
	case errors.Is(err, links.ErrExpired):
		return "", "", domain.Errorf(domain.EUNPROCESSABLE, "this link has expired; sign in and send a new one from your status page")
	case err != nil:
		return "", "", domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	i := strings.LastIndexByte(claims.Subject, '/')
	if i <= 0 || i == len(claims.Subject)-1 {
		return "", "", domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	return claims.Subject[:i], claims.Subject[i+1:], nil
}

// confirmEmail confirms the address a link was sent to, for the signed-in
// owner of the account it names: that address becomes the one in force,
// and what waited for it (LearningHub events) reaches the account. A
// replay answers "already_confirmed" and changes nothing, but tells the
// enrolment again, in case a first attempt never reached it.
func (s *Server) confirmEmail(c *gin.Context) {
	if !s.authorize(c, authz.ConfirmOwnEmail, authz.Resource{}) {
		return
	}
	subject, nonce, err := s.emailLink(c.Param("token"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if !s.authorize(c, authz.ConfirmOwnEmail, authz.Resource{Owner: subject}) {
		return
	}
	ctx := c.Request.Context()
	now := s.now().UTC()
	acct, outcome, err := s.store.ConfirmEmail(ctx, subject, nonce, now, s.audit(c, "person:"+subject, "email confirmed", ""))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body := gin.H{"outcome": outcome, "account": acct}
	st, err := s.userUpdate(c, subject, workflows.UpdateEmailConfirmationSettled, workflows.EmailConfirmationSettled{
		Confirmed: true, At: now, RequestID: requestID(c)})
	switch domain.ErrorCode(err) {
	case "":
		body["status"] = st
	case domain.ECONFLICT: // the enrolment knows already
	default:
		// Confirmed and stored; the status catches up when the link is used again.
		s.log.Warn("email confirmed but the enrolment not told", "request_id", requestID(c), "error", err)
	}
	s.deliverLearningHub(ctx, acct.Email, acct.LearningHubID)
	c.JSON(http.StatusOK, body)
}

// resendEmailConfirmation sends another link to the address the caller's
// account waits to confirm (at most domain.MaxEmailConfirmationLinks).
func (s *Server) resendEmailConfirmation(c *gin.Context) {
	acct, ok := s.account(c, authz.UpdateOwnAccount)
	if !ok {
		return
	}
	nonce, seq, err := s.store.NextEmailLink(c.Request.Context(), acct.Subject)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	st, err := s.userUpdate(c, acct.Subject, workflows.UpdateEmailConfirmationRequested, workflows.EmailConfirmationRequest{
		Link: nonce, Seq: seq, Change: acct.EmailConfirmed, RequestID: requestID(c)})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"sentTo": acct.AwaitingEmail(), "status": st})
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
	subject, nonce, err := s.emailLink(token)
	if err != nil {
		fail(err)
	} else if acct, err := s.store.GetAccount(c.Request.Context(), subject); domain.ErrorCode(err) == domain.ENOTFOUND {
		fail(domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email"))
	} else if err != nil {
		fail(err)
	} else {
		f := domain.EmailLinkFacts{Used: acct.EmailConfirmedLink}
		if acct.AwaitingEmail() != "" {
			f.Outstanding = acct.EmailLink
		}
		switch outcome, err := domain.CheckEmailLink(f, nonce); {
		case err != nil:
			fail(err)
		case outcome == domain.EmailLinkAlreadyUsed:
			page.Done = "This email address is already confirmed. There is nothing more to do."
		default:
			page.Token, page.Address, page.Username, page.Change = token, domain.MaskEmail(acct.AwaitingEmail()), acct.Username, acct.EmailConfirmed
		}
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
