package service

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/config"
)

// floodUDP sends n queries for name from one socket and counts the
// answers: full ones and empty truncated ones (the slip).
func floodUDP(t *testing.T, server, name string, n int) (full, truncated int) {
	t.Helper()
	c, err := net.Dial("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		q := new(dns.Msg)
		q.SetQuestion(dns.Fqdn(name), dns.TypeA)
		q.Id = uint16(i + 1)
		b, _ := q.Pack()
		c.Write(b)
	}
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	for {
		k, err := c.Read(buf)
		if err != nil {
			return full, truncated
		}
		var r dns.Msg
		if r.Unpack(buf[:k]) != nil {
			t.Fatalf("unparsable answer %x", buf[:k])
		}
		if r.Truncated {
			truncated++
		} else {
			full++
		}
	}
}

// TestRateLimitWithSlipEndToEnd: --rate-limit 1 --rate-limit-slip 1: a UDP
// flood from one /24 gets its burst of 1, then only empty TC=1 answers;
// dig, seeing TC, retries over TCP and gets the answer (TCP is not
// limited); the limited queries are counted (issue 11.3).
func TestRateLimitWithSlipEndToEnd(t *testing.T) {
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: localFeed(t, "scam-exchange.com"), Enabled: true}}
	cfg.Server.Access.RateLimit = 1
	cfg.Server.Access.RateLimitSlip = 1
	s := startService(t, cfg)

	full, truncated := floodUDP(t, s.dns, "www.scam-exchange.com", 40)
	if full < 1 || full > 2 || full+truncated != 40 {
		t.Errorf("40 queries: %d full answers, %d truncated; want the burst of 1 (2 if a token came) and the rest truncated", full, truncated)
	}
	if got := metricValue(t, s.http, `scamblock_dns_ratelimited_total{action="truncated"}`); int(got) != truncated {
		t.Errorf(`scamblock_dns_ratelimited_total{action="truncated"} = %v, want %d`, got, truncated)
	}

	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (apt-get install dnsutils); .ci/run installs it")
	}
	host, port, _ := net.SplitHostPort(s.dns)
	c, err := net.Dial("udp", s.dns)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := new(dns.Msg)
	q.SetQuestion("example.org.", dns.TypeA)
	b, _ := q.Pack()
	// A token comes every second; on a busy machine one may arrive before
	// dig's query does, so a few tries are allowed.
	var out []byte
	for range 5 {
		for range 3 {
			c.Write(b) // take the tokens that came meanwhile: the bucket is empty for dig
		}
		out, err = exec.Command(dig, "@"+host, "-p", port, "+tries=1", "+time=3", "www.scam-exchange.com", "A").CombinedOutput()
		if err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "Truncated, retrying in TCP mode") {
			break
		}
	}
	for _, want := range []string{"Truncated, retrying in TCP mode", "status: NXDOMAIN", "(TCP)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dig output lacks %q:\n%s", want, out)
		}
	}
}

// TestRateLimitDropsWithoutSlip: --rate-limit-slip 0 drops every limited
// query: nothing comes back beyond the burst.
func TestRateLimitDropsWithoutSlip(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Access.RateLimit = 5
	cfg.Server.Access.RateLimitSlip = 0
	s := startService(t, cfg)
	full, truncated := floodUDP(t, s.dns, "example.org", 40)
	if full < 5 || full > 6 || truncated != 0 {
		t.Errorf("40 queries: %d full answers, %d truncated; want the burst of 5 and nothing else", full, truncated)
	}
	if got := metricValue(t, s.http, `scamblock_dns_ratelimited_total{action="dropped"}`); int(got) != 40-full {
		t.Errorf(`dropped counter = %v, want %d`, got, 40-full)
	}
}
