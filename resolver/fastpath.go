package resolver

// The wire-level fast path for block answers and cache hits. A plain query (one question,
// no answer or authority records, at most an EDNS0 version 0 OPT, class IN,
// an ordinary type, a name of letters, digits, '-' and '_') for a blocked
// name is answered without building a dns.Msg: the header and question are
// copied from the query, the SOA owner is a compression pointer into the
// question, the SOA rdata is packed once per policy, and the OPT with EDE 15
// is written in place. Every other query — and any query the fast path is
// unsure of — takes the general path (handle → chain → finalize), which
// gives the same answer; TestFastPathMatchesChain checks that they agree.
//
// A plain query for a name that is not listed is answered from a fresh
// cache entry the same way: the entry keeps its answer packed (packWire) with
// the offset of every TTL, and a hit copies it behind the client's header and
// question and counts the TTLs down in place. CNAME/DNAME targets kept with
// the entry are looked up again on every hit, as the chain does.
//
// The fast path still applies the rate limit and the ACL, and it is off when
// the query log is on or a LocalZone does not name its origins (so a local
// zone always answers first, as the chain order says).

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/miekg/dns"
)

type fastPath struct {
	s       *Server
	list    Blocklist
	origins []string  // local zones' origins, lower case, no trailing dot
	names   sync.Pool // *nameBuf for answer; read loops keep their own
}

// nameBuf holds the question name, lower-cased and dotted, while the fast
// path looks it up. The name is handed to Blocklist.Lookup and used as the
// cache key as a string that points into this buffer (no copy, no
// allocation), so one nameBuf serves one query at a time, and neither
// Lookup nor the cache may keep the string (they do not: Lookup returns
// names from its own tables, the cache only compares keys).
type nameBuf [256]byte

// preparedPolicy is a Policy with its SOA rdata packed once.
type preparedPolicy struct {
	Policy
	ttl      uint32
	soaRdata []byte
}

func prepare(p Policy) *preparedPolicy {
	pp := &preparedPolicy{Policy: p, ttl: uint32(p.TTL / time.Second)}
	soa := soaRR(".", pp.ttl)
	buf := make([]byte, 128)
	end, err := dns.PackRR(soa, buf, 0, nil, false)
	if err != nil {
		panic("resolver: packing the block SOA: " + err.Error()) // constant input: cannot happen
	}
	// Skip the owner (root, 1 byte), type, class, TTL and rdlength.
	pp.soaRdata = append([]byte(nil), buf[1+10:end]...)
	return pp
}

func (s *Server) prepareFastPath(bl Blocklist, zones []LocalZone) *fastPath {
	if s.queryLog {
		return nil
	}
	f := &fastPath{s: s, list: bl}
	f.names.New = func() any { return new(nameBuf) }
	for _, z := range zones {
		zo, ok := z.(zoneOrigins)
		if !ok {
			return nil
		}
		for _, o := range zo.Origins() {
			f.origins = append(f.origins, strings.TrimSuffix(strings.ToLower(o), "."))
		}
	}
	return f
}

// answer returns the block answer for raw and true, or false when raw must
// take the general path. A nil answer with true means dropped (rate limit).
func (f *fastPath) answer(raw []byte, client netip.Addr, tcp bool, out []byte) ([]byte, bool) {
	nb := f.names.Get().(*nameBuf)
	defer f.names.Put(nb)
	return f.answerBuf(raw, client, tcp, out, nb)
}

