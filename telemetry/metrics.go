// Package telemetry holds what an operator watches: the Prometheus
// registry of a process with the business metrics (Metrics), the gauges
// read from the projections at each scrape (ProjectionCollector), the
// Temporal SDK's metrics and tracing interceptor (TemporalOptions), and
// OpenTelemetry tracing (Tracing) with OTLP export when configured.
//
// Names follow Prometheus conventions (careconnect_ prefix, _total for
// counters, base units); every label takes a bounded set of values: a
// route pattern, an email kind, a state, never a person or an ID.
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"careconnect/buildinfo"
	"careconnect/domain"
)

// Metrics is one process's registry and its business counters. Its
// methods are safe on a nil *Metrics (they count nothing), so a test
// may leave it out.
type Metrics struct {
	// Registry is what /metrics on the admin listener serves.
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	rateLimited   *prometheus.CounterVec
	signatureFail prometheus.Counter
	lhReceived    prometheus.Counter
	lhDuplicates  prometheus.Counter
	emailsSent    *prometheus.CounterVec
	emailsFailed  *prometheus.CounterVec
	emailAttempts *prometheus.CounterVec
	escalations   *prometheus.CounterVec
	breaches      *prometheus.CounterVec
}

// NewMetrics returns a registry with the Go runtime, process and build
// collectors and every business counter registered.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_http_requests_total",
			Help: "HTTP requests by method, route pattern and status."}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "careconnect_http_request_duration_seconds",
			Help: "HTTP request latency by method and route pattern.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_rate_limit_refusals_total",
			Help: "Requests refused with 429 by a rate limit, by method and route pattern."}, []string{"method", "route"}),
		signatureFail: prometheus.NewCounter(prometheus.CounterOpts{Name: "careconnect_webhook_signature_failures_total",
			Help: "LearningHub callbacks refused for their signature (missing, wrong, or outside the window)."}),
		lhReceived: prometheus.NewCounter(prometheus.CounterOpts{Name: "careconnect_learninghub_events_received_total",
			Help: "LearningHub events accepted and stored for the first time."}),
		lhDuplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "careconnect_learninghub_events_duplicate_total",
			Help: "LearningHub events received again (acknowledged as duplicates)."}),
		emailsSent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_emails_sent_total",
			Help: "Emails the relay delivered to the mail server, by kind."}, []string{"kind"}),
		emailsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_emails_failed_total",
			Help: "Emails given up for good (refused, or retried past relay.retry_for), by kind."}, []string{"kind"}),
		emailAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_email_attempts_total",
			Help: "Send attempts of the relay by kind and outcome (sent, retry, failed, skipped)."}, []string{"kind", "outcome"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_sla_escalations_total",
			Help: "Reviews escalated to the team for waiting too long, by what waits (application or worksite)."}, []string{"subject"}),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "careconnect_sla_breaches_total",
			Help: "Reviews past the team's SLA, by what waits (application or worksite)."}, []string{"subject"}),
	}
	// Every bounded label value starts at 0, so a rule's increase() and
	// rate() see the first event rather than a series appearing.
	for _, k := range domain.MailKinds() {
		m.emailsSent.WithLabelValues(string(k))
		m.emailsFailed.WithLabelValues(string(k))
	}
	for _, s := range []string{SLAApplication, SLAWorksite} {
		m.escalations.WithLabelValues(s)
		m.breaches.WithLabelValues(s)
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.Collector(), m.requests, m.latency, m.rateLimited, m.signatureFail, m.lhReceived, m.lhDuplicates,
		m.emailsSent, m.emailsFailed, m.emailAttempts, m.escalations, m.breaches)
	return m
}

// Request counts one answered HTTP request; route is the pattern
// ("/api/v1/worksites/:id"), or "unmatched".
func (m *Metrics) Request(method, route string, status int, seconds float64) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(method, route, statusText(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(seconds)
	if status == 429 {
		m.rateLimited.WithLabelValues(method, route).Inc()
	}
}

// WebhookSignatureFailure counts a callback refused for its signature.
func (m *Metrics) WebhookSignatureFailure() {
	if m != nil {
		m.signatureFail.Inc()
	}
}

// LearningHubEvent counts an accepted callback: new, or a duplicate.
func (m *Metrics) LearningHubEvent(duplicate bool) {
	switch {
	case m == nil:
	case duplicate:
		m.lhDuplicates.Inc()
	default:
		m.lhReceived.Inc()
	}
}

// Outcomes of an email attempt (EmailAttempt).
const (
	EmailSent    = "sent"
	EmailRetry   = "retry"
	EmailFailed  = "failed"
	EmailSkipped = "skipped"
)

// EmailAttempt counts one send attempt of an email of kind and how it
// ended (EmailSent, EmailRetry, EmailFailed or EmailSkipped).
func (m *Metrics) EmailAttempt(kind, outcome string) {
	if m == nil {
		return
	}
	m.emailAttempts.WithLabelValues(kind, outcome).Inc()
	switch outcome {
	case EmailSent:
		m.emailsSent.WithLabelValues(kind).Inc()
	case EmailFailed:
		m.emailsFailed.WithLabelValues(kind).Inc()
	}
}

// What waits on the team's SLA (Escalation, Breach).
const (
	SLAApplication = "application"
	SLAWorksite    = "worksite"
)

// Escalation counts a review escalated for waiting (SLAApplication or SLAWorksite).
func (m *Metrics) Escalation(subject string) {
	if m != nil {
		m.escalations.WithLabelValues(subject).Inc()
	}
}

// Breach counts a review past the team's SLA.
func (m *Metrics) Breach(subject string) {
	if m != nil {
		m.breaches.WithLabelValues(subject).Inc()
	}
}

func statusText(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "0"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}
