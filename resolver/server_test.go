package resolver

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

var networks = []string{"udp", "tcp"}

func TestBlockingEndToEnd(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		edns      bool
		wantRcode int
		wantA     string // first A record, "" for none
		wantEDE   string // EDE 15 text, "" for no EDE
	}{
		{"listed name is blocked with EDE 15 naming entry and source", "evil.example", dns.TypeA, true, dns.RcodeNameError, "", "listed: evil.example (metamask)"},
		{"listed name without EDNS is blocked without EDE", "evil.example", dns.TypeA, false, dns.RcodeNameError, "", ""},
		{"subdomain of listed name is blocked", "a.b.evil.example", dns.TypeA, true, dns.RcodeNameError, "", "listed: evil.example (metamask)"},
		{"other query types of a listed name are blocked", "evil.example", dns.TypeTXT, true, dns.RcodeNameError, "", "listed: evil.example (metamask)"},
		{"query name in upper case is blocked", "WWW.EVIL.Example", dns.TypeA, true, dns.RcodeNameError, "", "listed: evil.example (metamask)"},
		{"allowed name passes through", "a.test", dns.TypeA, true, dns.RcodeSuccess, "192.0.2.1", ""},
		{"allow entry under a listed name wins", "good.evil.example", dns.TypeA, true, dns.RcodeSuccess, "192.0.2.10", ""},
		{"CNAME into a listed name is blocked, EDE names the target entry", "alias.test", dns.TypeA, true, dns.RcodeNameError, "", "listed: evil.example (metamask)"},
		{"CNAME chain whose last target is listed is blocked", "chain.test", dns.TypeA, true, dns.RcodeNameError, "", "listed: drain.example (scam-feed)"},
		{"CNAME to an allowed name passes", "safe.test", dns.TypeA, true, dns.RcodeSuccess, "192.0.2.1", ""},
		{"unknown name is NXDOMAIN from upstream without EDE", "nope.test", dns.TypeA, true, dns.RcodeNameError, "", ""},
	}
	for _, network := range networks {
		for _, tc := range tests {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				r := ts.query(t, network, tc.qname, tc.qtype, tc.edns)
				if r.Rcode != tc.wantRcode {
					t.Fatalf("rcode %s, want %s\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.wantRcode], r)
				}
				if got := r.Question[0].Name; got != dns.Fqdn(tc.qname) {
					t.Errorf("question %q, want the client's %q", got, dns.Fqdn(tc.qname))
				}
				gotA := ""
				for _, a := range r.Answer {
					if a, ok := a.(*dns.A); ok {
						gotA = a.A.String()
						break
					}
				}
				if gotA != tc.wantA {
					t.Errorf("A %q, want %q\n%v", gotA, tc.wantA, r)
				}
				if (r.IsEdns0() != nil) != tc.edns {
					t.Errorf("OPT present %v, want %v (echo only when the client sent one)", r.IsEdns0() != nil, tc.edns)
				}
				ede := edeOf(r)
				switch {
				case tc.wantEDE == "" && ede != nil:
					t.Errorf("unexpected EDE %d %q", ede.InfoCode, ede.ExtraText)
				case tc.wantEDE != "" && ede == nil:
					t.Errorf("no EDE, want 15 %q\n%v", tc.wantEDE, r)
				case tc.wantEDE != "" && (ede.InfoCode != dns.ExtendedErrorCodeBlocked || ede.ExtraText != tc.wantEDE):
					t.Errorf("EDE %d %q, want 15 %q", ede.InfoCode, ede.ExtraText, tc.wantEDE)
				}
				if tc.wantRcode == dns.RcodeNameError && tc.wantEDE != "" {
					soa := soaOf(r)
					if soa == nil || soa.Hdr.Ttl != 300 || soa.Minttl != 300 {
						t.Errorf("authority %v: want a SOA with TTL and minimum 300", r.Ns)
					}
				}
			})
		}
	}
}

func soaOf(m *dns.Msg) *dns.SOA {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa
		}
	}
	return nil
}

