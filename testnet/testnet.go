// Package testnet holds the network helpers the tests of several packages
// share. It is imported by tests only.
package testnet

import (
	"net"
	"testing"
)

// MustFreeAddr returns a local address ("127.0.0.1:port") nothing listens
// on (yet): the port was free a moment ago, so a test can start something
// there or prove that nothing answers.
func MustFreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// MustFreePort is the port of MustFreeAddr.
func MustFreePort(t testing.TB) int {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", MustFreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	return a.Port
}
