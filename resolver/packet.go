package resolver

// packet.go is the packet-level fast path, kept in one place:
//
//   - handle: raw request bytes in, raw response bytes out. It never panics on
//     any input (see FuzzHandle): short packets and responses are dropped,
//     unparsable queries get FORMERR built from the raw header, other opcodes
//     NOTIMP, EDNS versions other than 0 BADVERS (RFC 6891).
//   - finalize: one place that turns a stage's Response into what the client
//     gets: its message ID, its question in its own letter case, RD/CD echoed,
//     RA set, our OPT record (only if the client sent one, with the EDE the
//     stage gave), truncation to the client's UDP size (TC set) for UDP.
//   - blockResponse: block answers built cheaply from the policy without
//     touching the cache or upstreams (one SOA, at most one A/AAAA record).
//   - fastPath (fastpath.go): block answers written straight from the raw
//     query into the output buffer, for plain queries for listed names.
//   - bufPool: read and pack buffers are reused (sync.Pool).

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
)

const (
	headerLen  = 12
	udpReadLen = 4096 // larger queries are not DNS queries we answer
	packBufLen = 4096
)

// bufPool hands out byte slices with len == cap == size.
type bufPool struct {
	size int
	p    sync.Pool
}

func newBufPool(size int) *bufPool {
	bp := &bufPool{size: size}
	bp.p.New = func() any { b := make([]byte, size); return &b }
	return bp
}

func (bp *bufPool) get() *[]byte { return bp.p.Get().(*[]byte) }
func (bp *bufPool) put(b *[]byte) {
	if cap(*b) == bp.size {
		*b = (*b)[:bp.size]
		bp.p.Put(b)
	}
}

// handle answers one raw query. out is a buffer the answer may be packed
// into; the result is nil when the packet is dropped.
func (s *Server) handle(ctx context.Context, raw []byte, client netip.Addr, tcp bool, out []byte) []byte {
	if s.fast != nil {
		if ans, ok := s.fast.answer(raw, client, tcp, out); ok {
			return ans
		}
	}
	return s.handleMsg(ctx, raw, client, tcp, out)
}

// handleMsg is handle without the fast path: unpack, chain, finalize.
func (s *Server) handleMsg(ctx context.Context, raw []byte, client netip.Addr, tcp bool, out []byte) []byte {
	if len(raw) < headerLen || raw[2]&0x80 != 0 { // too short, or a response: never answer
		return nil
	}
	var m dns.Msg
	if err := m.Unpack(raw); err != nil {
		s.metrics.query(0, OutcomeFormerr)
		return rawError(raw, dns.RcodeFormatError, out)
	}
	if m.Opcode == dns.OpcodeNotify {
		if ans, ok := s.notify(raw, client, out); ok {
			return ans
		}
	}
	if m.Opcode != dns.OpcodeQuery {
		s.metrics.query(0, OutcomeNotImp)
		return rawError(raw, dns.RcodeNotImplemented, out)
	}
	if len(m.Question) != 1 {
		s.metrics.query(0, OutcomeFormerr)
		return rawError(raw, dns.RcodeFormatError, out)
	}
	q := m.Question[0]
	req := Request{Msg: &m, Name: strings.ToLower(q.Name), Qtype: q.Qtype, Qclass: q.Qclass,
		Client: client.Unmap(), TCP: tcp}
	var opt *dns.OPT
	for _, rr := range m.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			if opt != nil || o.Hdr.Name != "." { // RFC 6891 6.1.1: one OPT, owner root
				s.metrics.query(q.Qtype, OutcomeFormerr)
				return rawError(raw, dns.RcodeFormatError, out)
			}
			opt = o
		}
	}
	if opt != nil {
		req.EDNS, req.DO = true, opt.Do()
		if opt.Version() != 0 {
			s.metrics.query(q.Qtype, OutcomeFormerr)
			return s.finalize(&req, Response{Msg: reply(dns.RcodeBadVers)}, opt, out)
		}
	}
	var resp Response
	switch {
	case q.Qclass != dns.ClassINET:
		resp = Response{Msg: reply(dns.RcodeRefused), Outcome: OutcomeRefused,
			EDE: &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNotSupported, ExtraText: "only class IN is served"}}
	case q.Qtype == dns.TypeOPT || (q.Qtype >= 128 && q.Qtype <= 250 && q.Qtype != dns.TypeANY):
		// meta types other than ANY, AXFR and friends cannot be asked for (RFC 6895 3.1)
		resp = Response{Msg: reply(dns.RcodeFormatError), Outcome: OutcomeFormerr}
	default:
		var start time.Time
		if s.qlog != nil {
			start = time.Now()
		}
		resp = s.chain.ServeDNS(ctx, &req)
		rcode := -1
		if resp.Msg != nil {
			rcode = resp.Msg.Rcode
		}
		s.logQuery(req.Client, strings.TrimSuffix(req.Name, "."), req.Qtype, resp.Outcome, rcode, resp.Hit, resp.Upstream, start)
	}
	s.metrics.query(q.Qtype, resp.Outcome)
	if resp.Msg == nil { // dropped (rate limit)
		return nil
	}
	return s.finalize(&req, resp, opt, out)
}

