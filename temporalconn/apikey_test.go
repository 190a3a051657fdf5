package temporalconn_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"careconnect/config"
	"careconnect/temporalconn"
)

// headerRecorder is a TLS gRPC server that records the authorization
// header of every call and answers each with "unknown method". The dev
// server ignores API keys, so this unit test checks only what the client
// sends; Temporal Cloud is what checks the key.
type headerRecorder struct {
	mu   sync.Mutex
	auth []string // guarded by mu
}

func (h *headerRecorder) handle(_ any, stream grpc.ServerStream) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	h.mu.Lock()
	h.auth = append(h.auth, md.Get("authorization")...)
	h.mu.Unlock()
	return status.Error(codes.Unimplemented, "unknown method")
}

func (h *headerRecorder) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.auth) == 0 {
		return ""
	}
	return h.auth[len(h.auth)-1]
}

// TestAPIKey: an API key from the configuration, or from a file, is sent
// as a bearer token over TLS; a key written over the file is sent from
// the next call on, by the same client.
func TestAPIKey(t *testing.T) {
	ca := mustCA(t, "Cloud CA")
	rec := &headerRecorder{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{ca.server(t, "cloud.temporal.test").pair(t)}})),
		grpc.UnknownServiceHandler(rec.handle))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	dir := t.TempDir()
	caFile := mustWrite(t, dir, "ca.crt", ca.pem)
	call := func(t *testing.T, cl client.Client) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = cl.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "careconnect.acct"})
	}
	lazy := func(t *testing.T, c config.Temporal) client.Client {
		t.Helper()
		c.Address, c.Namespace = ln.Addr().String(), "careconnect.acct"
		c.TLS = config.TemporalTLS{CAFile: caFile, ServerName: "cloud.temporal.test"}
		o, err := temporalconn.Options(c, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.NewLazyClient(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}

	call(t, lazy(t, config.Temporal{APIKey: "key-from-config"}))
	if got := rec.last(); got != "Bearer key-from-config" {
		t.Errorf("temporal.api_key: authorization %q; want Bearer key-from-config", got)
	}

	keyFile := mustWrite(t, dir, "api-key", []byte("key-one\n"))
	cl := lazy(t, config.Temporal{APIKeyFile: keyFile})
	call(t, cl)
	if got := rec.last(); got != "Bearer key-one" {
		t.Errorf("temporal.api_key_file: authorization %q; want Bearer key-one (the file's key, trimmed)", got)
	}
	mustWrite(t, dir, "api-key", []byte("key-two-longer\n"))
	call(t, cl)
	if got := rec.last(); got != "Bearer key-two-longer" {
		t.Errorf("after the key file changed: authorization %q; want Bearer key-two-longer", got)
	}
	// An emptied file (a Secret being replaced) keeps the last key.
	mustWrite(t, dir, "api-key", nil)
	call(t, cl)
	if got := rec.last(); got != "Bearer key-two-longer" {
		t.Errorf("with the key file empty: authorization %q; want the previous key", got)
	}
}
