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
// The fast path still applies the rate limit and the ACL and feeds the query
// log; it is off when a LocalZone does not name its origins (so a local
// zone always answers first, as the chain order says).

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
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

// answer returns the fast answer for raw and true, or false when raw must
// take the general path. A nil answer with true means dropped (rate limit).
func (f *fastPath) answer(raw []byte, client netip.Addr, tcp bool, out []byte) ([]byte, bool) {
	nb := f.names.Get().(*nameBuf)
	defer f.names.Put(nb)
	return f.answerBuf(raw, client, tcp, out, nb, nil)
}

// answerBuf is answer with the caller's name buffer (a read loop's own).
// When it declines a query because its name is in no cache entry at all
// (a miss) and miss is not nil, the parsed query is left in *miss (its
// fqdn pointing into nameBuf) for the fast miss path (miss.go).
func (f *fastPath) answerBuf(raw []byte, client netip.Addr, tcp bool, out []byte, nameBuf *nameBuf, miss *wireQuery) ([]byte, bool) {
	q, ok := parseQuery(raw, nameBuf, f.s.maxUDP)
	if !ok || f.inLocalZone(q.name()) || !f.s.acl.permits(client) {
		return nil, false
	}
	if f.s.qlog != nil {
		q.start = time.Now() // the query log's latency
	}
	hit, blocked := f.list.Lookup(q.name())
	if blocked {
		return f.blocked(&q, hit, client, tcp, out)
	}
	if hit.Name != "" || f.s.cache == nil { // an allow entry decided: the chain counts it as "allowed"
		return nil, false
	}
	e, present := f.s.cache.peek(q.key(), f.s.cache.now())
	if e == nil {
		if !present && miss != nil {
			*miss = q
		}
		return nil, false
	}
	return f.cached(&q, e, client, tcp, out)
}

// wireQuery is what parseQuery read from a raw query.
type wireQuery struct {
	raw      []byte
	fqdn     string // the question name, lower case, with the trailing dot; see nameBuf
	qend     int    // end of the question section
	qtype    uint16
	flags    uint16
	edns, do bool
	limit    int       // largest UDP answer
	start    time.Time // when the fast path took it (only with the query log on)
}

func (q *wireQuery) name() string { return q.fqdn[:len(q.fqdn)-1] }

func (q *wireQuery) key() cacheKey {
	return cacheKey{name: q.fqdn, qtype: q.qtype, qclass: dns.ClassINET, do: q.do, cd: q.flags&0x0010 != 0}
}

// parseQuery reads a plain query (see the file comment) from raw, its name
// lower-cased into nameBuf; false for anything else.
func parseQuery(raw []byte, nameBuf *nameBuf, maxUDP uint16) (wireQuery, bool) {
	var q wireQuery
	if len(raw) < headerLen+5 {
		return q, false
	}
	flags := binary.BigEndian.Uint16(raw[2:])
	if flags&0xF800 != 0 { // a response, or not opcode QUERY
		return q, false
	}
	arcount := binary.BigEndian.Uint16(raw[10:])
	if binary.BigEndian.Uint16(raw[4:]) != 1 || binary.BigEndian.Uint16(raw[6:]) != 0 ||
		binary.BigEndian.Uint16(raw[8:]) != 0 || arcount > 1 {
		return q, false
	}
	n, off, ok := lowerName(raw, nameBuf)
	qend := off + 4
	if !ok || n == 0 || qend > len(raw) {
		return q, false
	}
	qtype := binary.BigEndian.Uint16(raw[off:])
	if binary.BigEndian.Uint16(raw[off+2:]) != dns.ClassINET || qtype == dns.TypeOPT || qtype >= 128 || qtype == 0 {
		return q, false
	}
	q = wireQuery{raw: raw, qend: qend, qtype: qtype, flags: flags, limit: dns.MinMsgSize}
	if arcount == 1 {
		p := qend
		if len(raw) < p+11 || raw[p] != 0 || binary.BigEndian.Uint16(raw[p+1:]) != dns.TypeOPT || raw[p+6] != 0 {
			return q, false // not a root OPT, or EDNS version != 0 (BADVERS on the general path)
		}
		if p+11+int(binary.BigEndian.Uint16(raw[p+9:])) != len(raw) || !wellFormedOptions(raw[p+11:]) {
			return q, false // the general path answers FORMERR (RFC 6891 6.1.2)
		}
		q.edns, q.do = true, binary.BigEndian.Uint16(raw[p+7:])&0x8000 != 0
		q.limit = min(max(int(binary.BigEndian.Uint16(raw[p+3:])), dns.MinMsgSize), int(maxUDP))
	} else if qend != len(raw) {
		return q, false
	}
	nameBuf[n] = '.'
	q.fqdn = unsafe.String(&nameBuf[0], n+1) // the cache key's form; see nameBuf
	return q, true
}

