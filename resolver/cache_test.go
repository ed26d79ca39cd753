package resolver

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func withClock(c *fakeClock) func(*Server) {
	return func(s *Server) { s.cache.now = c.Now }
}

func TestCacheCountsTTLDown(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{}, testList(), withClock(clock))
	for _, network := range networks {
		ts.query(t, network, "a.test", dns.TypeA, true) // fills the cache (first network) or hits it
	}
	clock.Add(100 * time.Second)
	for _, network := range networks {
		r := ts.query(t, network, "a.test", dns.TypeA, true)
		if len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 3500 {
			t.Errorf("%s: answer %v, want one A with TTL 3600-100", network, r.Answer)
		}
		if r.Authoritative {
			t.Errorf("%s: cached answer has AA set", network)
		}
	}
	if n := ts.auth.udpCount.Load(); n != 1 {
		t.Errorf("upstream asked %d times, want 1", n)
	}
}

func TestCacheExpiresAndMinMaxClamps(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{CacheMinTTL: 20 * time.Second, CacheMaxTTL: time.Hour / 2, StaleAge: -1}, testList(), withClock(clock))
	r := ts.query(t, "udp", "short.test", dns.TypeA, false) // TTL 5, raised to 20
	if got := r.Answer[0].Header().Ttl; got != 5 {
		t.Errorf("first answer TTL %d, want the upstream's 5", got)
	}
	r = ts.query(t, "udp", "short.test", dns.TypeA, false)
	if got := r.Answer[0].Header().Ttl; got != 20 {
		t.Errorf("cached TTL %d, want 20 (raised to the minimum)", got)
	}
	ts.query(t, "udp", "a.test", dns.TypeA, false) // TTL 3600, lowered to 1800
	r = ts.query(t, "udp", "a.test", dns.TypeA, false)
	if got := r.Answer[0].Header().Ttl; got != 1800 {
		t.Errorf("cached TTL %d, want 1800 (lowered to the maximum)", got)
	}
	clock.Add(21 * time.Second)
	ts.query(t, "udp", "short.test", dns.TypeA, false)
	if n := ts.auth.udpCount.Load(); n != 3 {
		t.Errorf("upstream asked %d times, want 3 (short.test again after it expired)", n)
	}
}

func TestNegativeCaching(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{}, testList(), withClock(clock))
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		rcode int
	}{
		{"NXDOMAIN is cached for the SOA minimum", "missing.test", dns.TypeA, dns.RcodeNameError},
		{"NODATA is cached for the SOA minimum", "a.test", dns.TypeAAAA, dns.RcodeSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.auth.udpCount.Load()
			ts.query(t, "udp", tc.qname, tc.qtype, false)
			clock.Add(10 * time.Second)
			r := ts.query(t, "udp", tc.qname, tc.qtype, false)
			if r.Rcode != tc.rcode || len(r.Answer) != 0 {
				t.Fatalf("rcode %s answers %d", dns.RcodeToString[r.Rcode], len(r.Answer))
			}
			soa := soaOf(r)
			if soa == nil || soa.Hdr.Ttl != 50 { // min(600, 60) - 10
				t.Errorf("SOA %v, want TTL 50 (min(SOA TTL 600, minimum 60) counted down by 10)", soa)
			}
			if n := ts.auth.udpCount.Load() - before; n != 1 {
				t.Errorf("upstream asked %d times, want 1", n)
			}
			clock.Add(51 * time.Second)
			ts.query(t, "udp", tc.qname, tc.qtype, false)
			if n := ts.auth.udpCount.Load() - before; n != 2 {
				t.Errorf("after the negative TTL: upstream asked %d times, want 2", n)
			}
		})
	}
}

func TestUpstreamDownServfailThenStale(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{}, testList(), withClock(clock))
	ts.query(t, "udp", "a.test", dns.TypeA, true)
	ts.query(t, "udp", "missing.test", dns.TypeA, true)
	ts.auth.stop()
	clock.Add(2 * time.Hour) // both entries expired

	for _, network := range networks {
		t.Run(network+"/uncached name gets SERVFAIL with EDE fast", func(t *testing.T) {
			start := time.Now()
			r := ts.query(t, network, "never.test", dns.TypeA, true)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v, want under the resolve timeout", took)
			}
			if r.Rcode != dns.RcodeServerFailure {
				t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
			}
			if e := edeOf(r); e == nil || (e.InfoCode != dns.ExtendedErrorCodeNetworkError && e.InfoCode != dns.ExtendedErrorCodeNoReachableAuthority) {
				t.Errorf("EDE %v, want 22 or 23", e)
			}
		})
		t.Run(network+"/expired answer is served stale with TTL 30 and EDE 3", func(t *testing.T) {
			r := ts.query(t, network, "a.test", dns.TypeA, true)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 30 {
				t.Fatalf("rcode %s answer %v, want the stale A with TTL 30", dns.RcodeToString[r.Rcode], r.Answer)
			}
			if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeStaleAnswer {
				t.Errorf("EDE %v, want 3 Stale Answer", e)
			}
		})
		t.Run(network+"/expired NXDOMAIN is served stale with EDE 19", func(t *testing.T) {
			r := ts.query(t, network, "missing.test", dns.TypeA, true)
			if r.Rcode != dns.RcodeNameError {
				t.Fatalf("rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
			}
			if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeStaleNXDOMAINAnswer {
				t.Errorf("EDE %v, want 19", e)
			}
		})
	}
	t.Run("beyond the stale age the entry is gone", func(t *testing.T) {
		clock.Add(25 * time.Hour)
		r := ts.query(t, "udp", "a.test", dns.TypeA, true)
		if r.Rcode != dns.RcodeServerFailure {
			t.Errorf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
		}
	})
}

