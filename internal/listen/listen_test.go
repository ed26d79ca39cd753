package listen

import (
	"context"
	"net"
	"strconv"
	"testing"
)

func TestNetwork(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"0.0.0.0:53", "udp4"},
		{"127.0.0.1:0", "udp4"},
		{"[::]:53", "udp6"},
		{"[::1]:53", "udp6"},
		{"[::ffff:127.0.0.1]:53", "udp6"},
		{":53", "udp"},
		{"localhost:53", "udp"},
		{"nonsense", "udp"},
	} {
		if got := Network("udp", tc.addr); got != tc.want {
			t.Errorf("Network(udp, %q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// skipWithoutIPv6 skips when the machine cannot bind ::1.
func skipWithoutIPv6(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback (::1) not available here: %v", err)
	}
	ln.Close()
}

func TestWildcardsShareAPort(t *testing.T) {
	skipWithoutIPv6(t)
	ctx := context.Background()
	v4, err := TCP(ctx, "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	port := v4.Addr().(*net.TCPAddr).Port
	v6, err := TCP(ctx, net.JoinHostPort("::", itoa(port)))
	if err != nil {
		t.Fatalf("tcp [::]:%d next to 0.0.0.0:%d: %v", port, port, err)
	}
	defer v6.Close()
	u4, err := UDP(ctx, net.JoinHostPort("0.0.0.0", itoa(port)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer u4.Close()
	u6, err := UDP(ctx, net.JoinHostPort("::", itoa(port)), nil)
	if err != nil {
		t.Fatalf("udp [::]:%d next to 0.0.0.0:%d: %v", port, port, err)
	}
	defer u6.Close()

	// Each family reaches its own socket.
	for _, tc := range []struct {
		to   string
		want *net.UDPConn
	}{{"127.0.0.1", u4}, {"::1", u6}} {
		c, err := net.Dial("udp", net.JoinHostPort(tc.to, itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("hello"))
		c.Close()
		buf := make([]byte, 16)
		n, from, err := tc.want.ReadFromUDPAddrPort(buf)
		if err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("datagram to %s: %q from %v, %v", tc.to, buf[:n], from, err)
		}
	}
	// A plain dual-stack listen on the port now fails: the sockets are real.
	if ln, err := net.Listen("tcp", net.JoinHostPort("", itoa(port))); err == nil {
		ln.Close()
		t.Fatal("a dual-stack listen on the same port succeeded; the wildcards are not bound")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
