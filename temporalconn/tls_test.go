package temporalconn_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"careconnect/config"
	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
	"careconnect/temporalconn"
)

// tlsServer is the TLS side of the dev server as the test runs it: mTLS
// can be required from one moment to the next, the client certificates
// presented are recorded, and a certificate can be revoked.
type tlsServer struct {
	ca   *testCA
	cert tls.Certificate

	mu            sync.Mutex
	requireClient bool            // guarded by mu
	seen          []string        // client certificate CNs, in handshake order; guarded by mu
	revoked       map[string]bool // CNs refused; guarded by mu
}

func (s *tlsServer) config() *tls.Config {
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := &tls.Config{Certificates: []tls.Certificate{s.cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
		if s.requireClient {
			c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, s.ca.pool
			c.VerifyConnection = func(cs tls.ConnectionState) error {
				cn := cs.PeerCertificates[0].Subject.CommonName
				s.mu.Lock()
				defer s.mu.Unlock()
				s.seen = append(s.seen, cn)
				if s.revoked[cn] {
					return fmt.Errorf("certificate %s is revoked", cn)
				}
				return nil
			}
		}
		return c, nil
	}}
}

func (s *tlsServer) lastSeen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		return ""
	}
	return s.seen[len(s.seen)-1]
}

// health dials with the options config.Load would give c and asks the
// frontend for its health and the namespace.
func health(t *testing.T, c config.Temporal) error {
	t.Helper()
	opts, err := temporalconn.Options(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Options: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer cl.Close()
	if _, err := cl.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = cl.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: c.Namespace})
	return err
}

// TestTLSAndMTLS runs the Temporal dev server behind TLS with a private CA
// (devtemporal.Options.TLS: the CLI's dev server has no TLS flags, so the
// handshake is served in front of it) and connects with the client options
// built from config.Temporal: the CA and server name are needed and
// enough; with mTLS required, the client certificate from the files is
// presented, and a renewed certificate written over the files is picked
// up at the next connection without a new client.
func TestTLSAndMTLS(t *testing.T) {
	ca := mustCA(t, "CareConnect test Temporal CA")
	// The certificate names a host that is not the address (127.0.0.1):
	// temporal.tls.server_name must say it.
	srv := &tlsServer{ca: ca, cert: ca.server(t, "frontend.temporal.test").pair(t), revoked: map[string]bool{}}
	dev := devtemporaltest.Start(t, devtemporal.Options{TLS: srv.config()})
	if dev.Address() == dev.PlainAddress() {
		t.Fatalf("Address() = PlainAddress() = %s; want the TLS frontend on a port of its own", dev.Address())
	}
	dir := t.TempDir()
	caFile := mustWrite(t, dir, "ca.crt", ca.pem)
	base := config.Temporal{Address: dev.Address(), Namespace: devtemporal.DefaultNamespace}
	withTLS := func(tl config.TemporalTLS) config.Temporal { c := base; c.TLS = tl; return c }

	if err := health(t, withTLS(config.TemporalTLS{CAFile: caFile, ServerName: "frontend.temporal.test"})); err != nil {
		t.Fatalf("TLS with the CA and the server name: %v", err)
	}
	// Without the CA the system roots are used, and they do not know it.
	if err := health(t, withTLS(config.TemporalTLS{Enabled: true, ServerName: "frontend.temporal.test"})); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("TLS without the CA: got %v; want a certificate error", err)
	}
	// The certificate does not name 127.0.0.1.
	if err := health(t, withTLS(config.TemporalTLS{CAFile: caFile})); err == nil {
		t.Error("TLS without the server name connected; the certificate is for frontend.temporal.test, not 127.0.0.1")
	}
	// A plain-text client gets nowhere on the TLS port.
	if err := health(t, base); err == nil {
		t.Error("a plain-text client connected to the TLS frontend")
	}

	srv.mu.Lock()
	srv.requireClient = true
	srv.mu.Unlock()
	if err := health(t, withTLS(config.TemporalTLS{CAFile: caFile, ServerName: "frontend.temporal.test"})); err == nil {
		t.Error("with mTLS required, a client without a certificate connected")
	}

	first := ca.client(t, "careconnect-worker-1")
	certFile := mustWrite(t, dir, "tls.crt", first.certPEM)
	keyFile := mustWrite(t, dir, "tls.key", first.keyPEM)
	mtls := withTLS(config.TemporalTLS{CAFile: caFile, ServerName: "frontend.temporal.test", CertFile: certFile, KeyFile: keyFile})
	opts, err := temporalconn.Options(mtls, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		t.Fatalf("mTLS with the client certificate: %v", err)
	}
	defer cl.Close()
	if _, err := cl.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("mTLS: %v", err)
	}
	if got := srv.lastSeen(); got != "careconnect-worker-1" {
		t.Fatalf("the server saw client certificate %q; want careconnect-worker-1", got)
	}

	// Renewal: the new pair is written over the files (as a Secret update
	// does), the old certificate is revoked, and the connection drops. The
	// same client reconnects with the new certificate.
	second := ca.client(t, "careconnect-worker-2")
	mustWrite(t, dir, "tls.crt", second.certPEM)
	mustWrite(t, dir, "tls.key", second.keyPEM)
	srv.mu.Lock()
	srv.revoked["careconnect-worker-1"] = true
	srv.mu.Unlock()
	dev.ResetConnections()
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		_, last = cl.CheckHealth(cctx, &client.CheckHealthRequest{})
		ccancel()
		if last == nil {
			break
		}
	}
	if last != nil {
		t.Fatalf("after the renewal the client did not reconnect: %v", last)
	}
	if got := srv.lastSeen(); got != "careconnect-worker-2" {
		t.Errorf("after the renewal the server saw %q; want careconnect-worker-2", got)
	}
}

