package rpz

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// Interop tests: a real BIND or Unbound follows the zone from a Server on
// loopback and applies it to queries it forwards to a tiny local
// authoritative server (every name has A 192.0.2.1).

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
	tl, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	us := &dns.Server{PacketConn: pc, Handler: h}
	ts := &dns.Server{Listener: tl, Handler: h}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return pc.LocalAddr().String()
}

// freePort returns a loopback port that was free for UDP and TCP a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", l.Addr().String())
		l.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// startChild runs a resolver in the foreground until the test ends.
func startChild(t testing.TB, name string, args ...string) *logBuffer {
	t.Helper()
	out := &logBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return out
}

func query(addr, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	resp, _, err := (&dns.Client{Net: "udp", Timeout: time.Second}).Exchange(q, addr)
	return resp, err
}

// waitFor polls cond every 50ms until it returns nil or d passes.
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
		time.Sleep(50 * time.Millisecond)
	}
}

// interopMatcher lists blocked names, an exact-allowed name deep under a
// blocked one, and optionally more.
func interopMatcher(more ...string) *lists.Matcher {
	entries := []lists.Entry{
		block("listed.example"),
		block("evil.example"),
		{Value: "ok.x.evil.example", Action: lists.Allow, Exact: true},
		exact("exact.example"),
	}
	for _, n := range more {
		entries = append(entries, block(n))
	}
	m, _ := lists.Compile([]*lists.Set{buildSet("feed", entries...)}, lists.CompileOptions{})
	return m
}

// checkPolicy asks resolver addr about names and compares the rcode (and,
// for NOERROR, the forwarded A record) with the matcher's decisions.
func checkPolicy(t *testing.T, addr string) {
	t.Helper()
	tests := []struct {
		name    string
		qname   string
		blocked bool
	}{
		{"listed name is NXDOMAIN", "listed.example", true},
		{"name under a listed name is NXDOMAIN", "a.b.listed.example", true},
		{"unlisted name resolves via the forwarder", "unlisted.example", false},
		{"exact-allowed name under a block resolves", "ok.x.evil.example", false},
		{"name between block and allow is NXDOMAIN", "x.evil.example", true},
		{"name under the exact allow stays blocked", "a.ok.x.evil.example", true},
		{"exact block blocks the name", "exact.example", true},
		{"exact block does not block below", "a.exact.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := query(addr, tt.qname, dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			if tt.blocked {
				if resp.Rcode != dns.RcodeNameError {
					t.Errorf("%s: %s %v, want NXDOMAIN", tt.qname, dns.RcodeToString[resp.Rcode], resp.Answer)
				}
				return
			}
			if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) == 0 {
				t.Errorf("%s: %s %v, want the forwarder's A record", tt.qname, dns.RcodeToString[resp.Rcode], resp.Answer)
			}
		})
	}
}

// startNamed runs BIND as a secondary of the Server at rpzAddr on the
// loopback port, forwarding everything else to a local upstream,
// and returns its address.
func startNamed(t testing.TB, rpzAddr string, key *TSIGKey, port int) string {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		t.Skip("named (BIND 9) not installed; apt-get install -y bind9 to run the BIND interop test")
	}
	dir := t.TempDir()
	upstream := startUpstream(t)
	uhost, uport, _ := net.SplitHostPort(upstream)
	_, rpzPort, _ := net.SplitHostPort(rpzAddr)
	keyClause, keyRef := "", ""
	if key != nil {
		keyClause = fmt.Sprintf("key %q { algorithm hmac-sha256; secret %q; };", key.Name, key.Secret)
		keyRef = fmt.Sprintf("key %q", key.Name)
	}
	conf := fmt.Sprintf(`
%[1]s
options {
	directory "%[2]s";
	pid-file "%[2]s/named.pid";
	session-keyfile "%[2]s/session.key";
	managed-keys-directory "%[2]s";
	listen-on port %[3]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-query { 127.0.0.0/8; };
	allow-recursion { 127.0.0.0/8; };
	forwarders { %[4]s port %[5]s; };
	forward only;
	dnssec-validation no;
	notify no;
	response-policy { zone "rpz.scamblock" min-update-interval 0; } qname-wait-recurse no;
};
controls { };
zone "rpz.scamblock" {
	type secondary;
	primaries { 127.0.0.1 port %[6]s %[7]s; };
	file "%[2]s/rpz.scamblock.db";
};
`, keyClause, dir, port, uhost, uport, rpzPort, keyRef)
	confPath := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startChild(t, named, "-g", "-n", "1", "-c", confPath)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// soaSerial asks addr for the zone's SOA serial.
func soaSerial(addr string) (uint32, error) {
	resp, err := query(addr, "rpz.scamblock.", dns.TypeSOA)
	if err != nil {
		return 0, err
	}
	if s := serials(resp.Answer); len(s) == 1 {
		return s[0], nil
	}
	return 0, fmt.Errorf("no SOA yet: %s", dns.RcodeToString[resp.Rcode])
}