func TestBlockModes(t *testing.T) {
	ipMode, err := ParseBlockMode("ip:192.0.2.99,2001:db8::99")
	if err != nil {
		t.Fatal(err)
	}
	ip4Only, err := ParseBlockMode("ip:192.0.2.98")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		rcode  int
		answer string // rdata of the one answer, "" for none
		soa    bool
	}
	tests := []struct {
		name         string
		mode         BlockMode
		a, aaaa, txt want
	}{
		{"nxdomain answers NXDOMAIN with SOA", BlockMode{Kind: BlockNXDomain},
			want{dns.RcodeNameError, "", true}, want{dns.RcodeNameError, "", true}, want{dns.RcodeNameError, "", true}},
		{"nodata answers NOERROR without records, with SOA", BlockMode{Kind: BlockNoData},
			want{dns.RcodeSuccess, "", true}, want{dns.RcodeSuccess, "", true}, want{dns.RcodeSuccess, "", true}},
		{"null answers the unspecified addresses, NODATA for other types", BlockMode{Kind: BlockNull},
			want{dns.RcodeSuccess, "0.0.0.0", false}, want{dns.RcodeSuccess, "::", false}, want{dns.RcodeSuccess, "", true}},
		{"refused answers REFUSED", BlockMode{Kind: BlockRefused},
			want{dns.RcodeRefused, "", false}, want{dns.RcodeRefused, "", false}, want{dns.RcodeRefused, "", false}},
		{"ip answers the given addresses", ipMode,
			want{dns.RcodeSuccess, "192.0.2.99", false}, want{dns.RcodeSuccess, "2001:db8::99", false}, want{dns.RcodeSuccess, "", true}},
		{"ip with only IPv4 answers AAAA with NODATA", ip4Only,
			want{dns.RcodeSuccess, "192.0.2.98", false}, want{dns.RcodeSuccess, "", true}, want{dns.RcodeSuccess, "", true}},
	}
	ts := startServer(t, Config{Policy: Policy{TTL: 42 * time.Second}}, testList())
	for _, tc := range tests {
		if err := ts.SetPolicy(Policy{Mode: tc.mode, TTL: 42 * time.Second}); err != nil {
			t.Fatal(err)
		}
		for _, network := range networks {
			for qtype, w := range map[uint16]want{dns.TypeA: tc.a, dns.TypeAAAA: tc.aaaa, dns.TypeTXT: tc.txt} {
				t.Run(network+"/"+tc.name+"/"+dns.TypeToString[qtype], func(t *testing.T) {
					r := ts.query(t, network, "x.evil.example", qtype, true)
					if r.Rcode != w.rcode {
						t.Fatalf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[w.rcode])
					}
					got := ""
					if len(r.Answer) == 1 {
						switch a := r.Answer[0].(type) {
						case *dns.A:
							got = a.A.String()
						case *dns.AAAA:
							got = a.AAAA.String()
						}
						if r.Answer[0].Header().Ttl != 42 {
							t.Errorf("answer TTL %d, want 42", r.Answer[0].Header().Ttl)
						}
						if r.Answer[0].Header().Name != "x.evil.example." {
							t.Errorf("answer owner %q, want the query name", r.Answer[0].Header().Name)
						}
					} else if len(r.Answer) > 1 {
						t.Fatalf("%d answers, want at most 1", len(r.Answer))
					}
					if got != w.answer {
						t.Errorf("answer %q, want %q", got, w.answer)
					}
					soa := soaOf(r)
					if (soa != nil) != w.soa {
						t.Fatalf("SOA present %v, want %v: %v", soa != nil, w.soa, r.Ns)
					}
					if soa != nil && (soa.Hdr.Ttl != 42 || soa.Minttl != 42 || soa.Hdr.Name != "evil.example.") {
						t.Errorf("SOA %v: want owner evil.example., TTL and minimum 42", soa)
					}
					if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeBlocked {
						t.Errorf("EDE %v, want 15 Blocked", e)
					}
				})
			}
		}
	}
}

