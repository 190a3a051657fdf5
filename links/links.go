// Package links makes and checks the HMAC-signed, expiring tokens carried
// by emailed links (for example the worksite declaration link). Secrets
// form a key ring: tokens name the key that signed them, so a new key can
// become active while links signed by the old one are still in flight.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
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

// DefaultKeyID names the key of a ring made from one secret (NewSigner,
// links.secret). Tokens issued before key IDs existed carry none; they
// verify under this key only.
const DefaultKeyID = "default"

// maxKeyIDLen bounds a key ID, so that a token stays well under its limit.
const maxKeyIDLen = 32

// Key is one secret of a key ring, with the ID that tokens signed by it carry.
type Key struct {
	ID     string
	Secret string
}

// Signer signs tokens with its active key and verifies them with any key of
// its ring, chosen by the key ID the token carries. Rotation: add the new
// key and make it active, keep the old one until every token it signed has
// expired, then remove it (README "Key rotation").
type Signer struct {
	active string
	keys   map[string][]byte
}

// NewSigner returns a Signer whose ring is secret alone, as DefaultKeyID.
// The secret must be at least 32 bytes.
func NewSigner(secret string) (*Signer, error) {
	return NewKeyRing(DefaultKeyID, Key{ID: DefaultKeyID, Secret: secret})
}

// NewKeyRing returns a Signer that signs with the key named active and
// verifies with any of keys. Every secret must be at least 32 bytes; key
// IDs are 1 to 32 characters of A-Z, a-z, 0-9, '-' and '_', each used once.
func NewKeyRing(active string, keys ...Key) (*Signer, error) {
	s := &Signer{active: active, keys: make(map[string][]byte, len(keys))}
	for _, k := range keys {
		if !ValidKeyID(k.ID) {
			return nil, fmt.Errorf("links: key ID %q must be 1 to %d characters of A-Z, a-z, 0-9, '-' and '_'", k.ID, maxKeyIDLen)
		}
		if len(k.Secret) < 32 {
			return nil, fmt.Errorf("links: the secret of key %q must be at least 32 bytes", k.ID)
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, fmt.Errorf("links: key ID %q is used twice", k.ID)
		}
		s.keys[k.ID] = []byte(k.Secret)
	}
	if _, ok := s.keys[active]; !ok {
		return nil, fmt.Errorf("links: the active key %q is not in the ring", active)
	}
	return s, nil
}

// ValidKeyID reports whether id may name a key: 1 to 32 characters of the
// URL-safe base64 alphabet, so that it travels in a token as it is.
func ValidKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for _, r := range id {
		if notTokenRune(r) || r == '.' {
			return false
		}
	}
	return true
}

// ActiveKeyID is the ID of the key Sign uses.
func (s *Signer) ActiveKeyID() string { return s.active }

// Claims is what a token says.
type Claims struct {
	Purpose Purpose
	Subject string
	Expires time.Time
}

// enc is strict, so a token has exactly one valid spelling.
var enc = base64.RawURLEncoding.Strict()

// Sign returns a token "<key ID>.<payload>.<mac>" for c under the active
// key; the MAC covers the key ID and the payload. Subject must not contain '|'.
func (s *Signer) Sign(c Claims) string {
	payload := enc.EncodeToString([]byte(string(c.Purpose) + "|" + c.Subject + "|" + strconv.FormatInt(c.Expires.Unix(), 10)))
	signed := s.active + "." + payload
	return signed + "." + enc.EncodeToString(mac(s.keys[s.active], signed))
}

// Verify checks token's signature, purpose and expiry at now and returns its
// claims. A token names its key; one without a key ID ("<payload>.<mac>",
// issued before key IDs existed) is checked under DefaultKeyID. A key that
// is not in the ring is a bad signature.
func (s *Signer) Verify(token string, want Purpose, now time.Time) (Claims, error) {
	// Only the URL-safe base64 alphabet and the dot: the decoder would skip
	// a CR or LF, letting two spellings of one token verify.
	if token == "" || len(token) > 512 || strings.IndexFunc(token, notTokenRune) >= 0 {
		return Claims{}, ErrMalformed
	}
	var kid, payload, sig, signed string
	switch parts := strings.Split(token, "."); len(parts) {
	case 2: // issued before key IDs: signed under the default key, MAC over the payload alone
		kid, payload, sig = DefaultKeyID, parts[0], parts[1]
		signed = payload
	case 3:
		kid, payload, sig = parts[0], parts[1], parts[2]
		signed = kid + "." + payload
		if !ValidKeyID(kid) {
			return Claims{}, ErrMalformed
		}
	default:
		return Claims{}, ErrMalformed
	}
	if payload == "" || sig == "" {
		return Claims{}, ErrMalformed
	}
	got, err := enc.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	secret, ok := s.keys[kid]
	if !ok {
		return Claims{}, ErrSignature
	}
	if !hmac.Equal(got, mac(secret, signed)) {
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

func mac(secret []byte, signed string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signed))
	return m.Sum(nil)
}
