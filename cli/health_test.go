package cli

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startTestUpstream is a real DNS server on loopback that answers every
// query with an empty NOERROR.
func startTestUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestHealthCommand runs `serve`, then `scamblock health` against it:
// /readyz is 503 until an upstream has answered (exit 1 with the reason),
// a DNS-only check passes (its query reaches the upstream), and then the
// full check passes; a stopped server fails with a reason.
func TestHealthCommand(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(feed, []byte("evil-exchange.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dnsAddr, httpAddr := freeAddr(t), freeAddr(t)
	app := App()
	var logs lockedBuffer
	app.Writer, app.ErrWriter = &logs, &logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"scamblock", "serve", "--dns-listen", dnsAddr, "--http-listen", httpAddr,
			"--upstream", "udp://" + startTestUpstream(t), "--data-dir", dir, "--no-default-feeds", "--ranking", "", "--feed", feed})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	base := "http://" + httpAddr
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not up\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	_, errOut, code := run(t, "health", "--http", base)
	if code != 1 || !strings.Contains(errOut, "no upstream has answered yet") {
		t.Errorf("before any upstream answer: exit %d, %q; want 1 and the reason", code, errOut)
	}
	out, errOut, code := run(t, "health", "--dns", dnsAddr)
	if code != 0 || !strings.Contains(out, "healthy: dns "+dnsAddr) {
		t.Errorf("DNS only: exit %d, %q %q; want 0", code, out, errOut)
	}
	out, errOut, code = run(t, "health", "--dns", dnsAddr, "--http", base)
	if code != 0 || !strings.Contains(out, "/readyz is ready") {
		t.Errorf("after an upstream answered: exit %d, %q %q; want 0", code, out, errOut)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %v %v", resp, err)
	}

	closed := freeAddr(t)
	_, errOut, code = run(t, "health", "--dns", closed, "--http", "")
	if code != 1 || !strings.Contains(errOut, "is scamblock running") {
		t.Errorf("nothing listening: exit %d, %q; want 1 with a reason", code, errOut)
	}
}

func TestVersionCommand(t *testing.T) {
	out, _, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "scamblock ") || !strings.Contains(out, "commit ") || !strings.Contains(out, "built ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}