// answerBuf is answer with the caller's name buffer (a read loop's own).
func (f *fastPath) answerBuf(raw []byte, client netip.Addr, tcp bool, out []byte, nameBuf *nameBuf) ([]byte, bool) {
	if len(raw) < headerLen+5 {
		return nil, false
	}
	flags := binary.BigEndian.Uint16(raw[2:])
	if flags&0xF800 != 0 { // a response, or not opcode QUERY
		return nil, false
	}
	if binary.BigEndian.Uint16(raw[4:]) != 1 || binary.BigEndian.Uint16(raw[6:]) != 0 ||
		binary.BigEndian.Uint16(raw[8:]) != 0 || binary.BigEndian.Uint16(raw[10:]) > 1 {
		return nil, false
	}
	arcount := binary.BigEndian.Uint16(raw[10:])

	// The question name, lower-cased into a dotted string.
	n, off := 0, headerLen
	for {
		if off >= len(raw) {
			return nil, false
		}
		l := int(raw[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(raw) || n+l+1 > 254 {
			return nil, false
		}
		if n > 0 {
			nameBuf[n] = '.'
			n++
		}
		for _, c := range raw[off : off+l] {
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return nil, false
			}
			nameBuf[n] = c
			n++
		}
		off += l
	}
	qend := off + 4
	if n == 0 || qend > len(raw) {
		return nil, false
	}
	qtype := binary.BigEndian.Uint16(raw[off:])
	if binary.BigEndian.Uint16(raw[off+2:]) != dns.ClassINET || qtype == dns.TypeOPT || qtype >= 128 || qtype == 0 {
		return nil, false
	}

	edns, do, limit := false, false, dns.MinMsgSize
	if arcount == 1 {
		p := qend
		if len(raw) < p+11 || raw[p] != 0 || binary.BigEndian.Uint16(raw[p+1:]) != dns.TypeOPT || raw[p+6] != 0 {
			return nil, false // not a root OPT, or EDNS version != 0 (BADVERS on the general path)
		}
		if p+11+int(binary.BigEndian.Uint16(raw[p+9:])) != len(raw) {
			return nil, false
		}
		edns, do = true, binary.BigEndian.Uint16(raw[p+7:])&0x8000 != 0
		limit = min(max(int(binary.BigEndian.Uint16(raw[p+3:])), dns.MinMsgSize), int(f.s.maxUDP))
	} else if qend != len(raw) {
		return nil, false
	}

	nameBuf[n] = '.'
	fqdn := unsafe.String(&nameBuf[0], n+1) // the cache key's form; see nameBuf
	name := fqdn[:n]
	for _, o := range f.origins {
		if name == o || strings.HasSuffix(name, "."+o) {
			return nil, false
		}
	}
	if !f.s.acl.permits(client) {
		return nil, false
	}
	hit, blocked := f.list.Lookup(name)
	if !blocked {
		if hit.Name != "" || f.s.cache == nil { // an allow entry decided: the chain counts it as "allowed"
			return nil, false
		}
		q := wireQuery{raw: raw, qend: qend, qtype: qtype, flags: flags, edns: edns, do: do, limit: limit}
		return f.cached(&q, fqdn, client, tcp, out)
	}
	listed := strings.TrimSuffix(hit.Name, ".")
	var soaPtr int
	switch {
	case len(listed) == len(name) && strings.EqualFold(listed, name):
		soaPtr = headerLen
	case len(listed) < len(name) && name[len(name)-len(listed)-1] == '.' && strings.EqualFold(name[len(name)-len(listed):], listed):
		soaPtr = headerLen + len(name) - len(listed)
	default:
		return nil, false // the entry is not a parent of the name: let the chain explain it
	}

	p := f.s.policy.Load()
	rcode, aa := dns.RcodeSuccess, true
	var addr []byte
	var atype uint16
	switch p.Mode.Kind {
	case BlockNXDomain:
		rcode = dns.RcodeNameError
	case BlockRefused:
		rcode, aa = dns.RcodeRefused, false
	case BlockNull:
		if qtype == dns.TypeA {
			addr, atype = []byte{0, 0, 0, 0}, dns.TypeA
		} else if qtype == dns.TypeAAAA {
			addr, atype = make([]byte, 16), dns.TypeAAAA
		}
	case BlockIP:
		if qtype == dns.TypeA {
			a := p.Mode.V4.As4()
			addr, atype = a[:], dns.TypeA
		} else if qtype == dns.TypeAAAA && p.Mode.V6.IsValid() {
			a := p.Mode.V6.As16()
			addr, atype = a[:], dns.TypeAAAA
		}
	}

	b := out[:0]
	hflags := uint16(0x8000) | flags&0x0100 | 0x0080 | flags&0x0010 | uint16(rcode) // QR, RD, RA, CD
	if aa {
		hflags |= 0x0400
	}
	var an, ns, ar uint16
	if addr != nil {
		an = 1
	} else if rcode != dns.RcodeRefused {
		ns = 1
	}
	if edns {
		ar = 1
	}
	b = append(b, raw[0], raw[1])
	b = binary.BigEndian.AppendUint16(b, hflags)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, an)
	b = binary.BigEndian.AppendUint16(b, ns)
	b = binary.BigEndian.AppendUint16(b, ar)
	b = append(b, raw[headerLen:qend]...)
	if an == 1 {
		b = append(b, 0xC0, headerLen)
		b = binary.BigEndian.AppendUint16(b, atype)
		b = binary.BigEndian.AppendUint16(b, dns.ClassINET)
		b = binary.BigEndian.AppendUint32(b, p.ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(len(addr)))
		b = append(b, addr...)
	}
	if ns == 1 {
		b = binary.BigEndian.AppendUint16(b, 0xC000|uint16(soaPtr))
		b = binary.BigEndian.AppendUint16(b, dns.TypeSOA)
		b = binary.BigEndian.AppendUint16(b, dns.ClassINET)
		b = binary.BigEndian.AppendUint32(b, p.ttl)
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.soaRdata)))
		b = append(b, p.soaRdata...)
	}
	if edns {
		textLen := len("listed: ") + len(hit.Name)
		if hit.Source != "" {
			textLen += len(" (") + len(hit.Source) + len(")")
		}
		b = append(b, 0) // root owner
		b = binary.BigEndian.AppendUint16(b, dns.TypeOPT)
		b = binary.BigEndian.AppendUint16(b, f.s.maxUDP)
		var ednsFlags uint16
		if do {
			ednsFlags = 0x8000
		}
		b = append(b, 0, 0) // extended rcode, version
		b = binary.BigEndian.AppendUint16(b, ednsFlags)
		b = binary.BigEndian.AppendUint16(b, uint16(4+2+textLen))
		b = binary.BigEndian.AppendUint16(b, dns.EDNS0EDE)
		b = binary.BigEndian.AppendUint16(b, uint16(2+textLen))
		b = binary.BigEndian.AppendUint16(b, dns.ExtendedErrorCodeBlocked)
		b = append(b, "listed: "...)
		b = append(b, hit.Name...)
		if hit.Source != "" {
			b = append(b, " ("...)
			b = append(b, hit.Source...)
			b = append(b, ')')
		}
	}
	return f.finish(b, qtype, OutcomeBlocked, limit, client, tcp)
}

