package service

import (
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/resolver"
)

// queryFrom asks server for name from the local address src (a 127.x
// address: every one of them is loopback on Linux).
func queryFrom(t *testing.T, src, server, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s from %s: %v", name, src, err)
	}
	return r
}

// metricValue reads one series of /metrics (0 when absent).
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile("(?m)^" + regexp.QuoteMeta(series) + " (\\S+)$").FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestAllowAndDenyNets: --allow-net replaces the private default, --deny-net
// wins over it, refused clients get REFUSED with EDE 18 and are counted
// (issue 11.2). The "customer" ranges are 127.x addresses here, the only
// sources a loopback test has.
func TestAllowAndDenyNets(t *testing.T) {
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: localFeed(t, "scam-exchange.com"), Enabled: true}}
	cfg.Server.Access.AllowNet = config.List{"127.0.0.0/24", "203.0.113.0/24"}
	cfg.Server.Access.DenyNet = config.List{"127.0.0.66/32"}
	s := startService(t, cfg)

	for _, tc := range []struct {
		src   string
		rcode int
		why   string
	}{
		{"127.0.0.1", dns.RcodeSuccess, "inside allow_net"},
		{"127.0.0.66", dns.RcodeRefused, "inside deny_net: deny wins"},
		{"127.0.1.1", dns.RcodeRefused, "outside allow_net (loopback is no longer in it)"},
	} {
		r := queryFrom(t, tc.src, s.dns, "example.org")
		if r.Rcode != tc.rcode {
			t.Errorf("from %s (%s): %s, want %s", tc.src, tc.why, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
		}
		if code, _, ok := edeText(r); tc.rcode == dns.RcodeRefused && (!ok || code != dns.ExtendedErrorCodeProhibited) {
			t.Errorf("from %s: refused without EDE 18 (Prohibited): %v", tc.src, r)
		}
	}
	if got := metricValue(t, s.http, "scamblock_dns_acl_refused_total"); got != 2 {
		t.Errorf("scamblock_dns_acl_refused_total = %v, want 2", got)
	}

	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (apt-get install dnsutils); .ci/run installs it")
	}
	host, port, _ := net.SplitHostPort(s.dns)
	out, _ := exec.Command(dig, "@"+host, "-p", port, "-b", "127.0.0.66", "+tries=1", "+time=3", "example.org").CombinedOutput()
	for _, want := range []string{"status: REFUSED", "EDE: 18 (Prohibited)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dig -b 127.0.0.66 lacks %q:\n%s", want, out)
		}
	}
}

// TestDefaultACLMatchesTheResolver: config's default allow_net is the
// resolver's DefaultACL.
func TestDefaultACLMatchesTheResolver(t *testing.T) {
	got, err := config.Prefixes(config.Default().Server.Access.AllowNet)
	if err != nil {
		t.Fatal(err)
	}
	if want := resolver.DefaultACL(); !slices.Equal(got, want) {
		t.Errorf("config default allow_net %v != resolver.DefaultACL %v", got, want)
	}
}
