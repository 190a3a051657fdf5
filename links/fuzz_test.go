package links_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"careconnect/links"
)

const (
	fuzzSecret = "fuzz-secret-0123456789abcdef0123456789"
	// rotatedSecret is the active key of the ring the fuzz targets verify
	// with; fuzzSecret stays in it as links.DefaultKeyID, as after a rotation.
	rotatedSecret = "fuzz-rotated-secret-9876543210fedcba987"
	rotatedID     = "2026b"
)

var purposes = []links.Purpose{links.PurposeDeclaration, links.PurposeJoinDecision, links.PurposeInvitation, links.PurposeEmailConfirmation}

// mustSigner returns a ring that signs with rotatedID and verifies with it
// and with fuzzSecret as the default key (which takes tokens without a key ID).
func mustSigner(t testing.TB) *links.Signer {
	t.Helper()
	s, err := links.NewKeyRing(rotatedID, links.Key{ID: links.DefaultKeyID, Secret: fuzzSecret}, links.Key{ID: rotatedID, Secret: rotatedSecret})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzSignVerify: a signed token (under the active key, under the old key
// kept to verify, and in the form without a key ID) verifies to its claims
// before it expires, is refused at and after its expiry and for another
// purpose; changing any one byte of it makes it refused; nothing panics.
func FuzzSignVerify(f *testing.F) {
	f.Add(uint8(0), "K4T6CLP", int64(1767225600), uint16(0), byte('A'))
	f.Add(uint8(1), "K4T6CLP/req-1/bcsc-physician-0001", int64(1767225600), uint16(20), byte('.'))
	f.Add(uint8(2), "K4T6CLP/inv-9", int64(-62135596800), uint16(200), byte(0))
	f.Add(uint8(0), "", int64(0), uint16(1), byte('_'))
	f.Add(uint8(1), "ünïcode/\x00/subject", int64(253402300799), uint16(7), byte('-'))
	f.Add(uint8(3), "bcsc-physician-0001/0123456789abcdef0123456789abcdef", int64(1767225600), uint16(9), byte('/'))
	f.Fuzz(func(t *testing.T, p uint8, subject string, exp int64, at uint16, b byte) {
		if strings.Contains(subject, "|") {
			return // Sign's documented precondition
		}
		s := mustSigner(t)
		c := links.Claims{Purpose: purposes[int(p)%len(purposes)], Subject: subject, Expires: time.Unix(exp, 0).UTC()}
		for _, tok := range []string{s.Sign(c), links.SignWith(s, links.DefaultKeyID, c), links.SignLegacy(fuzzSecret, c)} {
			checkSigned(t, s, c, tok, at, b)
		}
	})
}

// checkSigned is FuzzSignVerify's property for one spelling of a token.
func checkSigned(t *testing.T, s *links.Signer, c links.Claims, tok string, at uint16, b byte) {
	t.Helper()
	before := c.Expires.Add(-time.Second)
	got, err := s.Verify(tok, c.Purpose, before)
	if len(tok) > 512 {
		// Verify bounds what it reads; such a token is never issued for a real subject.
		if !errors.Is(err, links.ErrMalformed) {
			t.Fatalf("token of %d bytes: got %v; want ErrMalformed", len(tok), err)
		}
		return
	}
	if err != nil || got != c {
		t.Fatalf("Verify(%q) = %+v, %v; want the claims %+v", tok, got, err, c)
	}
	if _, err := s.Verify(tok, c.Purpose, c.Expires); !errors.Is(err, links.ErrExpired) {
		t.Fatalf("at expiry: got %v; want ErrExpired", err)
	}
	other := purposes[(slices.Index(purposes, c.Purpose)+1)%len(purposes)]
	if _, err := s.Verify(tok, other, before); err == nil {
		t.Fatalf("token for %s accepted for %s", c.Purpose, other)
	}
	// One byte changed anywhere: refused.
	i := int(at) % len(tok)
	if tok[i] == b {
		b ^= 1
	}
	mutated := tok[:i] + string([]byte{b}) + tok[i+1:]
	if got, err := s.Verify(mutated, c.Purpose, before); err == nil {
		t.Fatalf("mutated token %q (byte %d of %q) accepted as %+v", mutated, i, tok, got)
	}
	// Cut short or extended: refused.
	if _, err := s.Verify(tok[:len(tok)-1], c.Purpose, before); err == nil {
		t.Fatalf("truncated token accepted")
	}
	if _, err := s.Verify(tok+"A", c.Purpose, before); err == nil {
		t.Fatalf("extended token accepted")
	}
	// Another ring's signature, whatever the key IDs: refused.
	s2, err := links.NewKeyRing(rotatedID, links.Key{ID: links.DefaultKeyID, Secret: fuzzSecret + "2"}, links.Key{ID: rotatedID, Secret: rotatedSecret + "2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Verify(tok, c.Purpose, before); !errors.Is(err, links.ErrSignature) {
		t.Fatalf("token verified under another ring: %v", err)
	}
}

// FuzzVerify: any string is refused with one of the three errors or
// accepted, never a panic; an accepted token is the one spelling its key
// gives its claims (with the key ID it names, or the form without a key ID
// under the default key).
func FuzzVerify(f *testing.F) {
	s := mustSigner(f)
	good := s.Sign(links.Claims{Purpose: links.PurposeDeclaration, Subject: "K4T6CLP", Expires: time.Unix(1767225600, 0)})
	f.Add(good)
	f.Add(links.SignLegacy(fuzzSecret, links.Claims{Purpose: links.PurposeDeclaration, Subject: "K4T6CLP", Expires: time.Unix(1767225600, 0)}))
	f.Add(links.DefaultKeyID + "." + good)
	f.Add(good + ".")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add(".")
	f.Add("")
	f.Add("ZGVjbGFyYXRpb258S3wx.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok, links.PurposeDeclaration, time.Unix(1767225600-1, 0))
		if err != nil {
			if !errors.Is(err, links.ErrMalformed) && !errors.Is(err, links.ErrSignature) && !errors.Is(err, links.ErrExpired) {
				t.Fatalf("Verify(%q): unexpected error %v", tok, err)
			}
			return
		}
		again := links.SignLegacy(fuzzSecret, c)
		if kid, _, keyed := strings.Cut(tok, "."); keyed && strings.Count(tok, ".") == 2 {
			again = links.SignWith(s, kid, c)
		}
		if again != tok {
			t.Fatalf("accepted %q; its key's spelling of its claims is %q", tok, again)
		}
	})
}
