package resolver

import (
	"context"
	"fmt"
	"github.com/scamblock/scamblock/lists"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestFastPathMatchesChain checks that wire-level block answers say exactly
// what the general path (unpack, chain, finalize) says for the same query.
func TestFastPathMatchesChain(t *testing.T) {
	s, err := New(Config{Upstreams: []string{"udp://127.0.0.1:9"}, UpstreamTimeout: 1, ResolveTimeout: 1}, testList())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.forward.close) // the sweeper a query started (Run closes it otherwise)
	fast := s.fast
	if fast == nil {
		t.Fatal("fast path is off by default")
	}
	ipBoth, _ := ParseBlockMode("ip:192.0.2.99,2001:db8::99")
	ip4, _ := ParseBlockMode("ip:192.0.2.98")
	client := netip.MustParseAddr("127.0.0.1")
	for _, mode := range []BlockMode{{Kind: BlockNXDomain}, {Kind: BlockNoData}, {Kind: BlockNull}, {Kind: BlockRefused}, ipBoth, ip4} {
		if err := s.SetPolicy(Policy{Mode: mode, TTL: 77 * time.Second}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"evil.example.", "WwW.Evil.EXAMPLE.", "a-b_c.x.drain.example."} {
			for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypeHTTPS, dns.TypeMX} {
				for _, opt := range []string{"none", "edns", "edns+do", "edns512"} {
					q := new(dns.Msg)
					q.SetQuestion(name, qtype)
					q.CheckingDisabled = qtype == dns.TypeMX
					switch opt {
					case "edns":
						q.SetEdns0(1232, false)
					case "edns+do":
						q.SetEdns0(4096, true)
					case "edns512":
						q.SetEdns0(100, false)
					}
					raw, _ := q.Pack()
					for _, tcp := range []bool{false, true} {
						label := mode.String() + "/" + name + "/" + dns.TypeToString[qtype] + "/" + opt
						s.fast = fast
						a := s.handle(context.Background(), raw, client, tcp, make([]byte, 4096))
						if _, ok := fast.answer(raw, client, tcp, make([]byte, 4096)); !ok {
							t.Errorf("%s: fast path not taken", label)
						}
						s.fast = nil
						b := s.handle(context.Background(), raw, client, tcp, make([]byte, 4096))
						var ma, mb dns.Msg
						if err := ma.Unpack(a); err != nil {
							t.Fatalf("%s: fast answer does not parse: %v", label, err)
						}
						if err := mb.Unpack(b); err != nil {
							t.Fatalf("%s: chain answer does not parse: %v", label, err)
						}
						if x, y := strings.ToLower(ma.String()), strings.ToLower(mb.String()); x != y {
							t.Errorf("%s: fast path and chain differ\nfast:\n%s\nchain:\n%s", label, x, y)
						}
					}
				}
			}
		}
	}
	s.fast = fast
}

