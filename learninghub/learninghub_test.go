package learninghub_test

import (
	"errors"
	"strings"
	"testing"
	"time"

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
	}{
		{"plain", "t=1700000000,v1=" + sig, 1700000000, 1},
		// Spaces around parts and around = are tolerated.
		{"spaces", " t = 1700000000 , v1= " + sig + " ", 1700000000, 1},
		// Several v1 values: the sender is rotating secrets.
		{"several v1", "t=5,v1=" + sig + ",v1=" + strings.Repeat("cd", 32), 5, 2},
		// Unknown schemes are skipped.
		{"other scheme", "t=5,v0=zzz,v1=" + sig, 5, 1},
		{"order free", "v1=" + sig + ",t=5", 5, 1},
		{"empty", "", 0, 0},
		{"no t", "v1=" + sig, 0, 0},
		{"no v1", "t=5", 0, 0},
		{"two t", "t=5,t=6,v1=" + sig, 0, 0},
		{"negative t", "t=-5,v1=" + sig, 0, 0},
		{"t not a number", "t=soon,v1=" + sig, 0, 0},
		{"t huge", "t=99999999999999999999,v1=" + sig, 0, 0},
		{"v1 not hex", "t=5,v1=" + strings.Repeat("zz", 32), 0, 0},
		{"v1 short", "t=5,v1=abcd", 0, 0},
		{"bare word", "t=5,garbage,v1=" + sig, 0, 0},
		{"empty key", "t=5,=x,v1=" + sig, 0, 0},
		{"too many v1", "t=5" + strings.Repeat(",v1="+sig, 9), 0, 0},
		{"too long", "t=5,v1=" + sig + ",x=" + strings.Repeat("a", 2000), 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, sigs, err := learninghub.ParseSignatureHeader(tc.header)
			if tc.n == 0 {
				if err == nil || !errors.Is(err, learninghub.ErrBadSignature) {
					t.Fatalf("got %d %x, %v; want ErrBadSignature", ts, sigs, err)
				}
				return
			}
			if err != nil || ts != tc.ts || len(sigs) != tc.n {
				t.Fatalf("got %d, %d sigs, %v; want %d, %d sigs", ts, len(sigs), err, tc.ts, tc.n)
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
