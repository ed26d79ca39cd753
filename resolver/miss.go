package resolver

// miss.go: the fast miss path. A plain UDP query (see fastpath.go) for a
// name that no cache entry holds is sent upstream from the read loop
// itself, with no goroutine: its state (missQuery, pooled) waits in the
// upstream socket's pending table, and the socket's reader goroutine, when
// the answer comes, caches it from its bytes (putWire), writes the
// client's answer from the new entry exactly as a cache hit would
// (fromEntry) and sends it from the client's own listening socket.
// Concurrent misses for one key wait on the first one's upstream query.
//
// Anything unusual goes to the general path (handleMsg, on a goroutine
// that inherits the miss's in-flight slot), which answers as it always
// does: an upstream error or time-out, SERVFAIL, REFUSED, TC, an answer
// that cannot be cached from its bytes, a CNAME into a listed name, an
// answer too big for the client's UDP size. The general path is also
// taken up front when the first upstream is not UDP or is backing off,
// or MaxInFlight queries are already in flight.

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/scamblock/scamblock/lists"
)

// missQuery is one client's query on the fast miss path.
type missQuery struct {
	s      *Server
	loop   *udpLoop
	from   netip.AddrPort
	raw    [maxMissQuery]byte // the client's query
	q      wireQuery          // parsed; q.raw points into raw
	key    cacheKey
	up     query // what is asked upstream
	u      *upstreamState
	sent   time.Time
	joined *missQuery // further clients with the same key, answered together
}

// maxMissQuery bounds the size of a query that takes the fast miss path.
const maxMissQuery = 512

var missQueries = sync.Pool{New: func() any { return new(missQuery) }}

// missTable holds the misses in flight by key, for coalescing.
type missTable struct {
	mu sync.Mutex
	m  map[cacheKey]*missQuery
}

// startMiss sends q (parsed by the fast path, its fqdn in the loop's name
// buffer) upstream and returns true, or false when the query must take the
// general path instead.
func (l *udpLoop) startMiss(q *wireQuery, from netip.AddrPort) bool {
	s := l.s
	f := s.forward
	if len(q.raw) > maxMissQuery || s.fast == nil {
		return false
	}
	now := time.Now()
	u := f.ups[0]
	if len(f.ups) > 1 {
		var buf [8]*upstreamState
		u = f.order(buf[:0], now)[0]
	}
	if down, _ := u.rank(now); down || u.conn.udp == nil {
		return false
	}
	if s.limit != nil {
		if limited, slip := s.limit.limited(from.Addr(), false); limited {
			s.metrics.query(q.qtype, OutcomeRateLimited)
			s.logQuery(from.Addr(), q.name(), q.qtype, OutcomeRateLimited, -1, lists.Hit{}, "", q.start)
			if slip {
				l.c.WriteToUDPAddrPort(slipAnswer(append([]byte(nil), q.raw[:q.qend]...)), from)
			}
			return true
		}
	}
	select {
	case s.sem <- struct{}{}:
	default:
		return false
	}
	m := missQueries.Get().(*missQuery)
	m.s, m.loop, m.from, m.u, m.sent = s, l, from, u, now
	n := copy(m.raw[:], q.raw)
	m.q = *q
	m.q.raw = m.raw[:n]
	m.q.fqdn = strings.Clone(q.fqdn) // the loop's name buffer is reused by the next datagram
	m.key = m.q.key()
	m.up = query{name: m.q.fqdn, qtype: q.qtype, qclass: m.key.qclass, cd: m.key.cd, do: m.key.do}
	l.inflight.Add(1)

	f.misses.mu.Lock()
	if lead := f.misses.m[m.key]; lead != nil {
		m.joined, lead.joined = lead.joined, m
		f.misses.mu.Unlock()
		return true
	}
	f.misses.m[m.key] = m
	f.misses.mu.Unlock()
	if err := u.conn.udp.send(m, now.Add(min(f.tryTimeout, f.totalTimeout))); err != nil {
		m.done(nil, err)
	}
	return true
}

// done receives the upstream's answer to m (raw, valid only during the
// call) or the error that ended the wait, and answers m and every query
// joined to it.
func (m *missQuery) done(raw []byte, err error) {
	s := m.s
	f := s.forward
	now := time.Now()
	f.misses.mu.Lock()
	if f.misses.m[m.key] == m {
		delete(f.misses.m, m.key)
	}
	f.misses.mu.Unlock()

	var e *cacheEntry
	rtt := now.Sub(m.sent)
	m.u.record(rtt, err)
	f.metrics.upstreamDone(m.u.conn.up, rtt, err)
	cnow := s.cache.now() // the cache's clock (tests set it)
	if err == nil {
		e = s.cache.putWire(m.key, raw, cnow)
		f.outage.over(s.log)
	}
	out := s.packBufs.get()
	defer s.packBufs.put(out)
	for q := m; q != nil; {
		next := q.joined
		q.joined = nil
		q.answer(e, raw, cnow, *out)
		q = next
	}
}

// answer writes the answer from entry e made from the upstream's reply
// raw (e nil: the general path answers). The TTLs are the upstream's, as
// the general path forwards them; the entry keeps them clamped.
func (m *missQuery) answer(e *cacheEntry, raw []byte, now time.Time, out []byte) {
	s := m.s
	if e != nil {
		if ans, ok := s.fast.fromEntry(&m.q, e, now, out); ok && len(ans) <= m.q.limit {
			for _, off := range e.ttlOffs {
				copy(ans[off:off+4], raw[off:])
			}
			s.metrics.query(m.q.qtype, OutcomeForwarded)
			s.logQuery(m.from.Addr(), m.q.name(), m.q.qtype, OutcomeForwarded, int(ans[3]&0x0F), lists.Hit{}, m.u.conn.name, m.q.start)
			m.loop.c.WriteToUDPAddrPort(ans, m.from)
			m.release()
			return
		}
	}
	go func() {
		out := s.packBufs.get()
		defer s.packBufs.put(out)
		// The query's ResolveTimeout started when it was sent upstream.
		ctx, cancel := context.WithDeadline(m.loop.ctx, m.sent.Add(s.forward.totalTimeout))
		defer cancel()
		if ans := s.handleMsg(ctx, m.q.raw, m.from.Addr(), false, *out); ans != nil {
			m.loop.c.WriteToUDPAddrPort(ans, m.from)
		}
		m.release()
	}()
}

// release frees m's in-flight slot and returns it to the pool.
func (m *missQuery) release() {
	s, l := m.s, m.loop
	*m = missQuery{}
	missQueries.Put(m)
	<-s.sem
	l.inflight.Done()
}
