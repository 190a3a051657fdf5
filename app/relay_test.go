package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/mail"
	"careconnect/store"
)

// The outbox relay with the real parts (PostgreSQL, Temporal, the mail
// catcher, the worker): a worksite's registration email and its member
// notice leave the outbox once their change committed, each sent once and
// recorded; and a LearningHub event left pending (the API's own attempt
// failed: stored, never delivered) is delivered by the relay on its own,
// with no other callback or confirmation to prompt it.
func TestRelayWithRealParts(t *testing.T) {
	env := apptest.Start(t, func(c *config.Config) { c.Relay.Interval = 200 * time.Millisecond })
	ctx := context.Background()
	auth := env.RegisterConfirmedAccount(devidp.PersonaPhysician)
	subject := env.Subject(devidp.PersonaPhysician)
	email := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)

	// A LearningHub event whose delivery never happened: stored as the API
	// stores one, received a minute ago.
	received := time.Now().Add(-time.Minute).UTC()
	if _, err := env.Store.RecordLearningHubEvent(ctx, store.LearningHubEvent{EventID: "relay-evt-1", Type: learninghub.TypeCourseCompleted,
		CourseCode: env.Config.LearningHub.CourseCode, Email: email, LearningHubID: "LH-relay-1", OccurredAt: received,
		ReceivedAt: received, Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	waitLearningHubStatus(t, env, auth, courseDone)
	// The relay marks the event delivered once its signal is sent, so the
	// status may show it a moment before the mark is stored.
	e, err := env.Store.GetLearningHubEvent(ctx, "relay-evt-1")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && err == nil && e.DeliveredAt == nil; time.Sleep(50 * time.Millisecond) {
		e, err = env.Store.GetLearningHubEvent(ctx, "relay-evt-1")
	}
	if err != nil || e.DeliveredAt == nil || e.Subject != subject {
		t.Errorf("event after the relay's delivery = %+v, %v; want delivered to %s", e, err, subject)
	}

	// A worksite: its registration email goes out through the outbox.
	env.Auth = auth
	id := mustRegister(t, env, registration())
	env.Auth = ""
	key := "worksite/" + id + "/worksite_registered/1"
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	caught, err := env.Catcher.WaitFor(wctx, func(m mail.Caught) bool { return m.EventKey == key })
	if err != nil {
		t.Fatalf("the registration email: %v", err)
	}
	var recs []store.EmailRecord
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if recs, err = env.Store.ListEmails(ctx, key); err == nil && len(recs) == 1 && recs[0].Status != store.EmailPending {
			break // the relay records the outcome once the server has accepted it
		}
	}
	if err != nil || len(recs) != 1 || recs[0].Status != store.EmailSent || recs[0].Attempts != 1 || len(recs[0].Recipients) != 1 {
		t.Errorf("email log = %+v, %v; want the email sent once, to its recipient", recs, err)
	}

	// Signed and approved: the registrant's workflow hears of it through a
	// notice from the outbox.
	_, token := apptest.DeclarationLink(t, caught)
	if res := env.PostDeclaration(token, apptest.ValidDeclaration(t)); res.Status != http.StatusOK {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	if res := env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"reason": "ok"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	waitLearningHubStatus(t, env, auth, func(st domain.UserStatus) bool {
		for _, w := range st.Worksites {
			if w.WorksiteID == id && w.WorksiteState == domain.WorksiteApproved {
				return true
			}
		}
		return false
	})
	var notices []store.NoticeRecord
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if notices, err = env.Store.ListNotices(ctx, "worksite/"+id+"/notice/"); err == nil && len(notices) == 1 && notices[0].Status != store.EmailPending {
			break
		}
	}
	if err != nil || len(notices) != 1 || notices[0].Status != store.EmailSent || notices[0].Subject != subject || notices[0].Attempts != 1 {
		t.Errorf("notices = %+v, %v; want one, sent to the registrant on its first attempt", notices, err)
	}
}
