package resolver

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
)

// rawUpstream is an upstream for benchmarks and spoofing tests: it answers
// every A query with 192.0.2.1 (TTL one day, any name: a wildcard) and every
// other type with an empty NOERROR, written straight from the query's bytes
// without allocating, so that allocs/op of a forwarding benchmark counts the
// resolver alone. before, when set, sends extra datagrams ahead of the real
// answer (garbage, spoofed or wrong replies).
type rawUpstream struct {
	conn    *net.UDPConn
	addr    string
	queries atomic.Int64
	before  func(query []byte) [][]byte
}

func startRawUpstream(t testing.TB) *rawUpstream { return startRawUpstreamWith(t, nil) }

// startRawUpstreamWith starts a rawUpstream that sends before's datagrams
// ahead of each answer.
func startRawUpstreamWith(t testing.TB, before func(query []byte) [][]byte) *rawUpstream {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(4 << 20)
	u := &rawUpstream{conn: c, addr: c.LocalAddr().String(), before: before}
	done := make(chan struct{})
	go func() { defer close(done); u.serve() }()
	t.Cleanup(func() { c.Close(); <-done })
	return u
}

func (u *rawUpstream) serve() {
	buf := make([]byte, 4096)
	out := make([]byte, 0, 4096)
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		u.queries.Add(1)
		if u.before != nil {
			for _, d := range u.before(buf[:n]) {
				u.conn.WriteToUDPAddrPort(d, from)
			}
		}
		if ans := rawAnswer(buf[:n], out[:0]); ans != nil {
			u.conn.WriteToUDPAddrPort(ans, from)
		}
	}
}

// rawAnswer answers query as rawUpstream does; nil for what is not a query.
func rawAnswer(q []byte, b []byte) []byte {
	qend := questionEnd(q)
	if qend < 0 || q[2]&0x80 != 0 {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[qend-4:])
	edns := binary.BigEndian.Uint16(q[10:]) == 1
	b = append(b, q[:qend]...)
	binary.BigEndian.PutUint16(b[2:], 0x8000|0x0400|0x0080|binary.BigEndian.Uint16(q[2:])&0x0110) // QR AA RA; RD CD
	binary.BigEndian.PutUint16(b[6:], 0)
	binary.BigEndian.PutUint16(b[8:], 0)
	binary.BigEndian.PutUint16(b[10:], 0)
	if qtype == 1 {
		binary.BigEndian.PutUint16(b[6:], 1)
		b = append(b, 0xC0, 12, 0, 1, 0, 1, 0, 1, 0x51, 0x80, 0, 4, 192, 0, 2, 1)
	}
	if edns {
		binary.BigEndian.PutUint16(b[10:], 1)
		b = append(b, 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0)
	}
	return b
}

// questionEnd returns the end of the one question in q, or -1.
func questionEnd(q []byte) int {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return -1
	}
	off := 12
	for off < len(q) && q[off] != 0 {
		if q[off] > 63 {
			return -1
		}
		off += 1 + int(q[off])
	}
	if off+5 > len(q) {
		return -1
	}
	return off + 5
}

// uniqueQuery is a raw query for q<8 hex digits>.bench. A that next rewrites in place.
type uniqueQuery struct {
	raw []byte
	n   uint32
}

func newUniqueQuery(edns bool) *uniqueQuery {
	b := []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	b = append(b, 9, 'q', '0', '0', '0', '0', '0', '0', '0', '0', 5, 'b', 'e', 'n', 'c', 'h', 0, 0, 1, 0, 1)
	if edns {
		b[11] = 1
		b = append(b, 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0)
	}
	return &uniqueQuery{raw: b}
}

const hexDigits = "0123456789abcdef"

// next returns the query for the next name (and a new ID).
func (u *uniqueQuery) next() []byte {
	u.n++
	for i := range 8 {
		u.raw[13+i] = hexDigits[(u.n>>(28-4*i))&0xF]
	}
	binary.BigEndian.PutUint16(u.raw, uint16(u.n))
	return u.raw
}
