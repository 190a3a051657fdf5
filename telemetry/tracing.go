package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"careconnect/buildinfo"
	"careconnect/config"
)

// Tracing is a process's OpenTelemetry tracer provider. It is passed
// down (the API, the Temporal interceptor, the store, the mailer), never
// set as the global one.
type Tracing struct {
	Provider   *sdktrace.TracerProvider
	Propagator propagation.TextMapPropagator
}

// TracerName names the service's own spans.
const TracerName = "careconnect"

// NewTracing builds the provider of c: spans are made and sampled by
// c.SampleRatio (a child follows its parent); they are exported over
// OTLP/HTTP only when c.OTLPEndpoint is set, and to extra (a test's
// in-memory exporter) synchronously.
func NewTracing(c config.Telemetry, extra ...sdktrace.SpanExporter) (*Tracing, error) {
	res := resource.NewSchemaless(attribute.String("service.name", c.ServiceName),
		attribute.String("service.version", buildinfo.Get().Version))
	ratio := c.SampleRatio
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)))}
	if c.OTLPEndpoint != "" {
		u, err := url.Parse(c.OTLPEndpoint)
		if err != nil {
			return nil, fmt.Errorf("telemetry: otlp_endpoint: %w", err)
		}
		eo := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host)}
		if u.Scheme == "http" {
			eo = append(eo, otlptracehttp.WithInsecure())
		}
		if p := u.Path; p != "" && p != "/" {
			eo = append(eo, otlptracehttp.WithURLPath(p))
		}
		exp, err := otlptracehttp.New(context.Background(), eo...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: otlp exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	for _, e := range extra {
		opts = append(opts, sdktrace.WithSyncer(e))
	}
	return &Tracing{Provider: sdktrace.NewTracerProvider(opts...),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}, nil
}

// Tracer is the service's tracer; a nil Tracing gives a tracer that records nothing.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return noop.NewTracerProvider().Tracer(TracerName)
	}
	return t.Provider.Tracer(TracerName)
}

// Close flushes the spans not yet exported and stops the exporters.
func (t *Tracing) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	err := t.Provider.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
