package resolver

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit drops queries from a client beyond rate per second (with
// burst). Dropping, rather than answering REFUSED, gives a spoofed-source
// flood nothing to reflect. The table of clients is bounded: when it grows
// past maxClients, clients whose bucket is full again are forgotten.
type RateLimit struct {
	limit rate.Limit
	burst int
	next  Handler

	mu      sync.Mutex
	clients map[netip.Addr]*rate.Limiter
}

const maxClients = 65536

// ServeDNS drops the query when the client is over its rate. TCP queries are
// not limited: their source address cannot be spoofed.
func (l *RateLimit) ServeDNS(ctx context.Context, req *Request) Response {
	if !req.TCP && !l.allow(req.Client) {
		return Response{Outcome: OutcomeRateLimited}
	}
	return l.next.ServeDNS(ctx, req)
}

func (l *RateLimit) allow(ip netip.Addr) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.clients[ip]
	if lim == nil {
		if len(l.clients) >= maxClients {
			for k, v := range l.clients {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.clients, k)
				}
			}
			if len(l.clients) >= maxClients {
				clear(l.clients) // a flood of distinct sources: start over
			}
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[ip] = lim
	}
	return lim.AllowN(now, 1)
}
