// Command flood measures what a spoofed-source UDP flood gets back from a
// DNS server on loopback (issue 12.4): it sends queries from many source
// addresses and counts the answers, full and truncated (the rate limiter's
// slip), and the bytes each way. Spoofing needs raw sockets, so the
// "spoofed" sources are real loopback addresses (127.0.0.0/8 is all
// loopback on Linux): -sources sockets, either all in one /24
// (127.0.0.1-254) or one per /24 (-spread: 127.1.0.1, 127.2.0.1, ...).
// It only ever sends to a loopback server.
//
//	go run ./bench/cmd/flood -server 127.0.0.1:5335 -name www.evil.example -qps 20000 -d 5s
//
// The reflection ratio is bytes the server sent / bytes it received: what
// a victim whose address was spoofed would receive per byte the attacker
// sent.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

type counts struct {
	sent, sentBytes             atomic.Int64
	answers, truncated, rcvdLen atomic.Int64
}

func main() {
	server := flag.String("server", "127.0.0.1:5335", "DNS server HOST:PORT (loopback only)")
	name := flag.String("name", "www.evil.example", "name to ask for (A)")
	sources := flag.Int("sources", 254, "source addresses (sockets)")
	spread := flag.Bool("spread", false, "one source per /24 (127.N.0.1) instead of all in 127.0.0.0/24")
	qps := flag.Int("qps", 20000, "queries a second in total (0: as fast as possible)")
	d := flag.Duration("d", 5*time.Second, "how long to send")
	edns := flag.Bool("edns", true, "send EDNS0 (an OPT record, 1232 bytes)")
	flag.Parse()
	if err := run(*server, *name, *sources, *spread, *qps, *d, *edns); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
}

func run(server, name string, sources int, spread bool, qps int, d time.Duration, edns bool) error {
	to, err := netip.ParseAddrPort(server)
	if err != nil || !to.Addr().IsLoopback() {
		return fmt.Errorf("-server %q: give a loopback IP:PORT (this tool never sends elsewhere)", server)
	}
	if sources < 1 || sources > 254*254 {
		return fmt.Errorf("-sources %d: give 1 to %d", sources, 254*254)
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	if edns {
		m.SetEdns0(1232, false)
	}
	query, err := m.Pack()
	if err != nil {
		return err
	}
	conns := make([]*net.UDPConn, 0, sources)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range sources {
		src := netip.AddrFrom4([4]byte{127, 0, byte(i / 254), byte(i%254 + 1)})
		if spread {
			src = netip.AddrFrom4([4]byte{127, byte(i%254 + 1), byte(i / 254), 1})
		}
		c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), net.UDPAddrFromAddrPort(to))
		if err != nil {
			return fmt.Errorf("source %s: %w", src, err)
		}
		conns = append(conns, c)
	}
	var n counts
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for _, c := range conns {
		readers.Go(func() { read(ctx, c, &n) })
	}
	start := time.Now()
	send(conns, query, qps, d, &n)
	sendTime := time.Since(start)
	time.Sleep(300 * time.Millisecond) // late answers
	cancel()
	for _, c := range conns {
		c.SetReadDeadline(time.Now())
	}
	readers.Wait()

	sent, answers, tc := n.sent.Load(), n.answers.Load(), n.truncated.Load()
	in, out := n.sentBytes.Load(), n.rcvdLen.Load()
	fmt.Printf("sources %d (%s), %s, %d queries of %d bytes in %.1f s (%.0f qps)\n", sources, layout(spread), name, sent, len(query), sendTime.Seconds(), float64(sent)/sendTime.Seconds())
	fmt.Printf("answers %d (%.1f %% of queries; %.0f a second): %d full, %d truncated (TC=1); %d unanswered\n",
		answers, 100*float64(answers)/float64(max(sent, 1)), float64(answers)/sendTime.Seconds(), answers-tc, tc, sent-answers)
	fmt.Printf("bytes: in %d, out %d; reflection ratio (out/in) %.3f\n", in, out, float64(out)/float64(max(in, 1)))
	return nil
}

func layout(spread bool) string {
	if spread {
		return "one per /24"
	}
	return "all in 127.0.0.0/24"
}

// send spreads queries over the sockets at qps (in batches every ms).
func send(conns []*net.UDPConn, query []byte, qps int, d time.Duration, n *counts) {
	deadline := time.Now().Add(d)
	tick := time.Millisecond
	i := 0
	next := time.Now()
	for time.Now().Before(deadline) {
		batch := 64
		if qps > 0 {
			batch = max(1, qps/1000)
		}
		for range batch {
			c := conns[i%len(conns)]
			i++
			if _, err := c.Write(query); err == nil {
				n.sent.Add(1)
				n.sentBytes.Add(int64(len(query)))
			}
		}
		if qps > 0 {
			next = next.Add(tick)
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
		}
	}
}

func read(ctx context.Context, c *net.UDPConn, n *counts) {
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		k, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			continue // e.g. ECONNREFUSED from an ICMP error
		}
		n.answers.Add(1)
		n.rcvdLen.Add(int64(k))
		if k >= 4 && buf[2]&0x02 != 0 {
			n.truncated.Add(1)
		}
	}
}