// TestOptionsNameTheBadFile: a missing or malformed file fails at
// start-up, naming its setting.
func TestOptionsNameTheBadFile(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t, "CA")
	pair := ca.client(t, "worker")
	good := mustWrite(t, dir, "ca.crt", ca.pem)
	junk := mustWrite(t, dir, "junk.pem", []byte("not a certificate"))
	empty := mustWrite(t, dir, "empty", []byte("\n"))
	cert := mustWrite(t, dir, "tls.crt", pair.certPEM)
	key := mustWrite(t, dir, "tls.key", pair.keyPEM)
	otherKey := mustWrite(t, dir, "other.key", ca.client(t, "other").keyPEM)
	for _, tc := range []struct {
		name string
		c    config.Temporal
		key  string
	}{
		{"no CA file", config.Temporal{TLS: config.TemporalTLS{CAFile: dir + "/missing.crt"}}, "temporal.tls.ca_file"},
		{"a CA file without a certificate", config.Temporal{TLS: config.TemporalTLS{CAFile: junk}}, "temporal.tls.ca_file"},
		{"no certificate file", config.Temporal{TLS: config.TemporalTLS{CAFile: good, CertFile: dir + "/missing", KeyFile: key}}, "temporal.tls.cert_file"},
		{"a key of another certificate", config.Temporal{TLS: config.TemporalTLS{CAFile: good, CertFile: cert, KeyFile: otherKey}}, "temporal.tls.cert_file"},
		{"no API key file", config.Temporal{APIKeyFile: dir + "/missing"}, "temporal.api_key_file"},
		{"an empty API key file", config.Temporal{APIKeyFile: empty}, "temporal.api_key_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Address, tc.c.Namespace = "temporal:7233", "default"
			_, err := temporalconn.Options(tc.c, nil)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("got %v; want an error naming %s", err, tc.key)
			}
		})
	}
	// Plain text stays plain: no TLS configuration at all.
	o, err := temporalconn.Options(config.Temporal{Address: "temporal:7233", Namespace: "default"}, nil)
	if err != nil || o.ConnectionOptions.TLS != nil || o.Credentials != nil {
		t.Errorf("plain options = %+v, %v; want no TLS, no credentials", o.ConnectionOptions, err)
	}
}
