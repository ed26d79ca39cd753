package resolver

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// Cache answers repeated questions from memory and keeps answers for
// serve-stale. Entries are keyed by lower-case name, type, class and the DO
// bit; TTLs count down on hits; positive TTLs are clamped to
// [MinTTL, MaxTTL] and negative answers (NXDOMAIN, NODATA) are cached for
// min(SOA TTL, SOA minimum) as RFC 2308 says, at most MaxNegTTL. The cache
// holds at most Size entries and evicts the least recently used (per shard:
// see shards).
//
// Serve-stale (RFC 8767): when the next stage cannot answer (SERVFAIL from
// the forwarder), an entry that expired less than StaleAge ago is answered
// with TTL 30 and EDE 3 (Stale Answer) or 19 (Stale NXDOMAIN Answer). When
// such an entry exists and the upstreams are slow, the stale answer goes out
// after staleWait (the RFC's client-response timer, 1.8 s by default) while
// the refresh goes on and updates the cache when it arrives.
type Cache struct {
	next      Handler
	size      int
	minTTL    time.Duration
	maxTTL    time.Duration
	maxNegTTL time.Duration
	staleAge  time.Duration // 0: serve-stale off
	staleWait time.Duration // answer stale after this long when a stale entry exists; 0: wait for upstreams
	now       func() time.Time

	// The entries are split into shards by a hash of the name, each with
	// its own lock, map and LRU list, so that read loops on different
	// cores rarely wait for each other. Small caches have one shard (an
	// exact LRU); larger ones up to maxCacheShards of at least
	// minShardSize entries, each evicting its own least recently used.
	shards []cacheShard
	mask   uint64
	seed   maphash.Seed

	// flight coalesces misses: concurrent queries for the same key (name,
	// type, class, DO, CD) share one upstream query and its answer, on the
	// miss path and on the serve-stale refresh path alike.
	flight singleflight.Group
}

const (
	maxCacheShards = 64
	minShardSize   = 256
)

type cacheShard struct {
	mu   sync.Mutex
	m    map[cacheKey]*cacheEntry
	lru  cacheEntry // sentinel: lru.next is the most recently used
	size int        // entry bound of this shard
	_    [64]byte   // keep neighbouring shards' locks off this cache line
}

type cacheKey struct {
	name          string
	qtype, qclass uint16
	do, cd        bool // DNSSEC OK; checking disabled (possibly bogus data must not reach CD=0 clients)
}

type cacheEntry struct {
	key        cacheKey
	msg        *dns.Msg // never modified after insert; nil for entries from putWire (see message)
	wire       []byte   // msg packed for the fast path (nil: none); see packWire
	qend       int      // end of the question in wire
	ttlOffs    []uint16 // offsets of the TTLs in wire
	targets    []string // CNAME and DNAME targets in the answer, rechecked on fast hits
	stored     time.Time
	expires    time.Time
	prev, next *cacheEntry
}

// staleTTL is the TTL of stale answers (RFC 8767 section 4 recommends 30 s).
const staleTTL = 30

func newCache(next Handler, size int, minTTL, maxTTL, maxNegTTL, staleAge time.Duration) *Cache {
	c := &Cache{next: next, size: size, minTTL: minTTL, maxTTL: maxTTL, maxNegTTL: maxNegTTL,
		staleAge: staleAge, now: time.Now, seed: maphash.MakeSeed()}
	n := 1
	for n < maxCacheShards && size/(2*n) >= minShardSize {
		n *= 2
	}
	c.shards, c.mask = make([]cacheShard, n), uint64(n-1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.size = max(size/n, 0)
		if i < size%n {
			sh.size++
		}
		sh.m = make(map[cacheKey]*cacheEntry)
		sh.lru.next, sh.lru.prev = &sh.lru, &sh.lru
	}
	return c
}

// shard returns the shard that holds key.
func (c *Cache) shard(key cacheKey) *cacheShard {
	if c.mask == 0 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key.name)&c.mask]
}

