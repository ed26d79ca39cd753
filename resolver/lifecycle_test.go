package resolver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/scamblock/scamblock/lists"
)

func TestGracefulShutdownAnswersInFlight(t *testing.T) {
	auth := startAuth(t)
	auth.delay.Store(int64(400 * time.Millisecond))
	s, err := New(Config{Listen: []string{"127.0.0.1:0"}, Upstreams: []string{"udp://" + auth.addr},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testList())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	ts := &testServer{Server: s}
	for _, a := range s.Addrs() {
		if a.Network() == "udp" {
			ts.udp = a.String()
		} else {
			ts.tcp = a.String()
		}
	}
	var wg sync.WaitGroup
	for _, network := range networks {
		wg.Go(func() {
			r := ts.query(t, network, "a.test", dns.TypeA, false)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Errorf("%s query in flight at shutdown: rcode %s answers %d", network, dns.RcodeToString[r.Rcode], len(r.Answer))
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // both queries are now waiting on the upstream
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Run took %v to return", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after cancel")
	}
	wg.Wait()
	c := &dns.Client{Net: "udp", Timeout: 300 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion("a.test.", dns.TypeA)
	if _, _, err := c.Exchange(q, ts.udp); err == nil {
		t.Errorf("server still answers after Run returned")
	}
}

func TestReloadUnderLoad(t *testing.T) {
	version := func(i int) map[string]lists.Hit {
		return map[string]lists.Hit{
			"evil.example":  {Source: fmt.Sprintf("feed-v%d", i)},
			"drain.example": {Source: "scam-feed"},
		}
	}
	bl := newMapBlocklist(version(0))
	ts := startServer(t, Config{}, bl)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var answered, wrong atomic.Int64
	cases := []struct {
		network, name string
		rcode         int
	}{
		{"udp", "x.evil.example", dns.RcodeNameError},
		{"tcp", "evil.example", dns.RcodeNameError},
		{"udp", "a.test", dns.RcodeSuccess},
		{"tcp", "alias.test", dns.RcodeNameError},
		{"udp", "safe.test", dns.RcodeSuccess},
		{"tcp", "a.test", dns.RcodeSuccess},
	}
	for _, tc := range cases {
		wg.Go(func() {
			c := &dns.Client{Net: tc.network, Timeout: 2 * time.Second}
			conn, err := c.Dial(ts.addr(tc.network)) // one connection (or socket) per goroutine
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			for ctx.Err() == nil {
				q := new(dns.Msg)
				q.SetQuestion(dns.Fqdn(tc.name), dns.TypeA)
				q.SetEdns0(1232, false)
				r, _, err := c.ExchangeWithConn(q, conn)
				answered.Add(1)
				if err != nil || r.Rcode != tc.rcode {
					wrong.Add(1)
					t.Errorf("%s %s: err %v answer %v", tc.network, tc.name, err, r)
					return
				}
				if tc.rcode == dns.RcodeNameError {
					if e := edeOf(r); e == nil || e.InfoCode != dns.ExtendedErrorCodeBlocked {
						wrong.Add(1)
						t.Errorf("%s %s: EDE %v", tc.network, tc.name, e)
						return
					}
				}
			}
		})
	}
	for i := 1; i <= 100; i++ {
		bl.Replace(version(i))
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if answered.Load() < 100 {
		t.Errorf("only %d queries answered during 100 reloads", answered.Load())
	}
	t.Logf("%d queries during 100 reloads, %d wrong", answered.Load(), wrong.Load())
}

// walletZone answers TXT for names under hashbl.test., like the wallet package will.
type walletZone struct{}

func (walletZone) Answer(req *dns.Msg) (*dns.Msg, bool) {
	q := req.Question[0]
	if !dns.IsSubDomain("hashbl.test.", q.Name) {
		return nil, false
	}
	m := new(dns.Msg)
	m.Authoritative = true
	m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"listed"}}}
	return m, true
}

func TestLocalZoneAnswersFirst(t *testing.T) {
	bl := newMapBlocklist(map[string]lists.Hit{"hashbl.test": {Source: "oops"}})
	ts := startServer(t, Config{}, bl, walletZone{})
	r := ts.query(t, "udp", "abc.hashbl.test", dns.TypeTXT, true)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || !r.Authoritative {
		t.Fatalf("local zone answer: %v", r)
	}
	if ts.auth.udpCount.Load() != 0 {
		t.Errorf("upstream was asked for a local-zone name")
	}
}

func TestRateLimitDropsFloodingClient(t *testing.T) {
	ts := startServer(t, Config{RateLimit: 5, RateBurst: 5}, testList())
	c := &dns.Client{Net: "udp", Timeout: 150 * time.Millisecond}
	var ok, dropped int
	for range 12 {
		q := new(dns.Msg)
		q.SetQuestion("evil.example.", dns.TypeA)
		if _, _, err := c.Exchange(q, ts.udp); err != nil {
			dropped++
		} else {
			ok++
		}
	}
	if ok < 5 || dropped == 0 {
		t.Errorf("%d answered, %d dropped; want the burst of 5 answered and the rest mostly dropped", ok, dropped)
	}
	// TCP is not limited.
	if r := ts.query(t, "tcp", "evil.example", dns.TypeA, false); r.Rcode != dns.RcodeNameError {
		t.Errorf("tcp: rcode %s", dns.RcodeToString[r.Rcode])
	}
}

func TestMetricsCountOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := startServer(t, Config{Metrics: reg}, testList())
	ts.query(t, "udp", "evil.example", dns.TypeA, false)
	ts.query(t, "udp", "a.test", dns.TypeA, false)
	ts.query(t, "udp", "a.test", dns.TypeA, false)
	for _, tc := range []struct {
		outcome string
		want    float64
	}{{"blocked", 1}, {"forwarded", 1}, {"cached", 1}} {
		var m dto.Metric
		if err := ts.metrics.queries[qtypeIndex(dns.TypeA)][outcomeByName(tc.outcome)].Write(&m); err != nil {
			t.Fatal(err)
		}
		got := m.GetCounter().GetValue()
		if got != tc.want {
			t.Errorf("queries{qtype=A,outcome=%s} = %v, want %v", tc.outcome, got, tc.want)
		}
	}
	// NOTIMP has its own label, whether for an opcode or a zone transfer.
	status := new(dns.Msg)
	status.SetQuestion("a.test.", dns.TypeA)
	status.Opcode = dns.OpcodeStatus
	if r := ts.exchange(t, "udp", status); r.Rcode != dns.RcodeNotImplemented {
		t.Errorf("STATUS opcode: rcode %s, want NOTIMP", dns.RcodeToString[r.Rcode])
	}
	if r := ts.query(t, "tcp", "a.test", dns.TypeAXFR, false); r.Rcode != dns.RcodeNotImplemented {
		t.Errorf("AXFR: rcode %s, want NOTIMP", dns.RcodeToString[r.Rcode])
	}
	var notimp dto.Metric // both under qtype="other"
	if err := ts.metrics.queries[qtypeIndex(dns.TypeAXFR)][OutcomeNotImp].Write(&notimp); err != nil {
		t.Fatal(err)
	}
	if got := notimp.GetCounter().GetValue(); got != 2 {
		t.Errorf("queries{qtype=other,outcome=notimp} = %v, want 2 (the STATUS query and the AXFR)", got)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range fams {
		found[f.GetName()] = true
	}
	for _, name := range []string{"scamblock_dns_queries_total", "scamblock_dns_cache_entries", "scamblock_dns_upstream_duration_seconds"} {
		if !found[name] {
			t.Errorf("metric %s not gathered", name)
		}
	}
	if _, err := New(Config{Upstreams: []string{"udp://127.0.0.1:53"}, Metrics: reg}, testList()); err == nil {
		t.Errorf("a second Server on the same Registerer was accepted")
	}
}

func outcomeByName(s string) Outcome {
	for o := range Outcome(numOutcomes) {
		if o.String() == s {
			return o
		}
	}
	return numOutcomes
}

func TestTCPPipelining(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	conn, err := dns.Dial("tcp", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	want := map[uint16]int{}
	for i, name := range []string{"a.test.", "evil.example.", "nope.test.", "alias.test.", "safe.test."} {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		q.Id = uint16(1000 + i)
		want[q.Id] = map[string]int{"a.test.": dns.RcodeSuccess, "safe.test.": dns.RcodeSuccess}[name]
		if name != "a.test." && name != "safe.test." {
			want[q.Id] = dns.RcodeNameError
		}
		if err := conn.WriteMsg(q); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		r, err := conn.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		rcode, ok := want[r.Id]
		if !ok {
			t.Fatalf("answer with unknown or repeated id %d", r.Id)
		}
		if r.Rcode != rcode {
			t.Errorf("id %d (%s): rcode %s, want %s", r.Id, r.Question[0].Name, dns.RcodeToString[r.Rcode], dns.RcodeToString[rcode])
		}
		delete(want, r.Id)
	}
}

// TestRateLimitSlip: over the rate, every 2nd UDP query (the default slip)
// gets an empty TC=1 answer and the others none; the fast path (a blocked
// name) and the chain (a name the fast path declines) behave the same, and
// both are counted.
func TestRateLimitSlip(t *testing.T) {
	for _, tc := range []struct{ path, name string }{
		{"fast path", "evil.example."},
		{"chain", "odd!name.test."},
		{"upstream miss, then cache hits", "a.test."},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ts := startServer(t, Config{RateLimit: 1, RateBurst: 4}, testList())
			c := dialUDP(t, ts.udp)
			const sent = 24
			for i := range sent {
				q := new(dns.Msg)
				q.SetQuestion(tc.name, dns.TypeA)
				q.Id = uint16(i + 1)
				b, _ := q.Pack()
				if _, err := c.Write(b); err != nil {
					t.Fatal(err)
				}
			}
			var full, truncated int
			buf := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
			for {
				n, err := c.Read(buf)
				if err != nil {
					break
				}
				var r dns.Msg
				if err := r.Unpack(buf[:n]); err != nil {
					t.Fatal(err)
				}
				if r.Truncated {
					truncated++
					if len(r.Answer)+len(r.Ns)+len(r.Extra) != 0 || r.Rcode != dns.RcodeSuccess || len(r.Question) != 1 {
						t.Errorf("slip answer is not empty NOERROR with the question: %v", &r)
					}
				} else {
					full++
				}
			}
			limited := sent - full
			// The burst of 4 (a 5th token may arrive while sending), then half
			// the limited ones truncated and half dropped.
			if full < 4 || full > 5 || truncated != limited/2 {
				t.Errorf("%d full answers, %d truncated; want 4-5 full and half of the other %d truncated", full, truncated, limited)
			}
			var m dto.Metric
			ts.metrics.rateLimited[1].Write(&m)
			if got := int(m.GetCounter().GetValue()); got != truncated {
				t.Errorf("truncated counter = %d, want %d", got, truncated)
			}
		})
	}
}
