package service

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/config"
)

// TestQueryLogEndToEnd: --query-log FILE writes one JSON line per query
// with the client's /24, the name, type, outcome, the list and source of a
// block, the upstream of a forwarded answer and the latency (issue 11.4).
func TestQueryLogEndToEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log", "queries.jsonl")
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: localFeed(t, "scam-exchange.com"), Enabled: true}}
	cfg.Server.Access.AllowNet = config.List{"127.0.0.0/24"}
	cfg.Server.QueryLog.Path = path
	s := startService(t, cfg)

	query(t, s.dns, "www.scam-exchange.com", dns.TypeA, "udp", true) // blocked (fast path)
	query(t, s.dns, "example.org", dns.TypeA, "udp", false)          // forwarded
	query(t, s.dns, "example.org", dns.TypeA, "tcp", false)          // cached
	queryFrom(t, "127.0.1.9", s.dns, "example.net")                  // refused (outside allow_net)
	if dig, err := exec.LookPath("dig"); err == nil {
		host, port := splitHostPort(t, s.dns)
		if out, err := exec.Command(dig, "@"+host, "-p", port, "+tries=1", "+time=3", "Login.Scam-Exchange.com", "AAAA").CombinedOutput(); err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
	}

	var lines []map[string]any
	waitFor(t, 5*time.Second, func() bool {
		lines = readJSONLines(t, path)
		return len(lines) >= 5
	})
	want := []struct{ qname, qtype, outcome, client string }{
		{"www.scam-exchange.com", "A", "blocked", "127.0.0.0/24"},
		{"example.org", "A", "forwarded", "127.0.0.0/24"},
		{"example.org", "A", "cached", "127.0.0.0/24"},
		{"example.net", "A", "refused", "127.0.1.0/24"},
		{"login.scam-exchange.com", "AAAA", "blocked", "127.0.0.0/24"},
	}
	for i, w := range want {
		l := lines[i]
		if l["qname"] != w.qname || l["qtype"] != w.qtype || l["outcome"] != w.outcome || l["client"] != w.client {
			t.Errorf("line %d: %v; want %+v", i+1, l, w)
		}
		if _, ok := l["latency_us"].(float64); !ok {
			t.Errorf("line %d has no latency_us: %v", i+1, l)
		}
		if _, err := time.Parse(time.RFC3339Nano, l["time"].(string)); err != nil {
			t.Errorf("line %d: time %v: %v", i+1, l["time"], err)
		}
	}
	if l := lines[0]; l["list"] != "scam-exchange.com" || l["source"] != "local" || l["rcode"] != "NXDOMAIN" {
		t.Errorf("blocked line lacks list, source or rcode: %v", l)
	}
	if l := lines[1]; !strings.HasPrefix(l["upstream"].(string), "udp://127.0.0.1:") {
		t.Errorf("forwarded line lacks the upstream: %v", l)
	}
	if got := metricValue(t, s.http, "scamblock_querylog_dropped_total"); got != 0 {
		t.Errorf("dropped %v entries at 5 queries", got)
	}
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}
