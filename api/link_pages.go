package api

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/web"
)

// linkPagesTmpl holds the pages emailed links open: the join request and
// invitation pages (here) and the declaration form (declaration_page.go).
// They carry no inline script or style (the pages' CSP allows neither):
// each loads app.css and, only when its token verified, one module of
// web/static/js, which reads the token from main's data-token attribute.
// A value taken from the URL never becomes script source.
var linkPagesTmpl = template.Must(template.New("link pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · CareConnect</title>
<link rel="stylesheet" href="/static/css/app.css">
{{with .Script}}<script type="module" src="/static/js/{{.}}"></script>
{{end}}</head>
<body>
<header class="top"><a class="brand" href="/portal">CareConnect enrolment</a></header>
<main id="main" class="link-page"{{with .Token}} data-token="{{.}}"{{end}}>
<h1>{{.Title}}</h1>
{{end}}

{{define "foot"}}<p>Questions? Email the CareConnect enrolment team at <a href="mailto:{{.TeamEmail}}">{{.TeamEmail}}</a>.</p>
</main>
</body>
</html>
{{end}}

{{define "error"}}{{template "head" .}}<div class="box bad" role="alert">
<p>{{.Problem}}</p>
<p>{{.Next}}</p>
</div>
{{with .Actions}}<div class="actions">{{range $i, $a := .}}<a class="button{{if $i}} secondary{{end}}" href="{{$a.URL}}">{{$a.Label}}</a>{{end}}</div>
{{end}}{{template "foot" .}}{{end}}

{{define "join"}}{{template "head" .}}<div id="req" class="box" aria-live="polite">Loading the request…</div>
<div class="field">
<label for="reason">Reason (required to reject)</label>
<textarea id="reason" rows="3" aria-describedby="msg"></textarea>
</div>
<div class="actions"><button type="button" id="approve">Approve</button><button type="button" id="reject" class="secondary">Reject</button></div>
<p id="msg" role="status"></p>
{{template "foot" .}}{{end}}

{{define "invitation"}}{{template "head" .}}{{with .Worksite}}<dl class="facts" id="invited-to">
<dt>Worksite</dt><dd>{{.Name}}</dd>
<dt>Worksite ID</dt><dd>{{.ID}}</dd>
<dt>Address</dt><dd>{{.Address}}</dd>
</dl>{{end}}
<p>Accept the invitation with the account you registered using the invited email address.</p>
<p id="no-account" class="box warn" hidden>You have no HxBC account yet. <a id="register" href="/portal#/account">Register your account</a> with the invited email address and confirm it; you come back to this invitation afterwards.</p>
<div class="actions"><button type="button" id="accept">Accept the invitation</button></div>
<p id="msg" role="status"></p>
{{template "foot" .}}{{end}}
`))

// linkPage is what a link page's template is given.
type linkPage struct {
	Title string
	// Script is the page's module under /static/js/; empty on an error page,
	// which runs no script at all.
	Script string
	// Token is the verified link token, handed to the script as data.
	Token     string
	TeamEmail string
	// Problem and Next are an error page's: what happened, and what to do;
	// Actions are its ways forward (links), the first the main one.
	Problem, Next string
	// Worksite is the worksite an invitation invites to.
	Worksite *domain.Worksite
	Actions  []pageAction
	// Declaration is the declaration form's content (declaration_page.go).
	Declaration *declarationForm
}

// pageAction is a way forward from an error page: a same-site link.
type pageAction struct {
	URL, Label string
}

// linkKind describes one kind of emailed link and what its page says when
// the link cannot be used.
type linkKind struct {
	purpose  domain.LinkPurpose
	title    string
	template string
	script   string
	// invalid and expired are the error page's words: what happened, then
	// the way forward.
	invalid, expired [2]string
}

var (
	joinLinkKind = linkKind{purpose: domain.LinkJoinDecision, title: "Request to join your worksite",
		template: "join", script: "join-link.js",
		invalid: [2]string{"This link to a join request is not valid. It may have been cut short or changed when it was copied.",
			"Open the link in the email again, or answer the request from your worksite's page in the CareConnect portal."},
		expired: [2]string{"This link to a join request has expired.",
			"You can still answer the request from your worksite's page in the CareConnect portal."}}
	invitationLinkKind = linkKind{purpose: domain.LinkInvitation, title: "Invitation to join a worksite",
		template: "invitation", script: "invitation-link.js",
		invalid: [2]string{"This invitation link is not valid. It may have been cut short or changed when it was copied.",
			"Open the link in your invitation email again. If it still does not work, ask the worksite's administrator to send you a new invitation."},
		expired: [2]string{"This invitation link has expired.",
			"Ask the worksite's administrator to send you a new invitation."}}
)

// linkPage serves the page of an emailed link of kind k. The token is
// verified (signature, purpose, expiry) before anything is rendered: a
// link that cannot be used gets an error page that says why and what to
// do, with no script.
func (s *Server) linkPage(k linkKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.app.CheckLink(c.Param("token"), k.purpose); err != nil {
			s.linkErrorPage(c, k.title, err, k.invalid, k.expired)
			return
		}
		page := linkPage{Title: k.title, Script: k.script, Token: c.Param("token"), TeamEmail: s.cfg.Team.Email}
		if k.purpose == domain.LinkInvitation {
			inv, err := s.app.InvitationLink(c.Request.Context(), c.Param("token"))
			if err != nil {
				s.linkErrorPage(c, k.title, err, k.invalid, k.expired)
				return
			}
			page.Worksite = &inv.Worksite
		}
		s.renderLinkPage(c, http.StatusOK, k.template, page)
	}
}

// linkErrorPage answers a link that cannot be used: 404 (not valid) or 422
// (expired) as its error says; anything else is 503.
func (s *Server) linkErrorPage(c *gin.Context, title string, err error, invalid, expired [2]string) {
	page := linkPage{Title: title, TeamEmail: s.cfg.Team.Email}
	var status int
	switch domain.ErrorCode(err) {
	case domain.ENOTFOUND:
		status, page.Problem, page.Next = http.StatusNotFound, invalid[0], invalid[1]
	case domain.EUNPROCESSABLE:
		status, page.Problem, page.Next = http.StatusUnprocessableEntity, expired[0], expired[1]
	default:
		if domain.ErrorCode(err) == domain.EINTERNAL {
			s.log.Error("link page", "request_id", requestID(c), "error", err)
		}
		status, page.Problem, page.Next = http.StatusServiceUnavailable, "The service cannot show this page right now.",
			"Try the link again in a few minutes."
	}
	s.renderLinkPage(c, status, "error", page)
}

// renderLinkPage renders a link page into a buffer first, so that a
// template error is a clean 500 rather than half a page. The pages take
// the portal's Content-Security-Policy; securityHeaders keeps the token in
// their URL out of Referer headers (no-referrer) and out of caches.
func (s *Server) renderLinkPage(c *gin.Context, status int, name string, page linkPage) {
	var b bytes.Buffer
	if err := linkPagesTmpl.ExecuteTemplate(&b, name, page); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Content-Security-Policy", web.ContentSecurityPolicy)
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}
