//go:build unix

package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"careconnect/domain"
	"careconnect/store"
	"careconnect/store/storetest"
)

// processCPU is the CPU time this process has used (user and system, every
// thread, the garbage collector's included). Per request it is the API's
// share of the 2-core budget, which ns/op overstates when the machine is
// busy and does not count: ns/op also includes waiting for PostgreSQL.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApplicationQueue measures GET /api/v1/staff/applications, the
// whole HTTP handler on a PostgreSQL database at the issue's scale
// (storetest.IssueScale): 20,000 people, 2,000 worksites, 200 ready
// applications and 300 worksites awaiting approval. The page is 100
// applications and 100 worksites. It needs CARECONNECT_TEST_DATABASE_URL;
// seeding takes a while, so it skips without it rather than assuming the
// local server. Temporal is not involved: the queue reads only the store.
// Besides ns/op it reports cpu-ns/op, the API process's CPU per request.
func BenchmarkApplicationQueue(b *testing.B) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" {
		b.Skipf("set %s to a PostgreSQL admin URL to run this benchmark", storetest.EnvDatabaseURL)
	}
	s, pgURL := storetest.NewPostgres(b)
	storetest.SeedQueue(b, s, storetest.IssueScale)
	storetest.Analyze(b, pgURL)
	srv := newQueueServer(s, storetest.QueueNow)
	for _, q := range []struct{ name, query string }{
		// The team's default view: every ready application and worksite awaiting approval.
		{"ready", ""},
		// Only the items past the escalation threshold.
		{"overdue", "?overdue=true"},
		// A worksite type narrows both lists.
		{"pharmacy", "?worksiteType=community_pharmacy"},
	} {
		b.Run(q.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/staff/applications"+q.query, nil)
			req.Header.Set("Authorization", "Bearer bench")
			var size int
			cpu := processCPU(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
	ctx := context.Background()
	b.Run("store/ListApplications", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListApplications(ctx, store.ApplicationFilter{State: string(domain.AppReady)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store/ListWorksites", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListWorksites(ctx, store.WorksiteFilter{State: string(domain.WorksiteAwaitingReview)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
