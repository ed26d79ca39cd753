// Command tlsconns opens N DNS-over-TLS connections to a server (loopback),
// asks one query on each so the handshake and the first read are done, keeps
// them open, prints "open N" and waits for stdin to close (or -hold). The
// bench measures the server's RSS before and after: the memory per open
// TLS connection.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:853", "DoT server address (loopback)")
	n := flag.Int("n", 1000, "connections to open")
	name := flag.String("name", "example.com.", "name asked on each connection")
	hold := flag.Duration("hold", 0, "keep the connections this long instead of until stdin closes")
	flag.Parse()
	conns := make([]*dns.Conn, 0, *n)
	cfg := &tls.Config{InsecureSkipVerify: true} // a benchmark's self-signed certificate on loopback
	for i := range *n {
		raw, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", *server, cfg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "tlsconns: connection %d: %v\n", i, err)
			os.Exit(1)
		}
		c := &dns.Conn{Conn: raw}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(*name), dns.TypeA)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteMsg(m); err != nil {
			fmt.Fprintf(os.Stderr, "tlsconns: query on %d: %v\n", i, err)
			os.Exit(1)
		}
		if _, err := c.ReadMsg(); err != nil {
			fmt.Fprintf(os.Stderr, "tlsconns: answer on %d: %v\n", i, err)
			os.Exit(1)
		}
		c.SetDeadline(time.Time{})
		conns = append(conns, c)
	}
	fmt.Printf("open %d\n", len(conns))
	if *hold > 0 {
		time.Sleep(*hold)
	} else {
		io.Copy(io.Discard, os.Stdin)
	}
	for _, c := range conns {
		c.Close()
	}
}
