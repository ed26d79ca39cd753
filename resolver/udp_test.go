package resolver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// burst sends every query in qs from conn without waiting, then reads until
// each has an answer (matched by ID) or the deadline passes.
func burst(t *testing.T, conn net.Conn, qs []*dns.Msg) map[uint16]*dns.Msg {
	t.Helper()
	if uc, ok := conn.(*net.UDPConn); ok {
		uc.SetReadBuffer(4 << 20) // the answers arrive faster than this test reads them
	}
	for _, q := range qs {
		raw, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(raw); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint16]*dns.Msg{}
	buf := make([]byte, 65535)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < len(qs) {
		n, err := conn.Read(buf)
		if err != nil {
			var missing []string
			for _, q := range qs {
				if got[q.Id] == nil && len(missing) < 5 {
					missing = append(missing, q.Question[0].Name)
				}
			}
			t.Fatalf("%d of %d answers, then: %v; missing e.g. %v", len(got), len(qs), err, missing)
		}
		var m dns.Msg
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatalf("answer does not parse: %v", err)
		}
		got[m.Id] = &m
	}
	return got
}

// TestUDPBurstOfFastAndSlowQueriesIsAnswered runs the platform's read loop
// (batched on Linux) and the portable one (one datagram per system call,
// what other systems run), so that the portable loop is tested on Linux too.
func TestUDPBurstOfFastAndSlowQueriesIsAnswered(t *testing.T) {
	t.Run("platform loop", func(t *testing.T) { testUDPBurst(t, nil) })
	t.Run("portable loop", func(t *testing.T) { testUDPBurst(t, func(s *Server) { s.plainUDP = true }) })
}

func testUDPBurst(t *testing.T, setup func(*Server)) {
	ts := startServerSetup(t, Config{UDPSockets: 2}, testList(), setup)
	ts.query(t, "udp", "a.test", dns.TypeA, false) // cached: a.test is now a fast-path hit
	type want struct {
		rcode int
		what  string
	}
	var qs []*dns.Msg
	wants := map[uint16]want{}
	for i := range 300 {
		q := new(dns.Msg)
		var w want
		switch i % 4 {
		case 3:
			q.SetQuestion(fmt.Sprintf("miss%d.test.", i), dns.TypeA)
			w = want{dns.RcodeNameError, "miss (fast miss path, NXDOMAIN from upstream)"}
		case 0:
			q.SetQuestion(fmt.Sprintf("x%d.evil.example.", i), dns.TypeA)
			w = want{dns.RcodeNameError, "blocked (fast path)"}
		case 1:
			q.SetQuestion("a.test.", dns.TypeA)
			w = want{dns.RcodeSuccess, "cache hit (fast path)"}
		case 2:
			q.SetQuestion("good.evil.example.", dns.TypeA)
			w = want{dns.RcodeSuccess, "allowed (chain)"}
		}
		q.Id = uint16(i + 1)
		if i%2 == 0 {
			q.SetEdns0(1232, false)
		}
		qs = append(qs, q)
		wants[q.Id] = w
	}
	for c := range 4 { // several client sockets: the kernel spreads them over the server's sockets
		t.Run(fmt.Sprintf("client %d", c), func(t *testing.T) {
			got := burst(t, dialUDP(t, ts.udp), qs)
			for id, w := range wants {
				m := got[id]
				if m.Rcode != w.rcode {
					t.Errorf("query %d, %s: rcode %s, want %s", id, w.what, dns.RcodeToString[m.Rcode], dns.RcodeToString[w.rcode])
				}
				if m.Question[0].Name != qs[id-1].Question[0].Name {
					t.Errorf("query %d: answer for %q, want %q", id, m.Question[0].Name, qs[id-1].Question[0].Name)
				}
			}
		})
	}
}

// udpSocketsOn counts the kernel's UDP sockets bound to 127.0.0.1:port.
func udpSocketsOn(t *testing.T, port int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Skipf("cannot count sockets: %v", err)
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == local {
			n++
		}
	}
	return n
}

func TestUDPSocketsShareOneAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_REUSEPORT groups are used on Linux only")
	}
	ts := startServer(t, Config{UDPSockets: 3}, testList())
	var udps int
	for _, a := range ts.Addrs() {
		if a.Network() == "udp" {
			udps++
		}
	}
	if udps != 1 {
		t.Errorf("Addrs %v: want one UDP address for the listen address", ts.Addrs())
	}
	port := ts.Addrs()[0].(*net.UDPAddr).Port
	if n := udpSocketsOn(t, port); n != 3 {
		t.Errorf("%d UDP sockets on port %d, want 3", n, port)
	}
	if r := ts.query(t, "udp", "evil.example", dns.TypeA, false); r.Rcode != dns.RcodeNameError {
		t.Errorf("rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}

func TestSecondServerOnTheSamePortFails(t *testing.T) {
	ts := startServer(t, Config{UDPSockets: 2}, testList())
	s, err := New(Config{Listen: []string{ts.udp}, Upstreams: []string{"udp://127.0.0.1:9"}, UDPSockets: 2, Logger: ts.log}, testList())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = s.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run on a port in use: %v, want \"address already in use\" (a SO_REUSEPORT group must not be joined)", err)
	}
}

func TestUDPOverIPv6(t *testing.T) {
	if c, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	ts := startServer(t, Config{Listen: []string{"[::1]:0"}, UDPSockets: 2}, testList())
	for _, tc := range []struct {
		name  string
		qname string
		rcode int
	}{
		{"blocked name (fast path)", "www.evil.example", dns.RcodeNameError},
		{"allowed name (chain, then cached)", "a.test", dns.RcodeSuccess},
		{"cached name (fast path)", "a.test", dns.RcodeSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := ts.query(t, "udp", tc.qname, dns.TypeA, true); r.Rcode != tc.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
		})
	}
}

func TestFastPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := startServer(t, Config{}, testList())
	s.query(t, "udp", "a.test", dns.TypeA, true) // cached
	client := netip.MustParseAddr("127.0.0.1")
	out := make([]byte, packBufLen)
	var nb nameBuf
	for _, tc := range []struct{ name, qname string }{
		{"block answer", "www.evil.example."},
		{"cache hit", "a.test."},
	} {
		q := new(dns.Msg)
		q.SetQuestion(tc.qname, dns.TypeA)
		q.SetEdns0(1232, false)
		raw, _ := q.Pack()
		if _, ok := s.fast.answerBuf(raw, client, false, out, &nb, nil); !ok {
			t.Fatalf("%s: the fast path declined", tc.name)
		}
		if n := testing.AllocsPerRun(200, func() { s.fast.answerBuf(raw, client, false, out, &nb, nil) }); n != 0 {
			t.Errorf("%s: %.1f allocations per answer, want 0", tc.name, n)
		}
	}
}
