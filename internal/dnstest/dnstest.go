// Package dnstest holds what end-to-end tests of DNS parts share: free
// loopback ports, a BIND (named) process, a NOTIFY listener. It is for
// tests only.
package dnstest

import (
	"bytes"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FreeAddr returns a loopback HOST:PORT that was free for both UDP and TCP
// a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no free loopback port")
	return ""
}

// Output is a goroutine-safe buffer for a process's output.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// StartNamed runs BIND's named in the foreground with conf until the test
// ends; its output is logged when the test fails. It skips the test when
// named is not installed.
func StartNamed(t testing.TB, conf string) (*exec.Cmd, *Output) {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		t.Skip("named (BIND 9) is not installed: apt-get install -y bind9 (.ci/run installs it)")
	}
	out := &Output{}
	cmd := exec.Command(named, "-g", "-n", "1", "-c", conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start named: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("named output:\n%s", out.String())
		}
	})
	return cmd, out
}

// NotifyWatch listens for DNS NOTIFY messages on a loopback UDP port and
// answers them, recording when each arrived: a probe that tells a test
// when a primary sent its NOTIFY.
type NotifyWatch struct {
	Addr string // HOST:PORT to give the primary as a NOTIFY target

	mu      sync.Mutex
	arrived []time.Time
	signal  chan struct{}
}

// WatchNotify starts a NotifyWatch until the test ends.
func WatchNotify(t testing.TB) *NotifyWatch {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &NotifyWatch{Addr: pc.LocalAddr().String(), signal: make(chan struct{}, 1)}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(w.serve)}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return w
}

func (w *NotifyWatch) serve(rw dns.ResponseWriter, r *dns.Msg) {
	now := time.Now()
	m := new(dns.Msg)
	m.SetReply(r)
	if r.Opcode == dns.OpcodeNotify {
		m.Authoritative = true
		w.mu.Lock()
		w.arrived = append(w.arrived, now)
		w.mu.Unlock()
		select {
		case w.signal <- struct{}{}:
		default:
		}
	} else {
		m.Rcode = dns.RcodeRefused
	}
	_ = rw.WriteMsg(m)
}

// After returns the arrival time of the first NOTIFY that arrived after t,
// waiting up to limit for it; ok is false when none came.
func (w *NotifyWatch) After(t time.Time, limit time.Duration) (time.Time, bool) {
	deadline := time.After(limit)
	for {
		w.mu.Lock()
		for _, a := range w.arrived {
			if a.After(t) {
				w.mu.Unlock()
				return a, true
			}
		}
		w.mu.Unlock()
		select {
		case <-w.signal:
		case <-deadline:
			return time.Time{}, false
		}
	}
}
