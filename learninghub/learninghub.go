// Package learninghub is the LearningHub callback contract (DOMAIN
// "LearningHub callbacks"): the HMAC-SHA256 signature header, verified
// with a key ring so that the shared secret can be rotated, and the event
// body. It knows nothing of HTTP frameworks, storage or Temporal; the API
// verifies and parses with it, and the learninghub-send command signs with it.
package learninghub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"careconnect/domain"
	"careconnect/strictjson"
)

// Header is the request header that carries the signature.
const Header = "LearningHub-Signature"

// Event types.
const (
	TypeCourseCompleted       = "course.completed"
	TypeAgreementAcknowledged = "agreement.acknowledged"
)

// Bounds on the header and the body's fields, so that garbage is refused
// before it costs anything.
const (
	maxHeaderLen  = 1024
	maxSignatures = 8
	maxIDLen      = 200
)

// Verification errors. Every one means "do not trust this request".
var (
	// ErrNoSignature: the signature header is absent or empty.
	ErrNoSignature = errors.New("learninghub: no signature")
	// ErrBadSignature: the header is malformed or no v1 value matches the body.
	ErrBadSignature = errors.New("learninghub: bad signature")
	// ErrStale: the signed timestamp is outside the tolerance window.
	ErrStale = errors.New("learninghub: timestamp outside the tolerance window")
)

// DefaultKeyID names the key of a ring made from one secret
// (learninghub.secret).
const DefaultKeyID = "default"

// maxKeyIDLen bounds a key ID.
const maxKeyIDLen = 32

// Key is one secret shared with LearningHub, with the ID a signature
// header names it by.
type Key struct {
	ID     string
	Secret string
}

// Keyring holds the secrets callbacks may be signed with: one active key
// that Sign uses, and every key for Verify. LearningHub rotates by signing
// with a new key (named by kid= in the header, or not named at all) while
// the old one is still in the ring.
type Keyring struct {
	active string
	keys   map[string][]byte
	ids    []string // in the order given, so that Verify's work does not depend on the map
}

// NewKeyring returns a Keyring that signs with the key named active and
// verifies with any of keys. Every secret must be at least 32 bytes; key
// IDs are 1 to 32 characters of A-Z, a-z, 0-9, '-' and '_', each used once.
func NewKeyring(active string, keys ...Key) (*Keyring, error) {
	k := &Keyring{active: active, keys: make(map[string][]byte, len(keys))}
	for _, key := range keys {
		if !ValidKeyID(key.ID) {
			return nil, fmt.Errorf("learninghub: key ID %q must be 1 to %d characters of A-Z, a-z, 0-9, '-' and '_'", key.ID, maxKeyIDLen)
		}
		if len(key.Secret) < 32 {
			return nil, fmt.Errorf("learninghub: the secret of key %q must be at least 32 bytes", key.ID)
		}
		if _, dup := k.keys[key.ID]; dup {
			return nil, fmt.Errorf("learninghub: key ID %q is used twice", key.ID)
		}
		k.keys[key.ID] = []byte(key.Secret)
		k.ids = append(k.ids, key.ID)
	}
	if _, ok := k.keys[active]; !ok {
		return nil, fmt.Errorf("learninghub: the active key %q is not in the ring", active)
	}
	return k, nil
}

// ValidKeyID reports whether id may name a key in a signature header.
func ValidKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SignatureHeader is a parsed signature header.
type SignatureHeader struct {
	// Timestamp is t, in unix seconds.
	Timestamp int64
	// KeyID is kid, or "" when the header names no key.
	KeyID string
	// Signatures are the v1 MACs.
	Signatures [][]byte
}

// ParseSignatureHeader parses "t=<unix seconds>[,kid=<key ID>],v1=<hex>[,v1=<hex>...]".
// Spaces around parts are ignored, as are parts with other keys (future
// schemes); t must appear once, kid at most once, at least one v1 must, and
// every v1 must be the hex of a SHA-256 MAC.
func ParseSignatureHeader(h string) (SignatureHeader, error) {
	var sh SignatureHeader
	if len(h) > maxHeaderLen {
		return SignatureHeader{}, fmt.Errorf("%w: header longer than %d bytes", ErrBadSignature, maxHeaderLen)
	}
	seenT, seenKid := false, false
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return SignatureHeader{}, fmt.Errorf("%w: part %q is not key=value", ErrBadSignature, part)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "t":
			if seenT {
				return SignatureHeader{}, fmt.Errorf("%w: more than one t", ErrBadSignature)
			}
			seenT = true
			if v == "" || len(v) > 12 || strings.TrimLeft(v, "0123456789") != "" {
				return SignatureHeader{}, fmt.Errorf("%w: t is not unix seconds", ErrBadSignature)
			}
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return SignatureHeader{}, fmt.Errorf("%w: t is not unix seconds", ErrBadSignature)
			}
			sh.Timestamp = ts
		case "kid":
			if seenKid {
				return SignatureHeader{}, fmt.Errorf("%w: more than one kid", ErrBadSignature)
			}
			seenKid = true
			if !ValidKeyID(v) {
				return SignatureHeader{}, fmt.Errorf("%w: kid is not a key ID", ErrBadSignature)
			}
			sh.KeyID = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return SignatureHeader{}, fmt.Errorf("%w: v1 is not a hex SHA-256 MAC", ErrBadSignature)
			}
			if len(sh.Signatures) == maxSignatures {
				return SignatureHeader{}, fmt.Errorf("%w: more than %d v1 values", ErrBadSignature, maxSignatures)
			}
			sh.Signatures = append(sh.Signatures, b)
		case "":
			return SignatureHeader{}, fmt.Errorf("%w: empty key", ErrBadSignature)
		}
	}
	if !seenT {
		return SignatureHeader{}, fmt.Errorf("%w: no t", ErrBadSignature)
	}
	if len(sh.Signatures) == 0 {
		return SignatureHeader{}, fmt.Errorf("%w: no v1", ErrBadSignature)
	}
	return sh, nil
}

