package learninghub_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/learninghub"
)

// FuzzParseSignatureHeader: any header parses or is refused with
// ErrBadSignature, never a panic; what parses has a t and 32-byte MACs.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("t=1700000000,v1=" + learninghub.Sign(secret, 1, nil)[len("t=1,v1="):])
	f.Add(" t=1 , v1=00 ")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		_, sigs, err := learninghub.ParseSignatureHeader(h)
		if err != nil {
			if !errors.Is(err, learninghub.ErrBadSignature) {
				t.Fatalf("error %v is not ErrBadSignature", err)
			}
			return
		}
		if len(sigs) == 0 {
			t.Fatal("parsed without a v1 value")
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("v1 of %d bytes", len(s))
			}
		}
		// Verification of arbitrary headers never panics either.
		_ = learninghub.Verify(secret, h, []byte(h), time.Unix(0, 0), 5*time.Minute)
	})
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

// FuzzSignatureRoundTrip: a header Sign makes parses back to its timestamp
// and MAC and verifies within the tolerance; it is refused for another body,
// outside the tolerance, with any one byte of it changed, and after extra
// parts that are not key=value. Timestamps are unix seconds of at most 12
// digits; Sign's header for another timestamp is refused, never accepted.
func FuzzSignatureRoundTrip(f *testing.F) {
	f.Add(int64(1700000000), []byte(goodBody), uint16(0), byte('x'))
	f.Add(int64(0), []byte{}, uint16(5), byte(','))
	f.Add(int64(999999999999), []byte("{}"), uint16(14), byte('='))
	f.Add(int64(-1), []byte("{}"), uint16(1), byte(' '))
	f.Add(int64(1000000000000), []byte("x"), uint16(2), byte('0'))
	f.Fuzz(func(t *testing.T, ts int64, body []byte, at uint16, b byte) {
		h := learninghub.Sign(secret, ts, body)
		now := time.Unix(ts, 0)
		if ts < 0 || ts > 999999999999 {
			if err := learninghub.Verify(secret, h, body, now, time.Minute); !errors.Is(err, learninghub.ErrBadSignature) {
				t.Fatalf("header %q with a timestamp out of range: got %v; want ErrBadSignature", h, err)
			}
			return
		}
		gotTS, sigs, err := learninghub.ParseSignatureHeader(h)
		if err != nil || gotTS != ts || len(sigs) != 1 {
			t.Fatalf("ParseSignatureHeader(%q) = %d, %d sigs, %v; want %d and one MAC", h, gotTS, len(sigs), err, ts)
		}
		if err := learninghub.Verify(secret, h, body, now.Add(time.Minute), time.Minute); err != nil {
			t.Fatalf("Verify of its own signature at the tolerance's edge: %v", err)
		}
		if err := learninghub.Verify(secret, h, body, now.Add(-time.Minute-time.Second), time.Minute); !errors.Is(err, learninghub.ErrStale) {
			t.Fatalf("signed in the future beyond the tolerance: got %v; want ErrStale", err)
		}
		if err := learninghub.Verify(secret, h, append(append([]byte(nil), body...), ' '), now, time.Minute); !errors.Is(err, learninghub.ErrBadSignature) {
			t.Fatalf("another body: got %v; want ErrBadSignature", err)
		}
		// Spaces around parts and unknown schemes are allowed; garbage parts are not.
		if err := learninghub.Verify(secret, " "+strings.ReplaceAll(h, ",", " , ")+",v2=abc", body, now, time.Minute); err != nil {
			t.Fatalf("spaced header with a future scheme: %v", err)
		}
		if err := learninghub.Verify(secret, h+",junk", body, now, time.Minute); !errors.Is(err, learninghub.ErrBadSignature) {
			t.Fatalf("header with a part that is not key=value: got %v; want ErrBadSignature", err)
		}
		// One byte changed: refused, unless it only changes the case of a
		// hex digit of the MAC (hex decoding ignores case).
		i := int(at) % len(h)
		if h[i] == b {
			b ^= 1
		}
		mutated := h[:i] + string([]byte{b}) + h[i+1:]
		err = learninghub.Verify(secret, mutated, body, now, time.Minute)
		hexCase := i >= strings.Index(h, "v1=")+3 && strings.EqualFold(mutated, h)
		if err == nil && !hexCase {
			t.Fatalf("mutated header %q (byte %d of %q) verified", mutated, i, h)
		}
	})
}
