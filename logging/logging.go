// Package logging builds the service's structured logger: JSON lines (or
// text, for a terminal) at a configured level. Every value it writes
// passes through Redact, so email addresses and tokens never reach the
// logs, whichever component logged them. A record logged with a context
// carries the request ID (WithRequestID) and the trace ID of the context,
// so one ID follows an action from the API to the workflows and activities.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"go.opentelemetry.io/otel/trace"
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

// Formats of Open.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// New returns a JSON logger on w at level whose values are redacted.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr})})
}

// Open returns the logger of the log.level and log.format settings:
// level is debug, info, warn or error; format is json or text.
func Open(w io.Writer, level, format string) (*slog.Logger, error) {
	l, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l, ReplaceAttr: redactAttr}
	switch strings.ToLower(format) {
	case FormatJSON, "":
		return slog.New(contextHandler{slog.NewJSONHandler(w, opts)}), nil
	case FormatText:
		return slog.New(contextHandler{slog.NewTextHandler(w, opts)}), nil
	}
	return nil, fmt.Errorf("logging: format %q: want json or text", format)
}

// ParseLevel reads debug, info, warn or error (any case).
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("logging: level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request ID id; records logged
// with it carry request_id.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// contextHandler adds the request ID and trace ID of a record's context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := RequestID(ctx); id != "" {
			r.AddAttrs(slog.String("request_id", id))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
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
