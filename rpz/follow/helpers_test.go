package follow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/resolver"
	"github.com/scamblock/scamblock/rpz"
)

// logBuffer collects log lines for assertions; safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func buildSet(source string, entries ...lists.Entry) *lists.Set {
	b := lists.NewSetBuilder(source)
	for i, e := range entries {
		if e.Kind == 0 {
			e.Kind = lists.KindDomain
		}
		e.Line = i + 1
		b.Add(e)
	}
	return b.Build()
}

func block(name string) lists.Entry { return lists.Entry{Value: name} }

func compile(sets ...*lists.Set) *lists.Matcher {
	m, _ := lists.Compile(sets, lists.CompileOptions{})
	return m
}

// primaryMatcher lists blocked names, an exact-allowed name deep under a
// blocked one, an exact block, and more.
func primaryMatcher(more ...string) *lists.Matcher {
	entries := []lists.Entry{
		block("scam-listed.com"),
		block("scam-evil.net"),
		{Value: "ok.x.scam-evil.net", Action: lists.Allow, Exact: true},
		{Value: "scam-exact.org", Exact: true},
	}
	for _, n := range more {
		entries = append(entries, block(n))
	}
	return compile(buildSet("feed", entries...))
}

// primary is a scamblock RPZ primary on a loopback port.
type primary struct {
	*rpz.Server
	addr string
	logs *logBuffer
	stop func() // stops it before the test ends
}

// startPrimary runs a scamblock RPZ primary serving m on a loopback port.
func startPrimary(t testing.TB, cfg rpz.Config, m *lists.Matcher) *primary {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if cfg.Zone.Origin == "" {
		cfg.Zone.Origin = "rpz.scamblock."
	}
	if cfg.NotifyTimeout == 0 {
		cfg.NotifyTimeout = 200 * time.Millisecond
	}
	logs := &logBuffer{}
	cfg.Logger = testLogger(logs)
	s, err := rpz.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m != nil {
		if _, err := s.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	if s.Addr() == nil {
		cancel()
		t.Fatalf("rpz server did not start: %v", <-done)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("primary Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &primary{Server: s, addr: s.Addr().String(), logs: logs, stop: stop}
}

// notifyRelay lets the resolver be built before the follower it hands
// NOTIFYs to (the follower needs the primary's address, the primary the
// resolver's).
type notifyRelay struct{ f atomic.Pointer[Follower] }

func (r *notifyRelay) ServeNotify(raw []byte, from netip.Addr) ([]byte, bool) {
	if f := r.f.Load(); f != nil {
		return f.ServeNotify(raw, from)
	}
	return nil, false
}

// node is one follower with the resolver that answers from its Set, as
// scamblock serve --follow runs them.
type followerNode struct {
	relay   *notifyRelay
	lists   *lists.Live
	dns     string // the resolver's UDP address
	f       *Follower
	logs    *logBuffer
	changes chan time.Time // when each Set was swapped in
	applied atomic.Pointer[lists.Set]
	stop    func()
}

// waitSerial waits until the follower has serial and the resolver answers
// from its Set.
func (n *followerNode) waitSerial(t testing.TB, serial uint32, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("serial %d in use", serial), func() error {
		st := n.f.Status()
		if st.Serial != serial || n.applied.Load() != n.f.Set() {
			return fmt.Errorf("serial %d, last error %q", st.Serial, st.LastError)
		}
		return nil
	})
}

// startResolver runs a resolver that blocks by the follower's Set and
// forwards other names to a local upstream (A 192.0.2.1 for every name).
func startResolver(t testing.TB) *followerNode {
	t.Helper()
	n := &followerNode{relay: &notifyRelay{}, lists: &lists.Live{}, changes: make(chan time.Time, 64), logs: &logBuffer{}}
	n.lists.Replace(compile())
	s, err := resolver.New(resolver.Config{
		Listen:    []string{"127.0.0.1:0"},
		Upstreams: []string{"udp://" + startUpstream(t)},
		Notify:    n.relay,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, n.lists)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("resolver Run: %v", err)
		}
	})
	for _, a := range s.Addrs() {
		if u, ok := a.(*net.UDPAddr); ok {
			n.dns = u.String()
		}
	}
	return n
}

// follow starts a Follower of cfg.Primary whose Sets the node's resolver
// answers from. The follower stops when the test ends or n.stop is called.
func (n *followerNode) follow(t testing.TB, cfg Config) *Follower {
	t.Helper()
	if cfg.Zone == "" {
		cfg.Zone = "rpz.scamblock"
	}
	cfg.Logger = testLogger(n.logs)
	cfg.OnChange = func(s *lists.Set) {
		n.lists.Replace(compile(s))
		n.applied.Store(s)
		select {
		case n.changes <- time.Now():
		default:
		}
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.f = f
	n.relay.f.Store(f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("follower Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("follower log:\n%s", n.logs.String())
		}
	})
	return f
}

// startUpstream serves A 192.0.2.1 for every name on UDP and TCP.
func startUpstream(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative, m.RecursionAvailable = true, true
		if q := r.Question[0]; q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)})
		}
		w.WriteMsg(m)
	})
	us := &dns.Server{PacketConn: pc, Handler: h}
	go us.ActivateAndServe()
	t.Cleanup(func() { us.Shutdown() })
	return pc.LocalAddr().String()
}

func query(addr, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	resp, _, err := (&dns.Client{Net: "udp", Timeout: time.Second}).Exchange(q, addr)
	return resp, err
}

// blocked says whether the resolver at addr answers name with NXDOMAIN.
func blocked(addr, name string) (bool, error) {
	resp, err := query(addr, name, dns.TypeA)
	if err != nil {
		return false, err
	}
	switch resp.Rcode {
	case dns.RcodeNameError:
		return true, nil
	case dns.RcodeSuccess:
		return false, nil
	}
	return false, fmt.Errorf("%s: rcode %s", name, dns.RcodeToString[resp.Rcode])
}

// waitFor polls cond every 10ms until it returns nil or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitBlocked(t testing.TB, addr, name string, want bool, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("%s blocked=%v at %s", name, want, addr), func() error {
		got, err := blocked(addr, name)
		if err == nil && got != want {
			err = fmt.Errorf("blocked=%v", got)
		}
		return err
	})
}

// policyCases are names and whether the primaryMatcher blocks them.
var policyCases = []struct {
	name    string
	blocked bool
}{
	{"scam-listed.com", true},
	{"a.b.scam-listed.com", true},
	{"unlisted-site.com", false},
	{"ok.x.scam-evil.net", false},
	{"x.scam-evil.net", true},
	{"a.ok.x.scam-evil.net", true},
	{"scam-exact.org", true},
	{"a.scam-exact.org", false},
}

func checkPolicy(t *testing.T, addr string) {
	t.Helper()
	for _, c := range policyCases {
		got, err := blocked(addr, c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		} else if got != c.blocked {
			t.Errorf("%s: blocked=%v, want %v", c.name, got, c.blocked)
		}
	}
}
