package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Log configures the service's logs.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `mapstructure:"level"`
	// Format is json (one object a line, for a log pipeline) or text.
	Format string `mapstructure:"format"`
}

// Telemetry configures OpenTelemetry tracing. Spans are always made (the
// logs carry their trace IDs); they leave the process only when
// OTLPEndpoint is set.
type Telemetry struct {
	// OTLPEndpoint is the OTLP/HTTP collector's base URL
	// (http://127.0.0.1:4318 or https://...); empty exports nothing (the default).
	OTLPEndpoint string `mapstructure:"otlp_endpoint"`
	// ServiceName is the service.name of the spans.
	ServiceName string `mapstructure:"service_name"`
	// SampleRatio is the share of new traces sampled, 0 to 1; a trace
	// begun upstream keeps its parent's decision.
	SampleRatio float64 `mapstructure:"sample_ratio"`
}

func (c Config) validateTelemetry() error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Format) {
	case "json", "text":
	default:
		return bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	if e := c.Telemetry.OTLPEndpoint; e != "" {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("telemetry.otlp_endpoint", "must be an http(s) URL such as http://127.0.0.1:4318, not %q", e)
		}
	}
	if r := c.Telemetry.SampleRatio; r < 0 || r > 1 {
		return bad("telemetry.sample_ratio", "must be between 0 and 1, not %v", r)
	}
	if c.Telemetry.ServiceName == "" {
		return bad("telemetry.service_name", "must not be empty")
	}
	return nil
}