// ServeDNS answers from the cache, or asks the next stage and caches its answer.
func (c *Cache) ServeDNS(ctx context.Context, req *Request) Response {
	key := cacheKey{name: req.Name, qtype: req.Qtype, qclass: req.Qclass, do: req.DO, cd: req.Msg.CheckingDisabled}
	now := c.now()
	msg, stored, fresh := c.get(key, now)
	if msg != nil && fresh {
		return Response{Msg: withTTLs(msg, stored, now, 0), Outcome: OutcomeCached}
	}
	var resp Response
	if msg != nil && c.staleWait > 0 {
		// RFC 8767 client-response timer: ask upstream, but answer stale if
		// it takes longer than staleWait; a late answer still refreshes the cache.
		done := make(chan Response, 1)
		go func() { done <- c.fetch(ctx, req, key) }()
		timer := time.NewTimer(c.staleWait)
		select {
		case resp = <-done:
			timer.Stop()
			if resp.Outcome == OutcomeForwarded {
				return resp
			}
		case <-timer.C:
			resp = Response{Outcome: OutcomeServfail}
		}
	} else {
		resp = c.fetch(ctx, req, key)
	}
	if resp.Outcome == OutcomeServfail && msg != nil {
		code := dns.ExtendedErrorCodeStaleAnswer
		if msg.Rcode == dns.RcodeNameError {
			code = dns.ExtendedErrorCodeStaleNXDOMAINAnswer
		}
		return Response{Msg: withTTLs(msg, stored, now, staleTTL), Outcome: OutcomeStale,
			EDE: &dns.EDNS0_EDE{InfoCode: code, ExtraText: "upstreams unavailable; answer is stale"}}
	}
	return resp
}

// fetch asks the next stage and caches a forwarded answer; concurrent
// fetches of one key share the first one's work (singleflight). A shared
// answer is copied for each caller, which may change it (finalize does).
func (c *Cache) fetch(ctx context.Context, req *Request, key cacheKey) Response {
	v, _, shared := c.flight.Do(key.flightKey(), func() (any, error) {
		r := c.next.ServeDNS(ctx, req)
		if r.Outcome == OutcomeForwarded {
			c.put(key, r.Msg, c.now())
		}
		return r, nil
	})
	r := v.(Response)
	if shared && r.Msg != nil {
		r.Msg = r.Msg.Copy()
	}
	return r
}

// flightKey is key as a string for singleflight.
func (k cacheKey) flightKey() string {
	var b [8]byte
	binary.BigEndian.PutUint16(b[0:], k.qtype)
	binary.BigEndian.PutUint16(b[2:], k.qclass)
	if k.do {
		b[4] = 1
	}
	if k.cd {
		b[5] = 1
	}
	return k.name + string(b[:6])
}

// get returns the entry for key: fresh, or expired but within the stale window.
func (c *Cache) get(key cacheKey, now time.Time) (msg *dns.Msg, stored time.Time, fresh bool) {
	e, fresh := c.entry(key, now)
	if e == nil {
		return nil, time.Time{}, false
	}
	if msg = e.message(); msg == nil {
		return nil, time.Time{}, false
	}
	return msg, e.stored, fresh
}

func (c *Cache) entry(key cacheKey, now time.Time) (e *cacheEntry, fresh bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e = sh.m[key]
	if e == nil {
		return nil, false
	}
	if now.Before(e.expires) {
		sh.touch(e)
		return e, true
	}
	if c.staleAge > 0 && now.Before(e.expires.Add(c.staleAge)) {
		return e, false
	}
	sh.remove(e)
	return nil, false
}

// peek returns the fresh entry for key (nil if none), and whether an
// entry is there at all (fresh, or expired and kept for serve-stale).
// Entries never change after insert, so the caller may read the fields of
// a fresh one without the lock.
func (c *Cache) peek(key cacheKey, now time.Time) (e *cacheEntry, present bool) {
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e = sh.m[key]
	if e == nil {
		return nil, false
	}
	if !now.Before(e.expires) {
		return nil, true
	}
	sh.touch(e)
	return e, true
}

