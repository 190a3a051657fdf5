// Package logging builds the service's structured logger. Every value it
// writes passes through Redact, so email addresses and tokens never reach
// the logs, whichever component logged them.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// jwtRE matches compact JWS/JWE tokens (ID tokens, access tokens).
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*`)
	// bearerRE matches credentials after "Bearer " whatever their shape.
	bearerRE = regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/\-]+=*`)
)

// Redact replaces email addresses and tokens in s.
func Redact(s string) string {
	s = jwtRE.ReplaceAllString(s, "[token]")
	s = bearerRE.ReplaceAllString(s, "Bearer [token]")
	return emailRE.ReplaceAllString(s, "[email]")
}

// New returns a text logger on w at level whose values are redacted.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}))
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(a.Value.String()))
	case slog.KindAny:
		v := a.Value.Any()
		if err, ok := v.(error); ok {
			return slog.String(a.Key, Redact(err.Error()))
		}
		if s, ok := v.(fmt.Stringer); ok {
			return slog.String(a.Key, Redact(s.String()))
		}
		return slog.String(a.Key, Redact(fmt.Sprint(v)))
	}
	return a
}
