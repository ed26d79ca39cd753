package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket as systemd does and returns its name.
func listen(t *testing.T, name string) (*net.UnixConn, string) {
	t.Helper()
	addr := &net.UnixAddr{Name: name, Net: "unixgram"}
	if strings.HasPrefix(name, "@") {
		addr.Name = "\x00" + name[1:]
	}
	conn, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, name
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

func env(socket string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if k == Env && socket != "" {
			return socket, true
		}
		return "", false
	}
}

func TestMessagesReachTheSocket(t *testing.T) {
	for _, tt := range []struct{ name, socket string }{
		{"socket path", filepath.Join(t.TempDir(), "notify")},
		{"abstract socket", "@scamblock-sdnotify-test-" + filepath.Base(t.TempDir())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, name := listen(t, tt.socket)
			n := New(env(name))
			if !n.Enabled() {
				t.Fatal("not enabled with NOTIFY_SOCKET set")
			}
			steps := []struct {
				send func() error
				want string
			}{
				{func() error { return n.Ready("serving 3 feeds,\nzone serial 7") }, "READY=1\nSTATUS=serving 3 feeds, zone serial 7"},
				{func() error { return n.Send("RELOADING=1") }, "RELOADING=1"},
				{n.Stopping, "STOPPING=1"},
				{func() error { return n.Ready("") }, "READY=1"},
			}
			for _, s := range steps {
				if err := s.send(); err != nil {
					t.Fatal(err)
				}
				if got := receive(t, conn); got != s.want {
					t.Errorf("datagram %q, want %q", got, s.want)
				}
			}
		})
	}
}

func TestWithoutSystemdNothingIsSent(t *testing.T) {
	n := New(env(""))
	if n.Enabled() || n.Ready("x") != nil || n.Stopping() != nil {
		t.Fatal("a notifier without NOTIFY_SOCKET sent or failed")
	}
}

func TestAMissingSocketIsAnError(t *testing.T) {
	n := New(env(filepath.Join(t.TempDir(), "gone")))
	if err := n.Ready(""); err == nil || !strings.Contains(err.Error(), "NOTIFY_SOCKET=") {
		t.Fatalf("error %v; want one naming NOTIFY_SOCKET", err)
	}
}
