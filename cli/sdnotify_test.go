package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestServeTellsSystemdWhenReady runs `serve` as systemd's Type=notify
// runs it: NOTIFY_SOCKET names a unixgram socket. READY=1 comes once the
// lists are loaded (the listed name is blocked by the time it arrives),
// with a status line; STOPPING=1 when the service is told to stop.
func TestServeTellsSystemdWhenReady(t *testing.T) {
	dir := t.TempDir()
	socket := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", socket)
	feed := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(feed, []byte("ready-scam.com\nother-scam.net\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dnsAddr := freeAddr(t)
	var out, logs lockedBuffer
	app := App()
	app.Writer, app.ErrWriter = &out, &logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"scamblock", "serve", "--dns-listen", dnsAddr, "--http-listen", "",
			"--upstream", "udp://127.0.0.1:9", "--data-dir", dir, "--no-default-feeds", "--ranking", "", "--feed", feed})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	}()

	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no READY=1 within 15 s: %v\n%s", err, logs.String())
	}
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, "READY=1\nSTATUS=serving DNS on [") || !strings.Contains(msg, "2 names listed") {
		t.Errorf("datagram %q; want READY=1 and a status naming the listener and 2 names", msg)
	}
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(new(dns.Msg).SetQuestion("www.ready-scam.com.", dns.TypeA), dnsAddr)
	if err != nil || r.Rcode != dns.RcodeNameError {
		t.Errorf("right after READY=1: %v %v; want the listed name blocked", r, err)
	}

	cancel()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err = conn.Read(buf); err != nil || string(buf[:n]) != "STOPPING=1" {
		t.Errorf("after stop: %q %v; want STOPPING=1", buf[:n], err)
	}
}