func TestUpstreamTimeoutServfailEDE22(t *testing.T) {
	// A "resolver" that reads and never answers.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	ts := startServer(t, Config{Upstreams: []string{"udp://" + pc.LocalAddr().String()},
		UpstreamTimeout: 200 * time.Millisecond, ResolveTimeout: 500 * time.Millisecond}, testList())
	start := time.Now()
	r := ts.query(t, "udp", "a.test", dns.TypeA, true)
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("took %v, want about the 500ms resolve timeout", took)
	}
	if r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeNoReachableAuthority {
		t.Errorf("EDE %v, want 22 No Reachable Authority", e)
	}
}

func TestFailoverToHealthyUpstream(t *testing.T) {
	auth := startAuth(t)
	dead := startAuth(t)
	dead.stop()
	ts := startServer(t, Config{Upstreams: []string{"udp://" + dead.addr, "udp://" + auth.addr}, CacheSize: -1}, testList())
	for i := range 5 {
		r := ts.query(t, "udp", "a.test", dns.TypeA, false)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("query %d: rcode %s answers %d", i, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	if order := ts.forward.order(nil, time.Now()); order[0].conn.up.Addr.String() != auth.addr {
		t.Errorf("first upstream is %s, want the healthy %s", order[0].conn.up, auth.addr)
	}
}

// stubHandler answers with a fixed response and counts calls.
type stubHandler struct {
	resp  Response
	calls int
}

func (s *stubHandler) ServeDNS(context.Context, *Request) Response { s.calls++; return s.resp }

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	next := &stubHandler{}
	c := newCache(next, 2, 0, time.Hour, time.Hour, 0)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ask := func(name string) {
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr(t, name+" 60 IN A 192.0.2.1")}
		next.resp = Response{Msg: m, Outcome: OutcomeForwarded}
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		c.ServeDNS(context.Background(), &Request{Msg: q, Name: name, Qtype: dns.TypeA, Qclass: dns.ClassINET})
	}
	ask("a.test.")
	ask("b.test.")
	ask("a.test.") // hit: a is now most recent
	ask("c.test.") // evicts b
	if c.Len() != 2 {
		t.Fatalf("len %d, want 2", c.Len())
	}
	calls := next.calls
	ask("a.test.")
	if next.calls != calls {
		t.Errorf("a.test. was evicted; want b.test. (least recently used)")
	}
	ask("b.test.")
	if next.calls != calls+1 {
		t.Errorf("b.test. still cached after eviction")
	}
}

func TestCacheDoesNotStoreServfailOrTruncated(t *testing.T) {
	next := &stubHandler{}
	c := newCache(next, 10, 0, time.Hour, time.Hour, 0)
	for _, m := range []*dns.Msg{
		{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeServerFailure}},
		{MsgHdr: dns.MsgHdr{Truncated: true}, Answer: []dns.RR{rr(t, "a.test. 60 IN A 192.0.2.1")}},
		{MsgHdr: dns.MsgHdr{Rcode: dns.RcodeNameError}}, // no SOA: RFC 2308 says do not cache
	} {
		next.resp = Response{Msg: m, Outcome: OutcomeForwarded}
		q := new(dns.Msg)
		q.SetQuestion("a.test.", dns.TypeA)
		c.ServeDNS(context.Background(), &Request{Msg: q, Name: "a.test.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
		if c.Len() != 0 {
			t.Errorf("cached %v", m)
		}
	}
}

func TestSlowUpstreamServesStaleThenRefreshes(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{StaleWait: 100 * time.Millisecond, UpstreamTimeout: 2 * time.Second, ResolveTimeout: 3 * time.Second},
		testList(), withClock(clock))
	ts.query(t, "udp", "a.test", dns.TypeA, true)
	clock.Add(2 * time.Hour)
	ts.auth.delay.Store(int64(time.Second))
	start := time.Now()
	r := ts.query(t, "udp", "a.test", dns.TypeA, true)
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Errorf("stale answer took %v, want about the 100ms stale wait", took)
	}
	if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeStaleAnswer || r.Answer[0].Header().Ttl != 30 {
		t.Fatalf("EDE %v answer %v, want a stale answer", e, r.Answer)
	}
	time.Sleep(1200 * time.Millisecond) // the refresh lands in the cache
	r = ts.query(t, "udp", "a.test", dns.TypeA, true)
	if e := edeOf(r); e != nil || r.Answer[0].Header().Ttl != 3600 {
		t.Errorf("after the refresh: EDE %v answer %v, want the fresh answer from the cache", e, r.Answer)
	}
}

