package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
	"careconnect/domain"
	"careconnect/workflows"
)

// recordEnv turns TestRecordHistories on. Recording rewrites the files the
// replay test in package workflows checks, so it never runs by accident.
const recordEnv = "CARECONNECT_RECORD_HISTORIES"

// historiesDir is where workflows/replay_test.go reads the histories.
var historiesDir = filepath.Join("..", "workflows", "testdata", "histories")

// TestRecordHistories drives each major path of both workflow types through
// the HTTP API of the whole system, against a real Temporal dev server, and
// writes each workflow's event history as JSON into
// workflows/testdata/histories. Run it after a deliberate change to a
// workflow (see docs/determinism.md):
//
//	CARECONNECT_RECORD_HISTORIES=1 go test -count=1 -timeout 15m -run TestRecordHistories ./app/
func TestRecordHistories(t *testing.T) {
	if os.Getenv(recordEnv) == "" {
		t.Skipf("set %s=1 to record workflow histories into %s", recordEnv, historiesDir)
	}
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("approved_members_sponsorship", recordApprovedWorksite)
	t.Run("rejected", recordRejectedWorksite)
	t.Run("decisions_and_closure", recordDecisionsAndClosure)
	t.Run("timers", recordTimers)
	t.Run("continue_as_new", recordContinueAsNew)
}