// wellFormedOptions reports whether rdata (an OPT record's) is a sequence
// of whole options: code, length, then length bytes.
func wellFormedOptions(rdata []byte) bool {
	for len(rdata) > 0 {
		if len(rdata) < 4 {
			return false
		}
		n := 4 + int(binary.BigEndian.Uint16(rdata[2:]))
		if n > len(rdata) {
			return false
		}
		rdata = rdata[n:]
	}
	return true
}

// lowerName copies the question name of raw into nameBuf, lower case and
// dotted, and returns its length and the offset after it; false for names
// with other bytes than letters, digits, '-' and '_'.
func lowerName(raw []byte, nameBuf *nameBuf) (n, off int, ok bool) {
	off = headerLen
	for {
		if off >= len(raw) {
			return 0, 0, false
		}
		l := int(raw[off])
		off++
		if l == 0 {
			return n, off, true
		}
		if l > 63 || off+l > len(raw) || n+l+1 > 254 {
			return 0, 0, false
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
				return 0, 0, false
			}
			nameBuf[n] = c
			n++
		}
		off += l
	}
}

func (f *fastPath) inLocalZone(name string) bool {
	for _, o := range f.origins {
		if name == o || strings.HasSuffix(name, "."+o) {
			return true
		}
	}
	return false
}

// blocked writes the block answer for q, listed by hit.
func (f *fastPath) blocked(q *wireQuery, hit lists.Hit, client netip.Addr, tcp bool, out []byte) ([]byte, bool) {
	if hit.Consensus > 1 {
		return nil, false // a popular site blocked by consensus: the chain words it in the EDE
	}
	name := q.name()
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
	rcode, aa, addr, atype := p.answerFor(q.qtype)

	var an, ns, ar uint16
	if addr != nil {
		an = 1
	} else if rcode != dns.RcodeRefused {
		ns = 1
	}
	if q.edns {
		ar = 1
	}
	b := appendHeader(out[:0], q, rcode, aa, an, ns, ar)
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
	if q.edns {
		b = appendOPT(b, f.s.maxUDP, q.do, dns.ExtendedErrorCodeBlocked, hit)
	}
	return f.finish(b, q, OutcomeBlocked, hit, client, tcp)
}

// answerFor says how policy p answers a blocked query of type qtype: the
// rcode, the AA bit, and the address record (nil: none).
func (p *preparedPolicy) answerFor(qtype uint16) (rcode int, aa bool, addr []byte, atype uint16) {
	rcode, aa = dns.RcodeSuccess, true
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
	return rcode, aa, addr, atype
}

// appendHeader appends the answer's header and the client's question: the
// client's ID, QR, RD and CD echoed, RA, and the given rcode and counts.
func appendHeader(b []byte, q *wireQuery, rcode int, aa bool, an, ns, ar uint16) []byte {
	hflags := uint16(0x8000) | q.flags&0x0100 | 0x0080 | q.flags&0x0010 | uint16(rcode) // QR, RD, RA, CD
	if aa {
		hflags |= 0x0400
	}
	b = append(b, q.raw[0], q.raw[1])
	b = binary.BigEndian.AppendUint16(b, hflags)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, an)
	b = binary.BigEndian.AppendUint16(b, ns)
	b = binary.BigEndian.AppendUint16(b, ar)
	return append(b, q.raw[headerLen:q.qend]...)
}

