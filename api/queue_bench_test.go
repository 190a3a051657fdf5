//go:build unix

package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
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
// applications (limit=100; the default page is 50) and 100 worksites. It needs CARECONNECT_TEST_DATABASE_URL;
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
		{"ready", "?limit=100"},
		// Only the items past the escalation threshold.
		{"overdue", "?overdue=true&limit=100"},
		// A worksite type narrows both lists.
		{"pharmacy", "?worksiteType=community_pharmacy&limit=100"},
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
	// The issue's load: 10 closed-loop clients over HTTP (keep-alive), the
	// server and the clients in this one process, as in bench/. One op is
	// one request; p50 and p95 are of the requests' latencies.
	b.Run("ready/10-clients", func(b *testing.B) {
		const clients = 10
		ts := httptest.NewServer(srv)
		defer ts.Close()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		defer hc.CloseIdleConnections()
		var (
			next      atomic.Int64
			latencies = make([]time.Duration, b.N)
			wg        sync.WaitGroup
			failed    atomic.Pointer[error]
		)
		cpu := processCPU(b)
		b.ResetTimer()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
					start := time.Now()
					if err := getQueue(hc, ts.URL+"/api/v1/staff/applications?limit=100"); err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
					latencies[i] = time.Since(start)
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
		b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*95/100].Microseconds())/1000, "p95-ms")
	})
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

// getQueue GETs the queue as the team and reads the whole body.
func getQueue(hc *http.Client, url string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer bench")
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}
