package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/links"
	"careconnect/mail"
	"careconnect/store/storetest"
)

// system is one CareConnect under measurement: the API (with the mail
// catcher and the dev identity provider) in this process, and the worker
// either in a process of its own (the default, so that its memory is its
// own) or in this one (BENCH_WORKER=inprocess).
type system struct {
	t      testing.TB
	m      *app.Main
	cfg    config.Config // as the API runs it
	base   string
	client *http.Client
	signer *links.Signer

	// workerCmd is the separate worker process; nil when in-process.
	workerCmd *exec.Cmd
	workerLog *bytes.Buffer

	personas []devidp.Persona // the bench's users, by index
	tokMu    sync.Mutex
	tokens   map[string]mintedToken // by persona key; guarded by tokMu

	decl *declarationLinks
}

type mintedToken struct {
	header string
	at     time.Time
}

// userKey is the persona key of bench user i.
func userKey(i int) string { return fmt.Sprintf("u%06d", i) }

// startSystem runs the system for t with users bench personas.
func startSystem(t testing.TB, users int, inProcessWorker bool) *system {
	t.Helper()
	run := randomHex(t, 4)
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.AdminAddr = "127.0.0.1:0"
	cfg.HTTP.PublicBaseURL = ""
	cfg.SMTP.Port = 0
	cfg.Database.URL = storetest.NewPostgresURL(t)
	cfg.Temporal.Address = apptest.Temporal(t)
	cfg.Temporal.TaskQueue = "bench-" + run
	cfg.Links.Secret = randomHex(t, 32)
	cfg.Auth.DevIDP.Addr = "127.0.0.1:0"
	cfg.Auth.Applicant.ClientSecret = randomHex(t, 16)
	cfg.Auth.CookieSecure = false
	cfg.Auth.BcryptCost = 4 // as the tests: the cost is a setting, and a journey's one hash is not what is measured
	cfg.Auth.RateLimitPerMinute = 1_000_000
	// The webhook keeps its default: the LearningHub burst must fit in it.
	cfg.HTTP.RateLimits.Declarations, cfg.HTTP.RateLimits.Links, cfg.HTTP.RateLimits.Search = 1_000_000, 1_000_000, 1_000_000

	m := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	personas := devidp.DefaultPersonas()
	for i := range personas {
		personas[i].Subject += "-" + run
	}
	s := &system{t: t, m: m, tokens: map[string]mintedToken{}, decl: newDeclarationLinks()}
	for i := 0; i < users; i++ {
		p := devidp.Persona{Key: userKey(i), Subject: fmt.Sprintf("bench-%s-%06d", run, i), GivenName: "Bench",
			FamilyName: fmt.Sprintf("User%06d", i), Email: fmt.Sprintf("%s@bench.example.ca", userKey(i)), IAL: 3}
		s.personas = append(s.personas, p)
	}
	m.DevIDPPersonas = append(personas, s.personas...)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := m.Run(ctx, app.Roles{API: true, Migrate: true, Worker: inProcessWorker}); err != nil {
		t.Fatalf("bench: starting the system: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s.cfg = m.Config
	s.base = m.URL()
	var err error
	if s.signer, err = links.NewSigner(cfg.Links.Secret); err != nil {
		t.Fatal(err)
	}
	s.client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: time.Minute}}
	go s.indexMail()
	if !inProcessWorker {
		s.startWorkerProcess(t)
	}
	return s
}

// startWorkerProcess runs `careconnect worker` against the same database,
// Temporal, task queue and mail catcher, and waits until it polls.
func (s *system) startWorkerProcess(t testing.TB) {
	t.Helper()
	bin := os.Getenv("BENCH_CARECONNECT_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "careconnect")
		build := exec.Command("go", "build", "-o", bin, "careconnect/cmd/careconnect")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("bench: building the worker: %v\n%s", err, out)
		}
	}
	c := s.cfg
	env := map[string]string{
		"ENV": "test", "DATABASE_URL": c.Database.URL, "TEMPORAL_ADDRESS": c.Temporal.Address,
		"TEMPORAL_NAMESPACE": c.Temporal.Namespace, "TEMPORAL_TASK_QUEUE": c.Temporal.TaskQueue,
		"LINKS_SECRET": c.Links.Secret, "SMTP_HOST": s.m.Catcher.Host(), "SMTP_PORT": strconv.Itoa(s.m.Catcher.Port()),
		"SMTP_DEV_CATCHER": "false", "HTTP_PUBLIC_BASE_URL": c.HTTP.PublicBaseURL, "VIEWER_URL": c.Viewer.URL,
		"TEAM_EMAIL": c.Team.Email, "CODEC_KEYS": strings.Join(c.Codec.Keys, ","), "CODEC_ACTIVE_KEY": c.Codec.ActiveKey,
	}
	cmd := exec.Command(bin, "worker")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, config.EnvPrefix+"_"+k+"="+v)
	}
	s.workerLog = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, &lockedWriter{w: s.workerLog}
	if err := cmd.Start(); err != nil {
		t.Fatalf("bench: starting the worker: %v", err)
	}
	s.workerCmd = cmd
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		res, err := s.m.Temporal.WorkflowService().DescribeTaskQueue(context.Background(), &workflowservice.DescribeTaskQueueRequest{
			Namespace: c.Temporal.Namespace, TaskQueue: &taskqueue.TaskQueue{Name: c.Temporal.TaskQueue, Kind: enums.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enums.TASK_QUEUE_TYPE_WORKFLOW})
		if err == nil && len(res.GetPollers()) > 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("bench: the worker process never polled its task queue; its log:\n%s", s.workerLog)
}

