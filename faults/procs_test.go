package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"careconnect/testnet"
)

// tail returns the last n bytes of the file at path, for failure messages.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}

// verbose is whether CARECONNECT_TEST_LOG asks for the logs of passing tests too.
func verbose() bool { return os.Getenv("CARECONNECT_TEST_LOG") != "" }

// process is a child OS process that a test kills and starts again: the
// careconnect worker or PostgreSQL. It runs in its own process group and
// dies with the test binary (Pdeathsig). Its output is appended to log.
type process struct {
	t    *testing.T
	name string
	args []string
	env  []string            // nil: inherit
	cred *syscall.Credential // nil: run as the test's user
	log  string
	// stopSig asks the process to shut down; SIGTERM unless set.
	stopSig syscall.Signal

	mu    sync.Mutex
	cmd   *exec.Cmd     // the current run; guarded by mu
	done  chan struct{} // closed when the current run has exited; guarded by mu
	err   error         // the current run's exit status, valid after done
	runs  int           // guarded by mu
	kills int           // runs ended by the test; guarded by mu
}

// newProcess returns a stopped process; Start runs it. It is stopped when t ends.
func newProcess(t *testing.T, name, log string, args ...string) *process {
	p := &process{t: t, name: name, args: args, log: log}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() || verbose() {
			t.Logf("--- %s output (tail) ---\n%s", p.name, tail(p.log, 6000))
		}
	})
	return p
}

// Start runs the process again (it must not be running).
func (p *process) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			p.t.Fatalf("faults: %s is already running", p.name)
		}
	}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.runs++
	fmt.Fprintf(out, "\n=== %s run %d at %s ===\n", p.name, p.runs, time.Now().Format(time.TimeOnly))
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: p.cred}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		p.t.Fatalf("faults: starting %s: %v", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		_ = out.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
}

// Running reports whether the current run has not exited.
func (p *process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Exited returns a description of an exit the test did not cause, or "".
func (p *process) Exited() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.kills == p.runs {
		return ""
	}
	select {
	case <-p.done:
		return fmt.Sprintf("%s exited on its own (%v):\n%s", p.name, p.err, tail(p.log, 3000))
	default:
		return ""
	}
}

// signal sends sig to the process group and waits up to wait for the exit;
// then it kills the group. It does nothing when the process is not running.
func (p *process) signal(sig syscall.Signal, wait time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd != nil {
		select {
		case <-done:
			cmd = nil
		default:
			p.kills = p.runs
		}
	}
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
		return
	case <-time.After(wait):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Kill ends the process at once with SIGKILL, as a crash or an OOM kill would.
func (p *process) Kill() { p.signal(syscall.SIGKILL, 0) }

// Stop asks the process to shut down (stopSig) and kills it after 30 s.
func (p *process) Stop() {
	sig := p.stopSig
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	p.signal(sig, 30*time.Second)
}

// childEnv is the test's environment without CARECONNECT_* variables, plus vars.
func childEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARECONNECT_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// pgBinDir returns where Debian installs the PostgreSQL server programs
// (/usr/lib/postgresql/<major>/bin), the newest major version installed.
func pgBinDir(t *testing.T) string {
	t.Helper()
	dirs, err := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("faults: the PostgreSQL server programs (initdb, postgres) are required in /usr/lib/postgresql/<version>/bin "+
			"(Debian's postgresql package, which scripts/ensure-postgres.sh installs): %v", err)
	}
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
	return filepath.Dir(dirs[len(dirs)-1])
}

// pgMajor is the major version in /usr/lib/postgresql/<major>/bin/initdb.
func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// pgServer is a private PostgreSQL cluster in a temporary directory on a
// free port, that a test can stop and start. The machine's own server on
// 5432 is shared with other packages' tests and must never be stopped.
type pgServer struct {
	*process
	port int
	dir  string
}

// startPostgres initialises a cluster (trust authentication, no fsync) and
// starts it. Run as root, the programs run as the postgres user (initdb
// refuses root).
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	pgBin := pgBinDir(t)
	dir, err := os.MkdirTemp("", "careconnect-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("faults: running as root needs the postgres user for initdb: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(pgBin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var out bytes.Buffer
	initdb.Stdout, initdb.Stderr = &out, &out
	if err := initdb.Run(); err != nil {
		t.Fatalf("faults: initdb: %v\n%s", err, out.String())
	}
	p := &pgServer{port: testnet.MustFreePort(t), dir: dir}
	p.process = newProcess(t, "postgres", filepath.Join(dir, "postgres.log"), filepath.Join(pgBin, "postgres"),
		"-D", data, "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	p.args = append(p.args, "-p", strconv.Itoa(p.port))
	p.cred = cred
	// SIGINT is the fast shutdown: sessions are cut off, nothing committed is lost.
	p.stopSig = syscall.SIGINT
	p.Start()
	return p
}

// Start starts the server and waits until it accepts connections.
func (p *pgServer) Start() {
	p.t.Helper()
	p.process.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := p.ping()
		if err == nil {
			return
		}
		if !p.Running() || time.Now().After(deadline) {
			p.t.Fatalf("faults: PostgreSQL on port %d did not start: %v\n%s", p.port, err, tail(p.log, 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is the URL of database db.
func (p *pgServer) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", p.port, db)
}

func (p *pgServer) ping() error {
	db, err := gorm.Open(postgres.Open(p.URL("postgres")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return sqlDB.PingContext(ctx)
}

// CreateDatabase creates database name and returns its URL.
func (p *pgServer) CreateDatabase(name string) string {
	p.t.Helper()
	db, err := gorm.Open(postgres.Open(p.URL("postgres")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		p.t.Fatalf("faults: create database: %v", err)
	}
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
	return p.URL(name)
}
