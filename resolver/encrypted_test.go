package resolver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/scamblock/scamblock/internal/dnstest"
)

// testCA makes a CA and a certificate for dns.test and 127.0.0.1 signed
// by it; it returns the certificate and the CA's PEM file.
func testCA(t *testing.T) (tls.Certificate, string) {
	c := dnstest.NewCert(t, "dns.test")
	return c.Cert, c.CAFile
}

// startEncrypted runs a server with one DoT and one DoH listener; it
// returns the server, the DoT and DoH addresses and the CA file.
func startEncrypted(t *testing.T, cfg Config) (*testServer, string, string, string) {
	t.Helper()
	cert, caFile := testCA(t)
	cfg.DoTListen = []string{"127.0.0.1:0"}
	cfg.DoHListen = []string{"127.0.0.1:0"}
	cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	cfg.TLSName = "dns.test"
	ts := startServer(t, cfg, testList())
	addrs := ts.Addrs()
	if len(addrs) != 4 {
		t.Fatalf("addresses %v: want UDP, TCP, DoT, DoH", addrs)
	}
	return ts, addrs[2].String(), addrs[3].String(), caFile
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install dnsutils knot-dnsutils curl): %v", name, err)
	}
}

// TestEncryptedClients asks real clients over DoT and DoH: an allowed name
// resolves, a listed one gets the block answer with its EDE text.
func TestEncryptedClients(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts, dot, doh, caFile := startEncrypted(t, Config{Metrics: reg})
	dotHost, dotPort, _ := net.SplitHostPort(dot)
	dohHost, dohPort, _ := net.SplitHostPort(doh)
	clients := []struct {
		tool string
		args []string
	}{
		{"kdig", []string{"@" + dotHost, "-p", dotPort, "+tls", "+tls-ca=" + caFile, "+tls-hostname=dns.test", "+edns"}},
		{"kdig", []string{"@" + dohHost, "-p", dohPort, "+https", "+tls-ca=" + caFile, "+tls-hostname=dns.test", "+edns"}},
		{"dig", []string{"@" + dotHost, "-p", dotPort, "+tls", "+tls-ca=" + caFile, "+tls-hostname=dns.test"}},
		{"dig", []string{"@" + dohHost, "-p", dohPort, "+https", "+tls-ca=" + caFile, "+tls-hostname=dns.test"}},
	}
	for _, c := range clients {
		name := c.tool + " " + c.args[3]
		t.Run(name, func(t *testing.T) {
			needTool(t, c.tool)
			ok := run(t, c.tool, append(c.args, "a.test", "A")...)
			if !strings.Contains(ok, "192.0.2.1") || !strings.Contains(ok, "NOERROR") {
				t.Fatalf("allowed name over %s:\n%s", name, ok)
			}
			blocked := run(t, c.tool, append(c.args, "www.evil.example", "A")...)
			if !strings.Contains(blocked, "NXDOMAIN") || !strings.Contains(blocked, "metamask") {
				t.Fatalf("listed name over %s: want NXDOMAIN with the EDE naming the source:\n%s", name, blocked)
			}
		})
	}
	for _, tr := range []string{"dot", "doh"} {
		if n := testutil.ToFloat64(ts.metrics.transport[map[string]transport{"dot": transportDoT, "doh": transportDoH}[tr]]); n == 0 && toolsPresent("kdig", "dig") {
			t.Errorf("scamblock_dns_transport_queries_total{transport=%q} = 0 after queries over it", tr)
		}
	}
}

func toolsPresent(names ...string) bool {
	for _, n := range names {
		if _, err := exec.LookPath(n); err == nil {
			return true
		}
	}
	return false
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestCurlDoH resolves through curl --doh-url: the allowed name reaches a
// local web server; the listed name answered with the block address does
// too (block mode ip:127.0.0.1, the block page's setup).
func TestCurlDoH(t *testing.T) {
	needTool(t, "curl")
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s", r.Host)
	}))
	defer web.Close()
	_, webPort, _ := net.SplitHostPort(web.Listener.Addr().String())
	pol := Policy{Mode: BlockMode{Kind: BlockIP, V4: netip.MustParseAddr("127.0.0.1")}}
	_, _, doh, caFile := startEncrypted(t, Config{Policy: pol})
	_, dohPort, _ := net.SplitHostPort(doh)
	for _, host := range []string{"loop.test", "evil.example"} {
		out := run(t, "curl", "-sS", "--max-time", "10", "--cacert", caFile,
			"--resolve", "dns.test:"+dohPort+":127.0.0.1",
			"--doh-url", "https://dns.test:"+dohPort+DoHPath,
			"http://"+host+":"+webPort+"/")
		if out != "host="+host+":"+webPort {
			t.Errorf("curl --doh-url to %s: got %q", host, out)
		}
	}
}