// workerPID is the pid whose memory is the worker's.
func (s *system) workerPID() int {
	if s.workerCmd != nil {
		return s.workerCmd.Process.Pid
	}
	return os.Getpid()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// auth is an Authorization header for persona key, minted again before it expires.
func (s *system) auth(key string) (string, error) {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	if m, ok := s.tokens[key]; ok && time.Since(m.at) < 8*time.Minute {
		return m.header, nil
	}
	tok, err := s.m.DevIDP.IDToken(key, s.cfg.Auth.Applicant.ClientID)
	if err != nil {
		return "", err
	}
	h := "Bearer " + tok
	s.tokens[key] = mintedToken{header: h, at: time.Now()}
	return h, nil
}

// do sends a request and returns the status and body; headers are "Key", "Value" pairs.
func (s *system) do(ctx context.Context, method, path, contentType string, body []byte, headers ...string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// declarationLinks indexes the declaration links the worker emails, by
// worksite ID, and the email confirmation links, by "email:<subject>", as
// the catcher receives them.
type declarationLinks struct {
	mu      sync.Mutex
	tokens  map[string]string
	waiters map[string][]chan string
}

func newDeclarationLinks() *declarationLinks {
	return &declarationLinks{tokens: map[string]string{}, waiters: map[string][]chan string{}}
}

var (
	declarationLinkRE = regexp.MustCompile(`/declaration/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`)
	confirmLinkRE     = regexp.MustCompile(`/confirm-email/([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)`)
)

// indexMail sees every caught message once (the predicate never matches)
// until the catcher closes.
func (s *system) indexMail() {
	_, _ = s.m.Catcher.WaitFor(context.Background(), func(m mail.Caught) bool {
		key, tok := "", ""
		if g := declarationLinkRE.FindStringSubmatch(m.Text); g != nil {
			claims, err := s.signer.Verify(g[1], links.PurposeDeclaration, time.Now())
			if err != nil {
				return false
			}
			key, tok = claims.Subject, g[1]
		} else if g := confirmLinkRE.FindStringSubmatch(m.Text); g != nil {
			claims, err := s.signer.Verify(g[1], links.PurposeEmailConfirmation, time.Now())
			if err != nil {
				return false
			}
			subject, _, _ := strings.Cut(claims.Subject, "/")
			key, tok = "email:"+subject, g[1]
		} else {
			return false
		}
		d := s.decl
		d.mu.Lock()
		defer d.mu.Unlock()
		if _, seen := d.tokens[key]; seen {
			return false
		}
		d.tokens[key] = tok
		for _, w := range d.waiters[key] {
			w <- tok
		}
		delete(d.waiters, key)
		return false
	})
}

// declarationToken waits for the emailed declaration link of worksite id.
func (s *system) declarationToken(ctx context.Context, id string) (string, error) {
	d := s.decl
	d.mu.Lock()
	if tok, ok := d.tokens[id]; ok {
		d.mu.Unlock()
		return tok, nil
	}
	ch := make(chan string, 1)
	d.waiters[id] = append(d.waiters[id], ch)
	d.mu.Unlock()
	select {
	case tok := <-ch:
		return tok, nil
	case <-ctx.Done():
		return "", fmt.Errorf("no declaration or confirmation email for %s: %w", id, ctx.Err())
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// rssOf reads VmRSS and VmHWM (peak) of pid from /proc, in bytes.
func rssOf(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// cpu samples the CPU used so far by the system's parts.
func (s *system) cpu() cpuUse {
	u, err := url.Parse(s.cfg.Database.URL)
	if err != nil {
		return cpuUse{}
	}
	return cpuNow(s.workerPID(), strings.TrimPrefix(u.Path, "/"))
}
