package api

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimiterClients bounds the per-client table; when full, entries idle
// for a minute are dropped, and if none are, the table starts afresh (a
// flood of addresses resets everyone's bucket rather than eating memory).
const maxLimiterClients = 10000

// limiter is a token bucket per client address.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{rate: r, burst: burst, clients: make(map[string]*clientBucket)}
}

// allow takes one token for key; when none is left it says how long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= maxLimiterClients {
			l.prune(now)
		}
		c = &clientBucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *limiter) prune(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) > time.Minute {
			delete(l.clients, k)
		}
	}
	if len(l.clients) >= maxLimiterClients {
		clear(l.clients)
	}
}

// clientKey is the client's address as the connection shows it (proxy
// headers are not trusted); IPv6 clients are grouped by /64, since one
// host usually holds a whole /64.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
