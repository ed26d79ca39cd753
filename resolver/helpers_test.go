package resolver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// mapBlocklist is a Blocklist over a map of listed names, swapped atomically.
// It walks the suffixes of the query name like lists.Matcher does.
type mapBlocklist struct {
	m atomic.Pointer[map[string]lists.Hit]
}

func newMapBlocklist(entries map[string]lists.Hit) *mapBlocklist {
	b := &mapBlocklist{}
	b.Replace(entries)
	return b
}

func (b *mapBlocklist) Replace(entries map[string]lists.Hit) {
	m := make(map[string]lists.Hit, len(entries))
	for k, h := range entries {
		if h.Name == "" {
			h.Name = k
		}
		m[k] = h
	}
	b.m.Store(&m)
}

func (b *mapBlocklist) Lookup(name string) (lists.Hit, bool) {
	m := *b.m.Load()
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	exact := true
	for name != "" {
		if h, ok := m[name]; ok && (exact || !h.Exact) {
			return h, h.Action == lists.Block
		}
		_, rest, found := strings.Cut(name, ".")
		if !found {
			break
		}
		name, exact = rest, false
	}
	return lists.Hit{}, false
}

// testList lists evil.example (source metamask) and allows good.evil.example.
func testList() *mapBlocklist {
	return newMapBlocklist(map[string]lists.Hit{
		"evil.example":      {Source: "metamask", Category: "phishing", Line: 7},
		"good.evil.example": {Source: "--allow", Action: lists.Allow},
		"drain.example":     {Source: "scam-feed"},
	})
}

// authServer is a small authoritative server for the zone "test." (and a
// few out-of-zone names) on 127.0.0.1, UDP and TCP on the same port.
type authServer struct {
	addr     string
	udpCount atomic.Int64
	tcpCount atomic.Int64
	delay    atomic.Int64 // nanoseconds to wait before answering
	udp, tcp *dns.Server
	stopOnce sync.Once
	zoneSOA  *dns.SOA
}

func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("bad test record %q: %v", s, err)
	}
	return r
}

var zoneText = []string{
	"a.test. 3600 IN A 192.0.2.1",
	"a.test. 3600 IN TXT \"hello\"",
	"short.test. 5 IN A 192.0.2.5",
	"alias.test. 300 IN CNAME www.evil.example.",
	"www.evil.example. 300 IN A 192.0.2.66",
	"chain.test. 300 IN CNAME b.test.",
	"b.test. 300 IN CNAME c.drain.example.",
	"c.drain.example. 300 IN A 192.0.2.67",
	"safe.test. 300 IN CNAME a.test.",
	"upper.test. 300 IN A 192.0.2.9",
	"good.evil.example. 300 IN A 192.0.2.10",
	"loop.test. 300 IN A 127.0.0.1",
}

func startAuth(t testing.TB) *authServer {
	t.Helper()
	a := &authServer{}
	a.zoneSOA = rr(t, "test. 600 IN SOA ns.test. host.test. 1 3600 600 86400 60").(*dns.SOA)
	records := map[string][]dns.RR{}
	for _, s := range zoneText {
		r := rr(t, s)
		records[strings.ToLower(r.Header().Name)] = append(records[strings.ToLower(r.Header().Name)], r)
	}
	var big []string
	for i := 0; i < 20; i++ {
		big = append(big, strings.Repeat(string(rune('a'+i)), 200))
	}
	records["big.test."] = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "big.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: big}}

	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
			a.tcpCount.Add(1)
		} else {
			a.udpCount.Add(1)
		}
		if d := a.delay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		name := strings.ToLower(q.Question[0].Name)
		qt := q.Question[0].Qtype
		for range 8 { // follow CNAMEs within our data
			rrs, ok := records[name]
			if !ok {
				break
			}
			var cname *dns.CNAME
			for _, r := range rrs {
				if r.Header().Rrtype == qt {
					m.Answer = append(m.Answer, r)
				} else if c, ok := r.(*dns.CNAME); ok && qt != dns.TypeCNAME {
					cname = c
				}
			}
			if cname == nil {
				break
			}
			m.Answer = append(m.Answer, cname)
			name = strings.ToLower(cname.Target)
		}
		if len(m.Answer) == 0 {
			if _, ok := records[name]; !ok {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = []dns.RR{a.zoneSOA}
		}
		if opt := q.IsEdns0(); opt != nil {
			m.SetEdns0(opt.UDPSize(), opt.Do())
		}
		if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
			size := dns.MinMsgSize
			if opt := q.IsEdns0(); opt != nil {
				size = int(opt.UDPSize())
			}
			m.Truncate(size)
		}
		w.WriteMsg(m)
	})

	for attempt := 0; ; attempt++ { // TCP first: see Server.bind
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			l.Close()
			if attempt < 20 {
				continue
			}
			t.Fatal(err)
		}
		a.addr = l.Addr().String()
		a.udp = &dns.Server{PacketConn: pc, Handler: handler}
		a.tcp = &dns.Server{Listener: l, Handler: handler}
		break
	}
	for _, s := range []*dns.Server{a.udp, a.tcp} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
	}
	t.Cleanup(a.stop)
	return a
}

