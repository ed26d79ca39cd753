package resolver

// ddr.go answers Discovery of Designated Resolvers (RFC 9462): a query for
// _dns.resolver.arpa SVCB gets the encrypted endpoints this server runs
// (DoT, DoH), so Windows 11, Apple and Android clients upgrade by
// themselves. resolver.arpa is answered here and never forwarded: an
// upstream's own DDR answer would send clients to a resolver that does not
// block.

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
)

const (
	ddrZone  = "resolver.arpa."
	ddrOwner = "_dns.resolver.arpa."
	ddrTTL   = 300
)

// DDR describes what DDR answers advertise.
type DDR struct {
	Name string   // the TLS name clients verify (SVCB TargetName); "" = "."
	DoT  []string // DoT listen addresses (host:port)
	DoH  []string // DoH listen addresses
}

// ddrAnswers is the LocalZone for resolver.arpa. Its records are set once
// the listeners are bound (their ports may have been picked by the kernel).
type ddrAnswers struct {
	records atomic.Pointer[[]dns.RR]
}

// set advertises the endpoints of d.
func (z *ddrAnswers) set(d DDR) {
	target := "."
	if d.Name != "" {
		target = dns.Fqdn(d.Name)
	}
	var records []dns.RR
	prio := uint16(1)
	add := func(addr string, kv []dns.SVCBKeyValue) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return
		}
		kv = append(kv, &dns.SVCBPort{Port: uint16(p)})
		kv = append(kv, hints(addr)...)
		records = append(records, &dns.SVCB{
			Hdr:      dns.RR_Header{Name: ddrOwner, Rrtype: dns.TypeSVCB, Class: dns.ClassINET, Ttl: ddrTTL},
			Priority: prio, Target: target, Value: kv,
		})
		prio++
	}
	for _, a := range d.DoT {
		add(a, []dns.SVCBKeyValue{&dns.SVCBAlpn{Alpn: []string{"dot"}}})
	}
	for _, a := range d.DoH {
		add(a, []dns.SVCBKeyValue{&dns.SVCBAlpn{Alpn: []string{"h2", "http/1.1"}},
			&dns.SVCBDoHPath{Template: DoHPath + "{?dns}"}})
	}
	z.records.Store(&records)
}

// hints are ipv4hint/ipv6hint for a listen address that is not a wildcard.
func hints(addr string) []dns.SVCBKeyValue {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		return []dns.SVCBKeyValue{&dns.SVCBIPv4Hint{Hint: []net.IP{v4}}}
	}
	return []dns.SVCBKeyValue{&dns.SVCBIPv6Hint{Hint: []net.IP{ip}}}
}

// Origins names the zone (see LocalZone).
func (z *ddrAnswers) Origins() []string { return []string{ddrZone} }

// Answer answers every name under resolver.arpa: the SVCB records at
// _dns.resolver.arpa, NODATA for its other types (and when nothing
// encrypted is served), NXDOMAIN below it.
func (z *ddrAnswers) Answer(req *dns.Msg) (*dns.Msg, bool) {
	if len(req.Question) != 1 {
		return nil, false
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !dns.IsSubDomain(ddrZone, name) {
		return nil, false
	}
	m := new(dns.Msg)
	m.Authoritative = true
	switch {
	case name == ddrOwner && q.Qtype == dns.TypeSVCB:
		var records []dns.RR
		if p := z.records.Load(); p != nil {
			records = *p
		}
		for _, rr := range records {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
		if len(m.Answer) == 0 {
			m.Ns = []dns.RR{soaRR(ddrZone, ddrTTL)}
		}
	case name == ddrOwner || name == ddrZone:
		m.Ns = []dns.RR{soaRR(ddrZone, ddrTTL)}
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soaRR(ddrZone, ddrTTL)}
	}
	return m, true
}
