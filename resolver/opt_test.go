package resolver

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTruncatedEDNSOptionIsFormerr: an OPT record whose rdata ends inside an
// option is malformed (RFC 6891 6.1.2): FORMERR, whatever the name, on the
// fast path and the general path alike.
func TestTruncatedEDNSOptionIsFormerr(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	ts.query(t, "udp", "a.test.", dns.TypeA, true) // cached: the fast cache path answers it next
	for _, name := range []string{"evil.example.", "a.test.", "nope.test."} {
		for _, rdata := range [][]byte{
			{0, 10},                // option header cut after the code
			{0, 10, 0, 8, 1, 2, 3}, // a cookie (8 bytes) cut after 3
		} {
			q := new(dns.Msg)
			q.SetQuestion(name, dns.TypeA)
			q.SetEdns0(1232, false)
			raw, err := q.Pack()
			if err != nil {
				t.Fatal(err)
			}
			// The OPT is last with empty rdata: set its rdlength and append.
			binary.BigEndian.PutUint16(raw[len(raw)-2:], uint16(len(rdata)))
			raw = append(raw, rdata...)
			c := dialUDP(t, ts.udp)
			c.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := c.Write(raw); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4096)
			n, err := c.Read(buf)
			if err != nil {
				t.Fatalf("%s with option rdata % x: no answer: %v", name, rdata, err)
			}
			if rcode := buf[3] & 0xF; n < headerLen || rcode != dns.RcodeFormatError {
				t.Errorf("%s with option rdata % x: rcode %s, want FORMERR", name, rdata, dns.RcodeToString[int(rcode)])
			}
		}
	}
}
