package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/testnet"
)

// TestTemporalRestarted stops this test's own Temporal dev server (SQLite
// file persistence) while a worksite waits for its declaration, keeps it
// down past the first reminder's due time, and starts it again on the same
// file and port. The workflow is still running; the reminder that came due
// while Temporal was down fires after the restart and the next one on
// time, each sent once; the workflow still takes the declaration. A
// LearningHub callback acknowledged while Temporal was down (stored, its
// delivery failed) is applied within a minute of Temporal's return by the
// worker's relay, with no other callback or confirmation to prompt it.
func TestTemporalRestarted(t *testing.T) {
	bin := need(t)
	t.Parallel()
	const first, second = 10 * time.Second, 40 * time.Second
	opts := devtemporal.Options{Binary: bin, Port: testnet.MustFreePort(t), UIPort: -1,
		DBFile: filepath.Join(t.TempDir(), "temporal.db")}
	srv := startTemporal(t, opts)
	front := startMailFront(t)
	sys := startSystem(t, setup{Temporal: srv.Address(), SMTPPort: front.Port(), Schedule: func(s *config.Schedule) {
		s.DeclarationReminders = []time.Duration{first, second, time.Hour}
	}})
	auth := sys.RegisterAccount(devidp.PersonaPhysician)
	sys.confirmEmail(front.Catcher, devidp.PersonaPhysician, auth) // so that its LearningHub events reach it
	registeredAt := time.Now()
	id := sys.register(auth, 1)
	reg := waitCaught(t, front.Catcher, key(id, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitEmailSent(key(id, mail.KindWorksiteRegistered, 1), 30*time.Second)
	sys.waitState(auth, id, domain.WorksiteAwaitingDeclaration, 10*time.Second)
	waitIdle(sys, id) // waiting on its reminder timers

	srv.Stop()
	if time.Since(registeredAt) >= first {
		t.Fatalf("setup took %s: the first reminder came due before Temporal stopped", time.Since(registeredAt))
	}
	// A LearningHub callback is stored and acknowledged; its delivery fails.
	// (Sent beside the write below, which waits for Temporal for 20 s.)
	callback := make(chan apptest.Response, 1)
	event := learningHubEvent(t, "evt-temporal-"+randomHex(t, 4), adminEmail(devidp.PersonaPhysician))
	go func() { callback <- postCallback(sys, event) }()
	// A workflow write while Temporal is down is refused as unavailable.
	client := &http.Client{Timeout: 60 * time.Second}
	req, err := http.NewRequest(http.MethodPost, sys.Base+"/api/v1/staff/worksites/"+id+"/approve", strings.NewReader(`{"reason":"ok"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", sys.Bearer(devidp.PersonaTeam))
	req.Header.Set("Content-Type", "application/json")
	began := time.Now()
	if res, err := client.Do(req); err != nil {
		t.Errorf("approve while Temporal is down: %v after %s; want 503 with Retry-After", err, time.Since(began))
	} else {
		res.Body.Close()
		took := time.Since(began)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || took > 30*time.Second {
			t.Errorf("approve while Temporal is down: %d (Retry-After %q) after %s; want 503 with Retry-After within 30 s",
				res.StatusCode, res.Header.Get("Retry-After"), took)
		}
		t.Logf("approve while Temporal is down: %d, Retry-After %q, after %s", res.StatusCode, res.Header.Get("Retry-After"), took)
	}

	if res := <-callback; res.Status != http.StatusAccepted {
		t.Fatalf("LearningHub callback while Temporal is down: got %d %s; want 202 (stored)", res.Status, res.Body)
	}

	time.Sleep(time.Until(registeredAt.Add(first + 2*time.Second)))
	srv.Start()
	restartedAt := time.Now()
	if restartedAt.After(registeredAt.Add(second - 5*time.Second)) {
		t.Fatalf("Temporal restarted %s after registration: too late to see the second reminder come due afterwards", restartedAt.Sub(registeredAt))
	}
	if n, _ := front.Copies(key(id, mail.KindDeclarationReminder, 1)); n != 0 {
		t.Fatalf("a reminder went out while Temporal was down")
	}

	// The clients reconnect on their own (gRPC backoff, at most about 10 s apart).
	sys.wait(60*time.Second, "the workflow to be described after the restart", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := sys.Temporal.DescribeWorkflowExecution(ctx, "worksite/"+id, "")
		if err != nil {
			return false, err.Error()
		}
		if s := d.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Fatalf("after the restart the workflow is %s; want running", s)
		}
		return true, ""
	})
	r1 := sys.waitEmailSent(key(id, mail.KindDeclarationReminder, 1), 60*time.Second)
	r2 := sys.waitEmailSent(key(id, mail.KindDeclarationReminder, 2), 60*time.Second)
	if r2.SentAt.Before(registeredAt.Add(second)) {
		t.Errorf("second reminder sent at %s, before it was due (%s)", r2.SentAt, registeredAt.Add(second))
	}
	t.Logf("after registration: Temporal stopped before %s, restarted at %s; reminders due at %s and %s, sent at %s and %s",
		first, restartedAt.Sub(registeredAt).Round(time.Millisecond), first, second,
		r1.SentAt.Sub(registeredAt).Round(time.Millisecond), r2.SentAt.Sub(registeredAt).Round(time.Millisecond))

	// The acknowledged callback is applied with no other traffic than
	// these reads of the status (they read the projection).
	sys.wait(time.Until(restartedAt.Add(time.Minute)), "the acknowledged callback to be applied", func() (bool, string) {
		res := sys.Do(http.MethodGet, "/api/v1/me/status", "", nil, "Authorization", auth)
		var body struct {
			Status domain.UserStatus `json:"status"`
		}
		_ = json.Unmarshal(res.Body, &body)
		return res.Status == http.StatusOK && body.Status.CourseCompletedAt != nil, fmt.Sprintf("%d, course completed %v", res.Status, body.Status.CourseCompletedAt)
	})
	t.Logf("the callback acknowledged during the outage was applied %s after the restart", time.Since(restartedAt).Round(time.Second))

	sys.sign(reg)
	sys.waitState(auth, id, domain.WorksiteAwaitingReview, 30*time.Second)
	sys.checkDeliveredOnce(front.Catcher, "worksite/"+id+"/")
}

// restartable is a Temporal dev server that a test stops and starts again
// on the same database file and port. Its cleanup is registered before the
// system's, so the worker and the API stop before it does.
type restartable struct {
	t    *testing.T
	opts devtemporal.Options
	srv  *devtemporal.Server
}

// startTemporal starts a dev server with o, stopped when t ends.
func startTemporal(t *testing.T, o devtemporal.Options) *restartable {
	t.Helper()
	r := &restartable{t: t, opts: o}
	t.Cleanup(func() {
		if r.srv != nil {
			_ = r.srv.Stop()
		}
	})
	r.Start()
	return r
}

// Start starts the server (it must be stopped).
func (r *restartable) Start() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := devtemporal.Start(ctx, r.opts)
	if err != nil {
		r.t.Fatalf("starting Temporal: %v", err)
	}
	r.srv = s
}

// Stop stops the server; its state stays in the database file.
func (r *restartable) Stop() {
	r.t.Helper()
	err := r.srv.Stop()
	r.srv = nil
	if err != nil {
		r.t.Fatalf("stopping Temporal: %v", err)
	}
}

// Address is the frontend's host:port, the same across restarts.
func (r *restartable) Address() string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(r.opts.Port)) }
