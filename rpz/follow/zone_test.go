package follow

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/rpz"
)

// zoneOf reads a scamblock zone the way a transfer delivers it.
func zoneOf(t testing.TB, z *rpz.Zone) *zone {
	t.Helper()
	b := newZoneBuilder(z.Origin(), &rdataTable{}, 1<<30)
	var err error
	z.Records(func(rr dns.RR) bool {
		if soa, ok := rr.(*dns.SOA); ok {
			err = b.setSOA(soa)
		} else {
			err = b.add(rr)
		}
		return err == nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.build()
}

// The follower's Set, compiled, decides every name as the primary's
// matcher does, over random nestings of blocks and allows, exact and
// subtree (the cases where RPZ's wildcard rules and the matcher's
// most-specific-wins rules meet).
func TestFollowerAgreesWithThePrimary(t *testing.T) {
	labels := []string{"a", "b", "c", "d"}
	rnd := rand.New(rand.NewPCG(3, 4))
	randName := func() string {
		n := 1 + rnd.IntN(4)
		parts := make([]string, 0, n+1)
		for range n {
			parts = append(parts, labels[rnd.IntN(len(labels))])
		}
		return strings.Join(append(parts, "com"), ".")
	}
	for round := range 300 {
		var feed, allows []lists.Entry
		for range 1 + rnd.IntN(8) {
			e := lists.Entry{Value: randName(), Exact: rnd.IntN(3) == 0}
			if rnd.IntN(4) == 0 {
				e.Action = lists.Allow
				allows = append(allows, e)
			} else {
				feed = append(feed, e)
			}
		}
		m := compile(buildSet("feed", feed...), buildSet("allow", allows...))
		rz, err := rpz.NewZone(m, 1, rpz.ZoneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		set, rep := zoneOf(t, rz).toSet("follow:rpz.scamblock", parse.Options{})
		if rep.TotalRejected() != 0 {
			t.Fatalf("round %d: rejects %+v", round, rep)
		}
		fm := compile(set)
		for range 200 {
			q := randName()
			_, want := m.Lookup(q)
			_, got := fm.Lookup(q)
			if got != want {
				var zl bytes.Buffer
				rz.WriteTo(&zl)
				var sl []string
				set.Entries(func(e lists.Entry) bool {
					sl = append(sl, e.Action.String()+" "+e.Value+map[bool]string{true: " exact"}[e.Exact])
					return true
				})
				t.Fatalf("round %d: %s: follower blocked=%v, primary %v\nblock %v\nallow %v\nzone:\n%s\nset %q",
					round, q, got, want, feed, allows, zl.String(), sl)
			}
		}
	}
}

// RPZ records turn into entries by the feeds/parse rules; the rest is
// counted by reason.
func TestZoneToSetRules(t *testing.T) {
	text := `$ORIGIN rpz.test.
$TTL 300
@ SOA ns. host. 1 3600 300 86400 300
@ NS ns.
blocked.com CNAME .
*.blocked.com CNAME .
exact.com CNAME .
nodata.com CNAME *.
drop.com CNAME rpz-drop.
pass.com CNAME rpz-passthru.
*.pass.com CNAME rpz-passthru.
keep.com CNAME rpz-passthru.
*.keep.com CNAME .
garden.com A 192.0.2.1
garden.com AAAA 2001:db8::1
redirect.com CNAME walled.garden.example.
tcp.com CNAME rpz-tcp-only.
32.1.2.0.192.rpz-ip CNAME .
ns.rpz-nsdname CNAME .
txt.com TXT "hello"
* CNAME .
-bad-.com CNAME .
`
	z, err := parseZone(strings.NewReader(text), "rpz.test.", "test", &rdataTable{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	set, rep := z.toSet("follow:rpz.test", parse.Options{})
	var got []string
	set.Entries(func(e lists.Entry) bool {
		s := e.Action.String() + " " + e.Value
		if e.Exact {
			s += " exact"
		}
		got = append(got, s)
		return true
	})
	want := []string{
		"block blocked.com",
		"block drop.com exact",
		"block exact.com exact",
		"block garden.com exact", // A and AAAA: one entry
		"allow keep.com exact",   // passthru at the name, block below
		"block keep.com",
		"block nodata.com exact",
		"allow pass.com",
		"block redirect.com exact",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n%q\nwant\n%q", got, want)
	}
	wantRej := map[lists.Reason]int{parse.ReasonUnsupported: 5, lists.ReasonInvalidLabel: 1}
	for r, n := range wantRej {
		if rep.Rejected[r] != n {
			t.Errorf("rejected %s: %d, want %d (report %+v)", r, rep.Rejected[r], n, rep.Rejected)
		}
	}
	if z.records != 19 {
		t.Errorf("records %d, want 19 (NS included)", z.records)
	}
}

// The copy on disk reads back as the same zone, odd owners included.
func TestSavedZoneRoundTrip(t *testing.T) {
	text := `$ORIGIN rpz.test.
@ 300 SOA ns. host. 42 3600 300 86400 300
@ NS ns.
* CNAME .
a\.b.com CNAME .
sp\032ace.com CNAME .
\@at.com CNAME rpz-passthru.
x.com A 192.0.2.1
x.com A 192.0.2.2
*.x.com A 192.0.2.3
*.x.com AAAA 2001:db8::3
y.com TXT "a b" "c"
`
	z, err := parseZone(strings.NewReader(text), "rpz.test.", "test", &rdataTable{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := z.writeTo(w); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	z2, err := parseZone(bytes.NewReader(buf.Bytes()), "rpz.test.", "saved", &rdataTable{}, 1000)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if got, want := recordsOf(z2), recordsOf(z); !slices.Equal(got, want) || z2.serial() != 42 {
		t.Errorf("saved zone reads back as\n%q\nwant\n%q\nfile:\n%s", got, want, buf.String())
	}
	if len(recordsOf(z)) != 10 {
		t.Errorf("records %q, want 10", recordsOf(z))
	}
}

// recordsOf lists a zone's records as "owner type data", sorted.
func recordsOf(z *zone) []string {
	var out []string
	for _, n := range z.nodes {
		z.refs(n, func(wild bool, ref uint32) {
			rd := z.rd[ref-1]
			out = append(out, moreKey(n.name, wild)+" "+rd.typ+" "+rd.text)
		})
	}
	slices.Sort(out)
	return out
}

// IXFR deltas applied to a copy give the zone the primary has.
func TestPatchAppliesDeltas(t *testing.T) {
	base := `$ORIGIN rpz.test.
$TTL 300
@ SOA ns. host. 1 3600 300 86400 300
a.com CNAME .
*.a.com CNAME .
b.com CNAME rpz-passthru.
c.com A 192.0.2.1
c.com A 192.0.2.2
`
	z, err := parseZone(strings.NewReader(base), "rpz.test.", "test", &rdataTable{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR("$ORIGIN rpz.test.\n" + s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	p := newPatch(z, 1000)
	for _, s := range []string{"*.a.com CNAME .", "b.com CNAME rpz-passthru.", "c.com A 192.0.2.1"} {
		if err := p.del(rr(s)); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"b.com CNAME .", "d.com CNAME .", "*.d.com CNAME .", "c.com A 192.0.2.3", "a.com CNAME ."} {
		if err := p.add(rr(s)); err != nil {
			t.Fatal(err)
		}
	}
	nz := p.build(&dns.SOA{Hdr: dns.RR_Header{Name: "rpz.test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Serial: 2})
	want := []string{"*.d.com CNAME .", "a.com CNAME .", "b.com CNAME .", "c.com A 192.0.2.2", "c.com A 192.0.2.3", "d.com CNAME ."}
	if got := recordsOf(nz); !slices.Equal(got, want) || nz.records != len(want) {
		t.Errorf("patched zone %q (%d records), want %q", got, nz.records, want)
	}
	if got := recordsOf(z); len(got) != 5 {
		t.Errorf("the old zone changed: %q", got)
	}
	if err := newPatch(z, 1000).del(rr("zz.com CNAME .")); !errors.Is(err, errMissing) {
		t.Errorf("delete of a missing record: %v, want errMissing", err)
	}
	if err := newPatch(z, 1000).add(rr("a.other.zone. CNAME .")); err == nil {
		t.Error("add outside the zone accepted")
	}
	if err := newPatch(z, 5).add(rr("e.com CNAME .")); err == nil {
		t.Error("add beyond MaxRecords accepted")
	}
}
