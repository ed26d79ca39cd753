package resolver

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestBadRepliesBeforeTheAnswerAreIgnored: RFC 5452. With one upstream, a
// 5-byte garbage datagram, a FORMERR with the matching ID and question, a
// reply with the wrong ID and a reply for another question all arrive before
// the real answer; none of them ends the wait, and the client gets the real
// answer.
func TestBadRepliesBeforeTheAnswerAreIgnored(t *testing.T) {
	up := startRawUpstreamWith(t, func(q []byte) [][]byte {
		formerr := rawAnswer(q, nil)
		binary.BigEndian.PutUint16(formerr[2:], 0x8000|0x0080|dns.RcodeFormatError)
		binary.BigEndian.PutUint16(formerr[6:], 0) // no answer: cut it
		formerr = formerr[:questionEnd(q)]
		binary.BigEndian.PutUint16(formerr[10:], 0)
		wrongID := rawAnswer(q, nil)
		wrongID[0] ^= 0xFF
		other := rawAnswer(q, nil)
		other[13] = 'z' // another name of the same length
		return [][]byte{{1, 2, 3, 4, 5}, formerr, wrongID, other}
	})
	ts := startServer(t, Config{Upstreams: []string{"udp://" + up.addr}, UpstreamTimeout: 2 * time.Second, ResolveTimeout: 3 * time.Second}, testList())
	for _, network := range []string{"udp", "tcp"} {
		for i, name := range []string{"first.example", "second.example"} {
			start := time.Now()
			r := ts.query(t, network, network+name, dns.TypeA, i == 0)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("%s %s: rcode %s, answer %v; want the real answer (bad replies ignored)\n%v",
					network, name, dns.RcodeToString[r.Rcode], r.Answer, r)
			}
			if a, ok := r.Answer[0].(*dns.A); !ok || a.A.String() != "192.0.2.1" {
				t.Errorf("answer %v, want A 192.0.2.1", r.Answer[0])
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v: the real answer was there at once", d)
			}
		}
	}
}
