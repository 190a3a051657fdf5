package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"careconnect/api"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/store"
	"careconnect/store/storetest"
	"careconnect/workflows"
)

// teamAuth signs every bearer in as a member of the enrolment team.
type teamAuth struct{}

func (teamAuth) VerifyBearer(context.Context, string) (domain.Principal, error) {
	return domain.Principal{Subject: "team-test", Role: domain.RoleTeam, GivenName: "Team", IAL: 3}, nil
}
func (teamAuth) LoginURL(context.Context, domain.SignInKind, string, string) (string, string, error) {
	return "", "", nil
}
func (teamAuth) Callback(context.Context, string, string, string) (domain.Principal, string, string, error) {
	return domain.Principal{}, "", "", domain.Errorf(domain.EUNAUTHORIZED, "no sign-in here")
}
func (teamAuth) Session(context.Context, string) (domain.Principal, error) {
	return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "no sessions here")
}
func (teamAuth) Logout(context.Context, string) error { return nil }

// newQueueServer is an API on s whose callers are the team and whose clock is now.
func newQueueServer(s *store.Store, now time.Time) *api.Server {
	cfg, clock, log := config.Default(), func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil))
	app := enrolment.New(enrolment.Deps{Config: cfg, Store: s, Now: clock, Logger: log})
	return api.New(api.Deps{Config: cfg, App: app, Auth: teamAuth{}, Now: clock, Logger: log})
}

// mustGet GETs path as the team and returns the 200 body.
func mustGet(t *testing.T, srv http.Handler, path string) []byte {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer team")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET %s: %d %s: %s; want 200 JSON", path, w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	return w.Body.Bytes()
}

// decodedQueued is a queue row as the handler wrote it before the stored
// application passed through undecoded: decoded into domain.Application
// and encoded again.
type decodedQueued struct {
	Subject             string             `json:"subject"`
	Name                string             `json:"name"`
	Profession          string             `json:"profession"`
	Application         domain.Application `json:"application"`
	BusinessDaysWaiting int                `json:"businessDaysWaiting"`
	WorkflowID          string             `json:"workflowId"`
}

