package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
)

const learningHubPath = "/webhooks/learninghub"

// learningHubBody is a callback body for email.
func learningHubBody(t *testing.T, eventID, typ, courseCode, email string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"eventId": eventID, "type": typ, "courseCode": courseCode,
		"learner": map[string]any{"email": email, "learningHubId": "LH-" + eventID}, "occurredAt": "2026-03-01T17:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postLearningHub sends body signed with the system's secret at at
// (sign=false sends no signature header).
func postLearningHub(c *apptest.Checked, body []byte, at time.Time, sign bool) apptest.Response {
	var headers []string
	if sign {
		secret := []byte(c.Env().Config.LearningHub.Secret)
		headers = []string{learninghub.Header, learninghub.Sign(secret, at.Unix(), body)}
	}
	return c.Do(http.MethodPost, learningHubPath, "application/json", body, headers...)
}

func mustCountLearningHub(t *testing.T, env *apptest.Env) int64 {
	t.Helper()
	n, err := env.Store.CountLearningHubEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitLearningHubStatus polls the person's status until done says it shows what is wanted.
func waitLearningHubStatus(t *testing.T, env *apptest.Env, auth string, done func(domain.UserStatus) bool) domain.UserStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last struct {
		Status domain.UserStatus `json:"status"`
	}
	for time.Now().Before(deadline) {
		res := env.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
		if res.Status == http.StatusOK {
			res.JSON(t, &last)
			if done(last.Status) {
				return last.Status
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status never showed the LearningHub event: %+v", last.Status)
	return domain.UserStatus{}
}

func courseDone(st domain.UserStatus) bool { return st.CourseCompletedAt != nil }

// learningHubConformance exercises the callback through the conformance
// client c: accepted, duplicate, and a refused signature.
func learningHubConformance(t *testing.T, env *apptest.Env, c *apptest.Checked) {
	t.Helper()
	body := learningHubBody(t, "conformance-1", learninghub.TypeCourseCompleted, env.Config.LearningHub.CourseCode, "nobody-yet@example.ca")
	if res := postLearningHub(c, body, time.Now(), true); res.Status != http.StatusAccepted {
		t.Errorf("learninghub callback: got %d %s; want 202", res.Status, res.Body)
	}
	if res := postLearningHub(c, body, time.Now(), true); res.Status != http.StatusOK {
		t.Errorf("learninghub duplicate: got %d %s; want 200", res.Status, res.Body)
	}
	if res := postLearningHub(c, body, time.Now().Add(-time.Hour), true); res.Status != http.StatusUnauthorized {
		t.Errorf("learninghub stale callback: got %d %s; want 401", res.Status, res.Body)
	}
}

// TestLearningHubCallbacks: a signed completion is stored and reaches the
// learner's status; a duplicate is acknowledged once; every refusal
// stores nothing; a completion before the account is applied when the
// account registers and confirms its email.
func TestLearningHubCallbacks(t *testing.T) {
	env := apptest.Start(t, nil)
	c := env.Checked()
	course, agreement := env.Config.LearningHub.CourseCode, env.Config.LearningHub.AgreementCode
	phys := env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	physEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)

	// Refusals first: each stores nothing.
	good := learningHubBody(t, "evt-1", learninghub.TypeCourseCompleted, course, strings.ToUpper(physEmail))
	now := time.Now()
	refusals := []struct {
		name   string
		body   []byte
		header string // "" sends none; "sign" signs body now
		status int
		check  apptest.RequestCheck
	}{
		{"missing signature", good, "", http.StatusUnauthorized, apptest.RequestInvalid},
		{"signed with another secret", good, learninghub.Sign([]byte("not-the-shared-secret-0123456789abcdef"), now.Unix(), good),
			http.StatusUnauthorized, apptest.RequestValid},
		{"signature of another body", good, learninghub.Sign([]byte(env.Config.LearningHub.Secret), now.Unix(), []byte(`{}`)),
			http.StatusUnauthorized, apptest.RequestValid},
		{"stale timestamp", good, learninghub.Sign([]byte(env.Config.LearningHub.Secret), now.Add(-10*time.Minute).Unix(), good),
			http.StatusUnauthorized, apptest.RequestValid},
		{"future timestamp", good, learninghub.Sign([]byte(env.Config.LearningHub.Secret), now.Add(10*time.Minute).Unix(), good),
			http.StatusUnauthorized, apptest.RequestValid},
		{"garbage header", good, "t=abc,v1=zz", http.StatusUnauthorized, apptest.RequestValid},
		{"malformed body", []byte(`{"eventId":`), "sign", http.StatusBadRequest, apptest.RequestInvalid},
		{"unknown type", learningHubBody(t, "evt-x", "course.started", course, physEmail), "sign", http.StatusBadRequest, apptest.RequestInvalid},
		{"unknown field", []byte(strings.Replace(string(good), `"eventId"`, `"extra":true,"eventId"`, 1)), "sign",
			http.StatusBadRequest, apptest.RequestInvalid},
		{"bad email", learningHubBody(t, "evt-y", learninghub.TypeCourseCompleted, course, "not-an-email"), "sign",
			http.StatusBadRequest, apptest.RequestUnchecked},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			switch tc.header {
			case "":
			case "sign":
				headers = []string{learninghub.Header, learninghub.Sign([]byte(env.Config.LearningHub.Secret), time.Now().Unix(), tc.body)}
			default:
				headers = []string{learninghub.Header, tc.header}
			}
			res := c.For(t).Expect(tc.check).Do(http.MethodPost, learningHubPath, "application/json", tc.body, headers...)
			if res.Status != tc.status {
				t.Errorf("got %d %s; want %d", res.Status, res.Body, tc.status)
			}
			if n := mustCountLearningHub(t, env); n != 0 {
				t.Errorf("%d events stored; want none for a refused callback", n)
			}
		})
	}

	// Accepted: stored before the answer, then shown on the learner's status.
	res := postLearningHub(c, good, time.Now(), true)
	if res.Status != http.StatusAccepted || !strings.Contains(string(res.Body), `"accepted"`) {
		t.Fatalf("good callback: got %d %s; want 202 accepted", res.Status, res.Body)
	}
	stored, err := env.Store.GetLearningHubEvent(context.Background(), "evt-1")
	if err != nil || stored.Email != strings.ToLower(physEmail) || stored.Body != string(good) {
		t.Fatalf("stored event = %+v, %v; want evt-1 for %s with its raw body", stored, err, physEmail)
	}
	st := waitLearningHubStatus(t, env, phys, courseDone)
	if want := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC); !st.CourseCompletedAt.Equal(want) {
		t.Errorf("courseCompletedAt = %v; want %v", st.CourseCompletedAt, want)
	}
	if st.AgreementAcknowledgedAt != nil {
		t.Errorf("agreementAcknowledgedAt = %v; want none yet", st.AgreementAcknowledgedAt)
	}
	if ev, err := env.Store.GetLearningHubEvent(context.Background(), "evt-1"); err != nil || ev.DeliveredAt == nil || ev.Subject == "" {
		t.Errorf("evt-1 after delivery = %+v, %v; want delivered to the physician", ev, err)
	}

	// A duplicate is acknowledged and changes nothing.
	res = postLearningHub(c, good, time.Now(), true)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"duplicate"`) {
		t.Fatalf("duplicate: got %d %s; want 200 duplicate", res.Status, res.Body)
	}
	if n := mustCountLearningHub(t, env); n != 1 {
		t.Errorf("%d events stored; want 1 after a duplicate", n)
	}

	// The HPCAA acknowledgement counts too, and the course stays completed once.
	hpcaa := learningHubBody(t, "evt-2", learninghub.TypeAgreementAcknowledged, agreement, physEmail)
	if res := postLearningHub(c, hpcaa, time.Now(), true); res.Status != http.StatusAccepted {
		t.Fatalf("HPCAA callback: got %d %s; want 202", res.Status, res.Body)
	}
	st = waitLearningHubStatus(t, env, phys, func(st domain.UserStatus) bool { return st.AgreementAcknowledgedAt != nil })
	completions := 0
	for _, e := range st.Timeline {
		if e.Kind == "course_completed" {
			completions++
		}
	}
	if completions != 1 {
		t.Errorf("course_completed events = %d; want 1 (the duplicate was ignored)", completions)
	}

	// Another course is acknowledged but applies to nobody.
	other := learningHubBody(t, "evt-3", learninghub.TypeCourseCompleted, "SOME-OTHER-COURSE", physEmail)
	if res := postLearningHub(c, other, time.Now(), true); res.Status != http.StatusAccepted {
		t.Fatalf("other course: got %d %s; want 202", res.Status, res.Body)
	}
	if ev, err := env.Store.GetLearningHubEvent(context.Background(), "evt-3"); err != nil || ev.DeliveredAt == nil || ev.Subject != "" {
		t.Errorf("other course event = %+v, %v; want stored and settled without a subject", ev, err)
	}

	// A completion before the account exists waits, and is applied when
	// the account with that email registers and confirms it.
	npEmail := apptest.AccountFor(devidp.PersonaNursePractitioner)["email"].(string)
	early := learningHubBody(t, "evt-early", learninghub.TypeCourseCompleted, course, npEmail)
	if res := postLearningHub(c, early, time.Now(), true); res.Status != http.StatusAccepted {
		t.Fatalf("early callback: got %d %s; want 202", res.Status, res.Body)
	}
	if ev, err := env.Store.GetLearningHubEvent(context.Background(), "evt-early"); err != nil || ev.DeliveredAt != nil {
		t.Fatalf("early event = %+v, %v; want stored and pending", ev, err)
	}
	np := env.RegisterConfirmedAccount(devidp.PersonaNursePractitioner)
	st = waitLearningHubStatus(t, env, np, courseDone)
	if st.State != domain.UserAccountRegistered {
		t.Errorf("state = %s; want account_registered", st.State)
	}
	if ev, err := env.Store.GetLearningHubEvent(context.Background(), "evt-early"); err != nil || ev.DeliveredAt == nil {
		t.Errorf("early event after registration = %+v, %v; want delivered", ev, err)
	}
}
