package ratelimit

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestBucketGivesRateAndBurst(t *testing.T) {
	l := New(Config{Rate: 10, Burst: 5})
	c := netip.MustParseAddr("192.0.2.1")
	now := time.Now()
	for i := range 5 {
		if !l.Allow(c, now) {
			t.Fatalf("query %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Reserve(c, now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("6th query at once: allowed %v, wait %v; want refused, 100ms", ok, wait)
	}
	// One second later, 10 more tokens but the bucket holds 5.
	now = now.Add(time.Second)
	n := 0
	for l.Allow(c, now) {
		n++
	}
	if n != 5 {
		t.Errorf("after 1 s idle: %d allowed, want the burst of 5", n)
	}
	// Over 10 s at 1 query per ms, ~10/s get through.
	n = 0
	for range 10000 {
		now = now.Add(time.Millisecond)
		if l.Allow(c, now) {
			n++
		}
	}
	if n < 99 || n > 101 {
		t.Errorf("10 s at 1000 qps: %d allowed, want 100 (10/s)", n)
	}
}

func TestClientsShareABucketPerPrefix(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 1})
	now := time.Now()
	for _, tc := range []struct {
		name     string
		first    string
		second   string
		separate bool
	}{
		{"same IPv4 /24 shares a bucket", "198.51.100.1", "198.51.100.200", false},
		{"other IPv4 /24 has its own", "198.51.101.1", "198.51.102.1", true},
		{"same IPv6 /56 shares a bucket", "2001:db8:0:1::1", "2001:db8:0:ff::2", false},
		{"other IPv6 /56 has its own", "2001:db8:0:100::1", "2001:db8:0:200::1", true},
		{"IPv4-mapped counts as IPv4", "203.0.113.1", "::ffff:203.0.113.9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !l.Allow(netip.MustParseAddr(tc.first), now) {
				t.Fatal("first query refused")
			}
			if got := l.Allow(netip.MustParseAddr(tc.second), now); got != tc.separate {
				t.Errorf("second client allowed = %v, want %v", got, tc.separate)
			}
		})
	}
}

func TestPrefixLengthsAreConfigurable(t *testing.T) {
	l := New(Config{Rate: 1, V4Prefix: 32, V6Prefix: 64})
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.77", "192.0.2.77"},
		{"2001:db8:1:2:3::4", "2001:db8:1:2::"},
	} {
		if got := l.Key(netip.MustParseAddr(tc.in)); got.String() != tc.want {
			t.Errorf("Key(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{"192.0.2.77", "2001:db8:1:2:3::4", "::ffff:10.1.2.3", "fe80::1%eth0"} {
		a := netip.MustParseAddr(in)
		if got, want := l.key(a), l.Key(a).As16(); got != want {
			t.Errorf("key(%s) = %x, want Key's %x", in, got, want)
		}
	}
	d := New(Config{Rate: 1})
	if got := d.Key(netip.MustParseAddr("192.0.2.77")).String(); got != "192.0.2.0" {
		t.Errorf("default IPv4 key = %s, want the /24 192.0.2.0", got)
	}
	if got := d.Key(netip.MustParseAddr("2001:db8:1:2ff::1")).String(); got != "2001:db8:1:200::" {
		t.Errorf("default IPv6 key = %s, want the /56 2001:db8:1:200::", got)
	}
}

// TestRandomSourceFloodIsBounded: a million random sources (a spoofed
// flood) leave at most MaxClients buckets and bounded heap.
func TestRandomSourceFloodIsBounded(t *testing.T) {
	const maxClients = 4096
	l := New(Config{Rate: 5, MaxClients: maxClients})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	now := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1_000_000 {
		var a netip.Addr
		if i%2 == 0 {
			a = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 1})
		} else {
			var b [16]byte
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			a = netip.AddrFrom16(b)
		}
		l.Allow(a, now)
	}
	if n := l.Len(); n > maxClients {
		t.Errorf("%d buckets after the flood, want at most %d", n, maxClients)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 4<<20 {
		t.Errorf("heap grew %d bytes for %d buckets", grew, maxClients)
	}
	// A client still gets its burst after the flood.
	if !l.Allow(netip.MustParseAddr("192.0.2.1"), now) {
		t.Error("a new client is refused after the flood")
	}
}

func TestConcurrentClients(t *testing.T) {
	l := New(Config{Rate: 100, Burst: 100})
	now := time.Now()
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for g := range 8 {
		wg.Go(func() {
			c := netip.AddrFrom4([4]byte{10, byte(g), 0, 1})
			for range 1000 {
				if l.Allow(c, now) {
					counts[g]++
				}
			}
		})
	}
	wg.Wait()
	for g, n := range counts {
		if n != 100 {
			t.Errorf("client %d: %d allowed at one instant, want the burst of 100", g, n)
		}
	}
}

// BenchmarkAllow is the cost per query with the limiter on: one busy client
// (the common case) and a flood of random sources (every query a miss in
// the table, evicting).
func BenchmarkAllow(b *testing.B) {
	b.Run("one-client", func(b *testing.B) {
		l := New(Config{Rate: 1e9})
		c := netip.MustParseAddr("192.0.2.1")
		now := time.Now()
		b.ReportAllocs()
		for b.Loop() {
			l.Allow(c, now)
		}
	})
	b.Run("random-sources", func(b *testing.B) {
		l := New(Config{Rate: 10})
		addrs := make([]netip.Addr, 1<<16)
		r := rand.New(rand.NewPCG(3, 4))
		for i := range addrs {
			addrs[i] = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 1})
		}
		now := time.Now()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			l.Allow(addrs[i&(len(addrs)-1)], now)
			i++
		}
	})
	b.Run("parallel-clients", func(b *testing.B) {
		l := New(Config{Rate: 1e9})
		now := time.Now()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			c := netip.AddrFrom4([4]byte{10, byte(rand.Uint32()), byte(rand.Uint32()), 1})
			for pb.Next() {
				l.Allow(c, now)
			}
		})
	})
}
