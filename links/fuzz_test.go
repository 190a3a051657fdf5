package links_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/links"
)

const fuzzSecret = "fuzz-secret-0123456789abcdef0123456789"

var purposes = []links.Purpose{links.PurposeDeclaration, links.PurposeJoinDecision, links.PurposeInvitation, links.PurposeEmailConfirmation}

func mustSigner(t testing.TB) *links.Signer {
	t.Helper()
	s, err := links.NewSigner(fuzzSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzSignVerify: a signed token verifies to its claims before it expires,
// is refused at and after its expiry and for another purpose; changing any
// one byte of it makes it refused; nothing panics.
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
		tok := s.Sign(c)
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
			t.Fatalf("Verify(Sign(%+v)) = %+v, %v; want the claims", c, got, err)
		}
		if _, err := s.Verify(tok, c.Purpose, c.Expires); !errors.Is(err, links.ErrExpired) {
			t.Fatalf("at expiry: got %v; want ErrExpired", err)
		}
		other := purposes[(int(p)+1)%len(purposes)]
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
		// Another secret's signature: refused.
		s2, err := links.NewSigner(fuzzSecret + "2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Verify(tok, c.Purpose, before); !errors.Is(err, links.ErrSignature) {
			t.Fatalf("token verified under another secret: %v", err)
		}
	})
}

// FuzzVerify: any string is refused with one of the three errors or
// accepted, never a panic; an accepted token is the one spelling Sign gives
// for its claims.
func FuzzVerify(f *testing.F) {
	s := mustSigner(f)
	good := s.Sign(links.Claims{Purpose: links.PurposeDeclaration, Subject: "K4T6CLP", Expires: time.Unix(1767225600, 0)})
	f.Add(good)
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
		if again := s.Sign(c); again != tok {
			t.Fatalf("accepted %q; Sign of its claims is %q", tok, again)
		}
	})
}
