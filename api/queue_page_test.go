package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"careconnect/domain"
	"careconnect/store"
)

// queueBody is the queue's response as encoding/json would write it: the
// reference queuePage must equal (TestQueuePageIsEncodingJSON) and the
// shape the OpenAPI document's ApplicationQueue must describe
// (TestOpenAPISchemasMatchGo). Its fields are in the order encoding/json
// writes the keys of a map.
type queueBody struct {
	Applications []domain.QueuedApplication `json:"applications"`
	NextCursor   string                     `json:"nextCursor,omitempty"`
	Total        int64                      `json:"total"`
	Worksites    []domain.WorksiteSummary   `json:"worksitesAwaitingApproval"`
	// WorksitesNextCursor and WorksitesTotal page the worksites.
	WorksitesNextCursor string `json:"worksitesNextCursor,omitempty"`
	WorksitesTotal      int64  `json:"worksitesTotal"`
}

// TestQueuePageIsEncodingJSON: queuePage writes what encoding/json writes
// for the same page, so a field added to store.QueuedApplication without
// queuePage learning it fails here.
func TestQueuePageIsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.FixedZone("PST", -8*3600))
	app, err := json.Marshal(domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP", Name: "Smith & <Sons>"},
		State: domain.AppReady, SubmittedAt: at, ReadySince: &at, Reason: "line\u2028separator", Answers: map[string]bool{"b": true, "a": false}})
	if err != nil {
		t.Fatal(err)
	}
	apps := []store.QueuedApplication{
		// HTML-sensitive, non-ASCII and line-separator characters, escaped alike.
		{Subject: "sub-<1>", Name: "Zoë \"Z\" O'Neil & Co\u2028", Profession: "physician", Application: app,
			BusinessDaysWaiting: 7, WorkflowID: "user/sub-<1>", State: domain.AppReady, ReadySince: &at},
		{Subject: "sub-2", Name: "", Profession: "", Application: json.RawMessage(`{}`)},
	}
	worksites := []store.WorksiteSummary{{ID: "K4T6CLP", Name: "Clinic <A>", LocationType: domain.CommunityPharmacy, Address: "1 Main St",
		State: "awaiting_team_review", WaitingOn: "enrolment_team", WaitingSince: &at, NextMilestoneKind: "breach", NextMilestoneAt: &at,
		Stalled: true, Escalated: true, Breached: true, RegisteredAt: at, BusinessDaysWaiting: 3, WorkflowID: "worksite/K4T6CLP"}, {ID: "B"}}
	for _, c := range []struct {
		name      string
		apps      []store.QueuedApplication
		worksites []store.WorksiteSummary
		total     int64
		next      string
		wtotal    int64
		wnext     string
	}{
		{"full, with a next page", apps, worksites, 1234567, "eyJrIjpbIjIwMjYtMDMtMDJUMTc6MzA6MDBaIiwiYSIsImIiLCJjIl19", 150, "eyJrIjpbImEiLCJiIl19"},
		// A cursor is opaque to the client: whatever it holds is escaped alike.
		{"a cursor needing escapes", apps, worksites, 2, "<a&b>\u2028\"q\"", 2, "<w&>\u2028"},
		{"last page", apps, worksites, 2, "", 2, ""},
		{"no applications", []store.QueuedApplication{}, worksites, 0, "", 2, ""},
		{"no worksites (a profession filter)", apps, nil, 2, "", 0, ""},
		{"nothing", nil, nil, 0, "", 0, ""},
	} {
		got, err := queuePage(c.apps, c.worksites, c.total, c.next, c.wtotal, c.wnext)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m := gin.H{"applications": nonNil(c.apps), "worksitesAwaitingApproval": nonNil(c.worksites), "total": c.total,
			"nextCursor": c.next, "worksitesTotal": c.wtotal, "worksitesNextCursor": c.wnext}
		// Cursors are omitted when empty, as queueBody's omitempty does.
		if c.next == "" {
			delete(m, "nextCursor")
		}
		if c.wnext == "" {
			delete(m, "worksitesNextCursor")
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := json.Marshal(queueBody{Applications: nonNil(c.apps), NextCursor: c.next, Total: c.total, Worksites: nonNil(c.worksites),
			WorksitesNextCursor: c.wnext, WorksitesTotal: c.wtotal}); err != nil || !bytes.Equal(st, want) {
			t.Errorf("%s: queueBody =\n%s\nwant (%v)\n%s", c.name, st, err, want)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: queuePage =\n%s\nwant\n%s", c.name, got, want)
		}
	}
	for _, bad := range []string{"", "null", `{"state":"ready_for_provisioning"`} {
		if _, err := queuePage([]store.QueuedApplication{{Subject: "s", Application: json.RawMessage(bad)}}, nil, 1, "", 0, ""); err == nil {
			t.Errorf("stored application %q: no error; want one", bad)
		}
	}
}