// finalize rewrites resp.Msg for the client that sent req and packs it.
func (s *Server) finalize(req *Request, resp Response, clientOpt *dns.OPT, out []byte) []byte {
	m := resp.Msg
	m.Id = req.Msg.Id
	m.Response = true
	m.Opcode = req.Msg.Opcode
	m.RecursionDesired = req.Msg.RecursionDesired
	m.CheckingDisabled = req.Msg.CheckingDisabled
	m.RecursionAvailable = true
	m.Question = req.Msg.Question // the client's own letter case (0x20)
	switch resp.Outcome {
	case OutcomeForwarded, OutcomeCached, OutcomeStale, OutcomeAllowed:
		m.Authoritative = false
	}
	extra := make([]dns.RR, 0, len(m.Extra)+1)
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	size := dns.MinMsgSize
	if clientOpt != nil {
		opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: s.maxUDP}}
		if req.DO {
			opt.SetDo()
		}
		if resp.EDE != nil {
			opt.Option = []dns.EDNS0{resp.EDE}
		}
		extra = append(extra, opt)
		size = min(max(int(clientOpt.UDPSize()), dns.MinMsgSize), int(s.maxUDP))
	}
	m.Extra = extra
	if req.TCP {
		m.Compress = true
	} else {
		m.Truncate(size) // sets TC and compresses only when needed
	}
	packed, err := m.PackBuffer(out)
	if err != nil {
		s.log.Warn("cannot pack answer", "qname", req.Name, "err", err)
		fail := &dns.Msg{MsgHdr: dns.MsgHdr{Id: m.Id, Response: true, Opcode: m.Opcode, RecursionDesired: m.RecursionDesired,
			RecursionAvailable: true, Rcode: dns.RcodeServerFailure}, Question: m.Question}
		packed, _ = fail.PackBuffer(out)
		return packed
	}
	return packed
}

// rawError answers with a bare header (ID, opcode and RD taken from the raw
// query, no question): for queries that cannot be parsed.
func rawError(raw []byte, rcode int, out []byte) []byte {
	if len(raw) < headerLen {
		return nil
	}
	b := append(out[:0], raw[:headerLen]...)
	flags := binary.BigEndian.Uint16(raw[2:4])
	flags = 0x8000 | flags&0x7800 | flags&0x0100 | 0x0080 | uint16(rcode&0xF) // QR, opcode, RD, RA, rcode
	binary.BigEndian.PutUint16(b[2:4], flags)
	clear(b[4:12]) // no sections
	return b
}

// reply returns an empty answer with rcode (finalize fills in the rest).
func reply(rcode int) *dns.Msg {
	return &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: rcode}}
}

// soaRR is the SOA that block answers carry so clients cache the block for
// TTL (RFC 2308: negative TTL = min(SOA TTL, SOA minimum)).
func soaRR(owner string, ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      "blocked.scamblock.invalid.",
		Mbox:    "hostmaster.scamblock.invalid.",
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  ttl,
	}
}

// blockResponse answers req with policy p. hit names the listed entry (for
// the EDE text); soaOwner is the SOA owner: the listed entry for direct
// hits, the query name for CNAME targets outside the query's tree.
func blockResponse(req *Request, p *Policy, hit lists.Hit, soaOwner string) Response {
	ttl := uint32(p.TTL / time.Second)
	m := &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}}
	owner := req.Msg.Question[0].Name
	var answer dns.RR
	switch p.Mode.Kind {
	case BlockNXDomain:
		m.Rcode = dns.RcodeNameError
	case BlockRefused:
		m.Rcode = dns.RcodeRefused
		m.Authoritative = false
	case BlockNull:
		switch req.Qtype {
		case dns.TypeA:
			answer = &dns.A{Hdr: rrHeader(owner, dns.TypeA, ttl), A: net.IPv4zero}
		case dns.TypeAAAA:
			answer = &dns.AAAA{Hdr: rrHeader(owner, dns.TypeAAAA, ttl), AAAA: net.IPv6zero}
		}
	case BlockIP:
		switch {
		case req.Qtype == dns.TypeA:
			answer = &dns.A{Hdr: rrHeader(owner, dns.TypeA, ttl), A: p.Mode.V4.AsSlice()}
		case req.Qtype == dns.TypeAAAA && p.Mode.V6.IsValid():
			answer = &dns.AAAA{Hdr: rrHeader(owner, dns.TypeAAAA, ttl), AAAA: p.Mode.V6.AsSlice()}
		}
	}
	if answer != nil {
		m.Answer = []dns.RR{answer}
	} else if m.Rcode != dns.RcodeRefused {
		m.Ns = []dns.RR{soaRR(soaOwner, ttl)}
	}
	text := "listed: " + hit.Name
	if hit.Source != "" {
		text += " (" + hit.Source + ")"
	}
	if hit.Consensus > 1 {
		text += "; popular site blocked by consensus of " + strconv.Itoa(hit.Consensus) + " feeds"
	}
	return Response{Msg: m, Outcome: OutcomeBlocked, Hit: hit,
		EDE: &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeBlocked, ExtraText: text}}
}

func rrHeader(name string, t uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
}
