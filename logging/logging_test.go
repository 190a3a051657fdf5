package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"email", "sent to dalia@proctor.example.ca ok", "sent to [email] ok"},
		{"jwt", "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl refused", "token [token] refused"},
		{"bearer", "Authorization: Bearer abc.def-123", "Authorization: Bearer [token]"},
		{"plain text stays", "worksite K4T6CLP approved", "worksite K4T6CLP approved"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("%s: Redact(%q) = %q; want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestLoggerRedactsEveryKindOfValue(t *testing.T) {
	var b bytes.Buffer
	log := New(&b, slog.LevelInfo)
	log.Info("mail to a@b.ca", "to", "x@y.ca", "error", errors.New("smtp: rcpt c@d.ca refused"),
		"list", []string{"e@f.ca"}, "tok", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
	out := b.String()
	for _, leak := range []string{"a@b.ca", "x@y.ca", "c@d.ca", "e@f.ca", "eyJ"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line %q contains %q", out, leak)
		}
	}
	if !strings.Contains(out, "[email]") || !strings.Contains(out, "[token]") {
		t.Errorf("log line %q lacks the redaction markers", out)
	}
}

func TestJSONWithRequestIDAndLevel(t *testing.T) {
	var b bytes.Buffer
	log, err := Open(&b, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(t.Context(), "req-42")
	log.InfoContext(ctx, "below the level")
	log.WarnContext(ctx, "kept", "to", "x@y.ca")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines %q; want 1 (info is below warn)", len(lines), b.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("line %q is not JSON: %v", lines[0], err)
	}
	if rec["request_id"] != "req-42" || rec["msg"] != "kept" || rec["to"] != "[email]" {
		t.Errorf("record %v; want request_id req-42, msg kept, to [email]", rec)
	}
}

func TestOpenRefusesUnknownSettings(t *testing.T) {
	if _, err := Open(io.Discard, "loud", "json"); err == nil {
		t.Error("level loud accepted")
	}
	if _, err := Open(io.Discard, "info", "xml"); err == nil {
		t.Error("format xml accepted")
	}
}