func TestFastPathDeclines(t *testing.T) {
	s, err := New(Config{Upstreams: []string{"udp://127.0.0.1:9"}, ACL: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, testList(), walletZoneWithOrigins{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.forward.close) // the sweeper a query started (Run closes it otherwise)
	if s.fast == nil {
		t.Fatal("fast path off although every zone names its origins")
	}
	in, out := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("127.0.0.1")
	build := func(name string, qtype uint16, edit func(*dns.Msg)) []byte {
		q := new(dns.Msg)
		q.SetQuestion(name, qtype)
		if edit != nil {
			edit(q)
		}
		raw, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name   string
		raw    []byte
		client netip.Addr
	}{
		{"name not listed", build("a.test.", dns.TypeA, nil), in},
		{"client outside the ACL", build("evil.example.", dns.TypeA, nil), out},
		{"name under a local zone", build("x.hashbl.evil.example.", dns.TypeTXT, nil), in},
		{"EDNS version 1", build("evil.example.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) }), in},
		{"escaped dot inside a label", build(`a\.b.evil.example.`, dns.TypeA, nil), in},
		{"class CHAOS", build("evil.example.", dns.TypeA, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }), in},
		{"meta type AXFR", build("evil.example.", dns.TypeAXFR, nil), in},
		{"answer section in a query", build("evil.example.", dns.TypeA, func(m *dns.Msg) { m.Answer = []dns.RR{rr(t, "evil.example. 1 IN A 192.0.2.1")} }), in},
		{"a response", build("evil.example.", dns.TypeA, func(m *dns.Msg) { m.Response = true }), in},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := s.fast.answer(tc.raw, tc.client, false, make([]byte, 512)); ok {
				t.Errorf("fast path answered; want the general path")
			}
		})
	}
	if s2, _ := New(Config{Upstreams: []string{"udp://127.0.0.1:9"}}, testList(), walletZone{}); s2.fast != nil {
		t.Errorf("fast path on with a local zone that does not name its origins")
	}
}

type walletZoneWithOrigins struct{ walletZone }

func (walletZoneWithOrigins) Origins() []string { return []string{"hashbl.evil.example."} }

// TestFastCacheHitMatchesChain checks that cache hits answered from the
// packed entry say what the chain says from the same entry.
func TestFastCacheHitMatchesChain(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ts := startServerSetup(t, Config{}, testList(), withClock(clock))
	s := ts.Server
	fast := s.fast
	client := netip.MustParseAddr("127.0.0.1")
	type query struct {
		name  string
		qtype uint16
	}
	queries := []query{
		{"a.test.", dns.TypeA}, {"A.TeSt.", dns.TypeTXT}, {"safe.test.", dns.TypeA}, {"missing.test.", dns.TypeA},
		{"a.test.", dns.TypeAAAA}, {"big.test.", dns.TypeTXT}, {"Upper.Test.", dns.TypeA},
	}
	for _, opt := range []string{"none", "edns", "edns+do", "cd"} {
		build := func(q query) []byte {
			m := new(dns.Msg)
			m.SetQuestion(q.name, q.qtype)
			switch opt {
			case "edns":
				m.SetEdns0(1232, false)
			case "edns+do":
				m.SetEdns0(4096, true)
			case "cd":
				m.CheckingDisabled = true
			}
			raw, _ := m.Pack()
			return raw
		}
		for _, q := range queries { // fill the cache through the chain
			s.fast = nil
			s.handle(context.Background(), build(q), client, true, make([]byte, 65535))
		}
		clock.Add(7 * time.Second)
		for _, q := range queries {
			for _, tcp := range []bool{false, true} {
				label := fmt.Sprintf("%s/%s/%s/tcp=%v", q.name, dns.TypeToString[q.qtype], opt, tcp)
				raw := build(q)
				_, took := fast.answer(raw, client, tcp, make([]byte, 65535))
				wantFast := tcp || q.name != "big.test."
				if took != wantFast {
					t.Errorf("%s: fast path taken %v, want %v", label, took, wantFast)
				}
				s.fast = fast
				a := s.handle(context.Background(), raw, client, tcp, make([]byte, 65535))
				s.fast = nil
				b := s.handle(context.Background(), raw, client, tcp, make([]byte, 65535))
				var ma, mb dns.Msg
				if err := ma.Unpack(a); err != nil {
					t.Fatalf("%s: fast answer does not parse: %v", label, err)
				}
				if err := mb.Unpack(b); err != nil {
					t.Fatalf("%s: chain answer does not parse: %v", label, err)
				}
				if x, y := strings.ToLower(ma.String()), strings.ToLower(mb.String()); x != y {
					t.Errorf("%s: fast path and chain differ\nfast:\n%s\nchain:\n%s", label, x, y)
				}
				if len(ma.Answer) > 0 && ma.Answer[0].Header().Ttl > 300-7 && q.name != "a.test." && q.name != "A.TeSt." {
					t.Errorf("%s: TTL %d not counted down", label, ma.Answer[0].Header().Ttl)
				}
			}
		}
	}
	s.fast = fast
	// A name whose cached CNAME target becomes listed is blocked on the next hit.
	bl := newMapBlocklist(nil)
	s2 := startServer(t, Config{}, bl)
	if r := s2.query(t, "udp", "safe.test", dns.TypeA, true); r.Rcode != dns.RcodeSuccess { // cached, CNAME to a.test
		t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
	}
	bl.Replace(map[string]lists.Hit{"a.test": {Source: "late"}})
	r := s2.query(t, "udp", "safe.test", dns.TypeA, true)
	if r.Rcode != dns.RcodeNameError {
		t.Errorf("cached CNAME into a listed name: rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}