// finish applies the size limit and the rate limit to answer b and counts it.
func (f *fastPath) finish(b []byte, qtype uint16, o Outcome, limit int, client netip.Addr, tcp bool) ([]byte, bool) {
	if !tcp && len(b) > limit {
		return nil, false // the general path truncates
	}
	if f.s.limit != nil && !tcp && !f.s.limit.allow(client) {
		f.s.metrics.query(qtype, OutcomeRateLimited)
		return nil, true
	}
	f.s.metrics.query(qtype, o)
	return b, true
}

// wireQuery is what answer parsed from a raw query.
type wireQuery struct {
	raw      []byte
	qend     int // end of the question section
	qtype    uint16
	flags    uint16
	edns, do bool
	limit    int // largest UDP answer
}

// cached answers q from a fresh cache entry by copying its packed form
// behind the client's own header and question, counting the TTLs down in
// place. It declines when the entry has none, or a CNAME/DNAME target in it
// is now listed (the chain then blocks).
func (f *fastPath) cached(q *wireQuery, fqdn string, client netip.Addr, tcp bool, out []byte) ([]byte, bool) {
	c := f.s.cache
	key := cacheKey{name: fqdn, qtype: q.qtype, qclass: dns.ClassINET, do: q.do, cd: q.flags&0x0010 != 0}
	now := c.now()
	e := c.getFresh(key, now)
	if e == nil || e.wire == nil || e.qend != q.qend {
		return nil, false
	}
	for _, t := range e.targets {
		if _, blocked := f.list.Lookup(t); blocked {
			return nil, false
		}
	}
	age := uint32(max(now.Sub(e.stored), 0) / time.Second)
	w := e.wire
	hflags := uint16(0x8000) | q.flags&0x0100 | 0x0080 | q.flags&0x0010 | binary.BigEndian.Uint16(w[2:])&0x006F // QR RD RA CD; Z AD rcode kept
	arcount := binary.BigEndian.Uint16(w[10:])
	if q.edns {
		arcount++
	}
	b := append(out[:0], q.raw[0], q.raw[1])
	b = binary.BigEndian.AppendUint16(b, hflags)
	b = append(b, w[4:10]...) // QD, AN, NS counts
	b = binary.BigEndian.AppendUint16(b, arcount)
	b = append(b, q.raw[headerLen:q.qend]...)
	b = append(b, w[q.qend:]...)
	for _, off := range e.ttlOffs {
		ttl := binary.BigEndian.Uint32(w[off:])
		if ttl > age {
			ttl -= age
		} else {
			ttl = 0
		}
		binary.BigEndian.PutUint32(b[off:], ttl)
	}
	if q.edns {
		b = append(b, 0) // root owner
		b = binary.BigEndian.AppendUint16(b, dns.TypeOPT)
		b = binary.BigEndian.AppendUint16(b, f.s.maxUDP)
		var ednsFlags uint16
		if q.do {
			ednsFlags = 0x8000
		}
		b = append(b, 0, 0) // extended rcode, version
		b = binary.BigEndian.AppendUint16(b, ednsFlags)
		b = binary.BigEndian.AppendUint16(b, 0)
	}
	return f.finish(b, q.qtype, OutcomeCached, q.limit, client, tcp)
}

