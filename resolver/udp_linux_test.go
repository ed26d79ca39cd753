//go:build linux

package resolver

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestMmsgReadsAndWritesBatches: datagrams already queued on the socket are
// read by one recvmmsg (up to udpBatch), with their senders, and answers
// queued for several senders go out with one flush.
func TestMmsgReadsAndWritesBatches(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	srv := pc.(*net.UDPConn)
	rc, err := srv.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	m := newMmsg(rc)

	var clients []net.Conn
	for range 3 {
		clients = append(clients, dialUDP(t, srv.LocalAddr().String()))
	}
	const perClient = 15 // 45 in all: more than one batch
	for i := range perClient {
		for c, conn := range clients {
			if _, err := fmt.Fprintf(conn, "q%d-%d", c, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // all queued in the socket's receive buffer

	var got []string
	reads := 0
	for len(got) < perClient*len(clients) {
		srv.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := m.read()
		if err != nil {
			t.Fatalf("read after %d datagrams: %v", len(got), err)
		}
		reads++
		for i := range n {
			pkt, from := m.datagram(i)
			// Which client sent it must survive the round trip.
			var c, k int
			if _, err := fmt.Sscanf(string(pkt), "q%d-%d", &c, &k); err != nil {
				t.Fatalf("datagram %q: %v", pkt, err)
			}
			if want := clients[c].LocalAddr().(*net.UDPAddr).AddrPort(); from != want {
				t.Errorf("datagram %q from %v, want %v", pkt, from, want)
			}
			got = append(got, string(pkt))
			ans := append(m.outBuf()[:0], "a"+string(pkt[1:])...)
			m.queue(ans, i)
		}
		if err := m.flush(); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
	if want := (perClient*len(clients) + udpBatch - 1) / udpBatch; reads != want {
		t.Errorf("%d datagrams took %d reads, want %d (batches of %d)", len(got), reads, want, udpBatch)
	}
	buf := make([]byte, 100)
	for c, conn := range clients {
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for i := range perClient {
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("client %d, answer %d: %v", c, i, err)
			}
			if want := fmt.Sprintf("a%d-%d", c, i); string(buf[:n]) != want {
				t.Errorf("client %d got %q, want %q", c, buf[:n], want)
			}
		}
	}
}

// TestSpreadEvenlyUsesEverySocket: one client (one address and port, which
// the kernel's hash would always send to the same socket) reaches every
// socket of the group once spreadEvenly is attached.
func TestSpreadEvenlyUsesEverySocket(t *testing.T) {
	const n, sent = 3, 300
	lc := net.ListenConfig{Control: reusePort}
	var socks []*net.UDPConn
	addr := "127.0.0.1:0"
	for range n {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		socks = append(socks, pc.(*net.UDPConn))
		addr = pc.LocalAddr().String()
	}
	if err := spreadEvenly(socks[0], n); err != nil {
		t.Fatalf("spreadEvenly: %v", err)
	}
	client := dialUDP(t, addr)
	for i := range sent {
		if _, err := fmt.Fprintf(client, "%d", i); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	total := 0
	buf := make([]byte, 100)
	for i, c := range socks {
		got := 0
		for {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := c.Read(buf); err != nil {
				break
			}
			got++
		}
		if got < sent/n/2 {
			t.Errorf("socket %d got %d of %d datagrams, want about %d", i, got, sent, sent/n)
		}
		total += got
	}
	if total != sent {
		t.Errorf("%d datagrams received, want %d", total, sent)
	}
}
