package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the checks of the burst

	"careconnect/app/apptest"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/learninghub"
	"careconnect/workflows"
)

// settings are the run's knobs, from the environment.
type settings struct {
	Scale              float64 // BENCH_SCALE: multiplies the burst and scale counts (0.1 for a quick run)
	Journeys           int     // BENCH_JOURNEYS: measured journeys (and floor journeys)
	JourneyConcurrency int     // BENCH_JOURNEY_CONCURRENCY
	LatencyClients     int     // BENCH_LATENCY_CLIENTS (100)
	LatencySeconds     int     // BENCH_LATENCY_SECONDS per endpoint
	BurstCallbacks     int     // 10,000 × scale
	BurstConcurrency   int     // BENCH_BURST_CONCURRENCY
	ScaleUsers         int     // 20,000 × scale
	ScaleWorksites     int     // 2,000 × scale
	ScaleConcurrency   int     // BENCH_SCALE_CONCURRENCY: concurrent API clients creating the scale set
	QueueClients       int     // BENCH_QUEUE_CLIENTS: team members listing the queue at scale
	InProcessWorker    bool    // BENCH_WORKER=inprocess
	ProfileDir         string  // BENCH_PROFILE_DIR: CPU profiles of this process (API, and worker when in-process) per phase
	OutDir             string  // BENCH_OUT: where results.md and results.json go (default: this directory)
	Phases             string  // BENCH_PHASES: comma-separated subset of throughput,latency,scale,burst (default all)
}

