package backend

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"

	"careconnect/telemetry"
)

// TemporalMetrics is the Temporal SDK's metrics handler (the SDK's
// OpenTelemetry handler) exporting to reg through OpenTelemetry's
// Prometheus exporter: temporal_workflow_task_schedule_to_start_latency_seconds,
// temporal_workflow_task_execution_failed_total, temporal_sticky_cache_size
// and the rest the SDK emits, with its bounded labels (namespace, task
// queue, workflow and activity type).
func TemporalMetrics(reg prometheus.Registerer) (client.MetricsHandler, error) {
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	// Seconds, not OpenTelemetry's default buckets (made for milliseconds).
	secs := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: prometheus.DefBuckets}})
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(secs))
	h := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: mp.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true, OnError: func(error) {}})
	// The failure counters the alert rules watch start at 0 (the SDK
	// makes a series at its first failure only).
	for _, name := range alertedCounters {
		h.Counter(name).Inc(0)
	}
	return h, nil
}

// alertedCounters are the SDK counters deploy/observability uses.
var alertedCounters = []string{"temporal_workflow_task_execution_failed", "temporal_request_failure",
	"temporal_sticky_cache_miss", "temporal_sticky_cache_hit", "temporal_activity_execution_failed",
	"temporal_local_activity_execution_failed"}

// TemporalTracing is the SDK's OpenTelemetry tracing interceptor on t's
// provider: a client call (start, update, signal) makes a span whose
// context travels in the Temporal headers, so the workflow run, its
// update handlers and the activities they run are spans of the same trace.
func TemporalTracing(t *telemetry.Tracing) (interceptor.Interceptor, error) {
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: t.Provider.Tracer("temporal-sdk-go"),
		TextMapPropagator: t.Propagator})
	if err != nil {
		return nil, fmt.Errorf("telemetry: temporal tracing: %w", err)
	}
	return ti, nil
}