// packWire packs a stored answer for the fast path: question (name, type,
// class) from key, compressed, no OPT. It returns the end of the question,
// the offset of every TTL, and nil when the message cannot be walked.
func packWire(m *dns.Msg, key cacheKey) (wire []byte, qend int, ttlOffs []uint16) {
	w := &dns.Msg{MsgHdr: m.MsgHdr, Answer: m.Answer, Ns: m.Ns, Extra: m.Extra, Compress: true}
	w.Question = []dns.Question{{Name: key.name, Qtype: key.qtype, Qclass: key.qclass}}
	w.Response, w.Authoritative, w.Truncated, w.RecursionDesired, w.RecursionAvailable, w.CheckingDisabled = true, false, false, false, false, false
	packed, err := w.Pack()
	if err != nil || len(packed) > 65535 {
		return nil, 0, nil
	}
	off := headerLen
	skipName := func() bool {
		for off < len(packed) {
			l := int(packed[off])
			switch {
			case l == 0:
				off++
				return true
			case l&0xC0 == 0xC0:
				off += 2
				return off <= len(packed)
			case l > 63:
				return false
			}
			off += 1 + l
		}
		return false
	}
	if !skipName() {
		return nil, 0, nil
	}
	off += 4
	qend = off
	rrs := int(binary.BigEndian.Uint16(packed[6:])) + int(binary.BigEndian.Uint16(packed[8:])) + int(binary.BigEndian.Uint16(packed[10:]))
	for range rrs {
		if !skipName() || off+10 > len(packed) {
			return nil, 0, nil
		}
		ttlOffs = append(ttlOffs, uint16(off+4))
		off += 10 + int(binary.BigEndian.Uint16(packed[off+8:]))
	}
	if off != len(packed) {
		return nil, 0, nil
	}
	return packed, qend, ttlOffs
}