// runs reports whether phase is to run.
func (c settings) runs(phase string) bool {
	return c.Phases == "" || strings.Contains(","+c.Phases+",", ","+phase+",")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func loadSettings() settings {
	scale := 1.0
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	n := func(full int) int { return max(1, int(math.Round(float64(full)*scale))) }
	return settings{Scale: scale,
		Journeys: envInt("BENCH_JOURNEYS", max(20, n(100))), JourneyConcurrency: envInt("BENCH_JOURNEY_CONCURRENCY", 10),
		LatencyClients: envInt("BENCH_LATENCY_CLIENTS", 100), LatencySeconds: envInt("BENCH_LATENCY_SECONDS", 10),
		BurstCallbacks: n(10000), BurstConcurrency: envInt("BENCH_BURST_CONCURRENCY", 50),
		ScaleUsers: n(20000), ScaleWorksites: n(2000), ScaleConcurrency: envInt("BENCH_SCALE_CONCURRENCY", 32),
		QueueClients: envInt("BENCH_QUEUE_CLIENTS", 10), InProcessWorker: os.Getenv("BENCH_WORKER") == "inprocess",
		ProfileDir: os.Getenv("BENCH_PROFILE_DIR"), OutDir: os.Getenv("BENCH_OUT"), Phases: os.Getenv("BENCH_PHASES")}
}

// warmJourneys run before the measured ones; the first gives the journey's shape.
const warmJourneys = 2

// TestBench runs the four measurements of `make bench` and writes the
// table. It skips unless CARECONNECT_BENCH=1.
func TestBench(t *testing.T) {
	if os.Getenv("CARECONNECT_BENCH") != "1" {
		t.Skip("the benchmark runs with CARECONNECT_BENCH=1 (make bench)")
	}
	cfg := loadSettings()
	rep := &report{Started: time.Now(), Machine: machine(), Settings: map[string]any{
		"BENCH_SCALE": cfg.Scale, "journeys": cfg.Journeys, "journey_concurrency": cfg.JourneyConcurrency,
		"latency_clients": cfg.LatencyClients, "latency_seconds": cfg.LatencySeconds, "burst_callbacks": cfg.BurstCallbacks,
		"burst_concurrency": cfg.BurstConcurrency, "scale_users": cfg.ScaleUsers, "scale_worksites": cfg.ScaleWorksites,
		"queue_clients": cfg.QueueClients, "worker": map[bool]string{true: "in-process", false: "separate process"}[cfg.InProcessWorker]}}
	out := cfg.OutDir
	if out == "" {
		out = "."
	}
	journeyUsers := warmJourneys + cfg.Journeys
	s := startSystem(t, journeyUsers+cfg.ScaleUsers, cfg.InProcessWorker)
	ctx := context.Background()
	defer func() {
		rep.Duration = time.Since(rep.Started).Round(time.Second).String()
		if err := rep.write(out); err != nil {
			t.Errorf("writing the results: %v", err)
		}
		fmt.Println(rep.markdown())
	}()

	// The table so far is written after each phase, so that a long run stopped late keeps its figures.
	partial := func() {
		rep.Duration = time.Since(rep.Started).Round(time.Second).String() + " (so far)"
		_ = rep.write(out)
	}
	benchThroughput(t, ctx, s, cfg, rep) // the latency phase reads as the journeys' physicians
	partial()
	if cfg.runs("latency") {
		benchLatency(t, ctx, s, cfg, rep, journeyUsers)
		partial()
	}
	scaleBase := journeyUsers
	if cfg.runs("scale") || cfg.runs("burst") {
		benchScale(t, ctx, s, cfg, rep, scaleBase) // the burst's learners are the scale set's
		partial()
	}
	if cfg.runs("burst") {
		benchBurst(t, ctx, s, cfg, rep, scaleBase+cfg.ScaleWorksites, cfg.ScaleUsers-cfg.ScaleWorksites)
	}
	t.Logf("CPU used: %+v", s.cpu())
	if db, err := sql.Open("pgx", s.cfg.Database.URL); err == nil {
		var sessions int64
		if db.QueryRowContext(ctx, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&sessions) == nil {
			rep.note("PostgreSQL sessions opened on the run's database, API and worker together (pg_stat_database.sessions): %d.", sessions)
		}
		_ = db.Close()
	}
	rss, peak, err := rssOf(s.workerPID())
	if err == nil && cfg.runs("burst") {
		rep.add(row{Measure: "worker RSS after the burst (peak so far)", Value: fmt.Sprintf("%s (%s)", mib(rss), mib(peak)),
			Target: "≤ 1 GiB", Result: passFail(peak <= 1<<30), Number: float64(peak) / (1 << 20), Unit: "MiB"})
	}
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// profile writes a CPU profile of this process for name while f runs, when asked to.
func profile(cfg settings, name string, f func()) {
	if cfg.ProfileDir == "" {
		f()
		return
	}
	_ = os.MkdirAll(cfg.ProfileDir, 0o755)
	file, err := os.Create(filepath.Join(cfg.ProfileDir, name+".cpu.pprof"))
	if err == nil && pprof.StartCPUProfile(file) == nil {
		defer func() { pprof.StopCPUProfile(); _ = file.Close() }()
	}
	f()
}

// benchThroughput: complete physician journeys per second through the
// HTTP API, against the floor of no-op workflows receiving the same
// signals and updates on the same server at the same concurrency.
func benchThroughput(t *testing.T, ctx context.Context, s *system, cfg settings, rep *report) {
	form, formType := apptest.ValidDeclaration(t).Multipart(t)
	jctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	var warmIDs [warmJourneys]string
	for i := 0; i < warmJourneys; i++ {
		id, err := s.journey(jctx, i, form, formType)
		if err != nil {
			t.Fatalf("warm-up journey %d: %v", i, err)
		}
		warmIDs[i] = id
	}
	// The journey's shape: what its two workflows received, and the events
	// they wrote once settled (TestJourneyHistoryBudget counts the same).
	sh := journeyShape{ByType: map[string]int{}}
	userID, siteID := workflows.UserWorkflowID(s.personas[0].Subject), workflows.WorksiteWorkflowID(warmIDs[0])
	var err error
	if sh.UserEvents, err = settledEvents(jctx, s.m.Temporal, userID, sh.ByType); err != nil {
		t.Fatal(err)
	}
	if sh.WorksiteEvents, err = settledEvents(jctx, s.m.Temporal, siteID, sh.ByType); err != nil {
		t.Fatal(err)
	}
	if sh.UserSignals, sh.UserUpdates, _, err = shapeOf(ctx, s.m.Temporal, userID, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	if sh.WorksiteSignals, sh.WorksiteUpdates, _, err = shapeOf(ctx, s.m.Temporal, siteID, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("journey shape: %+v", sh)

	start := time.Now()
	cpu0 := s.cpu()
	var failed int
	var first error
	profile(cfg, "journeys", func() {
		failed, first = runAll(jctx, cfg.Journeys, cfg.JourneyConcurrency, func(ctx context.Context, i int) error {
			_, err := s.journey(ctx, warmJourneys+i, form, formType)
			return err
		})
	})
	elapsed := time.Since(start)
	journeyCPU := s.cpu().minus(cpu0)
	if failed > 0 {
		t.Fatalf("%d of %d journeys failed; the first: %v", failed, cfg.Journeys, first)
	}
	journeysPerSec := float64(cfg.Journeys) / elapsed.Seconds()
	t.Logf("throughput: %d journeys in %s", cfg.Journeys, elapsed.Round(time.Millisecond))

	// The floor, on its own task queue and worker in this process.
	tq := s.cfg.Temporal.TaskQueue + "-floor"
	w, err := startFloorWorker(s.m.Temporal, tq)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i := 0; i < warmJourneys; i++ {
		if err := floorJourney(jctx, s.m.Temporal, tq, -1-i, sh); err != nil {
			t.Fatalf("warm-up floor journey: %v", err)
		}
	}
	floorEvents, floorByType := 0, map[string]int{}
	for _, id := range floorWorkflowIDs(tq, -1) {
		_, _, n, err := shapeOf(ctx, s.m.Temporal, id, floorByType)
		if err != nil {
			t.Fatal(err)
		}
		floorEvents += n
	}
	start = time.Now()
	cpu0 = s.cpu()
	failed, first = runAll(jctx, cfg.Journeys, cfg.JourneyConcurrency, func(ctx context.Context, i int) error {
		return floorJourney(ctx, s.m.Temporal, tq, i, sh)
	})
	floorElapsed := time.Since(start)
	floorCPU := s.cpu().minus(cpu0)
	if failed > 0 {
		t.Fatalf("%d of %d floor journeys failed; the first: %v", failed, cfg.Journeys, first)
	}
	floorPerSec := float64(cfg.Journeys) / floorElapsed.Seconds()
	t.Logf("throughput: %d floor journeys in %s", cfg.Journeys, floorElapsed.Round(time.Millisecond))
	ratio := journeysPerSec / floorPerSec
	rep.add(row{Measure: fmt.Sprintf("1. physician journeys/s (%d journeys, %d concurrent)", cfg.Journeys, cfg.JourneyConcurrency),
		Value: fmt.Sprintf("%.2f /s", journeysPerSec), Baseline: fmt.Sprintf("%.2f /s (no-op floor)", floorPerSec),
		Ratio: fmt.Sprintf("%.2f", ratio), Target: "≥ 0.5 of the floor", Result: passFail(ratio >= 0.5), Number: journeysPerSec, Unit: "journeys/s"})
	rep.note("A journey: account registration, worksite registration, application, declaration signed through the emailed link, team approval, "+
		"course and HPCAA callbacks, waiting (GET /me/applications every 50 ms) for the application to be ready, team provisioning; "+
		"%d HTTP requests besides the polling. Its workflows received %d signals and %d updates (user: %d+%d, worksite: %d+%d) and wrote %d history events (user %d, worksite %d). "+
		"The floor: two no-op workflows per journey (one started by update-with-start, one by a start) receiving the same signals and updates through the Temporal client, same concurrency, same dev server.",
		9, sh.UserSignals+sh.WorksiteSignals, sh.UserUpdates+sh.WorksiteUpdates, sh.UserSignals, sh.UserUpdates, sh.WorksiteSignals, sh.WorksiteUpdates,
		sh.UserEvents+sh.WorksiteEvents, sh.UserEvents, sh.WorksiteEvents)
	events := sh.UserEvents + sh.WorksiteEvents
	rep.add(row{Measure: "1. history events per physician journey (its user and worksite workflows)", Value: fmt.Sprint(events),
		Baseline: fmt.Sprintf("%d (no-op floor)", floorEvents), Ratio: fmt.Sprintf("%.2f", float64(events)/float64(floorEvents)),
		Target: fmt.Sprintf("≤ %d", journeyEventTarget), Result: passFail(events <= journeyEventTarget), Number: float64(events), Unit: "events"})
	rep.note("The journey's history events by type: %s.", byTypeLine(sh.ByType))
	rep.note("The floor journey's history events by type: %s.", byTypeLine(floorByType))
	rep.note("CPU per journey: %s; wall %s for %d. CPU per floor journey: %s (the floor's worker runs in the API process); wall %s.",
		journeyCPU.per(float64(cfg.Journeys)), elapsed.Round(time.Millisecond), cfg.Journeys, floorCPU.per(float64(cfg.Journeys)), floorElapsed.Round(time.Millisecond))
}

// benchLatency: p50 and p99 of the status reads and the team queue at
// LatencyClients concurrent clients, against a trivial gin handler.
func benchLatency(t *testing.T, ctx context.Context, s *system, cfg settings, rep *report, journeyUsers int) {
	base, stop, err := trivialServer()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Each client reads as one of the provisioned physicians, their own status and worksite.
	sites := make([]string, journeyUsers)
	auths := make([]string, journeyUsers)
	for i := 0; i < journeyUsers; i++ {
		if auths[i], err = s.auth(userKey(i)); err != nil {
			t.Fatal(err)
		}
		b, err := s.expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/me/worksites", auths[i], "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var mine struct {
			Worksites []struct {
				ID string `json:"worksiteId"`
			} `json:"worksites"`
		}
		if err := json.Unmarshal(b, &mine); err != nil || len(mine.Worksites) == 0 {
			t.Fatalf("user %d's worksites: %s", i, clip(b))
		}
		sites[i] = mine.Worksites[0].ID
	}
	team, err := s.auth(devidp.PersonaTeam)
	if err != nil {
		t.Fatal(err)
	}
	get := func(url, auth string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := s.client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", url, res.StatusCode)
		}
		return nil
	}
	warm, d := 2*time.Second, time.Duration(cfg.LatencySeconds)*time.Second
	type target struct {
		name, profile string
		req           func(ctx context.Context, c int) error
		targeted      bool
	}
	targets := []target{
		{"trivial gin handler", "trivial", func(_ context.Context, c int) error { return get(base+"/trivial", "") }, false},
		{"GET /api/v1/worksites/{id} (status read)", "worksite-status", func(_ context.Context, c int) error {
			u := c % journeyUsers
			return get(s.base+"/api/v1/worksites/"+sites[u], auths[u])
		}, true},
		{"GET /api/v1/me/status (status read)", "me-status", func(_ context.Context, c int) error {
			u := c % journeyUsers
			return get(s.base+"/api/v1/me/status", auths[u])
		}, true},
		{"GET /api/v1/staff/applications (team queue)", "queue", func(_ context.Context, c int) error {
			return get(s.base+"/api/v1/staff/applications", team)
		}, false},
	}
	var baseline latencies
	for _, tg := range targets {
		var l latencies
		cpu0 := s.cpu()
		profile(cfg, "latency-"+tg.profile, func() { l = load(ctx, cfg.LatencyClients, warm, d, tg.req) })
		cpu := s.cpu().minus(cpu0)
		t.Logf("latency: %s: p50 %s, p99 %s", tg.name, ms(l.pct(50)), ms(l.pct(99)))
		if len(l.d) == 0 {
			t.Fatalf("%s: no successful request (%d errors)", tg.name, l.errors)
		}
		if tg.profile == "trivial" {
			baseline = l
			rep.add(row{Measure: fmt.Sprintf("2. %s p50 / p99 at %d clients", tg.name, cfg.LatencyClients),
				Value: ms(l.pct(50)) + " / " + ms(l.pct(99)), Number: float64(l.pct(99).Microseconds()) / 1000, Unit: "ms p99"})
		} else {
			ratio := float64(l.pct(99)) / float64(baseline.pct(99))
			x := row{Measure: fmt.Sprintf("2. %s p50 / p99 at %d clients", tg.name, cfg.LatencyClients),
				Value: ms(l.pct(50)) + " / " + ms(l.pct(99)), Baseline: ms(baseline.pct(50)) + " / " + ms(baseline.pct(99)) + " (trivial)",
				Ratio: fmt.Sprintf("%.1f (p99)", ratio), Number: float64(l.pct(99).Microseconds()) / 1000, Unit: "ms p99"}
			if tg.targeted {
				x.Target, x.Result = "p99 ≤ 3× trivial", passFail(ratio <= 3)
			}
			rep.add(x)
		}
		rep.note("%s: %d requests in %.0f s (%.0f/s), %d errors; CPU per request (warm-up included): %s.", tg.name, len(l.d), l.wall.Seconds(), l.rate(), l.errors,
			cpu.per(float64(len(l.d))*(warm+d).Seconds()/d.Seconds()))
	}
}

// benchScale creates the scale set through the API, lets it idle on its
// timers, then measures the team queue's p95 and the worker's RSS.
func benchScale(t *testing.T, ctx context.Context, s *system, cfg settings, rep *report, base int) {
	form, formType := apptest.ValidDeclaration(t).Multipart(t)
	sctx, cancel := context.WithTimeout(ctx, 2*time.Hour)
	defer cancel()
	U, W := cfg.ScaleUsers, cfg.ScaleWorksites
	signed, ready := W/4, W/10
	ids := make([]string, W)
	var retries atomic.Int64
	step := func(name string, n int, f func(ctx context.Context, i int) error) {
		t0 := time.Now()
		var failed int
		var first error
		// A creation that fails is tried again, backing off, rather than
		// losing the run to a 503 while the server works through a backlog.
		retrying := func(ctx context.Context, i int) error {
			err := f(ctx, i)
			for attempt := 1; err != nil && attempt < 8; attempt++ {
				retries.Add(1)
				t.Logf("scale: %s %d: %v; trying again", name, i, clip([]byte(err.Error())))
				time.Sleep(time.Duration(attempt) * 2 * time.Second)
				err = f(ctx, i)
			}
			return err
		}
		profile(cfg, "scale-"+name, func() { failed, first = runAll(sctx, n, cfg.ScaleConcurrency, retrying) })
		el := time.Since(t0)
		t.Logf("scale: %s: %d in %s (%.1f/s)", name, n, el.Round(time.Second), float64(n)/el.Seconds())
		rep.note("Scale set: %s: %d in %s (%.1f/s), %d failed.", name, n, el.Round(time.Second), float64(n)/el.Seconds(), failed)
		if failed > 0 {
			t.Fatalf("scale: %s: %d failed; the first: %v", name, failed, first)
		}
	}
	step("accounts registered", U, func(ctx context.Context, i int) error { return s.registerUser(ctx, base+i) })
	step("worksites registered", W, func(ctx context.Context, i int) (err error) {
		ids[i], err = s.registerWorksite(ctx, base+i)
		return err
	})
	// A worksite's first email says its workflow is running; applying before
	// that waits (and may time out) behind the whole registration backlog.
	step("applications submitted", W, func(ctx context.Context, i int) error {
		if _, err := s.declarationToken(ctx, ids[i]); err != nil {
			return err
		}
		return s.apply(ctx, base+i, ids[i])
	})
	step("declarations signed", signed, func(ctx context.Context, i int) error { return s.signDeclaration(ctx, ids[i], form, formType) })
	step("worksites approved, course and HPCAA callbacks", ready, func(ctx context.Context, i int) error {
		if err := s.approveWorksite(ctx, ids[i]); err != nil {
			return err
		}
		for _, typ := range []string{learninghub.TypeCourseCompleted, learninghub.TypeAgreementAcknowledged} {
			if _, err := s.callback(ctx, fmt.Sprintf("scale-%d-%s", i, typ), typ, s.personas[base+i].Email); err != nil {
				return err
			}
		}
		return nil
	})
	step("applications ready", ready, func(ctx context.Context, i int) error {
		return s.waitApplication(ctx, base+i, ids[i], domain.AppReady)
	})
	// Idle: every workflow waits on its timers.
	time.Sleep(15 * time.Second)
	rss, peak, err := rssOf(s.workerPID())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ProfileDir != "" && cfg.InProcessWorker {
		// The worker's heap at scale (in-process only: the separate worker serves no profiles).
		runtime.GC()
		if f, err := os.Create(filepath.Join(cfg.ProfileDir, "scale-heap.pprof")); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
	team, err := s.auth(devidp.PersonaTeam)
	if err != nil {
		t.Fatal(err)
	}
	var items int
	var l latencies
	profile(cfg, "scale-queue", func() {
		l = load(ctx, cfg.QueueClients, 2*time.Second, time.Duration(cfg.LatencySeconds)*time.Second, func(ctx context.Context, c int) error {
			b, err := s.expect(ctx, http.StatusOK, http.MethodGet, "/api/v1/staff/applications", team, "", nil)
			if err == nil && c == 0 {
				var q struct {
					Applications []any `json:"applications"`
					Worksites    []any `json:"worksitesAwaitingApproval"`
				}
				if json.Unmarshal(b, &q) == nil {
					items = len(q.Applications) + len(q.Worksites)
				}
			}
			return err
		})
	})
	p95 := l.pct(95)
	rep.add(row{Measure: fmt.Sprintf("4. team queue list p95 at scale (%d users, %d worksites; %d clients)", U, W, cfg.QueueClients),
		Value: ms(p95), Baseline: fmt.Sprintf("p50 %s, p99 %s", ms(l.pct(50)), ms(l.pct(99))), Target: "≤ 100 ms",
		Result: passFail(p95 <= 100*time.Millisecond), Number: float64(p95.Microseconds()) / 1000, Unit: "ms p95"})
	where := "separate `careconnect worker` process, /proc/<pid>/status"
	if cfg.InProcessWorker {
		where = "in-process worker: the whole bench process (API, worker, load), /proc/self/status"
	}
	if pid := temporalPID(); pid > 0 {
		if r, p, err := rssOf(pid); err == nil {
			rep.note("Temporal dev server RSS at scale: %s (peak %s); PostgreSQL and the dev server are not part of the worker's figure.", mib(r), mib(p))
		}
	}
	rep.add(row{Measure: fmt.Sprintf("4. worker RSS at scale, idle (%s)", where), Value: mib(rss), Baseline: "peak " + mib(peak),
		Target: "≤ 1 GiB", Result: passFail(rss <= 1<<30), Number: float64(rss) / (1 << 20), Unit: "MiB"})
	rep.note("Scale set: %d accounts (user workflows idle on password timers), %d worksites registered by the first %d of them, each applying there; "+
		"%d declarations signed (worksites awaiting the team's review on SLA timers), %d of those approved with course and HPCAA done, "+
		"so the queue holds %d ready applications and %d worksites awaiting approval (the response carried %d items, the list being capped at 100 applications). "+
		"Queue: %d requests, %d errors. Creations tried again: %d.", U, W, W, signed, ready, ready, signed-ready, items, len(l.d), l.errors, retries.Load())
}

// benchBurst: callbacks signed callbacks, 1% of them duplicates, for n
// learners with accounts (users base..base+n-1); the ingest rate, then
// a check that every event was stored, delivered and applied.
func benchBurst(t *testing.T, ctx context.Context, s *system, cfg settings, rep *report, base, learners int) {
	total := cfg.BurstCallbacks
	dups := total / 100
	unique := total - dups
	if unique > learners {
		t.Fatalf("burst: %d unique callbacks need %d learners with accounts; have %d", unique, unique, learners)
	}
	run := fmt.Sprint(time.Now().UnixNano())
	eventID := func(j int) string { return "burst-" + run + "-" + strconv.Itoa(j) }
	// Each duplicate follows its original 50 sends later, as a retry would.
	var sends []int
	d := 0
	for j := 0; j < unique; j++ {
		sends = append(sends, j)
		if j >= 50 && d < dups && (j-50)%(unique/max(dups, 1)) == 0 {
			sends = append(sends, j-50)
			d++
		}
	}
	for ; d < dups; d++ {
		sends = append(sends, d)
	}
	var accepted, duplicate, firstFail, retried atomic.Int64
	t0 := time.Now()
	cpu0 := s.cpu()
	failed, first := runAll(ctx, len(sends), cfg.BurstConcurrency, func(ctx context.Context, k int) error {
		j := sends[k]
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			var status int
			status, err = s.callback(ctx, eventID(j), learninghub.TypeCourseCompleted, s.personas[base+j].Email)
			if err == nil {
				if status == http.StatusAccepted {
					accepted.Add(1)
				} else {
					duplicate.Add(1)
				}
				return nil
			}
			if attempt == 0 {
				firstFail.Add(1)
			}
			retried.Add(1)
			time.Sleep(time.Duration(200*(attempt+1)) * time.Millisecond) // LearningHub retries a non-2xx answer
		}
		return err
	})
	ingest := time.Since(t0)
	t.Logf("burst: %d callbacks in %s", len(sends), ingest.Round(time.Millisecond))
	ingestCPU := s.cpu().minus(cpu0)
	rate := float64(len(sends)) / ingest.Seconds()

	db, err := sql.Open("pgx", s.cfg.Database.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	subjects := make([]string, unique)
	for j := range subjects {
		subjects[j] = s.personas[base+j].Subject
	}
	var stored, delivered, applied int
	deadline := time.Now().Add(20 * time.Minute)
	for {
		q := func(query string, args ...any) int {
			var n int
			if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatalf("burst check: %v", err)
			}
			return n
		}
		stored = q(`SELECT count(*) FROM learninghub_events WHERE event_id LIKE $1`, "burst-"+run+"-%")
		delivered = q(`SELECT count(*) FROM learninghub_events WHERE event_id LIKE $1 AND delivered_at IS NOT NULL`, "burst-"+run+"-%")
		applied = q(`SELECT count(*) FROM people WHERE subject = ANY($1) AND (status_json::jsonb ->> 'courseCompletedAt') IS NOT NULL`, subjects)
		if applied == unique && delivered == unique || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	settled := time.Since(t0)
	rep.note("CPU per callback while ingesting: %s.", ingestCPU.per(float64(len(sends))))
	lost := unique - applied
	rep.add(row{Measure: fmt.Sprintf("3. LearningHub burst: %d signed callbacks (%d duplicates), %d concurrent", len(sends), dups, cfg.BurstConcurrency),
		Value: fmt.Sprintf("%.0f callbacks/s ingested", rate), Baseline: fmt.Sprintf("all applied after %s", settled.Round(time.Second)),
		Number: rate, Unit: "callbacks/s"})
	rep.add(row{Measure: "3. LearningHub burst: lost callbacks", Value: fmt.Sprintf("%d lost (stored %d, delivered %d, applied %d of %d unique)", lost+(unique-stored), stored, delivered, applied, unique),
		Target: "0 lost", Result: passFail(lost == 0 && stored == unique && failed == 0), Number: float64(lost), Unit: "callbacks"})
	rep.note("Burst: %d answered 202 accepted and %d 200 duplicate (want %d and %d); %d sends failed at first and were retried (%d retries), %d failed 5 times%s. "+
		"Applied means the learner's status projection, written by their workflow, shows the course completed.",
		accepted.Load(), duplicate.Load(), unique, dups, firstFail.Load(), retried.Load(), failed, errSuffix(first))
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (first: " + err.Error() + ")"
}

func byTypeLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return m[b] - m[a] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ToLower(k), m[k]))
	}
	return strings.Join(parts, ", ")
}
