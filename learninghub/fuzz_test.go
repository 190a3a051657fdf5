package learninghub_test

import (
	"errors"
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
