package devtemporal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
)

// TestServer starts the real dev server, talks to it, stops it and checks
// that nothing listens on its ports afterwards.
func TestServer(t *testing.T) {
	bin := devtemporaltest.Binary(t)
	var stderr bytes.Buffer
	ctx := context.Background()
	s, err := devtemporal.Start(ctx, devtemporal.Options{
		Binary:           bin,
		Namespace:        "careconnect-test",
		SearchAttributes: map[string]string{"CareConnectPractitionerID": "Keyword"},
		Stderr:           &stderr,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = s.Stop()
		}
	}()

	host, port, err := net.SplitHostPort(s.Address())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Address() = %q, want 127.0.0.1:<port>", s.Address())
	}
	if !strings.HasPrefix(s.UIURL(), "http://127.0.0.1:") || s.UIURL() == "http://"+s.Address() {
		t.Fatalf("UIURL() = %q, want http://127.0.0.1:<another port>", s.UIURL())
	}

	c, err := client.DialContext(ctx, client.Options{HostPort: s.Address(), Namespace: "careconnect-test",
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("Dial %s: %v", s.Address(), err)
	}
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "careconnect-test"}); err != nil {
		t.Fatalf("namespace careconnect-test was not created: %v", err)
	}
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "careconnect-test"})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	if got := sa.GetCustomAttributes()["CareConnectPractitionerID"]; got != enums.INDEXED_VALUE_TYPE_KEYWORD {
		t.Fatalf("search attribute CareConnectPractitionerID = %v, want Keyword (have %v)", got, sa.GetCustomAttributes())
	}
	c.Close()

	// The UI answers (it may lag the frontend slightly).
	var uiErr error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var resp *http.Response
		if resp, uiErr = http.Get(s.UIURL()); uiErr == nil {
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				uiErr = fmt.Errorf("status %s", resp.Status)
				continue
			}
			break
		}
	}
	if uiErr != nil {
		t.Errorf("UI %s did not answer: %v", s.UIURL(), uiErr)
	}

	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
	select {
	case <-s.Done():
	default:
		t.Fatal("Done() not closed after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, addr := range []string{s.Address(), strings.TrimPrefix(s.UIURL(), "http://")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
	if t.Failed() {
		t.Logf("server stderr:\n%s", stderr.String())
	}
}

// TestServerHeadlessFixedPort uses a given port, no UI.
func TestServerHeadlessFixedPort(t *testing.T) {
	bin := devtemporaltest.Binary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := devtemporaltest.Start(t, devtemporal.Options{Binary: bin, Port: port, DBFile: filepath.Join(t.TempDir(), "state", "temporal.db")})
	if want := "127.0.0.1:" + strconv.Itoa(port); s.Address() != want {
		t.Fatalf("Address() = %q, want %q", s.Address(), want)
	}
	if s.UIURL() != "" {
		t.Fatalf("UIURL() = %q, want empty when headless", s.UIURL())
	}
}

func TestStartNeedsBinary(t *testing.T) {
	if _, err := devtemporal.Start(context.Background(), devtemporal.Options{}); err == nil {
		t.Fatal("Start without Binary succeeded")
	}
	_, err := devtemporal.Start(context.Background(), devtemporal.Options{Binary: filepath.Join(t.TempDir(), "no-such-temporal")})
	if err == nil || !strings.Contains(err.Error(), "scripts/temporal-cli.sh") {
		t.Fatalf("Start with a missing binary: %v, want an error pointing at scripts/temporal-cli.sh", err)
	}
}

// TestStartReportsEarlyExit: a child that dies at once fails Start quickly,
// with its output in the error.
func TestStartReportsEarlyExit(t *testing.T) {
	bin := fakeCLI(t, `echo "fake temporal: $*" >&2; exit 3`)
	start := time.Now()
	_, err := devtemporal.Start(context.Background(), devtemporal.Options{Binary: bin, Port: freePort(t), UIPort: -1})
	if err == nil {
		t.Fatal("Start succeeded with a CLI that exits")
	}
	if !strings.Contains(err.Error(), "exited before becoming ready") || !strings.Contains(err.Error(), "fake temporal: server start-dev --ip 127.0.0.1") {
		t.Fatalf("error does not explain the exit or carry the output: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Start took %v to notice the exit", d)
	}
}

// TestStartTimeoutKillsGroup: a child that never serves is killed, with
// anything it started, when ctx ends.
func TestStartTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	bin := fakeCLI(t, fmt.Sprintf(`sleep 300 & echo $! > %q; echo $$ >> %q; exec sleep 300`, pidFile, pidFile))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := devtemporal.Start(ctx, devtemporal.Options{Binary: bin, Port: freePort(t), UIPort: -1})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v, want a deadline error", err)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pids := strings.Fields(string(data))
	if len(pids) != 2 {
		t.Fatalf("pid file %q", data)
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d survived the failed Start", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func fakeCLI(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "temporal")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// alive reports whether pid exists and is not a zombie (a container's init
// may never reap orphans).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
