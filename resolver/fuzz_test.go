package resolver

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzHandle feeds raw bytes to the request path: it must never panic, and
// any answer must parse and carry the query's ID with QR set.
func FuzzHandle(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{{"evil.example.", dns.TypeA, true}, {"a.test.", dns.TypeAAAA, false}, {"x.evil.example.", dns.TypeTXT, true}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		if q.edns {
			m.SetEdns0(1232, true)
		}
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1}) // compression loop
	f.Add([]byte{0, 1, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0})

	// Upstream: none in time (1ns budget), so the blocklist, local checks and
	// the cache run; the cache holds a few answers for the fast hit path.
	s, err := New(Config{Upstreams: []string{"udp://127.0.0.1:9"}, UpstreamTimeout: 1, ResolveTimeout: 1, StaleWait: -1}, testList())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.forward.close) // the sweeper a query started (Run closes it otherwise)
	for _, text := range []string{"a.test. 300 IN A 192.0.2.1", "safe.test. 300 IN CNAME a.test.", "a.test. 300 IN TXT \"x\""} {
		r := rr(f, text)
		m := new(dns.Msg)
		m.SetQuestion(r.Header().Name, r.Header().Rrtype)
		m.Response = true
		m.Answer = []dns.RR{r}
		for _, do := range []bool{false, true} {
			key := cacheKey{name: r.Header().Name, qtype: r.Header().Rrtype, qclass: dns.ClassINET, do: do}
			s.cache.put(key, m, time.Now())
		}
	}
	for _, name := range []string{"a.test.", "A.TEST.", "safe.test."} {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		m.SetEdns0(1232, false)
		b, _ := m.Pack()
		f.Add(b)
	}
	client := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, tcp := range []bool{false, true} {
			out := make([]byte, 512)
			ans := s.handle(context.Background(), raw, client, tcp, out)
			if ans == nil {
				continue
			}
			if len(ans) < headerLen || ans[2]&0x80 == 0 || ans[0] != raw[0] || ans[1] != raw[1] {
				t.Fatalf("answer %x to %x: want QR set and the query's ID", ans, raw)
			}
			var m dns.Msg
			if err := m.Unpack(ans); err != nil {
				t.Fatalf("answer does not parse: %v\n%x", err, ans)
			}
			if !tcp && len(ans) > 1232 {
				t.Fatalf("UDP answer of %d bytes", len(ans))
			}
			if got, ok := minTTL(ans); ok != (len(m.Answer)+len(m.Ns) > 0) || got != unpackedMinTTL(&m) {
				t.Fatalf("minTTL %d %v, the unpacked answer's %d\n%v", got, ok, unpackedMinTTL(&m), &m)
			}
		}
	})
}
