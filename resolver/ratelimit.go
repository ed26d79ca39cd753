package resolver

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/ratelimit"
)

// RateLimit limits UDP queries per client prefix (package ratelimit: a
// token bucket per IPv4 /24 and IPv6 /56 by default, memory bounded). A
// query over the rate is dropped, except every slip-th, which is answered
// with an empty TC=1 answer so that a real client behind a busy prefix
// retries over TCP (the "slip" of BIND's response rate limiting). Dropping
// gives a spoofed-source flood almost nothing to reflect: the reflection
// ratio is counted in EXPERIMENTS of bench/README.md. TCP queries are not
// limited: their source cannot be spoofed, and a slipped client must get
// through there.
type RateLimit struct {
	lim     *ratelimit.Limiter
	slip    uint64 // 0: drop every limited query
	n       atomic.Uint64
	next    Handler
	metrics *metrics // set once New has built them
}

// limited reports whether a query from client is over the rate and, if
// so, whether it is answered truncated (slip) rather than dropped.
func (l *RateLimit) limited(client netip.Addr, tcp bool) (limited, slip bool) {
	if tcp || l.lim.Allow(client, time.Now()) {
		return false, false
	}
	if l.slip > 0 && l.n.Add(1)%l.slip == 0 {
		l.metrics.rateLimited[1].Inc()
		return true, true
	}
	l.metrics.rateLimited[0].Inc()
	return true, false
}

// ServeDNS drops the query, answers it truncated, or passes it on.
func (l *RateLimit) ServeDNS(ctx context.Context, req *Request) Response {
	limited, slip := l.limited(req.Client, req.TCP)
	switch {
	case !limited:
		return l.next.ServeDNS(ctx, req)
	case slip:
		return Response{Msg: &dns.Msg{MsgHdr: dns.MsgHdr{Truncated: true}}, Outcome: OutcomeRateLimited}
	default:
		return Response{Outcome: OutcomeRateLimited}
	}
}
