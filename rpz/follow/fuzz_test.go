package follow

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/feeds/parse"
)

const fuzzBase = `$ORIGIN rpz.test.
$TTL 300
@ SOA ns. host. 1 3600 300 86400 300
@ NS ns.
a.com CNAME .
*.a.com CNAME .
b.com CNAME rpz-passthru.
c.com A 192.0.2.1
`

// msgOf packs records as one transfer message.
func msgOf(t testing.TB, records ...string) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("rpz.test.", dns.TypeIXFR)
	m.Response = true
	for _, s := range records {
		rr, err := dns.NewRR("$ORIGIN rpz.test.\n$TTL 300\n" + s)
		if err != nil {
			t.Fatal(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzTransfer feeds the records of an untrusted transfer message through
// the IXFR reader (deltas or a whole zone) against a copy, and the result
// through the RPZ rules. Nothing may panic; an accepted answer gives a
// zone whose record count matches its records.
func FuzzTransfer(f *testing.F) {
	soa := func(serial string) string { return "@ SOA ns. host. " + serial + " 3600 300 86400 300" }
	f.Add(msgOf(f, soa("2"), soa("1"), "a.com CNAME .", soa("2"), "d.com CNAME .", soa("2")))
	f.Add(msgOf(f, soa("3"), soa("1"), "b.com CNAME rpz-passthru.", soa("2"), "b.com CNAME .", soa("2"), "c.com A 192.0.2.1", soa("3"), soa("3")))
	f.Add(msgOf(f, soa("2"), "@ NS ns.", "x.com CNAME .", "*.x.com CNAME .", soa("2")))
	f.Add(msgOf(f, soa("1")))
	f.Add(msgOf(f, soa("2"), soa("1"), "zz.com CNAME .", soa("2"), soa("2")))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m dns.Msg
		if m.Unpack(data) != nil {
			return
		}
		base, err := parseZone(strings.NewReader(fuzzBase), "rpz.test.", "base", &rdataTable{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		r := newIXFRReader(base, 1000)
		for _, rr := range m.Answer {
			if r.next(rr) != nil {
				return
			}
		}
		z, err := r.result()
		if err != nil {
			return
		}
		if got := len(recordsOf(z)); got != z.records {
			t.Fatalf("zone counts %d records, holds %d", z.records, got)
		}
		set, _ := z.toSet("follow:rpz.test", parse.Options{})
		if set.Len() > z.records {
			t.Fatalf("%d entries from %d records", set.Len(), z.records)
		}
		if got := recordsOf(base); len(got) != 5 {
			t.Fatalf("the copy changed: %q", got)
		}
	})
}

// FuzzServeNotify: any message reaching the DNS listener; a handled one
// gets an answer that unpacks.
func FuzzServeNotify(f *testing.F) {
	m := new(dns.Msg)
	m.SetNotify("rpz.test.")
	b, _ := m.Pack()
	f.Add(b)
	m.Answer = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "rpz.test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Ns: "a.", Mbox: "b.", Serial: 5}}
	m.SetTsig("k.", dns.HmacSHA256, 300, 0)
	b, _, _ = dns.TsigGenerate(m, "c2VjcmV0", "", false)
	f.Add(b)
	fo, err := New(Config{Primary: "127.0.0.1:53", Zone: "rpz.test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	from := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, ok := fo.ServeNotify(data, from)
		if !ok {
			return
		}
		var r dns.Msg
		if err := r.Unpack(out); err != nil {
			t.Fatalf("answer does not unpack: %v", err)
		}
		if !r.Response || r.Opcode != dns.OpcodeNotify {
			t.Fatalf("answer is not a NOTIFY response: %v", r.MsgHdr)
		}
	})
}

// FuzzSavedZone: a zone file that parses is written and read back to the
// same records (the copy on disk survives a restart unchanged).
func FuzzSavedZone(f *testing.F) {
	f.Add(fuzzBase)
	f.Add("$ORIGIN rpz.test.\n$TTL 1\n@ SOA a. b. 1 2 3 4 5\n* CNAME .\n\\@x.com TXT \"a;b\"\nsp\\032.com AAAA ::1\n")
	f.Fuzz(func(t *testing.T, text string) {
		z, err := parseZone(strings.NewReader(text), "rpz.test.", "fuzz", &rdataTable{}, 1000)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := z.writeTo(w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		z2, err := parseZone(bytes.NewReader(buf.Bytes()), "rpz.test.", "saved", &rdataTable{}, 1000)
		if err != nil {
			t.Fatalf("saved copy does not read back: %v\n%s", err, buf.String())
		}
		if got, want := recordsOf(z2), recordsOf(z); !slices.Equal(got, want) || z2.serial() != z.serial() {
			t.Fatalf("saved copy reads back as\n%q\nwant\n%q", got, want)
		}
		z.toSet("follow:rpz.test", parse.Options{})
	})
}
