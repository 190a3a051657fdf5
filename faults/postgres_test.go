package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"

	"careconnect/api"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
	"careconnect/workflows"
)

// outage is how long PostgreSQL stays down.
const outage = 30 * time.Second

// TestPostgresDown stops this test's own PostgreSQL for 30 s while a
// worksite waits for its declaration and its first reminder comes due.
// Meanwhile the reminder's timer fires and its projection write (which
// would put the reminder in the outbox) retries, nothing is sent, API
// writes answer 503 with Retry-After, and a LearningHub callback is
// refused with 503, never acknowledged. Once PostgreSQL is back the
// reminder is written with its change and delivered once, on the relay's
// first attempt (it did not exist before), the refused writes succeed when
// retried, the callback is accepted and applied, and the enrolment
// completes with every email sent once and every audit record in place.
func TestPostgresDown(t *testing.T) {
	need(t)
	t.Parallel()
	const reminder = 15 * time.Second
	pg := startPostgres(t)
	front := startMailFront(t)
	sys := startSystem(t, setup{DatabaseURL: pg.CreateDatabase("careconnect"), SMTPPort: front.Port(),
		Schedule: func(s *config.Schedule) { s.DeclarationReminders = []time.Duration{reminder, time.Hour, 2 * time.Hour} }})
	auth := sys.RegisterAccount(devidp.PersonaPhysician)
	email := adminEmail(devidp.PersonaPhysician)
	sys.confirmEmail(front.Catcher, devidp.PersonaPhysician, auth) // so that its LearningHub events reach it
	registeredAt := time.Now()
	id := sys.register(auth, 1)
	reg := waitCaught(t, front.Catcher, key(id, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitEmailSent(key(id, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitState(auth, id, domain.WorksiteAwaitingDeclaration, 10*time.Second)
	waitProjected(sys, id)
	waitIdle(sys, id)

	pg.Stop()
	downAt := time.Now()
	if downAt.After(registeredAt.Add(reminder - 3*time.Second)) {
		t.Fatalf("PostgreSQL stopped %s after registration: too late for the reminder to come due during the outage", downAt.Sub(registeredAt))
	}

	// API writes answer 503 with Retry-After, and quickly.
	_, token := apptest.DeclarationLink(t, reg)
	decl, ct := apptest.ValidDeclaration(t).Multipart(t)
	writes := []struct {
		name          string
		method, path  string
		contentType   string
		body          []byte
		authorization string
	}{
		{"register a worksite", http.MethodPost, "/api/v1/worksites", "application/json", mustJSON(t, registration(2)), auth},
		{"update my account", http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{"phone":"604-555-0199"}`), auth},
		{"sign the declaration", http.MethodPost, "/api/v1/declarations/" + token, ct, decl, ""},
		{"approve (team)", http.MethodPost, "/api/v1/staff/worksites/" + id + "/approve", "application/json", []byte(`{}`), sys.Bearer(devidp.PersonaTeam)},
	}
	for _, w := range writes {
		began := time.Now()
		res := sys.Do(w.method, w.path, w.contentType, w.body, "Authorization", w.authorization)
		checkUnavailable(t, w.name, res, time.Since(began))
	}
	if res := sys.Do(http.MethodGet, "/readyz", "", nil); res.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz while PostgreSQL is down: got %d %s; want 503", res.Status, res.Body)
	}
	// A LearningHub callback is not acknowledged while it cannot be stored.
	event := learningHubEvent(t, "evt-fault-"+randomHex(t, 4), email)
	res := postCallback(sys, event)
	checkUnavailable(t, "LearningHub callback", res, 0)

	// The reminder comes due during the outage: its timer fires, and the
	// workflow task's projection write (which carries the reminder into
	// the outbox) retries.
	sys.wait(outage, "the reminder's timer to fire", func() (bool, string) {
		return timerFired(sys, id)
	})
	if n, _ := front.Copies(key(id, mail.KindDeclarationReminder, 1)); n != 0 {
		t.Fatalf("the reminder went out while its change could not be written")
	}
	time.Sleep(time.Until(downAt.Add(outage)))
	pg.Start()
	t.Logf("PostgreSQL was down for %s; the reminder was due %s into it", time.Since(downAt).Round(time.Second),
		registeredAt.Add(reminder).Sub(downAt).Round(time.Second))

	// Nothing is lost: the reminder goes out (once), ...
	rec := sys.waitEmailSent(key(id, mail.KindDeclarationReminder, 1), 90*time.Second)
	if rec.Attempts != 1 {
		t.Errorf("reminder's email log shows %d send attempts; want 1 (it entered the outbox with its change, after the outage)", rec.Attempts)
	}
	// ... the callback LearningHub retries is accepted and applied, ...
	sys.wait(30*time.Second, "the callback to be accepted", func() (bool, string) {
		res = postCallback(sys, event)
		return res.Status == http.StatusAccepted, fmt.Sprintf("%d %s", res.Status, res.Body)
	})
	sys.wait(30*time.Second, "the course completion on the status", func() (bool, string) {
		res := sys.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
		var body struct {
			Status domain.UserStatus `json:"status"`
		}
		_ = json.Unmarshal(res.Body, &body)
		return res.Status == http.StatusOK && body.Status.CourseCompletedAt != nil, fmt.Sprintf("%d %s", res.Status, res.Body)
	})
	// ... the refused writes succeed when retried, and the enrolment completes.
	second := sys.register(auth, 2)
	if res := sys.Do(http.MethodPatch, "/api/v1/me/account", "application/json", []byte(`{"phone":"604-555-0199"}`),
		"Authorization", auth); res.Status != http.StatusOK {
		t.Errorf("update my account after the outage: got %d %s; want 200", res.Status, res.Body)
	}
	sys.sign(reg)
	sys.waitState(auth, id, domain.WorksiteAwaitingReview, 30*time.Second)
	sys.approve(id)
	sys.waitState(auth, id, domain.WorksiteApproved, 30*time.Second)
	sys.waitEmailSent(key(id, mail.KindWorksiteApproved, 1), 30*time.Second)
	sys.waitEmailSent(key(second, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.checkDeliveredOnce(front.Catcher, "worksite/"+id+"/")
	sys.checkDeliveredOnce(front.Catcher, "worksite/"+second+"/")
	sys.wait(20*time.Second, "the team's list (the projection) to show the worksite approved", func() (bool, string) {
		res := sys.Staff(http.MethodGet, "/api/v1/staff/worksites?state=approved", nil)
		return res.Status == http.StatusOK && strings.Contains(string(res.Body), id), fmt.Sprintf("%d %s", res.Status, res.Body)
	})
	audit := sys.Staff(http.MethodGet, "/api/v1/staff/worksites/"+id+"/audit", nil)
	for _, action := range []string{"worksite registered", "declaration signed", "worksite approved"} {
		if !strings.Contains(string(audit.Body), action) {
			t.Errorf("audit lacks %q: %s", action, audit.Body)
		}
	}
}

// checkUnavailable checks that res is the error body with 503 and Retry-After.
func checkUnavailable(t *testing.T, what string, res apptest.Response, took time.Duration) {
	t.Helper()
	var body api.ErrorBody
	_ = json.Unmarshal(res.Body, &body)
	if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || body.Error.Code != domain.EUNAVAILABLE ||
		!strings.Contains(body.Error.Message, "database") && !strings.Contains(body.Error.Message, "stored") {
		t.Errorf("%s while PostgreSQL is down: got %d (Retry-After %q) %s; want 503 unavailable with Retry-After, naming the database",
			what, res.Status, res.Header.Get("Retry-After"), res.Body)
	}
	if took > 10*time.Second {
		t.Errorf("%s while PostgreSQL is down took %s; want a prompt answer", what, took)
	}
}

// waitProjected waits until the team's list (the projection) shows the worksite.
func waitProjected(sys *system, id string) {
	sys.t.Helper()
	sys.wait(20*time.Second, "the worksite in the team's list", func() (bool, string) {
		res := sys.Staff(http.MethodGet, "/api/v1/staff/worksites?waitingOn=signing_authority", nil)
		return res.Status == http.StatusOK && strings.Contains(string(res.Body), id), fmt.Sprintf("%d %s", res.Status, res.Body)
	})
}

// timerFired reports whether the worksite workflow's history has a timer
// fired (its first reminder), and what it last saw, for messages.
func timerFired(sys *system, id string) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	it := sys.Temporal.GetWorkflowHistory(ctx, workflows.WorksiteWorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return false, err.Error()
		}
		n++
		if e.GetEventType() == enums.EVENT_TYPE_TIMER_FIRED {
			return true, ""
		}
	}
	return false, fmt.Sprintf("%d events, no timer fired", n)
}

// learningHubEvent is the body of a course completion for email.
func learningHubEvent(t *testing.T, eventID, email string) []byte {
	t.Helper()
	return mustJSON(t, learninghub.Event{EventID: eventID, Type: learninghub.TypeCourseCompleted,
		CourseCode: config.Default().LearningHub.CourseCode,
		Learner:    learninghub.Learner{Email: email, LearningHubID: "lh-" + eventID}, OccurredAt: time.Now().UTC().Truncate(time.Second)})
}

// postCallback posts body as LearningHub does, signed now.
func postCallback(sys *system, body []byte) apptest.Response {
	sys.t.Helper()
	sig := learninghub.Sign([]byte(sys.Config.LearningHub.Secret), time.Now().Unix(), body)
	return sys.Do(http.MethodPost, "/webhooks/learninghub", "application/json", body, learninghub.Header, sig)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
