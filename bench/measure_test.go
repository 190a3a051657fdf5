package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// latencies is a sample of request durations with its error count.
type latencies struct {
	d      []time.Duration
	errors int
	wall   time.Duration
}

// pct is the p-th percentile (0 < p <= 100) by the nearest-rank method.
func (l latencies) pct(p float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}

func (l latencies) rate() float64 { return float64(len(l.d)) / l.wall.Seconds() }

// load runs clients concurrent loops of req for d (after warm of warm-up)
// and returns the latencies of the requests that began after the warm-up.
func load(ctx context.Context, clients int, warm, d time.Duration, req func(ctx context.Context, client int) error) latencies {
	var (
		mu  sync.Mutex
		out latencies
		wg  sync.WaitGroup
	)
	start := time.Now()
	measureFrom, stop := start.Add(warm), start.Add(warm+d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			errs := 0
			for {
				t0 := time.Now()
				if t0.After(stop) || ctx.Err() != nil {
					break
				}
				err := req(ctx, c)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					errs++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			out.d = append(out.d, mine...)
			out.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.wall = time.Since(measureFrom)
	return out
}

// runAll calls f for 0..n-1 with at most conc at once and returns the
// first error and how many failed.
func runAll(ctx context.Context, n, conc int, f func(ctx context.Context, i int) error) (int, error) {
	var (
		next   atomic.Int64
		failed atomic.Int64
		first  error
		mu     sync.Mutex
		wg     sync.WaitGroup
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					failed.Add(1)
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return int(failed.Load()), first
}

// trivialServer is a gin handler that does nothing, in this process, as
// the latency baseline: the same HTTP stack and client, no authentication,
// database or Temporal.
func trivialServer() (string, func(), error) {
	e := gin.New()
	e.GET("/trivial", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
