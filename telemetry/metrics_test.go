package telemetry

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics: a nil *Metrics counts nothing and does not panic; a real
// one counts 429s as rate-limit refusals and splits email outcomes.
func TestMetrics(t *testing.T) {
	var none *Metrics
	none.Request("GET", "/x", 429, 0.1)
	none.EmailAttempt("k", EmailSent)
	none.Escalation(SLAWorksite)

	m := NewMetrics()
	m.Request("GET", "/api/v1/declarations/:token", 429, 0.01)
	m.Request("GET", "/api/v1/declarations/:token", 200, 0.01)
	m.EmailAttempt("worksite_registered", EmailRetry)
	m.EmailAttempt("worksite_registered", EmailFailed)
	want := `
# HELP careconnect_rate_limit_refusals_total Requests refused with 429 by a rate limit, by method and route pattern.
# TYPE careconnect_rate_limit_refusals_total counter
careconnect_rate_limit_refusals_total{method="GET",route="/api/v1/declarations/:token"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "careconnect_rate_limit_refusals_total"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(m.emailsFailed.WithLabelValues("worksite_registered")); got != 1 {
		t.Errorf("emails failed = %v; want 1", got)
	}
	if got := testutil.ToFloat64(m.emailsSent.WithLabelValues("worksite_registered")); got != 0 {
		t.Errorf("emails sent = %v; want 0", got)
	}
}
