// Package devtemporal runs the Temporal CLI's development server
// (`temporal server start-dev`) as a child process: for `careconnect dev` and
// for tests that need a real Temporal frontend.
//
// The CLI binary is built and cached by scripts/temporal-cli.sh; its path
// reaches this package through config (temporal.dev_server.binary) or, in
// tests, the CARECONNECT_TEST_TEMPORAL_CLI environment variable.
//
// The child runs in its own process group. Stop terminates the whole group
// (SIGTERM, then SIGKILL after 10 s), and on Linux the child is also killed
// if this process dies, so no server is left behind.
package devtemporal

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// Defaults applied by Start.
const (
	DefaultIP        = "127.0.0.1"
	DefaultNamespace = "default"
	DefaultLogLevel  = "error"
	// StartTimeout bounds how long Start waits for the frontend to answer.
	StartTimeout = 60 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout = 10 * time.Second
)

// Options configures the dev server.
type Options struct {
	// Binary is the path of the temporal CLI. Required.
	Binary string
	// IP the frontend (and UI) bind to. Empty means 127.0.0.1.
	IP string
	// Port of the frontend gRPC service. 0 picks a free port.
	Port int
	// UIPort of the web UI. 0 picks a free port; negative runs headless (no UI).
	UIPort int
	// DBFile persists the server's state between runs; empty keeps it in memory.
	DBFile string
	// UICodecEndpoint is the remote codec the web UI decodes payloads
	// with (the API's /codec); empty means none.
	UICodecEndpoint string
	// Namespace is created at start (with "default", which always exists).
	// Empty means "default".
	Namespace string
	// LogLevel of the CLI and server: debug, info, warn, error or never.
	// Empty means "error".
	LogLevel string
	// SearchAttributes to register: name -> type (Text, Keyword, Int,
	// Double, Bool, Datetime, KeywordList).
	SearchAttributes map[string]string
	// Stdout and Stderr receive the child's output; nil discards it (the
	// tail is still kept for error messages).
	Stdout, Stderr io.Writer
	// TLS, when set, serves the frontend over TLS with this configuration
	// (its Certificates, and ClientCAs with ClientAuth for mTLS) on
	// TLSPort, and Address is that listener. The CLI's dev server has no
	// TLS of its own, so TLS is terminated in this process and the plain
	// frontend (PlainAddress) still listens on IP:Port; see tlsFront.
	TLS *tls.Config
	// TLSPort of the TLS frontend. 0 picks a free port.
	TLSPort int
}

// Server is a running dev server.
type Server struct {
	cmd       *exec.Cmd
	address   string // the plain frontend
	tls       *tlsFront
	uiURL     string
	namespace string
	out       *tailBuffer

	done    chan struct{} // closed when the child has exited
	waitErr error         // the child's exit status, valid after done

	stopOnce sync.Once
	stopErr  error
}

