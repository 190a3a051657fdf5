package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
)

// waitWorksite polls the API until the worksite's status satisfies done.
func waitWorksite(t *testing.T, env *apptest.Env, id string, done func(domain.WorksiteStatus) bool) domain.WorksiteStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last worksiteResponse
	for time.Now().Before(deadline) {
		if res := env.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil); res.Status == http.StatusOK {
			last = worksiteResponse{}
			res.JSON(t, &last)
			if done(last.Status) {
				return last.Status
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("worksite %s: status %+v never came", id, last.Status)
	return domain.WorksiteStatus{}
}

// A running enrolment picks up a changed calendar: a worksite waiting for
// the team has its escalation moved a business day later when a worker
// starts with a holiday added on the first business day of the wait, and
// `careconnect calendar push` pushes the calendar again on demand.
func TestRunningWorkflowPicksUpChangedCalendar(t *testing.T) {
	env := apptest.Start(t, nil)
	ctx := context.Background()
	env.SignIn(devidp.PersonaPhysician)
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := mustRegister(t, env, registration())
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	mustOK(t, "sign", env.PostDeclaration(token, apptest.ValidDeclaration(t)), http.StatusOK)
	st := waitState(t, env, id, domain.WorksiteAwaitingReview)

	// The worker pushed the shipped calendar (BC's holidays) when it started.
	before := env.Config.Calendar.DomainCalendar()
	last, err := env.Store.LastCalendarPush(ctx, env.Config.Temporal.TaskQueue)
	if err != nil || last.Fingerprint != before.Fingerprint() {
		t.Fatalf("last push = %+v, %v; want the configured calendar %s", last, err, before.Fingerprint())
	}
	if len(before.Holidays) == 0 {
		t.Fatal("the shipped calendar has no holidays; want BC's statutory holidays")
	}
	since := st.WaitingSince
	if want := before.AddBusinessDays(since, 5); st.NextMilestone == nil || !st.NextMilestone.At.Equal(want) {
		t.Fatalf("escalation = %+v; want %v", st.NextMilestone, want)
	}

	// The first business day of the wait becomes a holiday.
	loc, err := before.Location()
	if err != nil {
		t.Fatal(err)
	}
	day := since.In(loc).AddDate(0, 0, 1)
	for !before.IsBusinessDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	cfg := env.Config
	cfg.Calendar.Holidays = append(append([]string(nil), cfg.Calendar.Holidays...), day.Format(time.DateOnly))
	after := cfg.Calendar.DomainCalendar()
	want := after.AddBusinessDays(since, 5)
	if !want.After(st.NextMilestone.At) {
		t.Fatalf("the new calendar's escalation %v is not later than %v", want, st.NextMilestone.At)
	}

	// Another worker starts with the new configuration, as after a deploy.
	cfg.HTTP.AdminAddr = "127.0.0.1:0"
	cfg.SMTP.DevCatcher = false // the first process's catcher takes its mail
	w := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := w.Run(ctx, app.Roles{Worker: true}); err != nil {
		t.Fatalf("starting the second worker: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })

	got := waitWorksite(t, env, id, func(s domain.WorksiteStatus) bool {
		return s.NextMilestone != nil && s.NextMilestone.At.Equal(want)
	})
	if got.NextMilestone.Kind != domain.MilestoneEscalate || got.State != domain.WorksiteAwaitingReview {
		t.Errorf("after the push: %s, next %+v; want still awaiting review, the escalation at %v", got.State, got.NextMilestone, want)
	}
	if ev := got.Timeline[len(got.Timeline)-1]; ev.Kind != "calendar_changed" {
		t.Errorf("last timeline event = %+v; want calendar_changed", ev)
	}
	pushed, err := env.Store.LastCalendarPush(ctx, cfg.Temporal.TaskQueue)
	if err != nil || pushed.Fingerprint != after.Fingerprint() || pushed.Workflows < 2 || !pushed.Calendar.Equal(after) {
		t.Errorf("last push = %+v, %v; want the new calendar, sent to the worksite and its administrator's enrolment", pushed, err)
	}

	// `careconnect calendar push` sends it again, whatever was pushed.
	res, err := app.PushCalendar(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || !res.Pushed || res.Previous != after.Fingerprint() || res.Fingerprint != after.Fingerprint() || res.Workflows != pushed.Workflows {
		t.Errorf("calendar push = %+v, %v; want the same calendar pushed again to %d enrolments", res, err, pushed.Workflows)
	}
}
