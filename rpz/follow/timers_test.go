package follow

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/scamblock/scamblock/rpz"
)

// Without NOTIFY the follower sees a change at the SOA refresh.
func TestRefreshTimerPicksUpChangesWithoutNotify(t *testing.T) {
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{Zone: rpz.ZoneOptions{Refresh: 1}}, primaryMatcher())
	f := node.follow(t, Config{Primary: p.addr, MinRefresh: 500 * time.Millisecond})
	node.waitSerial(t, p.Zone().Serial(), 10*time.Second)
	start := time.Now()
	if _, err := p.Update(primaryMatcher("new-scam.com")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, node.dns, "new-scam.com", true, 3*time.Second)
	t.Logf("change seen at the SOA refresh (1 s) after %v", time.Since(start).Round(time.Millisecond))
	if st := f.Status(); st.Notifies != 0 || st.IXFR != 1 {
		t.Errorf("status %+v: want the change by IXFR without NOTIFY", st)
	}
}

// An IXFR from a serial the primary no longer journals is answered with
// the whole zone, which the follower takes.
func TestIXFRAnsweredWithTheWholeZone(t *testing.T) {
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{Notify: []string{node.dns}, JournalDeltas: -1}, primaryMatcher())
	f := node.follow(t, Config{Primary: p.addr})
	node.waitSerial(t, p.Zone().Serial(), 10*time.Second)
	if _, err := p.Update(primaryMatcher("new-scam.com")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, node.dns, "new-scam.com", true, 2*time.Second)
	checkPolicy(t, node.dns)
	if l := p.logs.String(); !strings.Contains(l, `type="IXFR as AXFR"`) {
		t.Errorf("primary did not answer the IXFR with the whole zone:\n%s", l)
	}
	if st := f.Status(); st.AXFR != 2 || st.IXFR != 0 {
		t.Errorf("status %+v: want two full transfers", st)
	}
}

// scripted is a primary whose IXFR answers are chosen by the test: the
// cases BIND and scamblock do not produce on demand. It counts SOA
// queries and AXFRs.
type scripted struct {
	addr   string
	serial atomic.Uint32
	ixfr   atomic.Value // string: "soa-only", "bad-delta"
	soas   atomic.Int32
	axfrs  atomic.Int32
	mu     sync.Mutex
	names  []string // blocked names of the current version
}

