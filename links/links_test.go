package links

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"careconnect/config"
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

// signRaw signs an arbitrary payload text under the active key, as a
// forger holding the secret could, to reach the checks behind the signature.
func signRaw(s *Signer, raw string) string {
	signed := s.active + "." + enc.EncodeToString([]byte(raw))
	return signed + "." + enc.EncodeToString(mac(s.keys[s.active], signed))
}

// signLegacy signs c as tokens were signed before key IDs existed:
// "<payload>.<mac>", the MAC over the payload alone.
func signLegacy(secret string, c Claims) string {
	payload := enc.EncodeToString([]byte(string(c.Purpose) + "|" + c.Subject + "|" + strconv.FormatInt(c.Expires.Unix(), 10)))
	return payload + "." + enc.EncodeToString(mac([]byte(secret), payload))
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
	parts := strings.Split(valid, ".")
	kid, payload, sig := parts[0]+".", parts[1], parts[2]
	// A different subject signed separately gives a payload whose MAC does not match sig.
	otherPayload := strings.Split(s.Sign(Claims{Purpose: PurposeDeclaration, Subject: "ZZZZZZZ", Expires: expires}), ".")[1]
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
		{"tampered payload", kid + otherPayload + "." + sig, PurposeDeclaration, before, ErrSignature},
		// One payload character changed.
		{"payload char changed", kid + "X" + payload[1:] + "." + sig, PurposeDeclaration, before, ErrSignature},
		// One signature character changed.
		{"tampered signature", kid + payload + "." + string(flipped) + sig[1:], PurposeDeclaration, before, ErrSignature},
		// A truncated signature: with strict decoding its last character is malformed.
		{"short signature", kid + payload + "." + sig[:len(sig)-4], PurposeDeclaration, before, ErrMalformed},
		// Signed with another secret.
		{"other secret", mustSigner(t, otherSecret).Sign(Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires}),
			PurposeDeclaration, before, ErrSignature},
		// No dot at all.
		{"no dot", payload + sig, PurposeDeclaration, before, ErrMalformed},
		// Empty token.
		{"empty", "", PurposeDeclaration, before, ErrMalformed},
		// Just the separator.
		{"dot only", ".", PurposeDeclaration, before, ErrMalformed},
		// Payload without signature.
		{"no signature", kid + payload + ".", PurposeDeclaration, before, ErrMalformed},
		// Signature without payload.
		{"no payload", kid + "." + sig, PurposeDeclaration, before, ErrMalformed},
		// The signature is not base64url.
		{"bad base64 signature", kid + payload + ".!!not-base64!!", PurposeDeclaration, before, ErrMalformed},
		// Standard (padded) base64 is not the encoding used.
		{"padded signature", kid + payload + "." + sig + "=", PurposeDeclaration, before, ErrMalformed},
		// Over 512 bytes is refused before any work is done.
		{"too long", valid + strings.Repeat("A", 513-len(valid)), PurposeDeclaration, before, ErrMalformed},
		// Correctly signed, but the payload is not base64url.
		{"signed bad base64 payload", kid + "!!!." + enc.EncodeToString(mac(s.keys[s.active], kid+"!!!")), PurposeDeclaration, before, ErrMalformed},
		// The MAC of a token with a key ID covers the ID: the same payload
		// and MAC without it (the form of tokens from before key IDs) is refused.
		{"key ID dropped", payload + "." + sig, PurposeDeclaration, before, ErrSignature},
		// A key the ring does not hold.
		{"unknown key", "other." + payload + "." + sig, PurposeDeclaration, before, ErrSignature},
		// A key ID outside the alphabet of IDs (a '.' would be a fourth part).
		{"empty key ID", "." + payload + "." + sig, PurposeDeclaration, before, ErrMalformed},
		{"four parts", kid + kid + payload + "." + sig, PurposeDeclaration, before, ErrMalformed},
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

// mustRing returns a Signer over keys, signing with active, or fails the test.
func mustRing(t *testing.T, active string, keys ...Key) *Signer {
	t.Helper()
	s, err := NewKeyRing(active, keys...)
	if err != nil {
		t.Fatalf("NewKeyRing(%q): %v", active, err)
	}
	return s
}