// TestApplicationQueueResponse: the queue writes each stored application
// byte for byte as decoding and re-encoding it did, with the SLA age and
// workflow ID beside it; overdue and worksiteType narrow both lists, and a
// profession filter leaves out the worksites.
func TestApplicationQueueResponse(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	ctx := context.Background()
	now := time.Date(2026, 3, 13, 18, 0, 0, 0, time.UTC)
	cal := config.Default().Calendar.DomainCalendar()
	types := domain.IndexWorksiteTypes(domain.DefaultWorksiteTypes())
	// A week and a half ago, in another zone: the stored JSON keeps its offset.
	old := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.FixedZone("PST", -8*3600))
	recent := now.Add(-26 * time.Hour)
	role := domain.BusinessRole{RoleContext: "Community Services", FunctionalDescription: "Clinical Support Staff"}
	apps := []decodedQueued{
		{Subject: "sub-old", Name: "Priya <Sharma> & Co", Profession: domain.ProfMOA, Application: domain.Application{
			Worksite: domain.WorksiteFacts{ID: "K4T6CLP", Name: "Main Street Clinic", Type: types[domain.CommunityPrivatePractice],
				State: domain.WorksiteApproved, Member: true, StateSince: old},
			State: domain.AppReady, SubmittedAt: old.Add(-time.Hour), Answers: map[string]bool{"direct_clinical_care": true},
			Requirements: []domain.Requirement{{Key: "course", Description: "the course", Since: old, Done: true},
				{Key: "team", Description: "the enrolment team must provision access", WaitingOn: domain.PartyEnrolmentTeam, Since: old}},
			ReadySince: &old, SponsorshipRequestedAt: &old, Sponsorship: &domain.Sponsorship{SponsorSubject: "dr", SponsorName: "Dr Lee",
				Role: role, ApprovedAt: old}, SponsorsAsked: []domain.Person{{Name: "Dr Lee", Email: "lee@example.ca", Subject: "dr"}},
			Next: &domain.DueTimer{Kind: "breach", At: old.AddDate(0, 0, 9), Seq: 1}, Escalated: true, SponsorRemindersSent: 2}},
		{Subject: "sub-recent", Name: "Sam Ng", Profession: domain.ProfPharmacist, Application: domain.Application{
			Worksite: domain.WorksiteFacts{ID: "PHARM01", Name: "Corner Pharmacy", Type: types[domain.CommunityPharmacy]},
			State:    domain.AppReady, SubmittedAt: recent, ReadySince: &recent}},
	}
	for i := range apps {
		a := &apps[i]
		if err := s.SaveApplication(ctx, a.Subject, a.Name, a.Profession, a.Application, 1); err != nil {
			t.Fatal(err)
		}
		a.BusinessDaysWaiting, a.WorkflowID = cal.BusinessDaysBetween(*a.Application.ReadySince, now), workflows.UserWorkflowID(a.Subject)
	}
	waiting := domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP"}, State: domain.AppWaiting, SubmittedAt: old}
	if err := s.SaveApplication(ctx, "sub-waiting", "Wai Ting", domain.ProfPhysician, waiting, 1); err != nil {
		t.Fatal(err)
	}
	var sites []string
	for i, lt := range []domain.LocationType{domain.CommunityPrivatePractice, domain.CommunityPharmacy} {
		reg := domain.WorksiteRegistration{Name: "Clinic", Phone: "(604) 555-4555", Email: "clinic@example.ca", LocationType: lt, EMR: "OSCAR",
			Address: domain.Address{StreetNumber: string(rune('1' + i)), StreetName: "Main St", City: "Vancouver", Province: "BC", PostalCode: "V5T 4G5"}}
		w, err := s.CreateWorksite(ctx, reg, old.Add(time.Duration(i)*time.Hour), domain.AuditEvent{Actor: "a", Role: "applicant", Action: "registered"})
		if err != nil {
			t.Fatal(err)
		}
		sites = append(sites, w.ID)
		if err := s.SaveWorksiteStatus(ctx, domain.WorksiteStatus{WorksiteID: w.ID, State: domain.WorksiteAwaitingReview,
			WaitingOn: domain.PartyEnrolmentTeam, WaitingSince: old, Escalated: i == 1, Seq: 1}); err != nil {
			t.Fatal(err)
		}
	}
	srv := newQueueServer(s, now)

	type page struct {
		Applications []json.RawMessage       `json:"applications"`
		Worksites    []store.WorksiteSummary `json:"worksitesAwaitingApproval"`
		Total        int64                   `json:"total"`
		NextCursor   string                  `json:"nextCursor"`
	}
	for _, c := range []struct {
		query     string
		apps      []decodedQueued
		worksites []string
	}{
		// The team's default view: ready applications, longest waiting first, and every worksite awaiting approval.
		{"", apps, sites},
		{"?overdue=true", apps[:1], sites[1:]},
		{"?worksiteType=community_pharmacy", apps[1:], sites[1:]},
		{"?overdue=true&worksiteType=community_pharmacy", nil, sites[1:]},
		// Worksites have no profession.
		{"?profession=pharmacist", apps[1:], nil},
		{"?state=waiting&profession=pharmacist", nil, nil},
	} {
		body := mustGet(t, srv, "/api/v1/staff/applications"+c.query)
		var got page
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if !bytes.HasPrefix(body, []byte(`{"applications":[`)) || !bytes.Contains(body, []byte(`,"worksitesAwaitingApproval":[`)) {
			t.Errorf("%s: body %s; want both lists, never null", c.query, body)
		}
		if len(got.Applications) != len(c.apps) || got.Total != int64(len(c.apps)) || got.NextCursor != "" {
			t.Errorf("%s: %d applications of %d (next %q); want %d of %d, one page", c.query, len(got.Applications), got.Total,
				got.NextCursor, len(c.apps), len(c.apps))
			continue
		}
		for i, want := range c.apps {
			js, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Applications[i], js) {
				t.Errorf("%s: application %d =\n%s\nwant\n%s", c.query, i, got.Applications[i], js)
			}
		}
		var ids []string
		for _, w := range got.Worksites {
			ids = append(ids, w.ID)
			if w.WorkflowID != workflows.WorksiteWorkflowID(w.ID) || w.BusinessDaysWaiting != cal.BusinessDaysBetween(old, now) {
				t.Errorf("%s: worksite %+v; want its workflow ID and SLA age", c.query, w)
			}
		}
		if len(ids) != len(c.worksites) || (len(ids) > 0 && ids[0] != c.worksites[0]) {
			t.Errorf("%s: worksites %v; want %v", c.query, ids, c.worksites)
		}
	}
	// A page of one: the total counts both, and the cursor leads to the second and last page.
	var first, second page
	if err := json.Unmarshal(mustGet(t, srv, "/api/v1/staff/applications?limit=1"), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mustGet(t, srv, "/api/v1/staff/applications?limit=1&cursor="+first.NextCursor), &second); err != nil {
		t.Fatal(err)
	}
	if len(first.Applications) != 1 || first.Total != 2 || first.NextCursor == "" || len(second.Applications) != 1 ||
		second.Total != 2 || second.NextCursor != "" {
		t.Fatalf("pages of one: %+v then %+v; want one application each, total 2, a cursor on the first only", first, second)
	}
	for i, p := range []page{first, second} {
		var a decodedQueued
		if err := json.Unmarshal(p.Applications[0], &a); err != nil || a.Subject != apps[i].Subject {
			t.Errorf("page %d: %s (%v); want %s", i+1, p.Applications[0], err, apps[i].Subject)
		}
	}
	// A cursor the queue did not give, or one of another list, is a field error.
	for _, bad := range []string{"garbage", "eyJrIjpbImEiXX0"} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/staff/applications?cursor="+bad, nil)
		req.Header.Set("Authorization", "Bearer team")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusBadRequest || !bytes.Contains(w.Body.Bytes(), []byte(`"cursor"`)) {
			t.Errorf("cursor %q: %d %s; want 400 naming the cursor", bad, w.Code, w.Body)
		}
	}
}

