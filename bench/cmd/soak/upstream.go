package main

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// upstream stands in for the internet: A queries get 192.0.2.1 (TTL one
// day), TXT queries for big.soak. about 4.6 KB (the slow-reader answer),
// everything else an empty NOERROR; UDP and TCP on one loopback port.
type upstream struct {
	addr     string
	udp, tcp *dns.Server
}

func startUpstream() (*upstream, error) {
	var txt []string
	for i := range 18 {
		txt = append(txt, strings.Repeat(string(rune('a'+i)), 250))
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		if len(req.Question) == 1 {
			q := req.Question[0]
			switch {
			case q.Qtype == dns.TypeA:
				m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 86400}, A: net.IPv4(192, 0, 2, 1)}}
			case q.Qtype == dns.TypeTXT && strings.EqualFold(q.Name, "big.soak."):
				m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 86400}, Txt: txt}}
			}
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := dns.MinMsgSize
			if o := req.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			m.Truncate(size)
		}
		w.WriteMsg(m)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		l.Close()
		return nil, err
	}
	u := &upstream{addr: l.Addr().String(), udp: &dns.Server{PacketConn: pc, Handler: h}, tcp: &dns.Server{Listener: l, Handler: h}}
	for _, s := range []*dns.Server{u.udp, u.tcp} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
	}
	return u, nil
}

func (u *upstream) close() {
	u.udp.Shutdown()
	u.tcp.Shutdown()
}
