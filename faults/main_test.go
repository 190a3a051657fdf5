package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
)

// EnvFaultTests turns these tests on when set to "1".
const EnvFaultTests = "CARECONNECT_FAULT_TESTS"

var (
	// enabled is whether EnvFaultTests asked for the tests; set by TestMain.
	enabled bool
	// binary is the careconnect command built once by TestMain.
	binary string
	// shared is the in-memory Temporal dev server of the tests that do not
	// restart Temporal; started on first use, stopped by TestMain.
	shared struct {
		mu     sync.Mutex
		server *devtemporal.Server
		err    error
	}
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	enabled = os.Getenv(EnvFaultTests) == "1"
	if enabled {
		dir, err := os.MkdirTemp("", "careconnect-faults-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "faults:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "careconnect")
		build := exec.Command(goTool(), "build", "-o", binary, "careconnect/cmd/careconnect")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "faults: building cmd/careconnect:", err)
			return 1
		}
	}
	code := m.Run()
	shared.mu.Lock()
	if shared.server != nil {
		_ = shared.server.Stop()
	}
	shared.mu.Unlock()
	return code
}

// goTool is the go command: from PATH, else the toolchain that built this test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// need skips t unless the fault tests are turned on, and returns the
// temporal CLI (devtemporaltest skips without it locally and fails in CI).
func need(t *testing.T) string {
	t.Helper()
	if !enabled {
		t.Skipf("fault-injection tests are off: set %s=1 to run them (they kill the worker and stop Temporal, "+
			"PostgreSQL and SMTP mid-enrolment; see docs/faults.md)", EnvFaultTests)
	}
	return devtemporaltest.Binary(t)
}

// sharedTemporal returns the address of the package's in-memory dev server.
func sharedTemporal(t *testing.T) string {
	t.Helper()
	bin := need(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server == nil && shared.err == nil {
		shared.server, shared.err = devtemporal.Start(context.Background(), devtemporal.Options{Binary: bin, UIPort: -1})
	}
	if shared.err != nil {
		t.Fatalf("faults: Temporal dev server: %v", shared.err)
	}
	return shared.server.Address()
}