// TestApplicationQueueCSV: format=csv exports every application the
// filters select, past any page size, in the queue's order, with every
// cell safe to open in a spreadsheet.
func TestApplicationQueueCSV(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	ctx := context.Background()
	now := time.Date(2026, 3, 13, 18, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const n = 120 // over the default page of 50
	for i := range n {
		ready := at.Add(time.Duration(i) * time.Minute)
		name := "Person " + string(rune('A'+i%26))
		if i == 0 {
			name = "=HYPERLINK(\"http://evil\")"
		}
		a := domain.Application{Worksite: domain.WorksiteFacts{ID: "K4T6CLP", Name: "@Clinic"}, State: domain.AppReady,
			SubmittedAt: at, ReadySince: &ready, Escalated: i%2 == 0}
		if err := s.SaveApplication(ctx, "sub-"+string(rune('a'+i/26))+string(rune('a'+i%26)), name, domain.ProfMOA, a, 1); err != nil {
			t.Fatal(err)
		}
	}
	srv := newQueueServer(s, now)
	for _, c := range []struct {
		query string
		rows  int
	}{{"", n}, {"&overdue=true", n / 2}, {"&state=waiting", 0}, {"&cursor=ignored&limit=1", n}} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/staff/applications?format=csv"+c.query, nil)
		req.Header.Set("Authorization", "Bearer team")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
			w.Header().Get("Content-Disposition") != `attachment; filename="applications.csv"` {
			t.Fatalf("%s: %d %v: %s; want a CSV attachment", c.query, w.Code, w.Header(), w.Body)
		}
		recs, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != c.rows+1 || recs[0][0] != "subject" || recs[0][1] != "name" {
			t.Fatalf("%s: %d records (header %v); want a header and %d rows", c.query, len(recs), recs[0], c.rows)
		}
		if c.rows == 0 {
			continue
		}
		first := recs[1]
		if first[0] != "sub-aa" || first[1] != "'=HYPERLINK(\"http://evil\")" || first[3] != "K4T6CLP" || first[4] != "'@Clinic" ||
			first[5] != string(domain.AppReady) || first[7] != at.Format(time.RFC3339) || first[9] != "true" || first[11] != "user/sub-aa" {
			t.Errorf("%s: first row %q; want sub-aa with formula cells defused", c.query, first)
		}
	}
}
