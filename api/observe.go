package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// learningHubRoute is the callback's route pattern, whose answers the
// metrics count as LearningHub events and signature failures.
const learningHubRoute = "/webhooks/learninghub"

// observe is each request's span, metrics and access log line. It runs
// after routing, so it knows the route pattern; it names no path value,
// query or body: a path holds tokens and IDs, the route pattern does not.
// The access log line says method, route, status, duration, request ID
// and the caller's role, and nothing about who they are.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	ctx := s.propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
	ctx, span := s.tracer.Start(ctx, c.Request.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", c.Request.Method), attribute.String("http.route", route),
			attribute.String("careconnect.request_id", requestID(c))))
	defer span.End()
	c.Request = c.Request.WithContext(ctx)

	c.Next()

	status := c.Writer.Status()
	elapsed := time.Since(start)
	role := "anonymous"
	if p := principal(c); p != nil && p.Role != "" {
		role = string(p.Role)
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("careconnect.role", role))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	s.metrics.Request(c.Request.Method, route, status, elapsed.Seconds())
	if route == learningHubRoute && c.Request.Method == http.MethodPost {
		switch status {
		case http.StatusAccepted:
			s.metrics.LearningHubEvent(false)
		case http.StatusOK:
			s.metrics.LearningHubEvent(true)
		case http.StatusUnauthorized:
			s.metrics.WebhookSignatureFailure()
		}
	}
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	s.log.LogAttrs(ctx, level, "request", slog.String("method", c.Request.Method), slog.String("route", route),
		slog.Int("status", status), slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("role", role))
}
