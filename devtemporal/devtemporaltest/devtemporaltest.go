// Package devtemporaltest gives tests a real Temporal dev server.
//
// The temporal CLI comes from CARECONNECT_TEST_TEMPORAL_CLI (make test sets
// it from scripts/temporal-cli.sh). Without it a test is skipped locally but
// fails in CI (CI set), so CI can never silently skip Temporal tests.
package devtemporaltest

import (
	"context"
	"os"
	"testing"

	"careconnect/devtemporal"
)

// EnvCLI names the environment variable holding the temporal CLI's path.
const EnvCLI = "CARECONNECT_TEST_TEMPORAL_CLI"

// InCI reports whether the tests run in CI (CI set to anything but "", "0" or "false").
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Binary returns the temporal CLI for tests; it skips the test when the CLI
// is not configured, or fails it in CI.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(EnvCLI)
	if bin == "" {
		if InCI() {
			t.Fatalf("%s is not set but CI is: run the tests with `make test` (it builds the temporal CLI via scripts/temporal-cli.sh)", EnvCLI)
		}
		t.Skipf("%s is not set: skipping a test that needs the Temporal dev server (use `make test`, or export %s=$(scripts/temporal-cli.sh))", EnvCLI, EnvCLI)
	}
	return bin
}

// Start starts an in-memory, headless dev server on free ports (unless o
// says otherwise) and stops it when the test ends. o.Binary defaults to Binary(t).
func Start(t testing.TB, o devtemporal.Options) *devtemporal.Server {
	t.Helper()
	if o.Binary == "" {
		o.Binary = Binary(t)
	}
	if o.UIPort == 0 {
		o.UIPort = -1
	}
	s, err := devtemporal.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the Temporal dev server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping the Temporal dev server: %v", err)
		}
	})
	return s
}