func waitForSerial(t testing.TB, addr string, want uint32, d time.Duration) {
	t.Helper()
	waitFor(t, d, "BIND transfers the zone", func() error {
		got, err := soaSerial(addr)
		if err == nil && got != want {
			err = fmt.Errorf("serial %d, want %d", got, want)
		}
		return err
	})
}

func TestBINDTransfersAndAppliesTheZone(t *testing.T) {
	if _, err := exec.LookPath("named"); err != nil {
		t.Skip("named (BIND 9) not installed; apt-get install -y bind9 to run the BIND interop test")
	}
	port := freePort(t)
	bindAddr := fmt.Sprintf("127.0.0.1:%d", port)
	key := &TSIGKey{Name: "scamblock-xfr", Secret: "c2NhbWJsb2NrLWJpbmQtaW50ZXJvcC1rZXktMDEyMzQ="}
	s, addr, logs := startServer(t, Config{Notify: []string{bindAddr}, NotifyTimeout: 200 * time.Millisecond, TSIG: key}, interopMatcher())
	if got := startNamed(t, addr, key, port); got != bindAddr {
		t.Fatalf("named on %s, want %s", got, bindAddr)
	}
	waitForSerial(t, bindAddr, s.Zone().Serial(), 15*time.Second)
	checkPolicy(t, bindAddr)

	// A newly listed name is blocked after Update: NOTIFY, then IXFR.
	if resp, err := query(bindAddr, "new.example", dns.TypeA); err != nil || resp.Rcode != dns.RcodeSuccess {
		t.Fatalf("new.example before the update: %v %v", resp, err)
	}
	start := time.Now()
	if _, err := s.Update(interopMatcher("new.example")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, bindAddr, "sub.new.example", 5*time.Second)
	t.Logf("BIND blocked the new name %v after Update", time.Since(start).Round(time.Millisecond))
	if l := logs.String(); !strings.Contains(l, "type=IXFR from=") {
		t.Errorf("BIND did not follow the update by IXFR; server log:\n%s", l)
	}
}

// startUnbound runs Unbound with an rpz: clause following the Server at
// rpzAddr on the loopback port, forwarding everything else to a local
// upstream, and returns its address. Unbound's rpz needs the respip
// module; do-not-query-localhost: no lets it forward to 127.0.0.1.
func startUnbound(t testing.TB, rpzAddr string, port int) string {
	t.Helper()
	unbound, err := exec.LookPath("unbound")
	if err != nil {
		t.Skip("unbound not installed; apt-get install -y unbound to run the Unbound interop test")
	}
	dir := t.TempDir()
	upstream := startUpstream(t)
	uhost, uport, _ := net.SplitHostPort(upstream)
	rhost, rport, _ := net.SplitHostPort(rpzAddr)
	conf := fmt.Sprintf(`
server:
	verbosity: 1
	interface: 127.0.0.1
	port: %[1]d
	do-ip6: no
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "%[2]s"
	pidfile: "%[2]s/unbound.pid"
	logfile: ""
	use-syslog: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "respip iterator"
rpz:
	name: "rpz.scamblock."
	primary: %[3]s@%[4]s
	zonefile: "%[2]s/rpz.scamblock.zone"
	rpz-log: yes
forward-zone:
	name: "."
	forward-addr: %[5]s@%[6]s
`, port, dir, rhost, rport, uhost, uport)
	confPath := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(unbound+"-checkconf", confPath).CombinedOutput(); err != nil {
		t.Fatalf("unbound-checkconf: %v\n%s", err, out)
	}
	startChild(t, unbound, "-d", "-c", confPath)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestUnboundTransfersAndAppliesTheZone(t *testing.T) {
	if _, err := exec.LookPath("unbound"); err != nil {
		t.Skip("unbound not installed; apt-get install -y unbound to run the Unbound interop test")
	}
	port := freePort(t)
	ubAddr := fmt.Sprintf("127.0.0.1:%d", port)
	s, addr, logs := startServer(t, Config{Notify: []string{ubAddr}, NotifyTimeout: 200 * time.Millisecond}, interopMatcher())
	startUnbound(t, addr, port)
	waitBlocked(t, ubAddr, "listed.example", 15*time.Second)
	checkPolicy(t, ubAddr)

	if resp, err := query(ubAddr, "new.example", dns.TypeA); err != nil || resp.Rcode != dns.RcodeSuccess {
		t.Fatalf("new.example before the update: %v %v", resp, err)
	}
	start := time.Now()
	if _, err := s.Update(interopMatcher("new.example")); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, ubAddr, "sub.new.example", 5*time.Second)
	t.Logf("Unbound blocked the new name %v after Update", time.Since(start).Round(time.Millisecond))
	if l := logs.String(); !strings.Contains(l, "type=IXFR from=") {
		t.Errorf("Unbound did not follow the update by IXFR; server log:\n%s", l)
	}
}
