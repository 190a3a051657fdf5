package api

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

// linkPage is a small page an emailed link opens; its script calls the
// JSON API and shows errors next to the form.
var linkPageTmpl = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · CareConnect</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
label{display:block;font-weight:600;margin-top:1rem}textarea{width:100%;padding:.5rem;border:1px solid #555;border-radius:4px}
button{margin:1rem .5rem 0 0;padding:.6rem 1.4rem;font-size:1rem;background:#003366;color:#fff;border:0;border-radius:4px}
button.secondary{background:#fff;color:#003366;border:2px solid #003366}:focus-visible{outline:3px solid #fcba19;outline-offset:2px}
.err{color:#a00000;font-weight:600}.box{padding:1rem;border-radius:4px;background:#f2f2f2}</style></head>
<body><main><h1>{{.Title}}</h1>
{{if eq .Kind "join"}}
<div id="req" class="box" aria-live="polite">Loading the request…</div>
<label for="reason">Reason (required to reject)</label><textarea id="reason" rows="3"></textarea>
<button id="approve">Approve</button><button id="reject" class="secondary">Reject</button>
<p id="msg" role="status"></p>
<script>
const api = '/api/v1/join-links/{{.Token}}';
fetch(api).then(r => r.json().then(b => ({ok: r.ok, b}))).then(({ok, b}) => {
  document.getElementById('req').textContent = ok
    ? b.joinRequest.name + ' (' + b.joinRequest.profession + ') asks to join worksite ' + b.worksiteId + (b.joinRequest.comment ? ': "' + b.joinRequest.comment + '"' : '')
    : b.error.message;
});
async function answer(approve) {
  const r = await fetch(api, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({approve, reason: document.getElementById('reason').value})});
  const b = await r.json();
  const m = document.getElementById('msg');
  m.className = r.ok ? '' : 'err';
  m.textContent = r.ok ? (approve ? 'Approved. The person has been told.' : 'Rejected. The person has been told why.')
    : (b.error.fields && b.error.fields.reason ? 'Reason ' + b.error.fields.reason : b.error.message);
}
document.getElementById('approve').onclick = () => answer(true);
document.getElementById('reject').onclick = () => answer(false);
</script>
{{else}}
<p>Accept the invitation with the account you registered using the invited email address.</p>
<button id="accept">Accept the invitation</button>
<p id="msg" role="status"></p>
<script>
document.getElementById('accept').onclick = async () => {
  const me = await fetch('/api/v1/me');
  if (me.status === 401) { location.href = '/auth/login?returnTo=' + encodeURIComponent(location.pathname); return; }
  const csrf = (await me.json()).csrfToken || '';
  const r = await fetch('/api/v1/invitations/{{.Token}}/accept', {method: 'POST', headers: {'X-CSRF-Token': csrf}});
  const b = await r.json();
  const m = document.getElementById('msg');
  m.className = r.ok ? '' : 'err';
  m.textContent = r.ok ? b.message : b.error.message;
};
</script>
{{end}}
</main></body></html>`))

func (s *Server) linkPage(kind, title string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'")
		c.Header("Referrer-Policy", "no-referrer")
		c.Status(http.StatusOK)
		if err := linkPageTmpl.Execute(c.Writer, gin.H{"Kind": kind, "Title": title, "Token": c.Param("token")}); err != nil {
			s.log.Error("link page", "error", err)
		}
	}
}