// stop shuts the upstream down; its port then refuses (ICMP / RST).
func (a *authServer) stop() {
	a.stopOnce.Do(func() {
		a.udp.Shutdown()
		a.tcp.Shutdown()
	})
}

type testServer struct {
	*Server
	udp, tcp string
	auth     *authServer
}

// startServer runs a Server with cfg (Upstreams default to a fresh authServer)
// on 127.0.0.1:0 and stops it in t.Cleanup.
func startServer(t testing.TB, cfg Config, bl Blocklist, zones ...LocalZone) *testServer {
	t.Helper()
	return startServerSetup(t, cfg, bl, nil, zones...)
}

// startServerSetup is startServer with setup run on the Server before Run.
func startServerSetup(t testing.TB, cfg Config, bl Blocklist, setup func(*Server), zones ...LocalZone) *testServer {
	t.Helper()
	ts := &testServer{}
	if cfg.Upstreams == nil {
		ts.auth = startAuth(t)
		cfg.Upstreams = []string{"udp://" + ts.auth.addr}
	}
	if cfg.Listen == nil {
		cfg.Listen = []string{"127.0.0.1:0"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.UpstreamTimeout == 0 {
		cfg.UpstreamTimeout = time.Second
	}
	if cfg.ResolveTimeout == 0 {
		cfg.ResolveTimeout = 2 * time.Second
	}
	s, err := New(cfg, bl, zones...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if setup != nil {
		setup(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return 10s after cancel")
		}
	})
	ts.Server = s
	for _, a := range s.Addrs() {
		switch a := a.(type) {
		case *net.UDPAddr:
			ts.udp = a.String()
		case *net.TCPAddr:
			if ts.tcp == "" { // the first: DoT and DoH listeners follow
				ts.tcp = a.String()
			}
		}
	}
	if ts.udp == "" || ts.tcp == "" {
		t.Fatalf("server addresses %v: want one UDP and one TCP", s.Addrs())
	}
	return ts
}

func (ts *testServer) addr(network string) string {
	if network == "tcp" {
		return ts.tcp
	}
	return ts.udp
}

// query asks ts over network ("udp" or "tcp"); edns adds an OPT record (size 1232).
func (ts *testServer) query(t testing.TB, network, name string, qtype uint16, edns bool) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	if edns {
		q.SetEdns0(1232, false)
	}
	return ts.exchange(t, network, q)
}

func (ts *testServer) exchange(t testing.TB, network string, q *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second, UDPSize: 65535}
	r, _, err := c.Exchange(q, ts.addr(network))
	if err != nil {
		t.Fatalf("%s query %s %s: %v", network, q.Question[0].Name, dns.TypeToString[q.Question[0].Qtype], err)
	}
	return r
}

// edeOf returns the EDE option of m, or nil.
func edeOf(m *dns.Msg) *dns.EDNS0_EDE {
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			return e
		}
	}
	return nil
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func dialUDP(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The real list types satisfy Blocklist.
var (
	_ Blocklist = (*lists.Live)(nil)
	_ Blocklist = (*lists.Matcher)(nil)
)
