package api

import (
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"careconnect/config"
	"careconnect/domain"
)

// limiter is a token bucket per key (route and client address) that
// admits perMin requests a minute, a minute's worth at once; guarded by mu.
type limiter struct {
	mu      sync.Mutex
	perMin  int
	clients map[string]*clientLimit
}

type clientLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMin: perMinute, clients: map[string]*clientLimit{}}
}

// allow takes one request from key's bucket at now. When the bucket is
// empty it takes nothing and says how long until a request would pass.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.clients) > 10000 { // forget idle clients so the map stays bounded
		for k, cl := range l.clients {
			if now.Sub(cl.seen) > 10*time.Minute {
				delete(l.clients, k)
			}
		}
	}
	cl, ok := l.clients[key]
	if !ok {
		cl = &clientLimit{lim: rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)}
		l.clients[key] = cl
	}
	cl.seen = now
	r := cl.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now) // a refused request costs nothing
		return false, wait
	}
	return true, 0
}

// limits are the Server's allowances, one limiter each.
type limits struct {
	auth, declarations, links, search, webhook *limiter
}

func newLimits(c config.Config) limits {
	rl := c.HTTP.RateLimits
	return limits{auth: newLimiter(c.Auth.RateLimitPerMinute), declarations: newLimiter(rl.Declarations),
		links: newLimiter(rl.Links), search: newLimiter(rl.Search), webhook: newLimiter(rl.Webhook)}
}

// trustProxies makes gin's ClientIP believe X-Forwarded-For only from the
// configured proxies (http.trusted_proxies). gin trusts every peer unless
// told otherwise, which would let any client name its own address.
func (s *Server) trustProxies(e *gin.Engine) {
	e.ForwardedByClientIP = true
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	e.TrustedPlatform = ""
	if err := e.SetTrustedProxies(s.cfg.HTTP.TrustedProxies); err != nil {
		// config.Validate checks every entry, so this is a bug: trust nobody.
		s.log.Error("http.trusted_proxies refused; trusting no proxy", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
}

// clientKey is the address a client's allowance is kept under: its IPv4
// address, or the /64 of its IPv6 address (one subscriber's share).
func clientKey(c *gin.Context) string {
	ip := net.ParseIP(c.ClientIP())
	if ip == nil {
		return c.ClientIP()
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// limit bounds how often one client address may call the route: l's
// allowance, in a bucket per route and method. Past it the answer is 429 with
// Retry-After, the whole seconds until the next call would pass.
func (s *Server) limit(l *limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := l.allow(c.Request.Method+" "+c.FullPath()+"|"+clientKey(c), s.now())
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(secs))
		writeError(c, s.log, domain.Errorf(domain.ERATELIMITED, "too many requests; wait %d seconds and try again", secs))
	}
}

// rateLimited bounds sign-in, registration and password resets
// (auth.rate_limit_per_minute).
func (s *Server) rateLimited(c *gin.Context) { s.limit(s.limits.auth)(c) }
