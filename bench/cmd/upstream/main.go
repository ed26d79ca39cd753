// Command upstream is the benchmark's stand-in for the internet: a tiny
// authoritative server on loopback that answers every A query with
// 192.0.2.1 (TTL one day) and every other type with an empty NOERROR, over
// UDP and TCP. bench/run points Unbound and scamblock at it for allowed
// names.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "UDP and TCP address to serve on (loopback)")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

func answer(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 && req.Question[0].Qtype == dns.TypeA && req.Question[0].Qclass == dns.ClassINET {
		m.Answer = []dns.RR{&dns.A{
			Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 86400},
			A:   net.IPv4(192, 0, 2, 1),
		}}
	}
	_ = w.WriteMsg(m)
}

func run(listen string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pc, err := net.ListenPacket("udp", listen)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		return err
	}
	h := dns.HandlerFunc(answer)
	servers := []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}}
	errs := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errs <- s.ActivateAndServe() }()
	}
	fmt.Println("upstream serving on", pc.LocalAddr())
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	for _, s := range servers {
		_ = s.Shutdown()
	}
	return err
}
