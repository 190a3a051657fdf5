// Package learninghub is the LearningHub callback contract (DOMAIN
// "LearningHub callbacks"): the HMAC-SHA256 signature header and the event
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

// ParseSignatureHeader parses "t=<unix seconds>,v1=<hex>[,v1=<hex>...]".
// Spaces around parts are ignored, as are parts with other keys (future
// schemes); t must appear once, at least one v1 must, and every v1 must be
// the hex of a SHA-256 MAC.
func ParseSignatureHeader(h string) (ts int64, sigs [][]byte, err error) {
	if len(h) > maxHeaderLen {
		return 0, nil, fmt.Errorf("%w: header longer than %d bytes", ErrBadSignature, maxHeaderLen)
	}
	seenT := false
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return 0, nil, fmt.Errorf("%w: part %q is not key=value", ErrBadSignature, part)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "t":
			if seenT {
				return 0, nil, fmt.Errorf("%w: more than one t", ErrBadSignature)
			}
			seenT = true
			if v == "" || len(v) > 12 || strings.TrimLeft(v, "0123456789") != "" {
				return 0, nil, fmt.Errorf("%w: t is not unix seconds", ErrBadSignature)
			}
			if ts, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("%w: t is not unix seconds", ErrBadSignature)
			}
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, fmt.Errorf("%w: v1 is not a hex SHA-256 MAC", ErrBadSignature)
			}
			if len(sigs) == maxSignatures {
				return 0, nil, fmt.Errorf("%w: more than %d v1 values", ErrBadSignature, maxSignatures)
			}
			sigs = append(sigs, b)
		case "":
			return 0, nil, fmt.Errorf("%w: empty key", ErrBadSignature)
		}
	}
	if !seenT {
		return 0, nil, fmt.Errorf("%w: no t", ErrBadSignature)
	}
	if len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%w: no v1", ErrBadSignature)
	}
	return ts, sigs, nil
}

// mac is HMAC-SHA256(secret, "<ts>.<body>").
func mac(secret []byte, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the signature header value for body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks header against body: some v1 value must be the MAC of the
// signed timestamp and body (compared in constant time), and the timestamp
// must be within tolerance of now, either side. Errors: ErrNoSignature,
// ErrBadSignature, ErrStale (each possibly wrapped).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	ts, sigs, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok // look at every value: no early exit
	}
	if !ok {
		return ErrBadSignature
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > tolerance || skew < -tolerance {
		return ErrStale
	}
	return nil
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
