package service

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/config"
)

// freeWildcardPort returns a port that is free on every address, for TCP
// and UDP, or skips when IPv6 loopback is not available.
func freeWildcardPort(t *testing.T) int {
	t.Helper()
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("IPv6 loopback (::1) is not available here, so [::] cannot be tested: %v", err)
	} else {
		ln.Close()
	}
	for range 20 {
		ln, err := net.Listen("tcp", ":0") // dual stack: free on every address
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", ":"+strconv.Itoa(port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP on every address")
	return 0
}

// TestWildcardListenersShareAPort is the shipped systemd unit's setup:
// --dns-listen 0.0.0.0:P --dns-listen [::]:P, on one port, both answering
// dig over UDP and kdig over TCP (issue 11.1).
func TestWildcardListenersShareAPort(t *testing.T) {
	port := strconv.Itoa(freeWildcardPort(t))
	cfg := config.Default()
	cfg.Server.DNSListen = config.List{"0.0.0.0:" + port, "[::]:" + port}
	cfg.Feeds = []config.Feed{{Name: "local", URL: localFeed(t, "scam-exchange.com"), Enabled: true}}
	startService(t, cfg)

	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			for _, network := range []string{"udp", "tcp"} {
				r := query(t, net.JoinHostPort(host, port), "www.scam-exchange.com", 1, network, true)
				if r.Rcode != 3 {
					t.Errorf("%s over %s: rcode %d, want NXDOMAIN (blocked)", host, network, r.Rcode)
				}
			}
			for _, tool := range []struct{ name, transport string }{{"dig", "+notcp"}, {"kdig", "+tcp"}} {
				path, err := exec.LookPath(tool.name)
				if err != nil {
					t.Logf("%s is not installed; .ci/run installs it", tool.name)
					continue
				}
				out, err := exec.Command(path, "@"+host, "-p", port, tool.transport, "+timeout=3", "www.scam-exchange.com", "A").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "NXDOMAIN") {
					t.Errorf("%s @%s -p %s %s: %v\n%s", tool.name, host, port, tool.transport, err, out)
				}
			}
		})
	}
}

// localFeed writes names to a feed file of the test's own.
func localFeed(t *testing.T, names ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(p, []byte(strings.Join(names, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
