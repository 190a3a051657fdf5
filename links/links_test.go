package links

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	testSecret  = "0123456789abcdef0123456789abcdef" // exactly 32 bytes
	otherSecret = "fedcba9876543210fedcba9876543210"
)

// mustSigner returns a Signer for secret or fails the test.
func mustSigner(t *testing.T, secret string) *Signer {
	t.Helper()
	s, err := NewSigner(secret)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

// signRaw signs an arbitrary payload text, as a forger holding the secret
// could, to reach the checks behind the signature.
func signRaw(s *Signer, raw string) string {
	payload := enc.EncodeToString([]byte(raw))
	return payload + "." + enc.EncodeToString(s.mac(payload))
}

var expires = time.Date(2026, 11, 16, 17, 0, 0, 0, time.UTC)

func TestNewSigner(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		wantErr bool
	}{
		{"32 bytes", testSecret, false},          // the minimum
		{"31 bytes", testSecret[:31], true},      // one short
		{"empty", "", true},                      // no secret at all
		{"long", strings.Repeat("k", 64), false}, // longer is fine
	}
	for _, tt := range tests {
		s, err := NewSigner(tt.secret)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: NewSigner() error = %v; want error %v", tt.name, err, tt.wantErr)
		}
		if tt.wantErr && s != nil {
			t.Errorf("%s: NewSigner() = %v; want nil with the error", tt.name, s)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	s := mustSigner(t, testSecret)
	want := Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires}
	tok := s.Sign(want)
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q; want URL-safe base64 without padding", tok)
	}
	got, err := s.Verify(tok, PurposeDeclaration, expires.Add(-time.Second))
	if err != nil {
		t.Fatalf("Verify() error = %v; want nil", err)
	}
	if got != want {
		t.Errorf("Verify() = %+v; want %+v", got, want)
	}
	// Another signer with the same secret (another replica) accepts it.
	if _, err := mustSigner(t, testSecret).Verify(tok, PurposeDeclaration, expires.Add(-time.Hour)); err != nil {
		t.Errorf("Verify() on a second signer error = %v; want nil", err)
	}
	// Expiry is kept to the second, so a fractional expiry is truncated, never extended.
	frac := s.Sign(Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires.Add(900 * time.Millisecond)})
	if c, err := s.Verify(frac, PurposeDeclaration, expires.Add(-time.Second)); err != nil || !c.Expires.Equal(expires) {
		t.Errorf("Verify(fractional expiry) = %+v, %v; want Expires %v, nil", c, err, expires)
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := mustSigner(t, testSecret)
	valid := s.Sign(Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires})
	payload, sig, _ := strings.Cut(valid, ".")
	// A different subject signed separately gives a payload whose MAC does not match sig.
	otherPayload, _, _ := strings.Cut(s.Sign(Claims{Purpose: PurposeDeclaration, Subject: "ZZZZZZZ", Expires: expires}), ".")
	// Flipping the first character changes the first 6 bits of the MAC.
	flipped := map[byte]byte{'A': 'B'}[sig[0]]
	if flipped == 0 {
		flipped = 'A'
	}
	before := expires.Add(-time.Minute)

	tests := []struct {
		name    string
		token   string
		purpose Purpose
		now     time.Time
		want    error
	}{
		// Expiry is exclusive: at exactly Expires the token is dead.
		{"expired at Expires", valid, PurposeDeclaration, expires, ErrExpired},
		// And after it.
		{"expired after", valid, PurposeDeclaration, expires.Add(time.Hour), ErrExpired},
		// A token for one purpose is never accepted for another.
		{"wrong purpose", valid, Purpose("invitation"), before, ErrSignature},
		// Another worksite's payload under this signature.
		{"tampered payload", otherPayload + "." + sig, PurposeDeclaration, before, ErrSignature},
		// One payload character changed.
		{"payload char changed", "X" + payload[1:] + "." + sig, PurposeDeclaration, before, ErrSignature},
		// One signature character changed.
		{"tampered signature", payload + "." + string(flipped) + sig[1:], PurposeDeclaration, before, ErrSignature},
		// A truncated signature: with strict decoding its last character is malformed.
		{"short signature", payload + "." + sig[:len(sig)-4], PurposeDeclaration, before, ErrMalformed},
		// Signed with another secret.
		{"other secret", mustSigner(t, otherSecret).Sign(Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires}),
			PurposeDeclaration, before, ErrSignature},
		// No dot between payload and signature.
		{"no dot", payload + sig, PurposeDeclaration, before, ErrMalformed},
		// Empty token.
		{"empty", "", PurposeDeclaration, before, ErrMalformed},
		// Just the separator.
		{"dot only", ".", PurposeDeclaration, before, ErrMalformed},
		// Payload without signature.
		{"no signature", payload + ".", PurposeDeclaration, before, ErrMalformed},
		// Signature without payload.
		{"no payload", "." + sig, PurposeDeclaration, before, ErrMalformed},
		// The signature is not base64url.
		{"bad base64 signature", payload + ".!!not-base64!!", PurposeDeclaration, before, ErrMalformed},
		// Standard (padded) base64 is not the encoding used.
		{"padded signature", payload + "." + sig + "=", PurposeDeclaration, before, ErrMalformed},
		// Over 512 bytes is refused before any work is done.
		{"too long", valid + strings.Repeat("A", 513-len(valid)), PurposeDeclaration, before, ErrMalformed},
		// Correctly signed, but the payload is not base64url.
		{"signed bad base64 payload", "!!!." + enc.EncodeToString(s.mac("!!!")), PurposeDeclaration, before, ErrMalformed},
		// Correctly signed, but two parts instead of three.
		{"signed two parts", signRaw(s, "declaration|K4T6CLP"), PurposeDeclaration, before, ErrMalformed},
		// Correctly signed, but a '|' in the subject makes four parts.
		{"signed four parts", signRaw(s, "declaration|K4T|6CLP|1795194000"), PurposeDeclaration, before, ErrMalformed},
		// Correctly signed, but the expiry is not a number.
		{"signed bad expiry", signRaw(s, "declaration|K4T6CLP|tomorrow"), PurposeDeclaration, before, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.token, tt.purpose, tt.now)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify() error = %v; want %v", err, tt.want)
			}
			if c != (Claims{}) {
				t.Errorf("Verify() claims = %+v; want none with an error", c)
			}
		})
	}
}

// The longest accepted token is 512 bytes; the length check is not off by one.
func TestVerifyLengthLimit(t *testing.T) {
	s := mustSigner(t, testSecret)
	// Pad the subject until the token is 510 to 512 bytes long.
	var tok string
	for n := 1; ; n++ {
		tok = s.Sign(Claims{Purpose: PurposeDeclaration, Subject: strings.Repeat("S", n), Expires: expires})
		if len(tok) >= 510 {
			break
		}
	}
	if len(tok) > 512 {
		t.Fatalf("token length %d; want at most 512 to test the limit", len(tok))
	}
	if _, err := s.Verify(tok, PurposeDeclaration, expires.Add(-time.Second)); err != nil {
		t.Errorf("Verify(%d-byte token) error = %v; want nil", len(tok), err)
	}
}
