package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/store"
	"careconnect/store/storetest"
	"careconnect/workflows"
)

// relayLease is how long the worker's relay holds a claimed email before
// another relay may send it (relay.lease).
const relayLease = 15 * time.Second

// system is the whole service for one test: the API (with migrations and
// the dev identity provider) in this process, and the worker as a separate
// careconnect process that the test can kill and start again.
type system struct {
	*apptest.Env
	t      *testing.T
	Worker *process
	dir    string
}

// setup says what a system runs against.
type setup struct {
	DatabaseURL string // PostgreSQL; empty means a fresh database on the machine's server
	Temporal    string // frontend address; empty means the package's shared dev server
	SMTPPort    int    // where the worker sends email
	// Schedule, when set, adjusts the reminder schedule (the API passes it to new workflows).
	Schedule func(*config.Schedule)
}

// startSystem runs the API, then the worker process, and waits until the
// worker polls its task queue. Everything stops when t ends.
func startSystem(t *testing.T, s setup) *system {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.AdminAddr = "127.0.0.1:0"
	cfg.HTTP.PublicBaseURL = ""
	cfg.Database.URL = s.DatabaseURL
	if cfg.Database.URL == "" {
		cfg.Database.URL = newMachineDatabase(t)
	}
	cfg.Temporal.Address = s.Temporal
	if cfg.Temporal.Address == "" {
		cfg.Temporal.Address = sharedTemporal(t)
	}
	cfg.Temporal.TaskQueue = "faults-" + randomHex(t, 6)
	cfg.SMTP.DevCatcher = false
	cfg.SMTP.Port = s.SMTPPort
	cfg.Links.Secret = randomHex(t, 32)
	cfg.LearningHub.Secret = randomHex(t, 32)
	cfg.Auth.DevIDP.Addr = "127.0.0.1:0"
	cfg.Auth.Applicant.ClientSecret = randomHex(t, 16)
	cfg.Auth.CookieSecure = false
	cfg.Auth.BcryptCost = 4
	cfg.Auth.RateLimitPerMinute = 10000
	cfg.HTTP.RateLimits = config.RateLimits{Declarations: 10000, Links: 10000, Search: 10000, Webhook: 100000}
	if s.Schedule != nil {
		s.Schedule(&cfg.Schedule)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	apiLog := filepath.Join(dir, "api.log")
	logFile, err := os.Create(apiLog)
	if err != nil {
		t.Fatal(err)
	}
	m := app.New(cfg, slog.New(slog.NewTextHandler(logFile, nil)))
	suffix := "-" + randomHex(t, 4) // user workflow IDs come from subjects; the dev server is shared
	m.DevIDPPersonas = devidp.DefaultPersonas()
	for i := range m.DevIDPPersonas {
		m.DevIDPPersonas[i].Subject += suffix
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Run(ctx, app.Roles{API: true, Migrate: true}); err != nil {
		t.Fatalf("faults: starting the API: %v", err)
	}
	sys := &system{Env: &apptest.Env{Main: m, T: t, Base: m.URL()}, t: t, dir: dir}
	t.Cleanup(func() {
		_ = m.Close()
		_ = logFile.Close()
		if t.Failed() || verbose() {
			t.Logf("--- API log (tail) ---\n%s", tail(apiLog, 6000))
		}
	})

	sys.Worker = newProcess(t, "worker", filepath.Join(dir, "worker.log"), binary, "worker")
	sys.Worker.env = childEnv(map[string]string{
		"CARECONNECT_ENV":                  config.EnvTest,
		"CARECONNECT_DATABASE_URL":         cfg.Database.URL,
		"CARECONNECT_TEMPORAL_ADDRESS":     cfg.Temporal.Address,
		"CARECONNECT_TEMPORAL_NAMESPACE":   cfg.Temporal.Namespace,
		"CARECONNECT_TEMPORAL_TASK_QUEUE":  cfg.Temporal.TaskQueue,
		"CARECONNECT_SMTP_HOST":            "127.0.0.1",
		"CARECONNECT_SMTP_PORT":            fmt.Sprint(s.SMTPPort),
		"CARECONNECT_SMTP_DEV_CATCHER":     "false",
		"CARECONNECT_LINKS_SECRET":         cfg.Links.Secret,
		"CARECONNECT_CODEC_KEYS":           strings.Join(cfg.Codec.Keys, ","),
		"CARECONNECT_CODEC_ACTIVE_KEY":     cfg.Codec.ActiveKey,
		"CARECONNECT_HTTP_PUBLIC_BASE_URL": m.URL(),
		"CARECONNECT_TEAM_EMAIL":           cfg.Team.Email,
		// The worker's own admin listener, on a free port: the default may be taken.
		"CARECONNECT_HTTP_ADMIN_ADDR": "127.0.0.1:0",
		// A killed worker's claimed emails are sent again by the next one
		// once their claim lapses (a minute by default; the old email
		// activities' start-to-close was 30 s).
		"CARECONNECT_RELAY_LEASE": relayLease.String(),
	})
	sys.Worker.Start()
	sys.waitPolling()
	return sys
}

// waitPolling waits until a worker polls the task queue for workflow tasks.
// The worker registers the search attributes before it polls, so the API
// may start workflows after this.
func (s *system) waitPolling() {
	s.t.Helper()
	s.wait(30*time.Second, "the worker to poll its task queue", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := s.Temporal.DescribeTaskQueue(ctx, s.Config.Temporal.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err != nil {
			return false, err.Error()
		}
		return len(d.GetPollers()) > 0, "no pollers"
	})
}

// wait polls cond every 100 ms until it holds, failing t after timeout with
// what cond last said. A worker that exits on its own fails t at once.
func (s *system) wait(timeout time.Duration, what string, cond func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if msg := s.Worker.Exited(); msg != "" {
			s.t.Fatalf("waiting for %s: %s", what, msg)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited %s for %s; last: %s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitIdle waits until the worksite workflow has finished the
// registration's effects and waits on its timers: no activity and no
// workflow task pending, twice in a row (between two activities there is a
// moment with neither but a workflow task about to be scheduled).
func waitIdle(sys *system, id string) {
	sys.t.Helper()
	idle := 0
	sys.wait(30*time.Second, "the worksite workflow to settle", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := sys.Temporal.DescribeWorkflowExecution(ctx, workflows.WorksiteWorkflowID(id), "")
		if err != nil {
			idle = 0
			return false, err.Error()
		}
		if len(d.GetPendingActivities()) > 0 || d.GetPendingWorkflowTask() != nil {
			idle = 0
			return false, fmt.Sprintf("%d pending activities, workflow task %v", len(d.GetPendingActivities()), d.GetPendingWorkflowTask())
		}
		idle++
		return idle >= 3, "idle"
	})
}

// newMachineDatabase is a fresh database on the machine's PostgreSQL (the
// one other packages' tests share), dropped when t ends.
func newMachineDatabase(t *testing.T) string {
	t.Helper()
	return storetest.NewPostgresURL(t)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// registration is a valid worksite registration; n makes its address unique.
func registration(n int) map[string]any {
	return map[string]any{
		"name": fmt.Sprintf("Fault Clinic %d", n), "phone": "604-555-4555", "email": "front@fault.example.ca",
		"address": map[string]any{"unit": fmt.Sprint(100 + n), "streetNumber": "370", "streetName": "Broadway East",
			"city": "Vancouver", "province": "BC", "postalCode": "V5T 4G5"},
		"locationType": "community_private_practice", "subOption": "physician_led", "emr": "OSCAR",
	}
}

// register registers worksite n as the caller auth and returns its ID.
func (s *system) register(auth string, n int) string {
	s.t.Helper()
	res := s.PostJSON("/api/v1/worksites", registration(n), "Authorization", auth)
	if res.Status != http.StatusCreated {
		s.t.Fatalf("register worksite: got %d %s; want 201", res.Status, res.Body)
	}
	var body struct {
		Worksite struct {
			ID string `json:"id"`
		} `json:"worksite"`
	}
	res.JSON(s.t, &body)
	return body.Worksite.ID
}

// status is the worksite's status as the API gives it to auth.
func (s *system) status(auth, id string) (domain.WorksiteStatus, string) {
	res := s.Do(http.MethodGet, "/api/v1/worksites/"+id, "", nil, "Authorization", auth)
	if res.Status != http.StatusOK {
		return domain.WorksiteStatus{}, fmt.Sprintf("GET worksite: %d %s", res.Status, res.Body)
	}
	var body struct {
		Status domain.WorksiteStatus `json:"status"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		return domain.WorksiteStatus{}, err.Error()
	}
	return body.Status, "state " + string(body.Status.State)
}

// waitState waits until the worksite is in state want.
func (s *system) waitState(auth, id string, want domain.WorksiteState, timeout time.Duration) domain.WorksiteStatus {
	s.t.Helper()
	var st domain.WorksiteStatus
	s.wait(timeout, fmt.Sprintf("worksite %s to be %s", id, want), func() (bool, string) {
		var last string
		st, last = s.status(auth, id)
		return st.State == want, last
	})
	return st
}

// emailLog is the email log of keys starting with prefix, from the API's store.
func (s *system) emailLog(prefix string) ([]store.EmailRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Store.ListEmails(ctx, prefix)
}

// waitEmailSent waits until the email log records key as sent.
func (s *system) waitEmailSent(key string, timeout time.Duration) store.EmailRecord {
	s.t.Helper()
	var rec store.EmailRecord
	s.wait(timeout, "email "+key+" to be logged as sent", func() (bool, string) {
		recs, err := s.emailLog(key)
		if err != nil {
			return false, err.Error()
		}
		for _, r := range recs {
			if r.Key == key {
				rec = r
				return r.Status == store.EmailSent, fmt.Sprintf("status %s after %d attempts", r.Status, r.Attempts)
			}
		}
		return false, "not in the log"
	})
	return rec
}

// waitCaught waits for an email with event key in the catcher.
func waitCaught(t *testing.T, c *mail.Catcher, key string, timeout time.Duration) mail.Caught {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := c.WaitFor(ctx, func(m mail.Caught) bool { return m.EventKey == key })
	if err != nil {
		t.Fatalf("no email %s reached the catcher: %v", key, err)
	}
	return m
}

// sign signs the worksite's declaration through the link in its registration email.
func (s *system) sign(registered mail.Caught) {
	s.t.Helper()
	_, token := apptest.DeclarationLink(s.t, registered)
	if res := s.PostDeclaration(token, apptest.ValidDeclaration(s.t)); res.Status != http.StatusOK {
		s.t.Fatalf("sign declaration: got %d %s; want 200", res.Status, res.Body)
	}
}

// confirmEmail confirms persona's account email through the link the
// worker sent (caught by f), as its owner (auth): LearningHub events for
// the address reach the account only then.
func (s *system) confirmEmail(f *mail.Catcher, persona, auth string) {
	s.t.Helper()
	tok := apptest.ConfirmationTokenIn(s.t, f, s.Subject(persona), adminEmail(persona))
	if res := s.Do(http.MethodPost, "/api/v1/email-confirmations/"+tok, "", nil, "Authorization", auth); res.Status != http.StatusOK {
		s.t.Fatalf("confirm %s's email: got %d %s; want 200", persona, res.Status, res.Body)
	}
}

// approve approves the worksite as the enrolment team.
func (s *system) approve(id string) {
	s.t.Helper()
	res := s.Staff(http.MethodPost, "/api/v1/staff/worksites/"+id+"/approve", map[string]string{"reason": "declaration complete"})
	if res.Status != http.StatusOK {
		s.t.Fatalf("approve: got %d %s; want 200", res.Status, res.Body)
	}
}

// key is the email log key of a worksite email.
func key(id string, kind mail.Kind, seq int) string {
	return fmt.Sprintf("worksite/%s/%s/%d", id, kind, seq)
}

// adminEmail is the email of the persona's account (apptest.AccountFor).
func adminEmail(persona string) string {
	return apptest.AccountFor(persona)["email"].(string)
}

// checkDeliveredOnce checks, for every email the log holds under prefix,
// that it is logged as sent once and reached the catcher exactly once,
// except the keys in dupes, which may have arrived twice but always under
// one Message-ID (see docs/faults.md: the limit of SMTP).
func (s *system) checkDeliveredOnce(f *mail.Catcher, prefix string, dupes ...string) {
	s.t.Helper()
	var recs []store.EmailRecord
	s.wait(20*time.Second, "every email under "+prefix+" to be logged as sent", func() (bool, string) {
		var err error
		if recs, err = s.emailLog(prefix); err != nil {
			return false, err.Error()
		}
		for _, r := range recs {
			if r.Status != store.EmailSent {
				return false, r.Key + " is " + r.Status
			}
		}
		return len(recs) > 0, "no emails"
	})
	copies := map[string][]string{}
	for _, m := range f.Messages() {
		if strings.HasPrefix(m.EventKey, prefix) {
			copies[m.EventKey] = append(copies[m.EventKey], m.MessageID)
		}
	}
	for _, r := range recs {
		ids := copies[r.Key]
		want := 1
		for _, d := range dupes {
			if d == r.Key {
				want = 2
			}
		}
		if len(ids) != want {
			s.t.Errorf("email %s reached the catcher %d times; want %d", r.Key, len(ids), want)
		}
		for _, id := range ids {
			if id != ids[0] {
				s.t.Errorf("email %s arrived under two Message-IDs: %v", r.Key, ids)
			}
		}
		delete(copies, r.Key)
	}
	for k := range copies {
		s.t.Errorf("the catcher has email %s, which the email log does not", k)
	}
}
