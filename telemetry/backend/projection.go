// Package backend holds the telemetry of the adapters the API must not
// import (api's TestImports): the projection gauges read from the store,
// and the Temporal SDK's metrics handler, tracing interceptor and request
// ID propagator.
package backend

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"careconnect/store"
)

// GaugeSource reads the projection counts. *store.Store implements it.
type GaugeSource interface {
	Gauges(ctx context.Context) (store.Gauges, error)
}

// ProjectionCollector exports the projections' counts, read at each
// scrape (bounded by a timeout): enrolments by kind, state and waiting_on,
// the escalated and breached ones, the LearningHub backlog and the
// emails the relay retries. One process of a deployment should register
// it (the worker), or every replica reports the same counts.
type ProjectionCollector struct {
	Source  GaugeSource
	Log     *slog.Logger
	Timeout time.Duration
	Now     func() time.Time
}

var (
	enrolmentsDesc = prometheus.NewDesc("careconnect_enrolments",
		"Open and closed enrolments by kind (worksite, person, application), state and who must act next (waiting_on).",
		[]string{"kind", "state", "waiting_on"}, nil)
	escalatedDesc = prometheus.NewDesc("careconnect_enrolments_escalated",
		"Enrolments now escalated for waiting on the team, by kind.", []string{"kind"}, nil)
	breachedDesc = prometheus.NewDesc("careconnect_enrolments_breached",
		"Enrolments now past the team's SLA, by kind.", []string{"kind"}, nil)
	lhPendingDesc = prometheus.NewDesc("careconnect_learninghub_pending_events",
		"LearningHub events stored but not yet delivered to a workflow (some wait for an account).", nil, nil)
	lhDeliverableDesc = prometheus.NewDesc("careconnect_learninghub_deliverable_events",
		"Undelivered LearningHub events an account can take now (the relay's backlog).", nil, nil)
	lhOldestDesc = prometheus.NewDesc("careconnect_learninghub_oldest_pending_age_seconds",
		"Age of the oldest undelivered LearningHub event an account can take now (0 when none).", nil, nil)
	emailsPendingDesc = prometheus.NewDesc("careconnect_emails_pending",
		"Emails in the outbox waiting to be sent.", nil, nil)
	emailsRetryingDesc = prometheus.NewDesc("careconnect_emails_retrying",
		"Emails in the outbox that failed at least once and are retried.", nil, nil)
	emailOldestDesc = prometheus.NewDesc("careconnect_email_oldest_retrying_age_seconds",
		"Age of the oldest email that keeps failing, from when it was queued (0 when none).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("careconnect_projection_scrape_error",
		"1 when the projection counts could not be read at this scrape.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c ProjectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{enrolmentsDesc, escalatedDesc, breachedDesc, lhPendingDesc, lhDeliverableDesc, lhOldestDesc,
		emailsPendingDesc, emailsRetryingDesc, emailOldestDesc, scrapeErrDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c ProjectionCollector) Collect(ch chan<- prometheus.Metric) {
	timeout, now := c.Timeout, time.Now
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	if c.Now != nil {
		now = c.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	g, err := c.Source.Gauges(ctx)
	if err != nil {
		if c.Log != nil {
			c.Log.Warn("metrics: projection counts not read", "error", err)
		}
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 0)
	type key struct{ kind, state, waiting string }
	counts := map[key]float64{}
	escalated := map[string]float64{"worksite": 0, "application": 0}
	breached := map[string]float64{"worksite": 0}
	for _, r := range g.Enrolments {
		counts[key{r.Kind, r.State, r.WaitingOn}] += float64(r.N)
		if r.Escalated {
			escalated[r.Kind] += float64(r.N)
		}
		if r.Breached {
			breached[r.Kind] += float64(r.N)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(enrolmentsDesc, prometheus.GaugeValue, n, k.kind, k.state, k.waiting)
	}
	for k, n := range escalated {
		ch <- prometheus.MustNewConstMetric(escalatedDesc, prometheus.GaugeValue, n, k)
	}
	for k, n := range breached {
		ch <- prometheus.MustNewConstMetric(breachedDesc, prometheus.GaugeValue, n, k)
	}
	age := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return max(0, now().Sub(t).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(lhPendingDesc, prometheus.GaugeValue, float64(g.LearningHubPending))
	ch <- prometheus.MustNewConstMetric(lhDeliverableDesc, prometheus.GaugeValue, float64(g.LearningHubDeliverable))
	ch <- prometheus.MustNewConstMetric(lhOldestDesc, prometheus.GaugeValue, age(g.LearningHubOldest))
	ch <- prometheus.MustNewConstMetric(emailsPendingDesc, prometheus.GaugeValue, float64(g.EmailsPending))
	ch <- prometheus.MustNewConstMetric(emailsRetryingDesc, prometheus.GaugeValue, float64(g.EmailsRetrying))
	ch <- prometheus.MustNewConstMetric(emailOldestDesc, prometheus.GaugeValue, age(g.EmailOldestRetrying))
}