// TestDoHRequests checks the HTTP side of RFC 8484 with Go's client (HTTP/2).
func TestDoHRequests(t *testing.T) {
	_, _, doh, caFile := startEncrypted(t, Config{})
	pem, _ := os.ReadFile(caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "dns.test"}, ForceAttemptHTTP2: true}}
	q := new(dns.Msg)
	q.SetQuestion("evil.example.", dns.TypeA)
	q.Id = 0 // RFC 8484 4.1
	q.SetEdns0(1232, false)
	wire, _ := q.Pack()

	post, err := client.Post("https://"+doh+DoHPath, dohMediaType, strings.NewReader(string(wire)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(post.Body)
	post.Body.Close()
	if post.StatusCode != 200 || post.Header.Get("Content-Type") != dohMediaType || post.ProtoMajor != 2 {
		t.Fatalf("POST: %s %s %q", post.Proto, post.Status, post.Header.Get("Content-Type"))
	}
	var m dns.Msg
	if err := m.Unpack(body); err != nil || m.Rcode != dns.RcodeNameError || edeOf(&m) == nil {
		t.Fatalf("POST answer: %v\n%v", err, &m)
	}
	if cc := post.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "max-age=") {
		t.Errorf("Cache-Control %q: want max-age from the answer's TTL", cc)
	}
	for _, c := range []struct {
		method, url, ctype string
		want               int
	}{
		{"GET", "https://" + doh + DoHPath, "", 400},
		{"GET", "https://" + doh + DoHPath + "?dns=***", "", 400},
		{"POST", "https://" + doh + DoHPath, "text/plain", 415},
		{"PUT", "https://" + doh + DoHPath, dohMediaType, 405},
		{"GET", "https://" + doh + DoHPath + "?dns=AAAA", "", 400}, // shorter than a header
	} {
		req, _ := http.NewRequest(c.method, c.url, strings.NewReader(string(wire)))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.url, resp.StatusCode, c.want)
		}
	}
}

// TestDoTSilentClient: a client that connects and never sends a byte (no
// handshake) is closed after the idle time and does not hold a slot.
func TestDoTSilentClient(t *testing.T) {
	ts, dot, _, _ := startEncrypted(t, Config{TCPIdle: 300 * time.Millisecond})
	c, err := net.Dial("tcp", dot)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("server sent data to a client that never spoke")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("silent DoT client still open after 5 s (idle time 300 ms)")
	}
	t.Logf("silent client closed after %v", time.Since(start).Round(time.Millisecond))
	deadline := time.Now().Add(2 * time.Second)
	for ts.Server.tcp.count() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted after the silent client was closed", ts.Server.tcp.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDDR: _dns.resolver.arpa SVCB names the DoT and DoH endpoints; other
// names under resolver.arpa are answered here, never forwarded.
func TestDDR(t *testing.T) {
	ts, dot, doh, _ := startEncrypted(t, Config{})
	m := ts.query(t, "udp", "_dns.resolver.arpa", dns.TypeSVCB, true)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 2 {
		t.Fatalf("DDR answer:\n%v", m)
	}
	text := m.Answer[0].String() + "\n" + m.Answer[1].String()
	_, dotPort, _ := net.SplitHostPort(dot)
	_, dohPort, _ := net.SplitHostPort(doh)
	for _, want := range []string{"dns.test.", `alpn="dot"`, "port=\"" + dotPort + "\"", "port=\"" + dohPort + "\"",
		`alpn="h2,http/1.1"`, `dohpath="/dns-query{?dns}"`, `ipv4hint="127.0.0.1"`} {
		if !strings.Contains(text, want) {
			t.Errorf("DDR answer lacks %s:\n%s", want, text)
		}
	}
	if n := ts.auth.udpCount.Load() + ts.auth.tcpCount.Load(); n != 0 {
		t.Errorf("resolver.arpa query forwarded upstream (%d queries)", n)
	}
	if nx := ts.query(t, "udp", "other.resolver.arpa", dns.TypeA, false); nx.Rcode != dns.RcodeNameError {
		t.Errorf("other.resolver.arpa: %s, want NXDOMAIN", dns.RcodeToString[nx.Rcode])
	}
	// with dig, as a client would ask
	needTool(t, "dig")
	out := run(t, "dig", "@127.0.0.1", "-p", portOf(ts.udp), "_dns.resolver.arpa", "SVCB")
	if !strings.Contains(out, `"/dns-query{?dns}"`) || !strings.Contains(out, `alpn="dot"`) { // dig 9.18 prints dohpath as key7
		t.Errorf("dig _dns.resolver.arpa SVCB:\n%s", out)
	}
}

// TestDDRWithoutEncryption: without DoT/DoH, DDR is NODATA from here, not
// an upstream's endpoints (which would not block).
func TestDDRWithoutEncryption(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	m := ts.query(t, "udp", "_dns.resolver.arpa", dns.TypeSVCB, false)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(m.Ns) != 1 {
		t.Fatalf("DDR without encrypted listeners: want NODATA with SOA:\n%v", m)
	}
}

func TestEncryptedNeedsCertificate(t *testing.T) {
	_, err := New(Config{Upstreams: []string{"udp://127.0.0.1:53"}, DoTListen: []string{"127.0.0.1:0"}}, testList())
	if err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("DoT without a certificate: %v", err)
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestEncryptedKeepsTheACL: a client outside the ACL is refused over DoT
// and DoH too (REFUSED, EDE 18), as over plain DNS.
func TestEncryptedKeepsTheACL(t *testing.T) {
	_, dot, doh, caFile := startEncrypted(t, Config{ACL: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	pem, _ := os.ReadFile(caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "dns.test"}
	q := new(dns.Msg)
	q.SetQuestion("a.test.", dns.TypeA)
	q.SetEdns0(1232, false)

	c := &dns.Client{Net: "tcp-tls", TLSConfig: tlsCfg, Timeout: 5 * time.Second}
	m, _, err := c.Exchange(q, dot)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rcode != dns.RcodeRefused || edeOf(m) == nil || edeOf(m).InfoCode != dns.ExtendedErrorCodeProhibited {
		t.Errorf("DoT from outside the ACL: want REFUSED with EDE 18:\n%v", m)
	}

	wire, _ := q.Pack()
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true}}
	resp, err := hc.Post("https://"+doh+DoHPath, dohMediaType, strings.NewReader(string(wire)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var a dns.Msg
	if err := a.Unpack(body); err != nil || a.Rcode != dns.RcodeRefused || edeOf(&a) == nil {
		t.Errorf("DoH from outside the ACL: want REFUSED with EDE: %v\n%v", err, &a)
	}
}