func TestCacheShards(t *testing.T) {
	for _, tc := range []struct {
		name         string
		size, shards int
	}{
		{"small cache is one exact LRU", 2, 1},
		{"default size", 10000, 32},
		{"large cache stops at the shard limit", 1 << 20, maxCacheShards},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(&stubHandler{}, tc.size, 0, time.Hour, time.Hour, 0)
			if len(c.shards) != tc.shards {
				t.Errorf("%d shards, want %d", len(c.shards), tc.shards)
			}
			total := 0
			for i := range c.shards {
				total += c.shards[i].size
			}
			if total != tc.size {
				t.Errorf("shard sizes add up to %d, want %d", total, tc.size)
			}
		})
	}
}

func TestShardedCacheStaysWithinSizeAndKeepsRecentEntries(t *testing.T) {
	next := &stubHandler{}
	const size = 4096
	c := newCache(next, size, 0, time.Hour, time.Hour, 0)
	if len(c.shards) < 2 {
		t.Fatalf("%d shards: the test needs a sharded cache", len(c.shards))
	}
	ask := func(name string) {
		m := new(dns.Msg)
		m.Answer = []dns.RR{rr(t, name+" 60 IN A 192.0.2.1")}
		next.resp = Response{Msg: m, Outcome: OutcomeForwarded}
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		c.ServeDNS(context.Background(), &Request{Msg: q, Name: name, Qtype: dns.TypeA, Qclass: dns.ClassINET})
	}
	const n = 3 * size
	for i := range n {
		ask(fmt.Sprintf("n%d.test.", i))
	}
	if l := c.Len(); l > size || l < size*9/10 {
		t.Errorf("%d entries after %d inserts, want at most %d and close to it", l, n, size)
	}
	// The most recent entries are still there: each shard evicts its own oldest.
	calls := next.calls
	for i := n - 200; i < n; i++ {
		ask(fmt.Sprintf("n%d.test.", i))
	}
	if next.calls != calls {
		t.Errorf("%d of the 200 most recent entries were evicted", next.calls-calls)
	}
}

func TestCacheUsedFromManyGoroutines(t *testing.T) {
	c := newCache(&stubHandler{}, 2048, 0, time.Hour, time.Hour, time.Hour)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				name := fmt.Sprintf("n%d.test.", (i*7+g)%3000)
				key := cacheKey{name: name, qtype: dns.TypeA, qclass: dns.ClassINET}
				m := new(dns.Msg)
				m.SetQuestion(name, dns.TypeA)
				m.Answer = []dns.RR{&dns.A{Hdr: rrHeader(name, dns.TypeA, 60), A: []byte{192, 0, 2, 1}}}
				c.put(key, m, c.now())
				if e, _ := c.peek(key, c.now()); e != nil && e.key != key {
					t.Errorf("peek(%v) returned the entry of %v", key, e.key)
				}
				c.get(key, c.now())
			}
		})
	}
	wg.Wait()
	if l := c.Len(); l > 2048 {
		t.Errorf("%d entries, want at most 2048", l)
	}
}

// TestConcurrentMissesShareOneUpstreamQuery: issue 11.8. Ten clients ask
// for the same uncached name while the upstream is slow; the upstream sees
// one query and every client gets the answer.
// (UDP with EDNS takes the fast miss path, TCP the chain's singleflight.)
func TestConcurrentMissesShareOneUpstreamQuery(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, Config{}, testList())
			ts.auth.delay.Store(int64(200 * time.Millisecond))
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					r := ts.query(t, network, "a.test", dns.TypeA, true)
					if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
						t.Errorf("rcode %s, answer %v", dns.RcodeToString[r.Rcode], r.Answer)
					}
				})
			}
			wg.Wait()
			if n := ts.auth.udpCount.Load(); n != 1 {
				t.Errorf("upstream saw %d queries, want 1 shared by the 10 concurrent misses", n)
			}
		})
	}
}