func TestNewKeyRing(t *testing.T) {
	a, b := Key{ID: "2026a", Secret: testSecret}, Key{ID: "2026b", Secret: otherSecret}
	tests := []struct {
		name   string
		active string
		keys   []Key
		ok     bool
	}{
		{"two keys, one active", "2026b", []Key{a, b}, true},
		// The active key must be one of the ring's.
		{"active not in the ring", "2026c", []Key{a, b}, false},
		{"no keys", DefaultKeyID, nil, false},
		// One ID names one secret.
		{"ID twice", "2026a", []Key{a, {ID: "2026a", Secret: otherSecret}}, false},
		// Every key needs 32 bytes, not only the active one.
		{"short verify key", "2026a", []Key{a, {ID: "old", Secret: "short"}}, false},
		// IDs travel in tokens as they are: no dot, no space, not empty, not long.
		{"dot in ID", "a.b", []Key{{ID: "a.b", Secret: testSecret}}, false},
		{"space in ID", "a b", []Key{{ID: "a b", Secret: testSecret}}, false},
		{"empty ID", "", []Key{{ID: "", Secret: testSecret}}, false},
		{"33-character ID", strings.Repeat("k", 33), []Key{{ID: strings.Repeat("k", 33), Secret: testSecret}}, false},
		{"32-character ID", strings.Repeat("k", 32), []Key{{ID: strings.Repeat("k", 32), Secret: testSecret}}, true},
	}
	for _, tt := range tests {
		s, err := NewKeyRing(tt.active, tt.keys...)
		if (err == nil) != tt.ok {
			t.Errorf("%s: NewKeyRing() error = %v; want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && s != nil {
			t.Errorf("%s: NewKeyRing() = %v with an error; want nil", tt.name, s)
		}
	}
}

// TestRotation is the life of a 90-day declaration link across a key
// rotation: signed under key A; B becomes active with A kept to verify, and
// the old link still works while new links are signed with B; once A is
// removed, the old link is refused and B's links still work.
func TestRotation(t *testing.T) {
	a, b := Key{ID: "2026a", Secret: testSecret}, Key{ID: "2026b", Secret: otherSecret}
	c := Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires}
	now := expires.Add(-89 * 24 * time.Hour)

	old := mustRing(t, "2026a", a).Sign(c)
	if !strings.HasPrefix(old, "2026a.") {
		t.Fatalf("token %q; want it to name key 2026a", old)
	}
	rotated := mustRing(t, "2026b", a, b)
	if got, err := rotated.Verify(old, PurposeDeclaration, now); err != nil || got != c {
		t.Errorf("after rotation, the link signed with A: %+v, %v; want it to verify", got, err)
	}
	fresh := rotated.Sign(c)
	if !strings.HasPrefix(fresh, "2026b.") {
		t.Errorf("new token %q; want it signed with the active key 2026b", fresh)
	}
	if _, err := rotated.Verify(fresh, PurposeDeclaration, now); err != nil {
		t.Errorf("new token: %v; want it to verify", err)
	}

	retired := mustRing(t, "2026b", b)
	if _, err := retired.Verify(old, PurposeDeclaration, now); !errors.Is(err, ErrSignature) {
		t.Errorf("A removed, the link signed with A: %v; want ErrSignature", err)
	}
	if _, err := retired.Verify(fresh, PurposeDeclaration, now); err != nil {
		t.Errorf("A removed, the link signed with B: %v; want it to verify", err)
	}
	// A token that names A but carries B's MAC is no way around the removal.
	forged := "2026a" + strings.TrimPrefix(fresh, "2026b")
	if _, err := rotated.Verify(forged, PurposeDeclaration, now); !errors.Is(err, ErrSignature) {
		t.Errorf("B's MAC under A's ID: %v; want ErrSignature", err)
	}
}

// TestLegacyTokens: links emailed before key IDs existed ("<payload>.<mac>")
// keep working under links.secret, which is DefaultKeyID, and under a ring
// that keeps that secret as DefaultKeyID, but under no other key.
func TestLegacyTokens(t *testing.T) {
	c := Claims{Purpose: PurposeDeclaration, Subject: "K4T6CLP", Expires: expires}
	legacy := signLegacy(testSecret, c)
	now := expires.Add(-time.Hour)
	if got, err := mustSigner(t, testSecret).Verify(legacy, PurposeDeclaration, now); err != nil || got != c {
		t.Errorf("NewSigner(links.secret): legacy token %+v, %v; want it to verify", got, err)
	}
	ring := mustRing(t, "2026b", Key{ID: DefaultKeyID, Secret: testSecret}, Key{ID: "2026b", Secret: otherSecret})
	if got, err := ring.Verify(legacy, PurposeDeclaration, now); err != nil || got != c {
		t.Errorf("ring keeping the old secret as %q: legacy token %+v, %v; want it to verify", DefaultKeyID, got, err)
	}
	// The same secret under another ID does not take kid-less tokens.
	renamed := mustRing(t, "2025", Key{ID: "2025", Secret: testSecret})
	if _, err := renamed.Verify(legacy, PurposeDeclaration, now); !errors.Is(err, ErrSignature) {
		t.Errorf("old secret under another ID: legacy token %v; want ErrSignature", err)
	}
	// A legacy-form token is checked under the default key, whichever key is active.
	if _, err := mustRing(t, "2026b", Key{ID: DefaultKeyID, Secret: otherSecret}, Key{ID: "2026b", Secret: testSecret}).
		Verify(legacy, PurposeDeclaration, now); !errors.Is(err, ErrSignature) {
		t.Errorf("legacy token under a default key with another secret: %v; want ErrSignature", err)
	}
	// NewSigner's tokens name the default key.
	if tok := mustSigner(t, testSecret).Sign(c); !strings.HasPrefix(tok, DefaultKeyID+".") {
		t.Errorf("NewSigner token %q; want the key ID %q first", tok, DefaultKeyID)
	}
}

// The configuration names the default key as this package does.
func TestDefaultKeyIDMatchesConfig(t *testing.T) {
	if config.DefaultKeyID != DefaultKeyID {
		t.Fatalf("config.DefaultKeyID = %q; want links.DefaultKeyID %q", config.DefaultKeyID, DefaultKeyID)
	}
}
