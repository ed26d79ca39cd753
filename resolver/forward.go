package resolver

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Forward is the last stage: it sends the query to the upstreams, the
// fastest healthy one first (smoothed round-trip time, EWMA), failing over to
// the next on a time-out, a network error, SERVFAIL or REFUSED. When none
// answers within the total budget it answers SERVFAIL with EDE 22 (No
// Reachable Authority, all timed out) or 23 (Network Error).
type Forward struct {
	ups          []*upstreamState
	tryTimeout   time.Duration // one attempt
	totalTimeout time.Duration // all attempts together
	log          *slog.Logger
	metrics      *metrics
	sweeper      *sweeper  // time-outs of every upstream's pending queries
	misses       missTable // the fast miss path's queries in flight (miss.go)
	outage       outage    // logs when no upstream answers, once per outage (outage.go)
}

type upstreamState struct {
	conn *upstreamConn

	mu       sync.Mutex
	srtt     time.Duration // smoothed RTT; starts at 0 so untried upstreams are tried early
	failures int           // consecutive failures
	downTill time.Time     // skipped (tried last) until then
}

const (
	ewmaWeight  = 0.3 // weight of a new sample
	failPenalty = 2 * time.Second
	maxBackoff  = 30 * time.Second
	baseBackoff = time.Second
)

func (u *upstreamState) record(rtt time.Duration, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		u.failures++
		u.srtt = time.Duration(float64(u.srtt)*(1-ewmaWeight) + float64(failPenalty)*ewmaWeight)
		back := baseBackoff << min(u.failures-1, 5)
		u.downTill = time.Now().Add(min(back, maxBackoff))
		return
	}
	u.failures = 0
	u.downTill = time.Time{}
	if u.srtt == 0 {
		u.srtt = rtt
	} else {
		u.srtt = time.Duration(float64(u.srtt)*(1-ewmaWeight) + float64(rtt)*ewmaWeight)
	}
}

func (u *upstreamState) rank(now time.Time) (down bool, srtt time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return now.Before(u.downTill), u.srtt
}

// order returns the upstreams in the order to try them: healthy ones by
// smoothed RTT, then those backing off after failures (still tried, last).
func (f *Forward) order(buf []*upstreamState, now time.Time) []*upstreamState {
	if len(f.ups) == 1 {
		return append(buf[:0], f.ups[0])
	}
	type ranked struct {
		u    *upstreamState
		down bool
		srtt time.Duration
	}
	var arr [8]ranked
	rs := arr[:0]
	for _, u := range f.ups {
		down, srtt := u.rank(now)
		rs = append(rs, ranked{u, down, srtt})
	}
	before := func(a, b ranked) bool {
		if a.down != b.down {
			return !a.down
		}
		return a.srtt < b.srtt
	}
	for i := 1; i < len(rs); i++ { // insertion sort: stable, a handful of upstreams
		for j := i; j > 0 && before(rs[j], rs[j-1]); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	buf = buf[:0]
	for _, r := range rs {
		buf = append(buf, r.u)
	}
	return buf
}

// ServeDNS forwards the query.
func (f *Forward) ServeDNS(ctx context.Context, req *Request) Response {
	switch req.Qtype {
	case dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB:
		return Response{Msg: reply(dns.RcodeNotImplemented), Outcome: OutcomeNotImp,
			EDE: &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNotSupported, ExtraText: "zone transfers are not forwarded"}}
	}
	start := time.Now()
	end := start.Add(f.totalTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(end) {
		end = d // what is left of a fast miss's budget (miss.go)
	}
	q := query{name: req.Name, qtype: req.Qtype, qclass: req.Qclass, cd: req.Msg.CheckingDisabled, do: req.DO}

	var buf [8]*upstreamState
	var lastErr error
	var last *dns.Msg
	allTimeouts := true
	for _, u := range f.order(buf[:0], start) {
		if ctx.Err() != nil || !start.Before(end) {
			break
		}
		deadline := start.Add(f.tryTimeout)
		if deadline.After(end) {
			deadline = end
		}
		r, err := u.conn.exchange(ctx, &q, deadline)
		now := time.Now()
		rtt := now.Sub(start)
		start = now
		if err == nil && (r.Rcode == dns.RcodeServerFailure || r.Rcode == dns.RcodeRefused) {
			u.record(rtt, nil) // it answered; it is just unable to
			last = r
			allTimeouts = false
			continue
		}
		u.record(rtt, err)
		f.metrics.upstreamDone(u.conn.up, rtt, err)
		if err != nil {
			lastErr = err
			if !isTimeout(err) {
				allTimeouts = false
			}
			f.log.Debug("upstream failed", "upstream", u.conn.up.String(), "qname", req.Name, "err", err)
			continue
		}
		f.outage.over(f.log)
		return Response{Msg: r, Outcome: OutcomeForwarded, Upstream: u.conn.up.String()}
	}
	if last != nil {
		return Response{Msg: last, Outcome: OutcomeServfail}
	}
	code := dns.ExtendedErrorCodeNetworkError
	text := "no upstream reachable"
	if allTimeouts {
		code = dns.ExtendedErrorCodeNoReachableAuthority
		text = "upstreams timed out"
	}
	if lastErr != nil {
		f.log.Debug("no upstream answered", "qname", req.Name, "err", lastErr)
		f.outage.begin(f.log, f.ups, lastErr)
	}
	return Response{Msg: reply(dns.RcodeServerFailure), Outcome: OutcomeServfail,
		EDE: &dns.EDNS0_EDE{InfoCode: code, ExtraText: text}}
}

func (f *Forward) close() {
	f.sweeper.close()
	for _, u := range f.ups {
		u.conn.close()
	}
}
