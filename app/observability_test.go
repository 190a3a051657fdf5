package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/workflows"
)

// syncBuffer is a log sink the system writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestObservability runs the system with its production logger and an
// in-memory span exporter, registers an account (the person's workflow
// started, whose first task writes the projection, then the
// account-registered update), and
// checks what an operator sees: one trace from the HTTP request through
// the update to the Project activity; one access log line per request
// naming the route pattern, status, request ID and role, and the request
// ID again on the activity's log line; no seeded name, email or token
// anywhere in the log; and on the admin listener every metric that
// deploy/observability's dashboard and alert rules use.
func TestObservability(t *testing.T) {
	logs := &syncBuffer{}
	spans := tracetest.NewInMemoryExporter()
	env := apptest.StartWith(t, func(c *config.Config) {
		c.HTTP.RateLimits.Declarations = 1 // the second declaration read is refused: a rate-limit refusal
	}, apptest.Options{Log: logs, SpanExporters: []sdktrace.SpanExporter{spans}})

	const requestID = "obs-test-request-1"
	persona := devidp.PersonaPhysician
	bearer := env.Bearer(persona)
	account := apptest.AccountFor(persona)
	res := env.PostJSON("/api/v1/me/account", account, "Authorization", bearer, "X-Request-ID", requestID)
	if res.Status != http.StatusCreated {
		t.Fatalf("register account: got %d %s; want 201", res.Status, res.Body)
	}
	env.Auth = bearer
	id := mustRegister(t, env, registration())
	waitMail(t, env, account["email"].(string), id) // the relay sent the registration email
	// The team suspends the worksite: an update whose audit record carries
	// the request ID to the activity that writes it.
	const suspendID = "obs-test-request-2"
	b, _ := json.Marshal(map[string]string{"reason": "observability check"})
	if res := env.Do(http.MethodPost, "/api/v1/staff/worksites/"+id+"/suspend", "application/json", b,
		"Authorization", env.Bearer(devidp.PersonaTeam), "X-Request-ID", suspendID); res.Status != http.StatusOK {
		t.Fatalf("suspend: got %d %s; want 200", res.Status, res.Body)
	}
	// A callback with a bad signature, and a rate-limited read.
	env.Do(http.MethodPost, "/webhooks/learninghub", "application/json", []byte(`{}`), "X-LearningHub-Signature", "t=1,v1=00")
	env.Do(http.MethodGet, "/api/v1/declarations/not-a-token", "", nil)
	env.Do(http.MethodGet, "/api/v1/declarations/not-a-token", "", nil)

	t.Run("one trace from the request to the activity", func(t *testing.T) {
		var server sdktrace.ReadOnlySpan
		deadline := time.Now().Add(10 * time.Second)
		var names []string
		for time.Now().Before(deadline) {
			names = names[:0]
			for _, s := range spans.GetSpans().Snapshots() {
				if s.Name() == "POST /api/v1/me/account" {
					server = s
				}
			}
			if server != nil {
				for _, s := range spans.GetSpans().Snapshots() {
					if s.SpanContext().TraceID() == server.SpanContext().TraceID() {
						names = append(names, s.Name())
					}
				}
				if hasPrefix(names, "StartWorkflow:") && hasPrefix(names, "HandleUpdate:") &&
					hasPrefix(names, "RunActivity:"+workflows.ActivityProject) && hasPrefix(names, "sql ") {
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("trace of POST /api/v1/me/account has spans %q; want the workflow's start, the update's handler, "+
			"RunActivity:%s and the SQL statements", names, workflows.ActivityProject)
	})

	t.Run("access log and request ID, without personal information", func(t *testing.T) {
		// The suspension's projection is written once the update returned.
		written := regexp.MustCompile(`"request_ids":"[^"]*` + suspendID)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !written.MatchString(logs.String()); {
			time.Sleep(50 * time.Millisecond)
		}
		var access, projection bool
		lines := 0
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines++
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
			}
			switch rec["msg"] {
			case "request":
				if rec["route"] == "/api/v1/me/account" && rec["method"] == "POST" && rec["request_id"] == requestID &&
					rec["status"] == float64(201) && rec["role"] != "" && rec["duration_ms"] != nil {
					access = true
				}
			case "projection written":
				if strings.Contains(rec["request_ids"].(string), suspendID) {
					projection = true
				}
			}
		}
		if !access {
			t.Errorf("no access log line for POST /api/v1/me/account with its request ID, status, role and duration in:\n%s", logs)
		}
		if !projection {
			t.Errorf("no activity log line names request %s in:\n%s", suspendID, logs)
		}
		seeded := []string{strings.TrimPrefix(bearer, "Bearer "), account["password"].(string), account["email"].(string),
			"front@proctor.example.ca", "604-555"}
		for _, p := range devidp.DefaultPersonas() {
			seeded = append(seeded, p.GivenName, p.FamilyName, p.Email)
		}
		out := logs.String()
		for _, s := range seeded {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("the log holds %q (personal information or a credential)", s)
			}
		}
		t.Logf("%d log lines", lines)
	})

	t.Run("the dashboard's and alerts' metrics are exported", func(t *testing.T) {
		var body []byte
		// The relay counts the email once its outcome is stored, just after the catcher has it.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			res, err := http.Get(env.AdminURL() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, err = io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(body), `careconnect_email_attempts_total{kind="worksite_registered",outcome="sent"} 1`) {
				break
			}
		}
		exported := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)$`).FindAllStringSubmatch(string(body), -1) {
			exported[m[1]] = true
			if m[2] == "histogram" {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					exported[m[1]+suffix] = true
				}
			}
		}
		used := map[string]bool{}
		for _, f := range []string{"../deploy/observability/dashboard.json", "../deploy/observability/alerts.yml"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range regexp.MustCompile(`\b(?:careconnect|temporal)_[a-z0-9_]+\b`).FindAllString(string(b), -1) {
				used[n] = true
			}
		}
		if len(used) < 20 {
			t.Fatalf("found %d metric names in deploy/observability; want the dashboard's and the rules'", len(used))
		}
		for n := range used {
			if !exported[n] {
				t.Errorf("deploy/observability uses %s; the admin listener does not export it", n)
			}
		}
		for _, want := range []string{`careconnect_webhook_signature_failures_total 1`,
			`careconnect_rate_limit_refusals_total{method="GET",route="/api/v1/declarations/:token"} 1`,
			`careconnect_emails_sent_total{kind="worksite_registered"} 1`,
			`careconnect_enrolments{kind="worksite",state="awaiting_declaration",waiting_on="signing_authority"} 1`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func hasPrefix(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
