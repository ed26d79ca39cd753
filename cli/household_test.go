package cli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestHouseholdGuideTestName follows docs/household.md's check: a test
// name under example.com in a list given by SCAMBLOCK_FEED=test=PATH is
// blocked, with its subdomains, and dig shows the EDE naming the list.
func TestHouseholdGuideTestName(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (apt-get install dnsutils); .ci/run installs it")
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "scamblock-test.txt")
	if err := os.WriteFile(list, []byte("scamblock-check.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCAMBLOCK_FEED", "test="+list)
	dnsAddr := freeAddr(t)
	var out, logs lockedBuffer
	app := App()
	app.Writer, app.ErrWriter = &out, &logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"scamblock", "serve", "--dns-listen", dnsAddr, "--http-listen", "",
			"--upstream", "udp://127.0.0.1:9", "--data-dir", dir, "--no-default-feeds", "--ranking", ""})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, _, err := (&dns.Client{Timeout: 500 * time.Millisecond}).Exchange(new(dns.Msg).SetQuestion("scamblock-check.example.com.", dns.TypeA), dnsAddr)
		if err == nil && r.Rcode == dns.RcodeNameError {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test name is not blocked within 15 s (%v %v)\n%s", r, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	host, port, _ := net.SplitHostPort(dnsAddr)
	got, err := exec.Command(dig, "@"+host, "-p", port, "www.scamblock-check.example.com", "+tries=1", "+time=3").CombinedOutput()
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, got)
	}
	for _, want := range []string{"status: NXDOMAIN", "EDE: 15 (Blocked): (listed: scamblock-check.example.com (test))"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("dig output lacks %q:\n%s", want, got)
		}
	}
}
