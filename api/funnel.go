package api

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
)

// funnel is the team's daily picture: how many enrolments wait at each step and on whom.
func (s *Server) funnel(c *gin.Context) {
	f, err := s.app.Funnel(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"steps": f.Steps, "waiting": domain.FunnelWaiting(f.Steps), "generatedAt": f.At})
}

// partyColours are the bar colours by who must act; each has at least 4.5:1
// contrast with white text and 3:1 with the white page.
var partyColours = map[domain.Party]string{
	domain.PartyApplicant:        "#1a5a96",
	domain.PartySiteAdmin:        "#6b4a9e",
	domain.PartySigningAuthority: "#8a4b08",
	domain.PartySponsor:          "#2e7040",
	domain.PartyLearningHub:      "#5b5b5b",
	domain.PartyEnrolmentTeam:    "#a12622",
	domain.PartyNone:             "#3d3d3d",
}

var partyLabels = map[domain.Party]string{
	domain.PartyApplicant: "applicant", domain.PartySiteAdmin: "site administrator", domain.PartySigningAuthority: "signing authority",
	domain.PartySponsor: "sponsor", domain.PartyLearningHub: "LearningHub", domain.PartyEnrolmentTeam: "enrolment team", domain.PartyNone: "nobody (done)",
}

type funnelBar struct {
	Y, Width, TextX      int
	Label, Party, Colour string
	Count                int
}

var funnelTmpl = template.Must(template.New("funnel").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-labelledby="funnel-title funnel-desc" font-family="system-ui, sans-serif" font-size="14">
<title id="funnel-title">Where enrolments wait: {{.Waiting}} waiting</title>
<desc id="funnel-desc">{{range .Bars}}{{.Label}}: {{.Count}}, waiting on the {{.Party}}. {{end}}</desc>
<rect width="100%" height="100%" fill="#ffffff"/>
{{range .Bars}}<g>
<title>{{.Label}}: {{.Count}} (waiting on the {{.Party}})</title>
<text x="{{$.LabelW}}" y="{{.Y}}" dy="17" text-anchor="end" fill="#1a1a1a">{{.Label}}</text>
<rect x="{{$.BarX}}" y="{{.Y}}" width="{{.Width}}" height="24" rx="3" fill="{{.Colour}}"/>
<text x="{{.TextX}}" y="{{.Y}}" dy="17" fill="#1a1a1a">{{.Count}} · {{.Party}}</text>
</g>
{{end}}</svg>`))

// funnelSVG renders the funnel as an accessible SVG bar chart.
func (s *Server) funnelSVG(c *gin.Context) {
	f, err := s.app.Funnel(c.Request.Context(), caller(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	steps := f.Steps
	const labelW, barX, barMax, rowH = 280, 292, 420, 34
	// Bars scale to the longest wait; the finished step (it only grows) is capped at full width.
	most := 1
	for _, st := range steps {
		if !st.Finished {
			most = max(most, st.Count)
		}
	}
	bars := make([]funnelBar, len(steps))
	for i, st := range steps {
		w := min(st.Count*barMax/most, barMax)
		if st.Count > 0 {
			w = max(w, 3)
		}
		bars[i] = funnelBar{Y: 10 + i*rowH, Width: w, TextX: barX + w + 8, Label: st.Label, Count: st.Count,
			Party: partyLabels[st.WaitingOn], Colour: partyColours[st.WaitingOn]}
	}
	var b bytes.Buffer
	if err := funnelTmpl.Execute(&b, map[string]any{"W": barX + barMax + 200, "H": 20 + len(steps)*rowH, "LabelW": labelW,
		"BarX": barX, "Bars": bars, "Waiting": domain.FunnelWaiting(steps)}); err != nil {
		writeError(c, s.log, fmt.Errorf("funnel: %w", err))
		return
	}
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", b.Bytes())
}
