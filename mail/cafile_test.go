package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"careconnect/mail"
)

// privateCA is a certificate authority of the test's own, as an operator
// runs for an internal relay.
type privateCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func mustPrivateCA(t *testing.T) privateCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test relay CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return privateCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// serverCert issues a certificate for 127.0.0.1.
func (ca privateCA) serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsFront listens with implicit TLS (the certificate given) and passes
// each connection on, decrypted, to the plain SMTP server at backend. It
// returns the port it listens on.
func tlsFront(t *testing.T, cert tls.Certificate, backend string) int {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go func() { _, _ = io.Copy(b, c) }()
				_, _ = io.Copy(c, b)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// A relay whose certificate comes from a private CA is trusted when
// smtp.ca_file names that CA, and refused otherwise (the system roots do
// not know it).
func TestSendTrustsTheConfiguredCA(t *testing.T) {
	c := mustCatcher(t)
	ca := mustPrivateCA(t)
	port := tlsFront(t, ca.serverCert(t), net.JoinHostPort(c.Host(), strconv.Itoa(c.Port())))
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := catcherConfig(c)
	cfg.Port, cfg.TLS = port, "tls"

	if err := mustSender(t, cfg).Send(testCtx(t), message("k/unknown-ca", "admin@clinic.example")); err == nil {
		t.Errorf("Send to a relay with an unknown CA: got nil; want a certificate error")
	}
	cfg.CAFile = caFile
	mustSend(t, mustSender(t, cfg), message("k/private-ca", "admin@clinic.example"))
	mustWaitKey(t, c, "k/private-ca")

	// A CA file that cannot be read or holds no certificate fails at startup.
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.crt"), writeFile(t, "not a certificate")} {
		cfg.CAFile = bad
		if _, err := mail.NewSender(cfg); err == nil {
			t.Errorf("NewSender with smtp.ca_file %s: got nil; want an error", bad)
		}
	}
}

func writeFile(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