func (s *scripted) soa(serial uint32) *dns.SOA {
	return &dns.SOA{Hdr: dns.RR_Header{Name: "rpz.scamblock.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
		Ns: "ns.", Mbox: "host.", Serial: serial, Refresh: 3600, Retry: 1, Expire: 86400, Minttl: 300}
}

func (s *scripted) set(serial uint32, names ...string) {
	s.mu.Lock()
	s.names = names
	s.mu.Unlock()
	s.serial.Store(serial)
}

func (s *scripted) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	serial := s.serial.Load()
	switch r.Question[0].Qtype {
	case dns.TypeSOA:
		s.soas.Add(1)
		m.Answer = []dns.RR{s.soa(serial)}
	case dns.TypeAXFR:
		s.axfrs.Add(1)
		rrs := []dns.RR{s.soa(serial)}
		s.mu.Lock()
		for _, n := range s.names {
			rrs = append(rrs, &dns.CNAME{Hdr: dns.RR_Header{Name: n + ".rpz.scamblock.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "."})
		}
		s.mu.Unlock()
		rrs = append(rrs, s.soa(serial))
		ch := make(chan *dns.Envelope, 1)
		ch <- &dns.Envelope{RR: rrs}
		close(ch)
		new(dns.Transfer).Out(w, r, ch)
		w.Close()
		return
	case dns.TypeIXFR:
		have := r.Ns[0].(*dns.SOA).Serial
		switch s.ixfr.Load() {
		case "soa-only":
			m.Answer = []dns.RR{s.soa(serial)}
			w.WriteMsg(m)
			w.Close() // nothing follows
			return
		case "bad-delta":
			gone := &dns.CNAME{Hdr: dns.RR_Header{Name: "never-listed.com.rpz.scamblock.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "."}
			m.Answer = []dns.RR{s.soa(serial), s.soa(have), gone, s.soa(serial), s.soa(serial)}
		}
	}
	w.WriteMsg(m)
}

func startScripted(t testing.TB) *scripted {
	t.Helper()
	s := &scripted{}
	s.ixfr.Store("")
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", tl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ts := &dns.Server{Listener: tl, Handler: s}
	us := &dns.Server{PacketConn: pc, Handler: s}
	go ts.ActivateAndServe()
	go us.ActivateAndServe()
	t.Cleanup(func() { ts.Shutdown(); us.Shutdown() })
	s.addr = tl.Addr().String()
	return s
}

func TestIXFRFallsBackToAXFR(t *testing.T) {
	for _, mode := range []string{"soa-only", "bad-delta"} {
		t.Run(mode, func(t *testing.T) {
			s := startScripted(t)
			s.set(10, "one-scam.com")
			node := startResolver(t)
			f := node.follow(t, Config{Primary: s.addr, ReadTimeout: 2 * time.Second})
			waitBlocked(t, node.dns, "one-scam.com", true, 5*time.Second)
			s.ixfr.Store(mode)
			s.set(11, "two-scam.com")
			start := time.Now()
			if err := f.Notify(netip.MustParseAddr("127.0.0.1"), 11); err != nil {
				t.Fatal(err)
			}
			waitBlocked(t, node.dns, "two-scam.com", true, 5*time.Second)
			waitBlocked(t, node.dns, "one-scam.com", false, time.Second)
			t.Logf("%s: whole zone after %v", mode, time.Since(start).Round(time.Millisecond))
			if n := s.axfrs.Load(); n != 2 {
				t.Errorf("%d AXFRs, want 2", n)
			}
			if st := f.Status(); st.Serial != 11 || st.LastError != "" {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// A burst of NOTIFYs makes one or two checks, not one each.
func TestNotifyBurstsAreCoalesced(t *testing.T) {
	s := startScripted(t)
	s.set(10, "one-scam.com")
	node := startResolver(t)
	f := node.follow(t, Config{Primary: s.addr})
	waitBlocked(t, node.dns, "one-scam.com", true, 5*time.Second)
	before := s.soas.Load()
	s.set(11, "two-scam.com")
	for range 200 {
		if err := f.Notify(netip.MustParseAddr("127.0.0.1"), 11); err != nil {
			t.Fatal(err)
		}
	}
	waitBlocked(t, node.dns, "two-scam.com", true, 2*time.Second)
	time.Sleep(300 * time.Millisecond) // any check still pending
	if n := s.soas.Load() - before; n < 1 || n > 3 {
		t.Errorf("200 NOTIFYs made %d SOA queries, want 1 to 3", n)
	}
	// NOTIFYs for the serial the follower has start nothing.
	before = s.soas.Load()
	for range 50 {
		f.Notify(netip.MustParseAddr("127.0.0.1"), 11)
	}
	time.Sleep(300 * time.Millisecond)
	if n := s.soas.Load() - before; n != 0 {
		t.Errorf("NOTIFYs for the current serial made %d SOA queries", n)
	}
}

// After SOA expire without contact the copy is still served, marked stale
// in the status and the metrics.
func TestExpiredCopyIsServedAndMarkedStale(t *testing.T) {
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{Zone: rpz.ZoneOptions{Retry: 1, Expire: 2}}, primaryMatcher())
	f := node.follow(t, Config{Primary: p.addr, RetryBase: 100 * time.Millisecond})
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.Collector())
	node.waitSerial(t, p.Zone().Serial(), 10*time.Second)
	if v := metric(t, reg, "scamblock_follow_stale"); v != 0 {
		t.Errorf("stale before expire: %v", v)
	}
	if v := metric(t, reg, "scamblock_follow_serial"); v != float64(p.Zone().Serial()) {
		t.Errorf("serial metric %v, want %d", v, p.Zone().Serial())
	}
	p.stop()
	f.Notify(netip.MustParseAddr("127.0.0.1"), p.Zone().Serial()+1) // check now: it fails
	waitFor(t, 5*time.Second, "stale", func() error {
		if !f.Status().Stale {
			return errors.New("not stale")
		}
		return nil
	})
	checkPolicy(t, node.dns)
	if v := metric(t, reg, "scamblock_follow_stale"); v != 1 {
		t.Errorf("stale metric %v after expire, want 1", v)
	}
	if v := metric(t, reg, "scamblock_follow_check_failures_total"); v < 1 {
		t.Errorf("failures metric %v, want ≥1", v)
	}
	// Logged at the first failed check after expire (retry ≤ SOA retry).
	waitFor(t, 3*time.Second, "a log line about the stale copy", func() error {
		if !strings.Contains(node.logs.String(), "marked stale") {
			return errors.New("not logged")
		}
		return nil
	})
}

// metric returns the value of the one sample of name in reg.
func metric(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestRetryBackoff(t *testing.T) {
	f, err := New(Config{Primary: "127.0.0.1:1", Zone: "rpz.test", RetryBase: time.Second, MaxRetry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for n := 1; n <= 11; n++ {
		got = append(got, fmt.Sprint(f.retryAfter(n)))
	}
	// No SOA yet: capped at 5 minutes.
	if want := "[1s 2s 4s 8s 16s 32s 1m4s 2m8s 4m16s 5m0s 5m0s]"; fmt.Sprint(got) != want {
		t.Errorf("backoff %v, want %s", got, want)
	}
}