func TestACLRefusesClientsOutside(t *testing.T) {
	ts := startServer(t, Config{ACL: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, testList())
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			r := ts.query(t, network, "a.test", dns.TypeA, true)
			if r.Rcode != dns.RcodeRefused {
				t.Fatalf("rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
			}
			if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeProhibited {
				t.Errorf("EDE %v, want 18 Prohibited", e)
			}
			if len(r.Answer) != 0 {
				t.Errorf("refused answer carries records: %v", r.Answer)
			}
		})
	}
	if n := ts.auth.udpCount.Load() + ts.auth.tcpCount.Load(); n != 0 {
		t.Errorf("upstream asked %d times for refused clients", n)
	}
}

func TestDefaultACLServesLoopbackOnly(t *testing.T) {
	a := &ACL{allowed: DefaultACL()}
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.31.255.255": true, "192.168.1.1": true,
		"100.64.0.1": true, "100.127.255.254": true, "169.254.1.1": true, "fd00::1": true, "fe80::1": true,
		"::ffff:192.168.1.1": true,
		"8.8.8.8":            false, "172.32.0.1": false, "100.128.0.1": false, "2001:db8::1": false, "::ffff:8.8.8.8": false,
	} {
		if got := a.permits(netip.MustParseAddr(addr)); got != want {
			t.Errorf("permits(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestTruncationAndTCPRetry(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	// Upstream truncates its UDP answer (1232 bytes): the forwarder retries over TCP.
	r := ts.query(t, "tcp", "big.test", dns.TypeTXT, true)
	if r.Truncated || len(r.Answer) != 1 {
		t.Fatalf("over TCP: TC=%v, %d answers; want the whole TXT", r.Truncated, len(r.Answer))
	}
	if ts.auth.tcpCount.Load() == 0 {
		t.Errorf("upstream was never asked over TCP after a truncated UDP answer")
	}
	// To a UDP client the answer does not fit: TC set, OPT kept.
	for _, edns := range []bool{false, true} {
		r := ts.query(t, "udp", "big.test", dns.TypeTXT, edns)
		if !r.Truncated {
			t.Errorf("edns=%v: a %d-byte answer over UDP without TC", edns, r.Len())
		}
		if (r.IsEdns0() != nil) != edns {
			t.Errorf("edns=%v: OPT present %v", edns, r.IsEdns0() != nil)
		}
	}
	// A client advertising a large buffer gets the answer up to our maximum.
	ts2 := startServer(t, Config{MaxUDPSize: 4096}, testList())
	q := new(dns.Msg)
	q.SetQuestion("big.test.", dns.TypeTXT)
	q.SetEdns0(4096, false)
	r = ts2.exchange(t, "udp", q)
	if r.Truncated || len(r.Answer) != 1 {
		t.Errorf("4096-byte buffer: TC=%v answers=%d, want the full answer", r.Truncated, len(r.Answer))
	}
}

func TestEDNS(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	t.Run("DO bit is echoed", func(t *testing.T) {
		q := new(dns.Msg)
		q.SetQuestion("a.test.", dns.TypeA)
		q.SetEdns0(1232, true)
		r := ts.exchange(t, "udp", q)
		if opt := r.IsEdns0(); opt == nil || !opt.Do() || opt.UDPSize() != 1232 {
			t.Errorf("OPT %v, want DO and size 1232", opt)
		}
	})
	t.Run("EDNS version 1 gets BADVERS", func(t *testing.T) {
		q := new(dns.Msg)
		q.SetQuestion("a.test.", dns.TypeA)
		q.SetEdns0(1232, false)
		q.IsEdns0().SetVersion(1)
		r := ts.exchange(t, "udp", q)
		if r.Rcode != dns.RcodeBadVers {
			t.Errorf("rcode %d, want BADVERS (16)", r.Rcode)
		}
	})
	t.Run("question case is restored and ID kept", func(t *testing.T) {
		q := new(dns.Msg)
		q.SetQuestion("A.TeSt.", dns.TypeA)
		r := ts.exchange(t, "udp", q)
		if r.Id != q.Id || r.Question[0].Name != "A.TeSt." {
			t.Errorf("id %d question %q, want %d %q", r.Id, r.Question[0].Name, q.Id, "A.TeSt.")
		}
		r = ts.exchange(t, "udp", q) // now from the cache
		if r.Id != q.Id || r.Question[0].Name != "A.TeSt." {
			t.Errorf("cached: id %d question %q, want %d %q", r.Id, r.Question[0].Name, q.Id, "A.TeSt.")
		}
	})
}

func TestMalformedQueries(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	q := new(dns.Msg)
	q.SetQuestion("a.test.", dns.TypeA)
	good, _ := q.Pack()
	two := new(dns.Msg)
	two.Question = []dns.Question{q.Question[0], q.Question[0]}
	twoRaw, _ := two.Pack()
	notify := new(dns.Msg)
	notify.SetNotify("test.")
	notifyRaw, _ := notify.Pack()
	tests := []struct {
		name  string
		raw   []byte
		rcode int // -1: no answer
	}{
		{"garbage after the header gets FORMERR", append(append([]byte{}, good[:12]...), 0xff, 0xff, 0xff), dns.RcodeFormatError},
		{"two questions get FORMERR", twoRaw, dns.RcodeFormatError},
		{"NOTIFY gets NOTIMP", notifyRaw, dns.RcodeNotImplemented},
	}
	conn := dialUDP(t, ts.udp)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := conn.Write(tc.raw); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 512)
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			var r dns.Msg
			if err := r.Unpack(buf[:n]); err != nil {
				t.Fatalf("answer does not parse: %v", err)
			}
			if r.Rcode != tc.rcode || !r.Response || r.Id != uint16(tc.raw[0])<<8|uint16(tc.raw[1]) {
				t.Errorf("rcode %s QR %v id %d, want %s", dns.RcodeToString[r.Rcode], r.Response, r.Id, dns.RcodeToString[tc.rcode])
			}
		})
	}
	t.Run("short packets and responses are dropped, server keeps serving", func(t *testing.T) {
		resp := append([]byte{}, good...)
		resp[2] |= 0x80
		for _, raw := range [][]byte{{1, 2, 3}, resp} {
			conn.Write(raw)
		}
		conn.SetDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 512)
		if n, err := conn.Read(buf); err == nil {
			t.Errorf("got a %d-byte answer to a packet that must be dropped", n)
		}
		if r := ts.query(t, "udp", "a.test", dns.TypeA, false); r.Rcode != dns.RcodeSuccess {
			t.Errorf("after junk: rcode %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("meta and non-IN queries are not forwarded", func(t *testing.T) {
		for _, tc := range []struct {
			qtype, qclass uint16
			rcode         int
		}{{dns.TypeAXFR, dns.ClassINET, dns.RcodeNotImplemented}, {dns.TypeA, dns.ClassCHAOS, dns.RcodeRefused}, {dns.TypeOPT, dns.ClassINET, dns.RcodeFormatError}} {
			q := new(dns.Msg)
			q.Question = []dns.Question{{Name: "a.test.", Qtype: tc.qtype, Qclass: tc.qclass}}
			q.Id = dns.Id()
			r := ts.exchange(t, "tcp", q)
			if r.Rcode != tc.rcode {
				t.Errorf("%s/%s: rcode %s, want %s", dns.TypeToString[tc.qtype], dns.ClassToString[tc.qclass], dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
		}
	})
}

func TestQNameCaseFoldingSharesCache(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	ts.query(t, "udp", "upper.test", dns.TypeA, false)
	r := ts.query(t, "udp", "UPPER.TEST", dns.TypeA, false)
	if n := ts.auth.udpCount.Load(); n != 1 {
		t.Errorf("upstream asked %d times; want 1 (cache key is case-folded)", n)
	}
	if len(r.Answer) != 1 || !strings.EqualFold(r.Answer[0].Header().Name, "upper.test.") {
		t.Errorf("answer %v", r.Answer)
	}
}
