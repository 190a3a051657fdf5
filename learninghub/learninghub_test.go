package learninghub_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/learninghub"
)

var secret = []byte("test-learninghub-secret-0123456789abcdef")

const goodBody = `{"eventId":"evt-1","type":"course.completed","courseCode":"CC-PRIVACY-COMMUNITY",` +
	`"learner":{"email":"Pat.Doe@Example.ca","learningHubId":"LH-42"},"occurredAt":"2026-03-01T17:00:00Z"}`

func TestParseSignatureHeader(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		header string
		ts     int64
		n      int // number of v1 values; 0 means an error is wanted
		kid    string
	}{
		{"plain", "t=1700000000,v1=" + sig, 1700000000, 1, ""},
		// Spaces around parts and around = are tolerated.
		{"spaces", " t = 1700000000 , v1= " + sig + " ", 1700000000, 1, ""},
		// Several v1 values: the sender is rotating secrets.
		{"several v1", "t=5,v1=" + sig + ",v1=" + strings.Repeat("cd", 32), 5, 2, ""},
		// Unknown schemes are skipped.
		{"other scheme", "t=5,v0=zzz,v1=" + sig, 5, 1, ""},
		{"order free", "v1=" + sig + ",t=5", 5, 1, ""},
		// The key the sender signed with.
		{"kid", "t=5,kid=2026b,v1=" + sig, 5, 1, "2026b"},
		{"kid last", "t=5,v1=" + sig + ", kid = 2026b", 5, 1, "2026b"},
		{"two kid", "t=5,kid=a,kid=b,v1=" + sig, 0, 0, ""},
		{"empty kid", "t=5,kid=,v1=" + sig, 0, 0, ""},
		{"kid with a dot", "t=5,kid=a.b,v1=" + sig, 0, 0, ""},
		{"kid too long", "t=5,kid=" + strings.Repeat("k", 33) + ",v1=" + sig, 0, 0, ""},
		{"empty", "", 0, 0, ""},
		{"no t", "v1=" + sig, 0, 0, ""},
		{"no v1", "t=5", 0, 0, ""},
		{"two t", "t=5,t=6,v1=" + sig, 0, 0, ""},
		{"negative t", "t=-5,v1=" + sig, 0, 0, ""},
		{"t not a number", "t=soon,v1=" + sig, 0, 0, ""},
		{"t huge", "t=99999999999999999999,v1=" + sig, 0, 0, ""},
		{"v1 not hex", "t=5,v1=" + strings.Repeat("zz", 32), 0, 0, ""},
		{"v1 short", "t=5,v1=abcd", 0, 0, ""},
		{"bare word", "t=5,garbage,v1=" + sig, 0, 0, ""},
		{"empty key", "t=5,=x,v1=" + sig, 0, 0, ""},
		{"too many v1", "t=5" + strings.Repeat(",v1="+sig, 9), 0, 0, ""},
		{"too long", "t=5,v1=" + sig + ",x=" + strings.Repeat("a", 2000), 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sh, err := learninghub.ParseSignatureHeader(tc.header)
			if tc.n == 0 {
				if err == nil || !errors.Is(err, learninghub.ErrBadSignature) {
					t.Fatalf("got %+v, %v; want ErrBadSignature", sh, err)
				}
				return
			}
			if err != nil || sh.Timestamp != tc.ts || len(sh.Signatures) != tc.n || sh.KeyID != tc.kid {
				t.Fatalf("got %+v, %v; want t=%d, kid %q, %d sigs", sh, err, tc.ts, tc.kid, tc.n)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(goodBody)
	good := learninghub.Sign(secret, now.Unix(), body)
	cases := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error // nil: accepted
	}{
		{"good", good, body, now, nil},
		// Within the window either side.
		{"4m late", good, body, now.Add(4 * time.Minute), nil},
		{"4m early", good, body, now.Add(-4 * time.Minute), nil},
		{"stale", good, body, now.Add(6 * time.Minute), learninghub.ErrStale},
		{"from the future", good, body, now.Add(-6 * time.Minute), learninghub.ErrStale},
		{"missing", "", body, now, learninghub.ErrNoSignature},
		{"blank", "   ", body, now, learninghub.ErrNoSignature},
		{"body changed", good, []byte(strings.Replace(goodBody, "evt-1", "evt-2", 1)), now, learninghub.ErrBadSignature},
		{"other secret", learninghub.Sign([]byte("another-secret"), now.Unix(), body), body, now, learninghub.ErrBadSignature},
		// Re-signing under a new timestamp needs the secret.
		{"timestamp swapped", strings.Replace(good, "t=1700000000", "t=1700000100", 1), body, now, learninghub.ErrBadSignature},
		{"garbage", "hello", body, now, learninghub.ErrBadSignature},
		// One good value among several is enough (secret rotation).
		{"rotation", good + ",v1=" + strings.Repeat("00", 32), body, now, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := learninghub.Verify(secret, tc.header, tc.body, tc.now, 5*time.Minute)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
}

// mustKeyring returns a Keyring or fails the test.
func mustKeyring(t testing.TB, active string, keys ...learninghub.Key) *learninghub.Keyring {
	t.Helper()
	k, err := learninghub.NewKeyring(active, keys...)
	if err != nil {
		t.Fatalf("NewKeyring(%q): %v", active, err)
	}
	return k
}

const (
	secretA = "learninghub-key-a-0123456789abcdef0123456789"
	secretB = "learninghub-key-b-fedcba9876543210fedcba9876"
)

func TestNewKeyring(t *testing.T) {
	a, b := learninghub.Key{ID: "2026a", Secret: secretA}, learninghub.Key{ID: "2026b", Secret: secretB}
	cases := []struct {
		name   string
		active string
		keys   []learninghub.Key
		ok     bool
	}{
		{"two keys", "2026b", []learninghub.Key{a, b}, true},
		{"active not in the ring", "2026c", []learninghub.Key{a, b}, false},
		{"no keys", learninghub.DefaultKeyID, nil, false},
		{"ID twice", "2026a", []learninghub.Key{a, {ID: "2026a", Secret: secretB}}, false},
		// Every key needs 32 bytes, not only the active one.
		{"short key", "2026a", []learninghub.Key{a, {ID: "old", Secret: "short"}}, false},
		{"comma in ID", "a,b", []learninghub.Key{{ID: "a,b", Secret: secretA}}, false},
		{"equals in ID", "a=b", []learninghub.Key{{ID: "a=b", Secret: secretA}}, false},
	}
	for _, tc := range cases {
		if _, err := learninghub.NewKeyring(tc.active, tc.keys...); (err == nil) != tc.ok {
			t.Errorf("%s: NewKeyring() error = %v; want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestKeyringRotation: LearningHub signs with key A; B is added and made
// active while A stays to verify; LearningHub's A-signed callbacks (with or
// without kid) and B-signed ones verify; once A is removed, A's are refused.
// The header without kid, as LearningHub's integration sends it today, is
// verified under every key of the ring.
func TestKeyringRotation(t *testing.T) {
	a, b := learninghub.Key{ID: "2026a", Secret: secretA}, learninghub.Key{ID: "2026b", Secret: secretB}
	now := time.Unix(1_700_000_000, 0)
	body := []byte(goodBody)
	verify := func(k *learninghub.Keyring, h string) error { return k.Verify(h, body, now, 5*time.Minute) }

	before := mustKeyring(t, "2026a", a)
	signedA := before.Sign(now.Unix(), body)
	if !strings.Contains(signedA, ",kid=2026a,") {
		t.Fatalf("header %q; want it to name key 2026a", signedA)
	}
	plainA := learninghub.Sign([]byte(secretA), now.Unix(), body) // no kid

	during := mustKeyring(t, "2026b", a, b)
	signedB := during.Sign(now.Unix(), body)
	if !strings.Contains(signedB, ",kid=2026b,") {
		t.Errorf("header %q; want it signed with the active key 2026b", signedB)
	}
	plainB := learninghub.Sign([]byte(secretB), now.Unix(), body)
	for name, h := range map[string]string{"A with kid": signedA, "A without kid": plainA, "B with kid": signedB, "B without kid": plainB} {
		if err := verify(during, h); err != nil {
			t.Errorf("during the rotation, %s: %v; want it accepted", name, err)
		}
	}
	// A header names its key: A's MAC under kid=2026b is refused, as is an unknown kid.
	if err := verify(during, strings.Replace(signedA, "kid=2026a", "kid=2026b", 1)); !errors.Is(err, learninghub.ErrBadSignature) {
		t.Errorf("A's MAC named as B: %v; want ErrBadSignature", err)
	}
	if err := verify(during, strings.Replace(signedA, "kid=2026a", "kid=2027", 1)); !errors.Is(err, learninghub.ErrBadSignature) {
		t.Errorf("unknown kid: %v; want ErrBadSignature", err)
	}

	after := mustKeyring(t, "2026b", b)
	for name, h := range map[string]string{"A with kid": signedA, "A without kid": plainA} {
		if err := verify(after, h); !errors.Is(err, learninghub.ErrBadSignature) {
			t.Errorf("A removed, %s: %v; want ErrBadSignature", name, err)
		}
	}
	for name, h := range map[string]string{"B with kid": signedB, "B without kid": plainB} {
		if err := verify(after, h); err != nil {
			t.Errorf("A removed, %s: %v; want it accepted", name, err)
		}
	}
	// The default key (learninghub.secret) takes LearningHub's headers as they are.
	def := mustKeyring(t, learninghub.DefaultKeyID, learninghub.Key{ID: learninghub.DefaultKeyID, Secret: secretA})
	if err := verify(def, plainA); err != nil {
		t.Errorf("learninghub.secret alone, header without kid: %v; want it accepted", err)
	}
}

func TestParseEvent(t *testing.T) {
	e, err := learninghub.ParseEvent([]byte(goodBody))
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	want := learninghub.Event{EventID: "evt-1", Type: learninghub.TypeCourseCompleted, CourseCode: "CC-PRIVACY-COMMUNITY",
		Learner:    learninghub.Learner{Email: "pat.doe@example.ca", LearningHubID: "LH-42"},
		OccurredAt: time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)}
	if e != want {
		t.Errorf("got %+v; want %+v (email lower-cased)", e, want)
	}

	cases := []struct {
		name  string
		body  string
		field string // "" means a whole-body error
	}{
		{"empty", ``, ""},
		{"not json", `hello`, ""},
		{"array", `[]`, ""},
		{"two objects", goodBody + goodBody, ""},
		{"unknown field", strings.Replace(goodBody, `"eventId"`, `"extra":1,"eventId"`, 1), "extra"},
		{"unknown type", strings.Replace(goodBody, "course.completed", "course.started", 1), "type"},
		{"no type", strings.Replace(goodBody, `"type":"course.completed",`, ``, 1), "type"},
		{"no event id", strings.Replace(goodBody, `"eventId":"evt-1",`, ``, 1), "eventId"},
		{"event id with spaces", strings.Replace(goodBody, `evt-1`, `evt 1`, 1), "eventId"},
		{"no course", strings.Replace(goodBody, `"courseCode":"CC-PRIVACY-COMMUNITY",`, ``, 1), "courseCode"},
		{"bad email", strings.Replace(goodBody, `Pat.Doe@Example.ca`, `not-an-email`, 1), "learner.email"},
		{"no learner", `{"eventId":"e","type":"course.completed","courseCode":"C","occurredAt":"2026-03-01T17:00:00Z"}`, "learner"},
		{"no learning hub id", strings.Replace(goodBody, `,"learningHubId":"LH-42"`, ``, 1), "learner.learningHubId"},
		{"bad time", strings.Replace(goodBody, `2026-03-01T17:00:00Z`, `yesterday`, 1), "occurredAt"},
		{"date only", strings.Replace(goodBody, `2026-03-01T17:00:00Z`, `2026-03-01`, 1), "occurredAt"},
		{"wrong json type", strings.Replace(goodBody, `"evt-1"`, `42`, 1), "eventId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := learninghub.ParseEvent([]byte(tc.body))
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID {
				t.Fatalf("got %v; want an EINVALID domain error", err)
			}
			if tc.field != "" && de.Fields[tc.field] == "" {
				t.Errorf("fields = %v; want one naming %q", de.Fields, tc.field)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	cases := []struct {
		typ, code string
		want      bool
	}{
		{learninghub.TypeCourseCompleted, "CC-PRIVACY-COMMUNITY", true},
		{learninghub.TypeAgreementAcknowledged, "CC-HPCAA", true},
		// Another course, or the agreement's code on a completion, is not ours.
		{learninghub.TypeCourseCompleted, "OTHER-COURSE", false},
		{learninghub.TypeCourseCompleted, "CC-HPCAA", false},
		{learninghub.TypeAgreementAcknowledged, "CC-PRIVACY-COMMUNITY", false},
	}
	for _, tc := range cases {
		e := learninghub.Event{Type: tc.typ, CourseCode: tc.code}
		if got := e.Counts("CC-PRIVACY-COMMUNITY", "CC-HPCAA"); got != tc.want {
			t.Errorf("Counts(%s, %s) = %v; want %v", tc.typ, tc.code, got, tc.want)
		}
	}
}

// The configuration names the default key as this package does.
func TestDefaultKeyIDMatchesConfig(t *testing.T) {
	if config.DefaultKeyID != learninghub.DefaultKeyID {
		t.Fatalf("config.DefaultKeyID = %q; want learninghub.DefaultKeyID %q", config.DefaultKeyID, learninghub.DefaultKeyID)
	}
}
