package learninghub_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
)

// FuzzParseSignatureHeader: any header parses or is refused with
// ErrBadSignature, never a panic; what parses has a t, 32-byte MACs and no
// key ID or a valid one.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("t=1700000000,v1=" + learninghub.Sign(secret, 1, nil)[len("t=1,v1="):])
	f.Add(" t=1 , v1=00 ")
	f.Add("")
	f.Add(fuzzRing(f).Sign(1700000000, []byte(goodBody)))
	f.Add("t=1,kid=,v1=00")
	ring := fuzzRing(f)
	f.Fuzz(func(t *testing.T, h string) {
		sh, err := learninghub.ParseSignatureHeader(h)
		if err != nil {
			if !errors.Is(err, learninghub.ErrBadSignature) {
				t.Fatalf("error %v is not ErrBadSignature", err)
			}
			return
		}
		if len(sh.Signatures) == 0 {
			t.Fatal("parsed without a v1 value")
		}
		for _, s := range sh.Signatures {
			if len(s) != 32 {
				t.Fatalf("v1 of %d bytes", len(s))
			}
		}
		if sh.KeyID != "" && !learninghub.ValidKeyID(sh.KeyID) {
			t.Fatalf("parsed kid %q, which is no key ID", sh.KeyID)
		}
		// Verification of arbitrary headers never panics either.
		_ = learninghub.Verify(secret, h, []byte(h), time.Unix(0, 0), 5*time.Minute)
		_ = ring.Verify(h, []byte(h), time.Unix(0, 0), 5*time.Minute)
	})
}

// fuzzRing is a ring during a rotation: the active key "2026b", and secret
// kept as the default key.
func fuzzRing(t testing.TB) *learninghub.Keyring {
	t.Helper()
	k, err := learninghub.NewKeyring("2026b", learninghub.Key{ID: learninghub.DefaultKeyID, Secret: string(secret)},
		learninghub.Key{ID: "2026b", Secret: "fuzz-rotated-learninghub-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzParseEvent: any body parses to a valid event or is refused with an
// EINVALID domain error, never a panic.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(goodBody))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := learninghub.ParseEvent(body)
		if err != nil {
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if e.EventID == "" || e.Learner.Email == "" || e.OccurredAt.IsZero() {
			t.Fatalf("accepted an incomplete event %+v", e)
		}
		if e.Type != learninghub.TypeCourseCompleted && e.Type != learninghub.TypeAgreementAcknowledged {
			t.Fatalf("accepted type %q", e.Type)
		}
	})
}

// FuzzSignatureRoundTrip: a header Sign makes (without kid, as LearningHub
// sends it, and a ring's with kid) parses back to its timestamp, key and
// MAC and verifies within the tolerance, under the secret alone and under a
// ring that holds it; it is refused for another body, outside the
// tolerance, with any one byte of it changed, and after extra parts that
// are not key=value. Timestamps are unix seconds of at most 12 digits;
// Sign's header for another timestamp is refused, never accepted.
func FuzzSignatureRoundTrip(f *testing.F) {
	f.Add(int64(1700000000), []byte(goodBody), uint16(0), byte('x'))
	f.Add(int64(0), []byte{}, uint16(5), byte(','))
	f.Add(int64(999999999999), []byte("{}"), uint16(14), byte('='))
	f.Add(int64(-1), []byte("{}"), uint16(1), byte(' '))
	f.Add(int64(1000000000000), []byte("x"), uint16(2), byte('0'))
	ring := fuzzRing(f)
	f.Fuzz(func(t *testing.T, ts int64, body []byte, at uint16, b byte) {
		plain := learninghub.Sign(secret, ts, body)
		verifyPlain := func(h string, body []byte, now time.Time) error {
			return learninghub.Verify(secret, h, body, now, time.Minute)
		}
		verifyRing := func(h string, body []byte, now time.Time) error { return ring.Verify(h, body, now, time.Minute) }
		checkRoundTrip(t, plain, "", verifyPlain, ts, body, at, b)
		checkRoundTrip(t, plain, "", verifyRing, ts, body, at, b)
		checkRoundTrip(t, ring.Sign(ts, body), "2026b", verifyRing, ts, body, at, b)
	})
}

// checkRoundTrip is FuzzSignatureRoundTrip's property for one header h
// naming kid, checked with verify.
func checkRoundTrip(t *testing.T, h, kid string, verify func(h string, body []byte, now time.Time) error, ts int64, body []byte, at uint16, b byte) {
	t.Helper()
	now := time.Unix(ts, 0)
	if ts < 0 || ts > 999999999999 {
		if err := verify(h, body, now); !errors.Is(err, learninghub.ErrBadSignature) {
			t.Fatalf("header %q with a timestamp out of range: got %v; want ErrBadSignature", h, err)
		}
		return
	}
	sh, err := learninghub.ParseSignatureHeader(h)
	if err != nil || sh.Timestamp != ts || sh.KeyID != kid || len(sh.Signatures) != 1 {
		t.Fatalf("ParseSignatureHeader(%q) = %+v, %v; want t=%d, kid %q and one MAC", h, sh, err, ts, kid)
	}
	if err := verify(h, body, now.Add(time.Minute)); err != nil {
		t.Fatalf("Verify of its own signature at the tolerance's edge: %v", err)
	}
	if err := verify(h, body, now.Add(-time.Minute-time.Second)); !errors.Is(err, learninghub.ErrStale) {
		t.Fatalf("signed in the future beyond the tolerance: got %v; want ErrStale", err)
	}
	if err := verify(h, append(append([]byte(nil), body...), ' '), now); !errors.Is(err, learninghub.ErrBadSignature) {
		t.Fatalf("another body: got %v; want ErrBadSignature", err)
	}
	// Spaces around parts and unknown schemes are allowed; garbage parts are not.
	if err := verify(" "+strings.ReplaceAll(h, ",", " , ")+",v2=abc", body, now); err != nil {
		t.Fatalf("spaced header with a future scheme: %v", err)
	}
	if err := verify(h+",junk", body, now); !errors.Is(err, learninghub.ErrBadSignature) {
		t.Fatalf("header with a part that is not key=value: got %v; want ErrBadSignature", err)
	}
	// One byte changed: refused, unless what is signed and its MAC are
	// unchanged: the case of a hex digit of the MAC (hex decoding ignores
	// case), or a kid made unreadable (a header without kid is checked
	// under every key of the ring, and the MAC still matches its key).
	i := int(at) % len(h)
	if h[i] == b {
		b ^= 1
	}
	mutated := h[:i] + string([]byte{b}) + h[i+1:]
	if err := verify(mutated, body, now); err == nil {
		got, perr := learninghub.ParseSignatureHeader(mutated)
		if perr != nil || got.Timestamp != sh.Timestamp || len(got.Signatures) != 1 || !bytes.Equal(got.Signatures[0], sh.Signatures[0]) ||
			(got.KeyID != "" && got.KeyID != kid) {
			t.Fatalf("mutated header %q (byte %d of %q) verified as %+v", mutated, i, h, got)
		}
	}
}
