package deploy_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMakeCerts runs deploy/make-certs.sh and checks what the clients
// will check: each server certificate verifies against the CA for its
// compose host name (the proxy's for localhost, 127.0.0.1 and
// CARECONNECT_PUBLIC_HOST), the keys are private, the CA key is gone, and
// a second run keeps what the first made.
func TestMakeCerts(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	run := func() {
		t.Helper()
		cmd := exec.Command("sh", "make-certs.sh", dir)
		cmd.Env = append(os.Environ(), fmt.Sprintf("POSTGRES_UID=%d", os.Getuid()), "CARECONNECT_PUBLIC_HOST=enrol.example.ca")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make-certs.sh: %v\n%s", err, out)
		}
	}
	run()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(read("ca.crt")) {
		t.Fatal("ca.crt holds no certificate")
	}
	for file, names := range map[string][]string{
		"postgres":    {"postgres"},
		"mailcatcher": {"mailcatcher"},
		"proxy":       {"localhost", "127.0.0.1", "enrol.example.ca"},
	} {
		block, _ := pem.Decode(read(file + ".crt"))
		if block == nil {
			t.Fatalf("%s.crt is not PEM", file)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			opts := x509.VerifyOptions{Roots: roots, DNSName: name}
			if ip := net.ParseIP(name); ip != nil {
				opts.DNSName = ""
				if err := cert.VerifyHostname(name); err != nil {
					t.Errorf("%s.crt does not name %s: %v", file, name, err)
				}
			}
			if _, err := cert.Verify(opts); err != nil {
				t.Errorf("%s.crt does not verify for %s: %v", file, name, err)
			}
		}
		if _, err := tls.X509KeyPair(read(file+".crt"), read(file+".key")); err != nil {
			t.Errorf("%s key pair: %v", file, err)
		}
	}
	for name, want := range map[string]os.FileMode{"postgres.key": 0o600, "mailcatcher.key": 0o640, "proxy.key": 0o600, "ca.crt": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v; want %v", name, fi.Mode().Perm(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.key")); !os.IsNotExist(err) {
		t.Errorf("the CA key is left behind (%v); nothing else may be signed with it", err)
	}
	ca := read("ca.crt")
	run()
	if !bytes.Equal(read("ca.crt"), ca) {
		t.Errorf("a second run replaced the CA")
	}
}