// put stores m if it is cacheable.
func (c *Cache) put(key cacheKey, m *dns.Msg, now time.Time) {
	if c.size <= 0 || m == nil || m.Truncated {
		return
	}
	ttl, ok := c.ttlOf(m)
	if !ok || ttl <= 0 {
		return
	}
	// Stored copies carry clamped TTLs, so hits count down from what we keep.
	lo, hi := uint32(c.minTTL/time.Second), uint32(ttl/time.Second)
	if len(m.Answer) > 0 {
		hi = uint32(c.maxTTL / time.Second)
	}
	stored := &dns.Msg{MsgHdr: m.MsgHdr, Question: m.Question,
		Answer: clampRRs(m.Answer, lo, hi), Ns: clampRRs(m.Ns, lo, hi), Extra: clampRRs(m.Extra, lo, hi)}
	e := &cacheEntry{key: key, msg: stored, stored: now, expires: now.Add(ttl)}
	e.wire, e.qend, e.ttlOffs = packWire(stored, key)
	for _, rr := range stored.Answer {
		switch rr := rr.(type) {
		case *dns.CNAME:
			e.targets = append(e.targets, rr.Target)
		case *dns.DNAME:
			e.targets = append(e.targets, rr.Target)
		}
	}
	c.insert(e)
}

// insert adds e, replacing the entry of its key and evicting the least
// recently used of its shard when full.
func (c *Cache) insert(e *cacheEntry) {
	sh := c.shard(e.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.size <= 0 {
		return
	}
	if old := sh.m[e.key]; old != nil {
		sh.remove(old)
	}
	for len(sh.m) >= sh.size {
		sh.remove(sh.lru.prev)
	}
	sh.m[e.key] = e
	sh.pushFront(e)
}

// ttlOf returns how long m may be cached.
func (c *Cache) ttlOf(m *dns.Msg) (time.Duration, bool) {
	switch {
	case m.Rcode == dns.RcodeNameError, m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0:
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl := time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
				return min(max(ttl, c.minTTL), c.maxNegTTL), true
			}
		}
		return 0, false // RFC 2308 section 5: no SOA, no negative caching
	case m.Rcode == dns.RcodeSuccess:
		lowest := uint32(1<<31 - 1)
		for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
			for _, rr := range sec {
				if h := rr.Header(); h.Rrtype != dns.TypeOPT {
					lowest = min(lowest, h.Ttl)
				}
			}
		}
		ttl := time.Duration(lowest) * time.Second
		return min(max(ttl, c.minTTL), c.maxTTL), true
	}
	return 0, false
}

// withTTLs returns a copy of m for one client with TTLs counted down by the
// time since stored, or all set to fixed when fixed > 0 (stale answers).
func withTTLs(m *dns.Msg, stored, now time.Time, fixed uint32) *dns.Msg {
	age := uint32(max(now.Sub(stored), 0) / time.Second)
	out := &dns.Msg{MsgHdr: m.MsgHdr}
	out.Question = m.Question
	out.Answer = copyRRs(m.Answer, age, fixed)
	out.Ns = copyRRs(m.Ns, age, fixed)
	out.Extra = copyRRs(m.Extra, age, fixed)
	return out
}

func copyRRs(rrs []dns.RR, age, fixed uint32) []dns.RR {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		cp := dns.Copy(rr)
		h := cp.Header()
		switch {
		case fixed > 0:
			h.Ttl = fixed
		case h.Ttl > age:
			h.Ttl -= age
		default:
			h.Ttl = 0
		}
		out[i] = cp
	}
	return out
}

// clampRRs copies rrs without OPT records, TTLs clamped to [lo, hi].
func clampRRs(rrs []dns.RR, lo, hi uint32) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		cp := dns.Copy(rr)
		cp.Header().Ttl = min(max(cp.Header().Ttl, lo), hi)
		out = append(out, cp)
	}
	return out
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

func (sh *cacheShard) touch(e *cacheEntry) {
	if sh.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	sh.pushFront(e)
}

func (sh *cacheShard) pushFront(e *cacheEntry) {
	e.prev, e.next = &sh.lru, sh.lru.next
	sh.lru.next.prev = e
	sh.lru.next = e
}

func (sh *cacheShard) remove(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(sh.m, e.key)
}