// mac is HMAC-SHA256(secret, "<ts>.<body>").
func mac(secret []byte, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the signature header value for body sent at ts under the
// active key: "t=<ts>,kid=<key ID>,v1=<hex>".
func (k *Keyring) Sign(ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",kid=" + k.active + ",v1=" + hex.EncodeToString(mac(k.keys[k.active], ts, body))
}

// Sign returns the signature header value for body sent at ts under secret
// in the form that names no key, "t=<ts>,v1=<hex>": the form LearningHub's
// integration sends.
func Sign(secret []byte, ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks header against body: some v1 value must be the MAC of the
// signed timestamp and body (compared in constant time) under the key the
// header names with kid, or, when it names none (LearningHub's integration
// as it is), under any key of the ring; and the timestamp must be within
// tolerance of now, either side. A kid the ring does not hold is a bad
// signature. Errors: ErrNoSignature, ErrBadSignature, ErrStale (each
// possibly wrapped).
func (k *Keyring) Verify(header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	sh, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	ids := k.ids
	if sh.KeyID != "" {
		if _, ok := k.keys[sh.KeyID]; !ok {
			return fmt.Errorf("%w: unknown kid", ErrBadSignature)
		}
		ids = []string{sh.KeyID}
	}
	ok := false
	for _, id := range ids {
		want := mac(k.keys[id], sh.Timestamp, body)
		for _, s := range sh.Signatures {
			ok = hmac.Equal(s, want) || ok // look at every value: no early exit
		}
	}
	if !ok {
		return ErrBadSignature
	}
	skew := now.Sub(time.Unix(sh.Timestamp, 0))
	if skew > tolerance || skew < -tolerance {
		return ErrStale
	}
	return nil
}

// Verify is Keyring.Verify with secret alone as DefaultKeyID, whatever
// its length.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	k := &Keyring{active: DefaultKeyID, keys: map[string][]byte{DefaultKeyID: secret}, ids: []string{DefaultKeyID}}
	return k.Verify(header, body, now, tolerance)
}

// Learner is who an event is about.
type Learner struct {
	Email         string `json:"email"`
	LearningHubID string `json:"learningHubId"`
}

// Event is one LearningHub callback body. ParseEvent returns it with the
// learner's email lower-cased (accounts store emails lower-case).
type Event struct {
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	CourseCode string    `json:"courseCode"`
	Learner    Learner   `json:"learner"`
	OccurredAt time.Time `json:"occurredAt"`
}

// wireEvent is Event as sent: occurredAt stays a string so that its error
// names the field.
type wireEvent struct {
	EventID    string   `json:"eventId"`
	Type       string   `json:"type"`
	CourseCode string   `json:"courseCode"`
	Learner    *Learner `json:"learner"`
	OccurredAt string   `json:"occurredAt"`
}

// ParseEvent decodes and validates a callback body: one JSON object, no
// unknown fields, every field present, a known type, a valid email and an
// RFC 3339 occurredAt. Errors: *domain.Error EINVALID naming the fields.
func ParseEvent(body []byte) (Event, error) {
	var w wireEvent
	if err := strictjson.Decode(body, &w); err != nil {
		return Event{}, err
	}
	fe := domain.FieldErrors{}
	id := func(field, v string) {
		switch {
		case v == "":
			fe.Add(field, "is required")
		case len(v) > maxIDLen:
			fe.Add(field, fmt.Sprintf("must be at most %d characters", maxIDLen))
		case !printable(v):
			fe.Add(field, "must be printable ASCII without spaces")
		}
	}
	id("eventId", w.EventID)
	switch w.Type {
	case TypeCourseCompleted, TypeAgreementAcknowledged:
	case "":
		fe.Add("type", "is required")
	default:
		fe.Add("type", "must be "+TypeCourseCompleted+" or "+TypeAgreementAcknowledged)
	}
	id("courseCode", w.CourseCode)
	var l Learner
	if w.Learner == nil {
		fe.Add("learner", "is required")
	} else {
		l = *w.Learner
		if l.Email == "" {
			fe.Add("learner.email", "is required")
		} else if !domain.ValidEmail(l.Email) {
			fe.Add("learner.email", "must be an email address such as name@example.ca")
		}
		id("learner.learningHubId", l.LearningHubID)
		l.Email = strings.ToLower(l.Email)
	}
	var at time.Time
	if w.OccurredAt == "" {
		fe.Add("occurredAt", "is required")
	} else if t, err := time.Parse(time.RFC3339, w.OccurredAt); err != nil {
		fe.Add("occurredAt", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	} else {
		at = t.UTC()
	}
	if err := fe.Err(); err != nil {
		return Event{}, err
	}
	return Event{EventID: w.EventID, Type: w.Type, CourseCode: w.CourseCode, Learner: l, OccurredAt: at}, nil
}

// Counts says whether e is one CareConnect applies: completion of the
// Privacy & Security course, or acknowledgement of the HPCAA. Other
// LearningHub courses are acknowledged and ignored.
func (e Event) Counts(courseCode, agreementCode string) bool {
	switch e.Type {
	case TypeCourseCompleted:
		return e.CourseCode == courseCode
	case TypeAgreementAcknowledged:
		return e.CourseCode == agreementCode
	}
	return false
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
