package logging

import (
	"bytes"
	"errors"
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