// recordApprovedWorksite: a worksite registered, declared and approved; its
// registrant provisioned through LearningHub and the team; a calendar
// pushed to both (calendar-changed); an MOA who joins,
// is sponsored and provisioned; a physician invited, accepted and promoted;
// the MOA deactivated; the worksite suspended and reinstated by the team.
func recordApprovedWorksite(t *testing.T) {
	env := apptest.Start(t, nil)
	id, doc := provisionedPhysician(t, env)
	// A calendar pushed to both running enrolments (the worksite approved,
	// the physician provisioned): each takes it, and nothing moves.
	pushCalendar(t, env, time.Now())
	moa := env.RegisterConfirmedAccount(devidp.PersonaMOA)
	moaEmail := apptest.AccountFor(devidp.PersonaMOA)["email"].(string)
	doc2 := env.RegisterConfirmedAccount(devidp.PersonaPhysician2)
	doc2Email := apptest.AccountFor(devidp.PersonaPhysician2)["email"].(string)

	mustOK(t, "join", env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "front desk"}, "Authorization", moa), http.StatusCreated)
	m := mustMembers(t, env, id, doc)
	if len(m.Requests) != 1 {
		t.Fatalf("join requests = %+v; want the MOA's", m.Requests)
	}
	mustOK(t, "approve join", env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/join-requests/"+m.Requests[0].ID+"/approve", "", nil, "Authorization", doc), http.StatusOK)
	moaSubject := m.Requests[0].Subject
	apply(t, env, moa, id)
	waitLearningHubStatus(t, env, moa, func(st domain.UserStatus) bool { return appOf(st, id) != nil })
	mustOK(t, "request sponsorship", env.Do(http.MethodPost, "/api/v1/me/applications/"+id+"/sponsorship-request", "", nil, "Authorization", moa), http.StatusOK)
	mustOK(t, "sponsor", env.PostJSON("/api/v1/worksites/"+id+"/sponsorships/"+moaSubject+"/approve", map[string]any{}, "Authorization", doc), http.StatusOK)
	waitMailTo(t, env, moaEmail, "sponsorship")
	callbacks(t, env, moaEmail, "moa", false)
	provisionWhenReady(t, env, moa, id)

	mustOK(t, "invite", env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": doc2Email}, "Authorization", doc), http.StatusCreated)
	itoken := mustLink(t, waitMailTo(t, env, doc2Email, "invited to join"), "invitations")
	mustOK(t, "accept", env.Do(http.MethodPost, "/api/v1/invitations/"+itoken+"/accept", "", nil, "Authorization", doc2), http.StatusOK)
	doc2Subject := findMember(mustMembers(t, env, id, doc), "active", "bcsc-physician-0002").Subject
	mustOK(t, "promote", env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/members/"+doc2Subject+"/promote", "", nil, "Authorization", doc), http.StatusOK)
	mustOK(t, "deactivate", env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/members/"+moaSubject+"/deactivate", "", nil, "Authorization", doc2), http.StatusOK)
	waitLearningHubStatus(t, env, moa, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State != domain.AppProvisioned
	})
	mustOK(t, "suspend", env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/suspend", map[string]string{"reason": "audit finding"}), http.StatusOK)
	mustOK(t, "reinstate", env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reinstate", map[string]string{"reason": "resolved"}), http.StatusOK)
	waitState(t, env, id, domain.WorksiteApproved)

	saveHistory(t, env, workflows.WorksiteWorkflowID(id), "", "worksite_approved_members")
	saveHistory(t, env, workflows.UserWorkflowID(subjectOf(t, env, doc)), "", "user_provisioned")
	saveHistory(t, env, workflows.UserWorkflowID(moaSubject), "", "user_sponsored_deactivated")
}

// recordRejectedWorksite: declared, a holiday added to the calendar during
// the team's review (calendar-changed), then rejected by the team; the
// workflow ends.
func recordRejectedWorksite(t *testing.T) {
	env := apptest.Start(t, nil)
	env.SignIn(devidp.PersonaPhysician)
	admin := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	id := mustRegister(t, env, registration())
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	mustOK(t, "sign", env.PostDeclaration(token, apptest.ValidDeclaration(t)), http.StatusOK)
	st := waitState(t, env, id, domain.WorksiteAwaitingReview)
	// A holiday pushed on the wait's first business day moves the escalation.
	pushCalendar(t, env, st.WaitingSince)
	waitWorksite(t, env, id, func(s domain.WorksiteStatus) bool { return s.Timeline[len(s.Timeline)-1].Kind == "calendar_changed" })
	mustOK(t, "reject", env.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/reject", map[string]string{"reason": "expired antivirus"}), http.StatusOK)
	waitState(t, env, id, domain.WorksiteRejected)
	saveHistory(t, env, workflows.WorksiteWorkflowID(id), "", "worksite_rejected")
}

// recordDecisionsAndClosure: a person's new legal name at sign-in; the
// team's decisions on a person (an
// application rejected, then another sent back; access suspended and
// reinstated; the profession corrected, which reaches their worksite), and a worksite's membership
// changes (an invitation resent, a promotion undone, a member deactivated,
// reactivated and given an end date, the details edited) until its
// administrator closes it, which tells every member.
func recordDecisionsAndClosure(t *testing.T) {
	env := apptest.Start(t, nil)
	doc := env.RegisterAccount(devidp.PersonaPhysician)
	env.Auth = doc
	docSubject := subjectOf(t, env, doc)
	// The card holder's legal name changes: their next sign-in records it
	// (identity-validated).
	per := mustPersonaOf(t, env, devidp.PersonaPhysician)
	if err := env.DevIDP.SetLegalName(devidp.PersonaPhysician, per.GivenName, per.FamilyName+"-Lee"); err != nil {
		t.Fatal(err)
	}
	if cb, body := newBrowser(t, env).signIn(devidp.PersonaPhysician, ""); cb.StatusCode != http.StatusFound {
		t.Fatalf("sign-in with a new legal name: %d %s", cb.StatusCode, body)
	}
	// The email confirmation: a second link asked for, then confirmed.
	docEmail := apptest.AccountFor(devidp.PersonaPhysician)["email"].(string)
	mustOK(t, "resend the email confirmation", env.Do(http.MethodPost, "/api/v1/me/email-confirmation", "", nil, "Authorization", doc), http.StatusAccepted)
	env.ConfirmEmail(devidp.PersonaPhysician, doc, docEmail)
	id := mustRegister(t, env, registration())

	// The physician applies at their own worksite (its declaration unsigned,
	// so the application waits); the team rejects it, then sends the next back.
	staffApp := "/api/v1/staff/applications/" + docSubject + "/" + id
	apply(t, env, doc, id)
	mustOK(t, "reject application", env.Staff(http.MethodPost, staffApp+"/reject", map[string]string{"reason": "not at this worksite"}), http.StatusOK)
	apply(t, env, doc, id)
	mustOK(t, "send back application", env.Staff(http.MethodPost, staffApp+"/send-back", map[string]string{"reason": "correct the answers"}), http.StatusOK)
	person := "/api/v1/staff/people/" + docSubject
	mustOK(t, "suspend access", env.Staff(http.MethodPost, person+"/suspend", map[string]string{"reason": "audit finding"}), http.StatusOK)
	mustOK(t, "reinstate access", env.Staff(http.MethodPost, person+"/reinstate", map[string]string{"reason": "resolved"}), http.StatusOK)
	mustOK(t, "change profession", env.Staff(http.MethodPut, person+"/profession", map[string]any{"profession": domain.ProfResident,
		"reason": "registered as a resident", "professionIds": map[string]string{"msp_billing_number": "A1234", "cpsid": "12345"}}), http.StatusOK)
	// The correction reaches the worksite (member-profile-changed).
	waitMembers(t, env, id, doc, func(m membersResponse) bool {
		x := findMember(m, "active", docSubject)
		return x != nil && x.Profession == domain.ProfResident
	})

	// Membership: an MOA joins; a physician is invited, the invitation
	// resent, accepted, promoted and demoted again; the MOA is deactivated,
	// reactivated and given an end date; the worksite is edited, then closed.
	moa := env.RegisterAccount(devidp.PersonaMOA)
	mustOK(t, "join", env.PostJSON("/api/v1/worksites/"+id+"/join-requests", map[string]string{"comment": "front desk"}, "Authorization", moa), http.StatusCreated)
	m := mustMembers(t, env, id, doc)
	if len(m.Requests) != 1 {
		t.Fatalf("join requests = %+v; want the MOA's", m.Requests)
	}
	moaSubject := m.Requests[0].Subject
	mustOK(t, "approve join", env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/join-requests/"+m.Requests[0].ID+"/approve", "", nil, "Authorization", doc), http.StatusOK)
	doc2 := env.RegisterConfirmedAccount(devidp.PersonaPhysician2)
	doc2Email := apptest.AccountFor(devidp.PersonaPhysician2)["email"].(string)
	mustOK(t, "invite", env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": doc2Email}, "Authorization", doc), http.StatusCreated)
	m = mustMembers(t, env, id, doc)
	if len(m.Invitations) != 1 {
		t.Fatalf("invitations = %+v; want one", m.Invitations)
	}
	mustOK(t, "resend invitation", env.Do(http.MethodPost, "/api/v1/worksites/"+id+"/invitations/"+m.Invitations[0].ID+"/resend", "", nil, "Authorization", doc), http.StatusOK)
	itoken := mustLink(t, waitMailTo(t, env, doc2Email, "invited to join"), "invitations")
	mustOK(t, "accept", env.Do(http.MethodPost, "/api/v1/invitations/"+itoken+"/accept", "", nil, "Authorization", doc2), http.StatusOK)
	doc2Subject := findMember(mustMembers(t, env, id, doc), "active", "bcsc-physician-0002").Subject
	members := "/api/v1/worksites/" + id + "/members/"
	mustOK(t, "promote", env.Do(http.MethodPost, members+doc2Subject+"/promote", "", nil, "Authorization", doc), http.StatusOK)
	mustOK(t, "demote", env.Do(http.MethodPost, members+doc2Subject+"/demote", "", nil, "Authorization", doc), http.StatusOK)
	mustOK(t, "deactivate", env.Do(http.MethodPost, members+moaSubject+"/deactivate", "", nil, "Authorization", doc), http.StatusOK)
	mustOK(t, "reactivate", env.Do(http.MethodPost, members+moaSubject+"/reactivate", "", nil, "Authorization", doc), http.StatusOK)
	endsAt := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	mustOK(t, "set end date", env.Do(http.MethodPut, members+moaSubject+"/end-date", "application/json",
		[]byte(`{"endsAt":"`+endsAt+`"}`), "Authorization", doc), http.StatusOK)
	mustOK(t, "edit worksite", env.Do(http.MethodPatch, "/api/v1/worksites/"+id, "application/json",
		[]byte(`{"phone":"604-555-0199"}`), "Authorization", doc), http.StatusOK)
	mustOK(t, "close", env.PostJSON("/api/v1/worksites/"+id+"/close", map[string]string{"reason": "the clinic moved"}, "Authorization", doc), http.StatusOK)
	env.Auth = env.Bearer(devidp.PersonaTeam) // the administrator is no member of a closed worksite
	waitState(t, env, id, domain.WorksiteClosed)

	saveHistory(t, env, workflows.WorksiteWorkflowID(id), "", "worksite_members_closed")
	saveHistory(t, env, workflows.UserWorkflowID(docSubject), "", "user_team_decisions")
}

// recordTimers runs the timer paths on a schedule of seconds (the dev server
// cannot skip time): declaration reminders, the stalled flag and the lapse
// of an unsigned worksite; application reminders and the application's
// lapse; password reminders, expiry and a reset.
func recordTimers(t *testing.T) {
	env := apptest.Start(t, func(c *config.Config) {
		s := &c.Schedule
		s.DeclarationReminders = []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}
		s.DeclarationStalledAfter = 8 * time.Second
		s.DeclarationLapseAfter = 12 * time.Second
		s.ApplicationReminders = []time.Duration{2 * time.Second, 4 * time.Second}
		s.ApplicationLapseAfter = 6 * time.Second
		s.PasswordMaxAge = 16 * time.Second
		s.PasswordRemindersBefore = []time.Duration{10 * time.Second, 5 * time.Second}
	})
	doc := env.RegisterAccount(devidp.PersonaPhysician)
	env.Auth = doc
	id := mustRegister(t, env, registration())
	apply(t, env, doc, id)
	st := waitStatusFor(t, env, doc, 20*time.Second, func(st domain.UserStatus) bool {
		a := appOf(st, id)
		return a != nil && a.State == domain.AppLapsed
	})
	if st.State == domain.UserPasswordExpired {
		t.Fatalf("the password expired before the application lapsed: %+v", st)
	}
	waitState(t, env, id, domain.WorksiteLapsed)
	waitStatusFor(t, env, doc, 30*time.Second, func(st domain.UserStatus) bool { return st.State == domain.UserPasswordExpired })
	mustOK(t, "reset password", env.PostJSON("/api/v1/me/password", map[string]string{"password": "Secret!43x"}, "Authorization", doc), http.StatusOK)
	waitStatusFor(t, env, doc, 20*time.Second, func(st domain.UserStatus) bool { return st.State == domain.UserAccountRegistered })

	saveHistory(t, env, workflows.WorksiteWorkflowID(id), "", "worksite_lapsed")
	saveHistory(t, env, workflows.UserWorkflowID(subjectOf(t, env, doc)), "", "user_timers_password_reset")
}

// suggestContinueAsNewAfter is the history length at which the recorder's
// own dev server suggests continue-as-new (the production default is 4096
// events, too many to reach through the API in a test).
const suggestContinueAsNewAfter = 40

// recordContinueAsNew runs both workflows past a low continue-as-new
// threshold on a dev server of its own, and records both runs of each.
func recordContinueAsNew(t *testing.T) {
	addr := lowContinueAsNewServer(t)
	env := apptest.Start(t, func(c *config.Config) { c.Temporal.Address = addr })
	doc := env.RegisterAccount(devidp.PersonaPhysician)
	env.Auth = doc
	id := mustRegister(t, env, registration())
	wsID := workflows.WorksiteWorkflowID(id)
	for i := 0; len(runsOf(t, env, wsID)) < 2; i++ {
		if i == 30 {
			t.Fatalf("worksite workflow never continued as new")
		}
		email := fmt.Sprintf("invitee%d@clinic.example.ca", i)
		mustOK(t, "invite", env.PostJSON("/api/v1/worksites/"+id+"/invitations", map[string]string{"email": email}, "Authorization", doc), http.StatusCreated)
	}
	// The carried-over run still answers: one more change after the hand-over.
	mustOK(t, "invite after continue-as-new", env.PostJSON("/api/v1/worksites/"+id+"/invitations",
		map[string]string{"email": "after@clinic.example.ca"}, "Authorization", doc), http.StatusCreated)

	userID := workflows.UserWorkflowID(subjectOf(t, env, doc))
	for i := 0; len(runsOf(t, env, userID)) < 2; i++ {
		if i == 30 {
			t.Fatalf("user workflow never continued as new")
		}
		mustOK(t, "reset password", env.PostJSON("/api/v1/me/password", map[string]string{"password": fmt.Sprintf("Secret!%02dx", i)}, "Authorization", doc), http.StatusOK)
	}
	mustOK(t, "reset password after continue-as-new", env.PostJSON("/api/v1/me/password", map[string]string{"password": "Secret!99x"}, "Authorization", doc), http.StatusOK)

	for _, w := range []struct{ id, name string }{{wsID, "worksite_continue_as_new"}, {userID, "user_continue_as_new"}} {
		// The first run, and the second: it resumed from the carried state
		// and took the change sent after the hand-over.
		runs := runsOf(t, env, w.id)
		saveHistory(t, env, w.id, runs[0], w.name+"_run1")
		saveHistory(t, env, w.id, runs[1], w.name+"_run2")
	}
}

// pushCalendar pushes the system's calendar with one holiday more, the
// first business day after from, to every running enrolment, as
// `careconnect calendar push` does after a configuration change.
func pushCalendar(t *testing.T, env *apptest.Env, from time.Time) {
	t.Helper()
	cfg := env.Config
	cal := cfg.Calendar.DomainCalendar()
	loc, err := cal.Location()
	if err != nil {
		t.Fatal(err)
	}
	day := from.In(loc).AddDate(0, 0, 1)
	for !cal.IsBusinessDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	cfg.Calendar.Holidays = append(append([]string(nil), cfg.Calendar.Holidays...), day.Format(time.DateOnly))
	if _, err := app.PushCalendar(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("calendar push: %v", err)
	}
}

// lowContinueAsNewServer starts a dev server that suggests continue-as-new
// after suggestContinueAsNewAfter events, and returns its address. The
// temporal CLI takes dynamic configuration as flags, so a wrapper script
// adds the flag to the command devtemporal builds.
func lowContinueAsNewServer(t *testing.T) string {
	t.Helper()
	wrapper := filepath.Join(t.TempDir(), "temporal")
	script := fmt.Sprintf("#!/bin/sh\nexec %q \"$@\" --dynamic-config-value limit.historyCount.suggestContinueAsNew=%d\n",
		devtemporaltest.Binary(t), suggestContinueAsNewAfter)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Binary: wrapper, UIPort: -1})
	if err != nil {
		t.Fatalf("dev server with a low continue-as-new threshold: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.Address()
}

// runsOf lists the run IDs of workflow id, oldest first.
func runsOf(t *testing.T, env *apptest.Env, id string) []string {
	t.Helper()
	// Visibility lags the history a little; a run that has just continued
	// as new shows up within a second.
	var runs []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res, err := env.Main.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: env.Config.Temporal.Namespace, Query: fmt.Sprintf("WorkflowId = '%s'", id)})
		if err != nil {
			t.Fatalf("list runs of %s: %v", id, err)
		}
		es := res.GetExecutions()
		slices.SortFunc(es, func(a, b *workflowpb.WorkflowExecutionInfo) int {
			return a.GetStartTime().AsTime().Compare(b.GetStartTime().AsTime())
		})
		runs = runs[:0]
		for _, e := range es {
			runs = append(runs, e.GetExecution().GetRunId())
		}
		if len(runs) > 1 || time.Now().After(deadline) {
			return runs
		}
	}
}

// saveHistory waits until the workflow run is idle (no pending activity or
// workflow task, history no longer growing) and writes its history to
// historiesDir/name.json in the JSON form WorkflowReplayer reads, its
// payloads decrypted: the replay test replays the workflow code, not the
// codec, and must not depend on this run's random key.
func saveHistory(t *testing.T, env *apptest.Env, workflowID, runID, name string) {
	t.Helper()
	c := env.Main.Temporal
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	last := int64(-1)
	for {
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, runID)
		if err != nil {
			t.Fatalf("describe %s: %v", workflowID, err)
		}
		n := d.GetWorkflowExecutionInfo().GetHistoryLength()
		if len(d.GetPendingActivities()) == 0 && d.GetPendingWorkflowTask() == nil && n == last {
			break
		}
		last = n
		select {
		case <-ctx.Done():
			t.Fatalf("workflow %s never settled", workflowID)
		case <-time.After(time.Second):
		}
	}
	var h historypb.History
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	if pc := env.Main.Codec; pc != nil {
		err := proxy.VisitPayloads(ctx, &h, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				return pc.Decode(ps)
			}})
		if err != nil {
			t.Fatalf("decrypting the history of %s: %v", workflowID, err)
		}
	}
	b, err := protojson.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	// protojson varies its white space on purpose; indent it stably so a
	// re-recorded history diffs line by line.
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", " "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	path := filepath.Join(historiesDir, name+".json")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s: %d events of %s", path, len(h.Events), workflowID)
}

