// Package temporalconn turns config.Temporal into the Temporal SDK's
// client options for a real cluster: TLS against a private CA or the
// system roots, a server name that differs from the address, mTLS with a
// client certificate that is read again from its files when they change,
// and API keys (Temporal Cloud) from the configuration or from a file that
// is read again when it changes. Rotating a certificate or a key is then
// a matter of updating the mounted Secret; no pod restarts.
package temporalconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"careconnect/config"
)

// Options returns the client options for c. Every file it names is read
// once here, so a missing or malformed file fails at start-up with its
// key; after that the client certificate and the API key file are read
// again when they change. The caller may add to the options (a data
// converter) before dialling.
func Options(c config.Temporal, logger *slog.Logger) (client.Options, error) {
	if logger == nil {
		logger = slog.Default()
	}
	o := client.Options{HostPort: c.Address, Namespace: c.Namespace, Logger: tlog.NewStructuredLogger(logger)}
	if !c.TLSOn() {
		return o, nil
	}
	tc, err := TLSConfig(c.TLS, logger)
	if err != nil {
		return client.Options{}, err
	}
	o.ConnectionOptions.TLS = tc
	switch {
	case c.APIKey != "":
		o.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	case c.APIKeyFile != "":
		kf := &keyFile{file: watchedFile{path: c.APIKeyFile}, log: logger}
		if _, err := kf.key(context.Background()); err != nil {
			return client.Options{}, fmt.Errorf("temporalconn: temporal.api_key_file: %w", err)
		}
		o.Credentials = client.NewAPIKeyDynamicCredentials(kf.key)
	}
	return o, nil
}

// TLSConfig is the client's TLS configuration for t: the CA file's
// certificates as the only roots when it is set (else the system's), the
// server name, and the client certificate for mTLS, read again from its
// files at each handshake that follows a change.
func TLSConfig(t config.TemporalTLS, logger *slog.Logger) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporalconn: temporal.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("temporalconn: temporal.tls.ca_file: no PEM certificate in %s", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		kp := &keyPair{cert: watchedFile{path: t.CertFile}, key: watchedFile{path: t.KeyFile}, log: logger}
		if _, err := kp.get(); err != nil {
			return nil, fmt.Errorf("temporalconn: temporal.tls.cert_file and key_file: %w", err)
		}
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return kp.get() }
	}
	return tc, nil
}

// watchedFile is a file read again only when it has changed: another file
// at the path (Kubernetes swaps a Secret volume's symlink), another size
// or another modification time.
type watchedFile struct {
	path string
	info os.FileInfo // of the last read; nil before it
	data []byte
}

// read returns the contents and whether they are new since the last read.
// The caller serialises calls.
func (w *watchedFile) read() ([]byte, bool, error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		return nil, false, err
	}
	if w.info != nil && os.SameFile(w.info, fi) && fi.Size() == w.info.Size() && fi.ModTime().Equal(w.info.ModTime()) {
		return w.data, false, nil
	}
	b, err := os.ReadFile(w.path)
	if err != nil {
		return nil, false, err
	}
	changed := !bytes.Equal(b, w.data)
	w.info, w.data = fi, b
	return b, changed, nil
}

// keyPair is the mTLS client certificate and key, from their files.
type keyPair struct {
	log       *slog.Logger
	mu        sync.Mutex
	cert, key watchedFile      // guarded by mu
	current   *tls.Certificate // the last pair that parsed; guarded by mu
}

// get returns the certificate, parsing the files again when either has
// changed. A pair that does not parse (a renewal caught between writing
// the certificate and the key) leaves the previous pair in use, with a
// warning; only at start, with no previous pair, is it an error.
func (k *keyPair) get() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	certPEM, certNew, err := k.cert.read()
	if err != nil {
		return k.keep(fmt.Errorf("certificate: %w", err))
	}
	keyPEM, keyNew, err := k.key.read()
	if err != nil {
		return k.keep(fmt.Errorf("key: %w", err))
	}
	if !certNew && !keyNew && k.current != nil {
		return k.current, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return k.keep(err)
	}
	k.current = &pair
	if leaf := pair.Leaf; leaf != nil {
		k.log.Info("temporal client certificate loaded", "subject", leaf.Subject.String(),
			"serial", leaf.SerialNumber.String(), "not_after", leaf.NotAfter.Format(time.RFC3339))
	}
	return k.current, nil
}

// keep answers a failed read with the pair in use, or the error when
// there is none yet.
func (k *keyPair) keep(err error) (*tls.Certificate, error) {
	if k.current == nil {
		return nil, err
	}
	k.log.Warn("temporal client certificate files not usable; keeping the previous certificate", "error", err)
	return k.current, nil
}

// keyFile is an API key held in a file.
type keyFile struct {
	log     *slog.Logger
	mu      sync.Mutex
	file    watchedFile // guarded by mu
	current string      // guarded by mu
}

// key returns the key, reading the file again when it has changed. As with
// the certificate, an unreadable or empty file keeps the previous key.
func (k *keyFile) key(context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, changed, err := k.file.read()
	if err == nil && (changed || k.current == "") {
		if s := strings.TrimSpace(string(b)); s != "" {
			k.current = s
		} else {
			err = errors.New("the file is empty")
		}
	}
	if err != nil {
		if k.current == "" {
			return "", err
		}
		k.log.Warn("temporal API key file not usable; keeping the previous key", "error", err)
	}
	return k.current, nil
}
