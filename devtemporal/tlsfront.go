package devtemporal

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// tlsFront terminates TLS in front of the dev server's frontend. The
// pinned CLI's `temporal server start-dev` (v1.5.1) has no TLS settings:
// its server configuration is built in code, with plain-text listeners.
// So TLS, and mTLS when the tls.Config asks for client certificates, is
// served here, in process, and each connection's decrypted bytes are
// copied to the plain frontend. gRPC over TLS and gRPC in plain text
// carry the same HTTP/2 stream once the handshake is done, so the server
// cannot tell the difference; the client sees a real TLS server.
type tlsFront struct {
	ln      net.Listener
	host    string // to dial ln
	backend string
	cfg     *tls.Config

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // open client and backend connections; guarded by mu
	closed bool                  // guarded by mu
	wg     sync.WaitGroup
}

// handshakeTimeout bounds a client's TLS handshake.
const handshakeTimeout = 10 * time.Second

func startTLSFront(ip string, port int, cfg *tls.Config, backend string) (*tlsFront, error) {
	cfg = cfg.Clone()
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2"} // gRPC's ALPN
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("devtemporal: TLS frontend: %w", err)
	}
	f := &tlsFront{ln: ln, host: dialHost(ip), backend: backend, cfg: cfg, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// address is the TLS listener's host:port, to dial.
func (f *tlsFront) address() string {
	return net.JoinHostPort(f.host, strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port))
}

func (f *tlsFront) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		if !f.track(c) {
			_ = c.Close()
			return
		}
		f.wg.Add(1)
		go f.proxy(c)
	}
}

// track records an open connection; false once the front is closed.
func (f *tlsFront) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *tlsFront) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	_ = c.Close()
}

func (f *tlsFront) proxy(raw net.Conn) {
	defer f.wg.Done()
	defer f.untrack(raw)
	client := tls.Server(raw, f.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := client.HandshakeContext(ctx)
	cancel()
	if err != nil {
		return // the client refused us, or we refused its certificate
	}
	var d net.Dialer
	backend, err := d.Dial("tcp", f.backend)
	if err != nil {
		return
	}
	if !f.track(backend) {
		_ = backend.Close()
		return
	}
	defer f.untrack(backend)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(backend, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, backend); done <- struct{}{} }()
	<-done // either side gone: close both, which ends the other copy
	_ = raw.Close()
	_ = backend.Close()
	<-done
}

// reset closes every open connection, as a restarting server would; the
// listener stays, so clients reconnect (and handshake again).
func (f *tlsFront) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
	}
}

// close stops the listener and every connection, and waits for them.
func (f *tlsFront) close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	err := f.ln.Close()
	f.reset()
	f.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
