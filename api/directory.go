package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/enrolment"
)

// writeCSV answers rows as a CSV attachment named name, every cell made
// safe to open in a spreadsheet (domain.CSVCell).
func writeCSV(c *gin.Context, name string, header []string, rows [][]string) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header) // a bytes.Buffer does not fail
	for _, r := range rows {
		for i := range r {
			r[i] = domain.CSVCell(r[i])
		}
		_ = w.Write(r)
	}
	w.Flush()
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// listRequest reads a team list's search from the query string.
func listRequest(c *gin.Context) enrolment.ListRequest {
	return enrolment.ListRequest{Text: c.Query("q"), Cursor: c.Query("cursor"), Limit: c.Query("limit")}
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// staffPeople is the team's people list: a search by name, email or
// username, paged by cursor, or every match as CSV (format=csv).
func (s *Server) staffPeople(c *gin.Context) {
	if c.Query("format") == "csv" {
		people, err := s.app.ExportPeople(c.Request.Context(), caller(c), c.Query("q"))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		rows := make([][]string, 0, len(people))
		for _, p := range people {
			at := p.SignedUpAt
			rows = append(rows, []string{p.Subject, p.LegalFirstName, p.LegalLastName, p.PreferredFirstName, p.PreferredLastName,
				p.Username, p.Email, p.Profession, p.State, p.WaitingOn, timeCell(&at)})
		}
		writeCSV(c, "people.csv", []string{"subject", "legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name",
			"username", "email", "profession", "state", "waiting_on", "signed_up_at"}, rows)
		return
	}
	page, err := s.app.FindPeople(c.Request.Context(), caller(c), listRequest(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

// listWorksites is the team's worksite list from the projection: a
// search by name, ID or address with filters, paged by cursor, or every
// match as CSV (format=csv).
func (s *Server) listWorksites(c *gin.Context) {
	r := enrolment.WorksiteListRequest{ListRequest: listRequest(c), State: c.Query("state"), WaitingOn: c.Query("waitingOn")}
	if c.Query("format") == "csv" {
		ws, err := s.app.ExportWorksites(c.Request.Context(), caller(c), r)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		rows := make([][]string, 0, len(ws))
		for _, w := range ws {
			at := w.RegisteredAt
			rows = append(rows, []string{w.ID, w.Name, string(w.LocationType), w.Address, w.State, w.WaitingOn, timeCell(w.WaitingSince),
				timeCell(&at)})
		}
		writeCSV(c, "worksites.csv", []string{"id", "name", "location_type", "address", "state", "waiting_on", "waiting_since", "registered_at"}, rows)
		return
	}
	page, err := s.app.FindWorksites(c.Request.Context(), caller(c), r)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, page)
}