// Start launches `temporal server start-dev` and waits (up to 60 s, or ctx's
// deadline if sooner) until the frontend answers and the namespace exists.
// On failure the child is killed and the error includes the tail of its
// output. ctx only bounds start-up: once Start returns, the server runs until
// Stop is called.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Binary == "" {
		return nil, errors.New("devtemporal: Options.Binary is required (the temporal CLI; see scripts/temporal-cli.sh)")
	}
	if _, err := exec.LookPath(o.Binary); err != nil {
		return nil, fmt.Errorf("devtemporal: temporal CLI %q: %w (build it with scripts/temporal-cli.sh)", o.Binary, err)
	}
	if o.IP == "" {
		o.IP = DefaultIP
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.LogLevel == "" {
		o.LogLevel = DefaultLogLevel
	}
	if o.DBFile != "" {
		// SQLite does not create directories (the dev default is data/temporal.db).
		if err := os.MkdirAll(filepath.Dir(o.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("devtemporal: db file directory: %w", err)
		}
	}
	// A port we picked can be taken by someone else before the child binds
	// it; then try again with fresh ports.
	autoPorts := o.Port == 0 || o.UIPort == 0
	attempts := 1
	if autoPorts {
		attempts = 3
	}
	var err error
	for i := 0; i < attempts; i++ {
		var s *Server
		s, err = start(ctx, o)
		if err == nil {
			return s, nil
		}
		var pe *portError
		if !errors.As(err, &pe) || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// portError marks a start failure caused by a port already in use.
type portError struct{ err error }

func (e *portError) Error() string { return e.err.Error() }
func (e *portError) Unwrap() error { return e.err }

func start(ctx context.Context, o Options) (*Server, error) {
	var err error
	if o.Port == 0 {
		if o.Port, err = freePort(o.IP); err != nil {
			return nil, err
		}
	}
	if o.UIPort == 0 {
		for {
			if o.UIPort, err = freePort(o.IP); err != nil {
				return nil, err
			}
			if o.UIPort != o.Port {
				break
			}
		}
	}

	out := newTailBuffer(16 << 10)
	cmd := exec.Command(o.Binary, args(o)...)
	cmd.Stdout = teeWriter(o.Stdout, out)
	cmd.Stderr = teeWriter(o.Stderr, out)
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devtemporal: starting %s: %w", o.Binary, err)
	}

	s := &Server{
		cmd:       cmd,
		address:   net.JoinHostPort(dialHost(o.IP), strconv.Itoa(o.Port)),
		namespace: o.Namespace,
		out:       out,
		done:      make(chan struct{}),
	}
	if o.UIPort > 0 {
		s.uiURL = "http://" + net.JoinHostPort(dialHost(o.IP), strconv.Itoa(o.UIPort))
	}
	go func() {
		s.waitErr = cmd.Wait()
		// Whatever the child started dies with it. Done right after the
		// reap, so the group id cannot have been reused yet.
		killGroup(cmd)
		close(s.done)
	}()

	waitCtx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	err = s.waitReady(waitCtx, o)
	if err == nil && o.TLS != nil {
		s.tls, err = startTLSFront(o.IP, o.TLSPort, o.TLS, s.address)
	}
	if err != nil {
		_ = s.Stop()
		output := strings.TrimSpace(out.String())
		if output != "" {
			output = "\n--- temporal output (tail) ---\n" + output
		}
		err = fmt.Errorf("devtemporal: %s server start-dev on %s: %w%s", o.Binary, s.address, err, output)
		if strings.Contains(output, "address already in use") || strings.Contains(output, "can't set") ||
			strings.Contains(output, "can't use default UI port") {
			return nil, &portError{err}
		}
		return nil, err
	}
	return s, nil
}

// DynamicConfig is the Temporal server configuration the project runs with:
// here for the dev server, and in docker-compose.yml through
// deploy/temporal-dynamic-config.yaml (a test in deploy checks they agree).
//
// Eager activity execution lets the server hand an activity task straight
// back to the worker whose workflow task scheduled it, when that worker has
// a free slot, instead of through the task queue's matching: an email costs
// the server one dispatch less (measured in docs/bench.md).
func DynamicConfig() map[string]string {
	return map[string]string{"system.enableActivityEagerExecution": "true"}
}

// args builds the command line for o (defaults already applied).
func args(o Options) []string {
	a := []string{"server", "start-dev",
		"--ip", o.IP,
		"--port", strconv.Itoa(o.Port),
		"--log-level", o.LogLevel,
	}
	dc := DynamicConfig()
	keys := make([]string, 0, len(dc))
	for k := range dc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a = append(a, "--dynamic-config-value", k+"="+dc[k])
	}
	if o.UIPort < 0 {
		a = append(a, "--headless")
	} else {
		a = append(a, "--ui-port", strconv.Itoa(o.UIPort))
	}
	if o.DBFile != "" {
		a = append(a, "--db-filename", o.DBFile)
	}
	if o.UICodecEndpoint != "" && o.UIPort >= 0 {
		a = append(a, "--ui-codec-endpoint", o.UICodecEndpoint)
	}
	if o.Namespace != "" && o.Namespace != DefaultNamespace {
		a = append(a, "--namespace", o.Namespace)
	}
	names := make([]string, 0, len(o.SearchAttributes))
	for n := range o.SearchAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a = append(a, "--search-attribute", n+"="+o.SearchAttributes[n])
	}
	return a
}

// waitReady polls until the frontend is healthy and the namespace exists,
// the child exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context, o Options) error {
	logger := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	var last error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited before becoming ready: %v", s.waitErr)
		default:
		}
		last = s.probe(ctx, logger)
		if last == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited before becoming ready: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last check: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

func (s *Server) probe(ctx context.Context, logger tlog.Logger) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := client.DialContext(pctx, client.Options{HostPort: s.address, Namespace: s.namespace, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(pctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = c.WorkflowService().DescribeNamespace(pctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
	return err
}

// Address is host:port of the frontend gRPC service: the TLS frontend
// when Options.TLS is set.
func (s *Server) Address() string {
	if s.tls != nil {
		return s.tls.address()
	}
	return s.address
}

// PlainAddress is host:port of the plain-text frontend, which listens
// with or without Options.TLS.
func (s *Server) PlainAddress() string { return s.address }

// ResetConnections closes every connection to the TLS frontend, as a
// server restart would: clients reconnect, with a new handshake. Tests of
// certificate rotation use it. It does nothing without Options.TLS.
func (s *Server) ResetConnections() {
	if s.tls != nil {
		s.tls.reset()
	}
}

// UIURL is the web UI's base URL, or "" when headless.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Done is closed when the server process has exited (after Stop, or on its own).
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop terminates the server: SIGTERM to its process group, then SIGKILL if
// it has not exited within 10 s. It waits for the exit and is safe to call
// more than once. An exit caused by Stop's signals is not an error.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.tls != nil {
			_ = s.tls.close()
		}
		select {
		case <-s.done:
			// Exited on its own (the waiter has already cleaned its group).
			if s.waitErr != nil {
				s.stopErr = fmt.Errorf("devtemporal: server had already exited: %w", s.waitErr)
			}
			return
		default:
		}
		terminate(s.cmd)
		select {
		case <-s.done:
		case <-time.After(StopTimeout):
			killGroup(s.cmd)
			<-s.done
		}
	})
	return s.stopErr
}

// freePort asks the kernel for a free TCP port on ip.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("devtemporal: finding a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dialHost turns a wildcard bind address into one clients can dial.
func dialHost(ip string) string {
	switch ip {
	case "0.0.0.0", "":
		return "127.0.0.1"
	case "::", "[::]":
		return "::1"
	}
	return ip
}

func teeWriter(w io.Writer, tail *tailBuffer) io.Writer {
	if w == nil {
		return tail
	}
	return io.MultiWriter(w, tail)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// Signal sends sig to the server's process (fault tests freeze it with
// SIGSTOP and thaw it with SIGCONT).
func (s *Server) Signal(sig os.Signal) error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("devtemporal: not started")
	}
	return s.cmd.Process.Signal(sig)
}
