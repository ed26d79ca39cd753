package resolver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func benchQuery(b *testing.B, name string, qtype uint16) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, false)
	raw, err := m.Pack()
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// benchServer is a Server whose request path is driven directly (no sockets);
// its upstream is a real authoritative server on loopback for cache fills.
func benchServer(b *testing.B) *Server {
	auth := startAuth(b)
	s, err := New(Config{Upstreams: []string{"udp://" + auth.addr}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testList())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchHandle(b *testing.B, s *Server, raw []byte, wantRcode int) {
	client := netip.MustParseAddr("127.0.0.1")
	out := make([]byte, packBufLen)
	ctx := context.Background()
	ans := s.handle(ctx, raw, client, false, out)
	var m dns.Msg
	if err := m.Unpack(ans); err != nil || m.Rcode != wantRcode {
		b.Fatalf("answer %v (err %v), want rcode %s", &m, err, dns.RcodeToString[wantRcode])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.handle(ctx, raw, client, false, out)
	}
}

// BenchmarkBlockAnswer: raw query for a subdomain of a listed name in, packed
// NXDOMAIN + SOA + EDE 15 out.
func BenchmarkBlockAnswer(b *testing.B) {
	benchHandle(b, benchServer(b), benchQuery(b, "www.evil.example.", dns.TypeA), dns.RcodeNameError)
}

// BenchmarkBlockAnswerChain: the same through the general path (unpack, chain, finalize).
func BenchmarkBlockAnswerChain(b *testing.B) {
	s := benchServer(b)
	s.fast = nil
	benchHandle(b, s, benchQuery(b, "www.evil.example.", dns.TypeA), dns.RcodeNameError)
}

// BenchmarkCacheHit: raw query for a cached name in, packed answer with TTLs counted down out.
func BenchmarkCacheHit(b *testing.B) {
	benchHandle(b, benchServer(b), benchQuery(b, "a.test.", dns.TypeA), dns.RcodeSuccess)
}

// BenchmarkCacheHitChain: the same through the general path.
func BenchmarkCacheHitChain(b *testing.B) {
	s := benchServer(b)
	s.fast = nil
	benchHandle(b, s, benchQuery(b, "a.test.", dns.TypeA), dns.RcodeSuccess)
}

// BenchmarkBlockAnswerUDP: the same over a real UDP socket, one query at a time.
func BenchmarkBlockAnswerUDP(b *testing.B) {
	ts := startServer(b, Config{}, testList())
	c := dialUDP(b, ts.udp)
	raw := benchQuery(b, "www.evil.example.", dns.TypeA)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockAnswerUDPBurst: bursts of 32 queries over a loopback socket,
// then their 32 answers, so the server's loop reads and writes in batches
// (recvmmsg/sendmmsg on Linux). ns/op is per query, client work included.
func BenchmarkBlockAnswerUDPBurst(b *testing.B) {
	ts := startServer(b, Config{UDPSockets: 1}, testList())
	c := dialUDP(b, ts.udp)
	c.(*net.UDPConn).SetReadBuffer(1 << 20)
	raw := benchQuery(b, "www.evil.example.", dns.TypeA)
	buf := make([]byte, 1500)
	const burst = 32
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Write(raw); err != nil {
			b.Fatal(err)
		}
		if i%burst == burst-1 {
			for range burst {
				if _, err := c.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// missServer is a Server whose every query is a cache miss forwarded to a
// rawUpstream on loopback (which allocates nothing, so allocs/op are the
// resolver's).
func missServer(b *testing.B) (*Server, *rawUpstream) {
	up := startRawUpstream(b)
	s, err := New(Config{Upstreams: []string{"udp://" + up.addr}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testList())
	if err != nil {
		b.Fatal(err)
	}
	return s, up
}

// BenchmarkForwardMiss: a raw query for a name never asked before in, the
// upstream's answer (forwarded over loopback UDP, cached) out, one at a time.
// ns/op includes the upstream's round trip.
func BenchmarkForwardMiss(b *testing.B) {
	s, _ := missServer(b)
	uq := newUniqueQuery(true)
	client := netip.MustParseAddr("127.0.0.1")
	out := make([]byte, packBufLen)
	ctx := context.Background()
	var m dns.Msg
	if err := m.Unpack(s.handle(ctx, uq.next(), client, false, out)); err != nil || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
		b.Fatalf("answer %v (err %v), want one A record", &m, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.handle(ctx, uq.next(), client, false, out)
	}
}

// BenchmarkForwardMissParallel: the same from GOMAXPROCS goroutines at once
// (misses for different names overlap, as under load).
func BenchmarkForwardMissParallel(b *testing.B) {
	s, _ := missServer(b)
	client := netip.MustParseAddr("127.0.0.1")
	var seq atomic.Uint32
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		uq := newUniqueQuery(true)
		uq.n = seq.Add(1) << 24
		out := make([]byte, packBufLen)
		ctx := context.Background()
		for pb.Next() {
			s.handle(ctx, uq.next(), client, false, out)
		}
	})
}

// BenchmarkForwardMissUDP: unique names over a real client socket to the
// server's UDP listener (the fast miss path, miss.go), 32 queries in
// flight, through to the rawUpstream and back. ns/op is per query, client
// work included.
func BenchmarkForwardMissUDP(b *testing.B) { benchMissUDP(b, 32) }

// BenchmarkForwardMissUDPSerial: the same one query at a time: ns/op is the
// round trip client → scamblock → upstream → scamblock → client.
func BenchmarkForwardMissUDPSerial(b *testing.B) { benchMissUDP(b, 1) }

func benchMissUDP(b *testing.B, window int) {
	up := startRawUpstream(b)
	ts := startServer(b, Config{Upstreams: []string{"udp://" + up.addr}}, testList())
	c := dialUDP(b, ts.udp)
	c.(*net.UDPConn).SetReadBuffer(1 << 20)
	uq := newUniqueQuery(true)
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	b.ReportAllocs()
	sent, got := 0, 0
	for b.Loop() {
		if _, err := c.Write(uq.next()); err != nil {
			b.Fatal(err)
		}
		sent++
		for sent-got >= window {
			if _, err := c.Read(buf); err != nil {
				b.Fatal(err)
			}
			got++
		}
	}
	for got < sent {
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
		got++
	}
}
