package resolver

// cachewire.go: cache entries made straight from an upstream's reply bytes,
// for the fast miss path (miss.go), without unpacking it into a dns.Msg.

import (
	"encoding/binary"
	"time"

	"github.com/miekg/dns"
)

// wireRR is where one resource record sits in a message.
type wireRR struct {
	start, rdata, end int // owner name, rdata, end
	typ               uint16
	section           int // 0 answer, 1 authority, 2 additional
}

// walkRRs calls fn for each record of message b after its one question and
// returns the end of the question; false when b is not a well-formed
// message (names out of bounds, records past the end, bytes left over).
func walkRRs(b []byte, fn func(rr wireRR) bool) (qend int, ok bool) {
	if len(b) < headerLen || binary.BigEndian.Uint16(b[4:]) != 1 {
		return 0, false
	}
	off, ok := skipName(b, headerLen)
	if !ok || off+4 > len(b) {
		return 0, false
	}
	qend = off + 4
	off = qend
	counts := [3]int{int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))}
	for sec, n := range counts {
		for range n {
			start := off
			if off, ok = skipName(b, off); !ok || off+10 > len(b) {
				return 0, false
			}
			rr := wireRR{start: start, rdata: off + 10, typ: binary.BigEndian.Uint16(b[off:]), section: sec}
			rr.end = rr.rdata + int(binary.BigEndian.Uint16(b[off+8:]))
			if rr.end > len(b) || (fn != nil && !fn(rr)) {
				return 0, false
			}
			off = rr.end
		}
	}
	return qend, off == len(b)
}

// skipName returns the offset after the (possibly compressed) name at off.
func skipName(b []byte, off int) (int, bool) {
	for off < len(b) {
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, true
		case l&0xC0 == 0xC0:
			return off + 2, off+2 <= len(b)
		case l > 63:
			return 0, false
		}
		off += 1 + l
	}
	return 0, false
}

// wireReplyOK reports whether a reply that matched its query's ID and
// question is one to accept: well formed, and not a FORMERR (see acceptReply).
func wireReplyOK(b []byte) bool {
	if b[3]&0x0F == dns.RcodeFormatError {
		return false
	}
	_, ok := walkRRs(b, nil)
	return ok
}

// maxWireRRs bounds the records of a reply putWire takes (more: the
// general path packs it).
const maxWireRRs = 32

// putWire caches the upstream reply b to key's question (checked by
// replyMatches and wireReplyOK) as put would, from its bytes: TTLs clamped
// in place, the OPT record cut, the header flags cleared as packWire does.
// It returns the entry, or nil when b is not cacheable this way (truncated,
// an rcode other than NOERROR and NXDOMAIN, no SOA in a negative answer, an
// OPT that is not the last record, too many records).
func (c *Cache) putWire(key cacheKey, b []byte, now time.Time) *cacheEntry {
	flags := binary.BigEndian.Uint16(b[2:])
	rcode := int(flags & 0x000F)
	if c.size <= 0 || flags&0x0200 != 0 || (rcode != dns.RcodeSuccess && rcode != dns.RcodeNameError) {
		return nil
	}
	var offs [maxWireRRs]uint16
	var targets []string
	n, lowest, soaTTL, cut := 0, uint32(1<<31-1), int64(-1), len(b)
	total := int(binary.BigEndian.Uint16(b[6:])) + int(binary.BigEndian.Uint16(b[8:])) + int(binary.BigEndian.Uint16(b[10:]))
	seen := 0
	qend, ok := walkRRs(b, func(rr wireRR) bool {
		seen++
		if rr.typ == dns.TypeOPT {
			cut = rr.start
			return rr.section == 2 && seen == total // the OPT must be the last record
		}
		if n == maxWireRRs {
			return false
		}
		ttlOff := rr.rdata - 6
		offs[n] = uint16(ttlOff)
		n++
		ttl := binary.BigEndian.Uint32(b[ttlOff:])
		lowest = min(lowest, ttl)
		switch {
		case rr.section == 1 && rr.typ == dns.TypeSOA && soaTTL < 0 && rr.end-rr.rdata >= 22:
			soaTTL = int64(min(ttl, binary.BigEndian.Uint32(b[rr.end-4:])))
		case rr.section == 0 && (rr.typ == dns.TypeCNAME || rr.typ == dns.TypeDNAME):
			t, _, err := dns.UnpackDomainName(b, rr.rdata)
			if err != nil {
				return false
			}
			targets = append(targets, t)
		}
		return true
	})
	if !ok || qend > cut {
		return nil
	}
	ancount := binary.BigEndian.Uint16(b[6:])
	var ttl time.Duration
	hi := uint32(c.maxTTL / time.Second)
	if rcode == dns.RcodeNameError || ancount == 0 {
		if soaTTL < 0 {
			return nil // RFC 2308 section 5: no SOA, no negative caching
		}
		ttl = min(max(time.Duration(soaTTL)*time.Second, c.minTTL), c.maxNegTTL)
		hi = uint32(ttl / time.Second)
	} else {
		ttl = min(max(time.Duration(lowest)*time.Second, c.minTTL), c.maxTTL)
	}
	if ttl <= 0 {
		return nil
	}
	lo := uint32(c.minTTL / time.Second)
	w := make([]byte, cut)
	copy(w, b[:cut])
	clear(w[:2])                                           // the ID: each answer gets its client's
	binary.BigEndian.PutUint16(w[2:], 0x8000|flags&0x7860) // QR; opcode, Z, AD and rcode kept; AA TC RD RA CD cleared
	w[3] |= byte(rcode)
	if cut < len(b) {
		binary.BigEndian.PutUint16(w[10:], binary.BigEndian.Uint16(w[10:])-1)
	}
	lowerQuestion(w[headerLen : qend-4])
	for _, off := range offs[:n] {
		binary.BigEndian.PutUint32(w[off:], min(max(binary.BigEndian.Uint32(w[off:]), lo), hi))
	}
	e := &cacheEntry{key: key, wire: w, qend: qend, ttlOffs: append([]uint16(nil), offs[:n]...), targets: targets,
		stored: now, expires: now.Add(ttl)}
	c.insert(e)
	return e
}

// lowerQuestion lower-cases the letters of a wire-format name in place.
func lowerQuestion(name []byte) {
	for i := 0; i < len(name); {
		l := int(name[i])
		for j := i + 1; j <= i+l && j < len(name); j++ {
			name[j] = lower(name[j])
		}
		i += 1 + l
	}
}

// message returns the entry's answer as a dns.Msg: the one kept, or for
// entries made by putWire, unpacked from its bytes (nil if that fails).
func (e *cacheEntry) message() *dns.Msg {
	if e.msg != nil {
		return e.msg
	}
	m := new(dns.Msg)
	if err := m.Unpack(e.wire); err != nil {
		return nil
	}
	return m
}
