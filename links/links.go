// Package links makes and checks the HMAC-signed, expiring tokens carried
// by emailed links (for example the worksite declaration link).
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"careconnect/domain"
)

// Purpose says what a token may be used for; a token for one purpose is
// never accepted for another. The purposes are domain.LinkPurpose's, so
// that the workflows name them without linking this package.
type Purpose = domain.LinkPurpose

// Purposes of signed links, as package domain names them.
const (
	PurposeDeclaration = domain.LinkDeclaration
	// PurposeJoinDecision lets one administrator answer one join request:
	// the subject is "<worksite ID>/<request ID>/<administrator subject>".
	PurposeJoinDecision = domain.LinkJoinDecision
	// PurposeInvitation opens an invitation: "<worksite ID>/<invitation ID>".
	PurposeInvitation = domain.LinkInvitation
	// PurposeEmailConfirmation confirms an address: "<account subject>/<nonce>".
	PurposeEmailConfirmation = domain.LinkEmailConfirmation
)

// Errors returned by Verify. Callers map both to one message so that a
// forger learns nothing about which check failed.
var (
	ErrMalformed = errors.New("links: malformed token")
	ErrSignature = errors.New("links: bad signature")
	ErrExpired   = errors.New("links: token expired")
)

// Signer signs and verifies tokens with one secret.
type Signer struct {
	secret []byte
}

// NewSigner returns a Signer for secret, which must be at least 32 bytes.
func NewSigner(secret string) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("links: secret must be at least 32 bytes")
	}
	return &Signer{secret: []byte(secret)}, nil
}

// Claims is what a token says.
type Claims struct {
	Purpose Purpose
	Subject string
	Expires time.Time
}

// enc is strict, so a token has exactly one valid spelling.
var enc = base64.RawURLEncoding.Strict()

// Sign returns a token "<payload>.<mac>" for c. Subject must not contain '|'.
func (s *Signer) Sign(c Claims) string {
	payload := enc.EncodeToString([]byte(string(c.Purpose) + "|" + c.Subject + "|" + strconv.FormatInt(c.Expires.Unix(), 10)))
	return payload + "." + enc.EncodeToString(s.mac(payload))
}

// Verify checks token's signature, purpose and expiry at now and returns its claims.
func (s *Signer) Verify(token string, want Purpose, now time.Time) (Claims, error) {
	payload, sig, ok := strings.Cut(token, ".")
	// Only the URL-safe base64 alphabet and the dot: the decoder would skip
	// a CR or LF, letting two spellings of one token verify.
	if !ok || payload == "" || sig == "" || len(token) > 512 || strings.IndexFunc(token, notTokenRune) >= 0 {
		return Claims{}, ErrMalformed
	}
	got, err := enc.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got, s.mac(payload)) {
		return Claims{}, ErrSignature
	}
	raw, err := enc.DecodeString(payload)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	c := Claims{Purpose: Purpose(parts[0]), Subject: parts[1], Expires: time.Unix(exp, 0).UTC()}
	if c.Purpose != want {
		return Claims{}, ErrSignature
	}
	if !now.Before(c.Expires) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

func notTokenRune(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