// appendOPT appends the one OPT record of every fast answer: our UDP size,
// the client's DO bit, and with edeCode != 0 an EDE option (RFC 8914)
// whose text is "listed: <entry> (<source>)" for the block that hit names.
func appendOPT(b []byte, size uint16, do bool, edeCode uint16, hit lists.Hit) []byte {
	b = append(b, 0) // root owner
	b = binary.BigEndian.AppendUint16(b, dns.TypeOPT)
	b = binary.BigEndian.AppendUint16(b, size)
	var ednsFlags uint16
	if do {
		ednsFlags = 0x8000
	}
	b = append(b, 0, 0) // extended rcode, version
	b = binary.BigEndian.AppendUint16(b, ednsFlags)
	if edeCode == 0 {
		return binary.BigEndian.AppendUint16(b, 0)
	}
	textLen := len("listed: ") + len(hit.Name)
	if hit.Source != "" {
		textLen += len(" (") + len(hit.Source) + len(")")
	}
	b = binary.BigEndian.AppendUint16(b, uint16(4+2+textLen))
	b = binary.BigEndian.AppendUint16(b, dns.EDNS0EDE)
	b = binary.BigEndian.AppendUint16(b, uint16(2+textLen))
	b = binary.BigEndian.AppendUint16(b, edeCode)
	b = append(b, "listed: "...)
	b = append(b, hit.Name...)
	if hit.Source != "" {
		b = append(b, " ("...)
		b = append(b, hit.Source...)
		b = append(b, ')')
	}
	return b
}

// finish applies the size limit and the rate limit to answer b to q,
// counts it and logs it (hit: the listing that blocked it).
func (f *fastPath) finish(b []byte, q *wireQuery, o Outcome, hit lists.Hit, client netip.Addr, tcp bool) ([]byte, bool) {
	if !tcp && len(b) > q.limit {
		return nil, false // the general path truncates
	}
	if f.s.limit != nil {
		if limited, slip := f.s.limit.limited(client, tcp); limited {
			f.s.metrics.query(q.qtype, OutcomeRateLimited)
			f.s.logQuery(client, q.name(), q.qtype, OutcomeRateLimited, -1, lists.Hit{}, "", q.start)
			if !slip {
				return nil, true
			}
			return slipAnswer(b[:q.qend]), true
		}
	}
	f.s.metrics.query(q.qtype, o)
	f.s.logQuery(client, q.name(), q.qtype, o, int(b[3]&0x0F), hit, "", q.start)
	return b, true
}

// slipAnswer turns b, a query or an answer cut after its question, into
// an empty truncated answer: QR, RA and TC set, AA and the rcode cleared,
// no records.
func slipAnswer(b []byte) []byte {
	flags := binary.BigEndian.Uint16(b[2:])
	flags = flags&^(0x0400|0x000F) | 0x8000 | 0x0200 | 0x0080 // -AA, rcode NOERROR, +QR +TC +RA
	binary.BigEndian.PutUint16(b[2:], flags)
	clear(b[6:headerLen]) // no answer, authority or additional records
	return b
}

// cached answers q from fresh cache entry e by copying its packed form
// behind the client's own header and question, counting the TTLs down in
// place. It declines when the entry has none, or a CNAME/DNAME target in it
// is now listed (the chain then blocks).
func (f *fastPath) cached(q *wireQuery, e *cacheEntry, client netip.Addr, tcp bool, out []byte) ([]byte, bool) {
	b, ok := f.fromEntry(q, e, f.s.cache.now(), out)
	if !ok {
		return nil, false
	}
	return f.finish(b, q, OutcomeCached, lists.Hit{}, client, tcp)
}

// fromEntry writes the answer to q from entry e; false when e has no
// packed form or a target in it is listed.
func (f *fastPath) fromEntry(q *wireQuery, e *cacheEntry, now time.Time, out []byte) ([]byte, bool) {
	if e.wire == nil || e.qend != q.qend {
		return nil, false
	}
	for _, t := range e.targets {
		if _, blocked := f.list.Lookup(t); blocked {
			return nil, false
		}
	}
	age := uint32(max(now.Sub(e.stored), 0) / time.Second)
	w := e.wire
	arcount := binary.BigEndian.Uint16(w[10:])
	if q.edns {
		arcount++
	}
	b := appendHeader(out[:0], q, 0, false, 0, 0, 0)
	flags := binary.BigEndian.Uint16(b[2:]) | binary.BigEndian.Uint16(w[2:])&0x006F // Z, AD and rcode kept
	binary.BigEndian.PutUint16(b[2:], flags)
	copy(b[6:10], w[6:10]) // AN, NS counts
	binary.BigEndian.PutUint16(b[10:], arcount)
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
		b = appendOPT(b, f.s.maxUDP, q.do, 0, lists.Hit{})
	}
	return b, true
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