// subjectOf returns the BCSC subject of the caller authenticated by auth.
func subjectOf(t *testing.T, env *apptest.Env, auth string) string {
	t.Helper()
	var me struct {
		Principal struct {
			Subject string `json:"subject"`
		} `json:"principal"`
	}
	env.Do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", auth).JSON(t, &me)
	if me.Principal.Subject == "" {
		t.Fatal("GET /api/v1/me named no subject")
	}
	return me.Principal.Subject
}

// waitStatusFor polls the caller's status for up to d until done. It polls
// once a second: every authenticated request tells the person's workflow of
// the sign-in (an identity-validated update), which the history records.
func waitStatusFor(t *testing.T, env *apptest.Env, auth string, d time.Duration, done func(domain.UserStatus) bool) domain.UserStatus {
	t.Helper()
	var last struct {
		Status domain.UserStatus `json:"status"`
	}
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(time.Second) {
		res := env.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
		if res.Status == http.StatusOK {
			res.JSON(t, &last)
			if done(last.Status) {
				return last.Status
			}
		}
	}
	t.Fatalf("status never reached the wanted state: %+v", last.Status)
	return domain.UserStatus{}
}

func mustOK(t *testing.T, what string, res apptest.Response, want int) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: got %d %s; want %d", what, res.Status, strings.TrimSpace(string(res.Body)), want)
	}
}
