package rpz

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

func buildSet(source string, entries ...lists.Entry) *lists.Set {
	b := lists.NewSetBuilder(source)
	for i, e := range entries {
		if e.Kind == 0 {
			e.Kind = lists.KindDomain
		}
		e.Line = i + 1
		b.Add(e)
	}
	return b.Build()
}

func block(name string) lists.Entry { return lists.Entry{Value: name} }
func exact(name string) lists.Entry { return lists.Entry{Value: name, Exact: true} }
func allow(name string) lists.Entry { return lists.Entry{Value: name, Action: lists.Allow} }

// zoneLines renders the policy records as "owner target" relative to the
// origin, in zone order.
func zoneLines(t *testing.T, z *Zone) []string {
	t.Helper()
	var out []string
	z.Records(func(rr dns.RR) bool {
		c, ok := rr.(*dns.CNAME)
		if !ok {
			return true
		}
		out = append(out, strings.TrimSuffix(c.Hdr.Name, "."+z.Origin())+" "+c.Target)
		return true
	})
	return out
}

func TestNewZoneRecords(t *testing.T) {
	tests := []struct {
		name    string
		sets    []*lists.Set
		opts    lists.CompileOptions
		want    []string
		skipped int
	}{
		{
			name: "subtree block gets name and wildcard, exact block only the name, allow passthru both",
			sets: []*lists.Set{buildSet("feed", block("evil.test"), exact("exact.test"), allow("good.test"))},
			want: []string{"evil.test .", "*.evil.test .", "exact.test .", "good.test rpz-passthru.", "*.good.test rpz-passthru."},
		},
		{
			name: "names between a block and a more specific listing inherit the block",
			sets: []*lists.Set{buildSet("feed", block("evil.test"), lists.Entry{Value: "ok.x.evil.test", Exact: true, Action: lists.Allow})},
			want: []string{
				"evil.test .", "*.evil.test .",
				"ok.x.evil.test rpz-passthru.", "*.ok.x.evil.test .",
				"x.evil.test .", "*.x.evil.test .",
			},
		},
		{
			name: "exact-only parent gets no wildcard",
			sets: []*lists.Set{buildSet("feed", exact("a.test"), block("b.a.test"))},
			want: []string{"a.test .", "b.a.test .", "*.b.a.test ."},
		},
		{
			name: "block under a feed allow keeps its own records, the allow its passthru",
			sets: []*lists.Set{buildSet("feed", block("bad.good.test")), buildSet("allowlist", allow("good.test"))},
			want: []string{"bad.good.test .", "*.bad.good.test .", "good.test rpz-passthru.", "*.good.test rpz-passthru."},
		},
		{
			name: "allow beats block of the same name",
			sets: []*lists.Set{buildSet("feed", block("both.test")), buildSet("allowlist", allow("both.test"))},
			want: []string{"both.test rpz-passthru.", "*.both.test rpz-passthru."},
		},
		{
			name: "guarded names are not in the zone",
			sets: []*lists.Set{buildSet("feed", block("com"), block("coinbase.com"), block("evil.com"))},
			want: []string{"evil.com .", "*.evil.com ."},
		},
		{
			name: "user --allow becomes passthru and drops blocks under it",
			sets: []*lists.Set{buildSet("feed", block("evil.test"), block("x.safe.evil.test"))},
			opts: lists.CompileOptions{Allow: []string{"safe.evil.test"}},
			want: []string{"evil.test .", "*.evil.test .", "safe.evil.test rpz-passthru.", "*.safe.evil.test rpz-passthru."},
		},
		{
			name: "URL indicators block their host only when the source says so",
			sets: []*lists.Set{
				buildSet("urls", lists.Entry{Value: "sites.example/x", Kind: lists.KindURL}),
				buildSet("phish", lists.Entry{Value: "phish.test/login", Kind: lists.KindURL}),
			},
			opts: lists.CompileOptions{Sources: map[string]lists.SourceOptions{"phish": {URLBlocksHost: true}}},
			want: []string{"phish.test .", "*.phish.test ."},
		},
		{
			name: "addresses and look-alike targets are not in the zone",
			sets: []*lists.Set{buildSet("feed",
				lists.Entry{Value: "0x0000000000000000000000000000000000000001", Kind: lists.KindAddress},
				lists.Entry{Value: "metamask.io", Kind: lists.KindLookalike})},
			want: nil,
		},
		{
			name:    "a name too long under the origin is skipped and counted",
			sets:    []*lists.Set{buildSet("feed", block(strings.Repeat("a", 60)+"."+strings.Repeat("b", 60)+"."+strings.Repeat("c", 60)+"."+strings.Repeat("d", 50)+".test"))},
			want:    nil,
			skipped: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := lists.Compile(tt.sets, tt.opts)
			z, err := NewZone(m, 7, ZoneOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := zoneLines(t, z)
			if !slices.Equal(got, tt.want) {
				t.Errorf("records:\n got %q\nwant %q", got, tt.want)
			}
			if z.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", z.Len(), len(tt.want))
			}
			if z.Stats().Skipped != tt.skipped {
				t.Errorf("Skipped = %d, want %d", z.Stats().Skipped, tt.skipped)
			}
		})
	}
}

func TestZoneFileParsesWithSOAAndNS(t *testing.T) {
	m, _ := lists.Compile([]*lists.Set{buildSet("feed", block("evil.test"), exact("exact.test"))}, lists.CompileOptions{})
	z, err := NewZone(m, 2026112501, ZoneOptions{Origin: "RPZ.Example"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := z.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	zp := dns.NewZoneParser(strings.NewReader(b.String()), "", "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone file does not parse: %v\n%s", err, b.String())
	}
	if len(rrs) != 2+3 {
		t.Fatalf("%d records, want SOA, NS and 3 policy records:\n%s", len(rrs), b.String())
	}
	s, ok := rrs[0].(*dns.SOA)
	if !ok || s.Serial != 2026112501 || s.Hdr.Name != "rpz.example." {
		t.Errorf("first record %v, want the SOA of rpz.example. with serial 2026112501", rrs[0])
	}
	if _, ok := rrs[1].(*dns.NS); !ok {
		t.Errorf("second record %v, want NS", rrs[1])
	}
}

func TestNewZoneRejectsBadOrigin(t *testing.T) {
	for _, o := range []string{".", "a..b"} {
		if _, err := NewZone(nil, 1, ZoneOptions{Origin: o}); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
}

// rpzDecision evaluates qname against the zone's records with DNS wildcard
// rules (RFC 4592), as BIND's policy-zone database lookup does: an exact
// owner decides; a name that exists only as an empty non-terminal matches
// nothing; otherwise the wildcard at the closest encloser decides.
func rpzDecision(owners map[string]string, ents map[string]bool, qname string) (target string, ok bool) {
	if t, ok := owners[qname]; ok {
		return t, true
	}
	if ents[qname] {
		return "", false
	}
	for n := qname; ; {
		i := strings.IndexByte(n, '.')
		if i < 0 {
			return "", false
		}
		n = n[i+1:]
		if _, exists := owners[n]; exists || ents[n] {
			t, ok := owners["*."+n]
			return t, ok
		}
	}
}

func TestZoneAgreesWithMatcherUnderWildcardRules(t *testing.T) {
	labels := []string{"a", "b", "c", "d"}
	rnd := rand.New(rand.NewPCG(1, 2))
	randName := func() string {
		n := 1 + rnd.IntN(4)
		parts := make([]string, 0, n+1)
		for range n {
			parts = append(parts, labels[rnd.IntN(len(labels))])
		}
		return strings.Join(append(parts, "test"), ".")
	}
	for round := range 200 {
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
		m, _ := lists.Compile([]*lists.Set{buildSet("feed", feed...), buildSet("allow", allows...)}, lists.CompileOptions{})
		z, err := NewZone(m, 1, ZoneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		owners := map[string]string{}
		ents := map[string]bool{}
		for _, l := range zoneLines(t, z) {
			owner, target, _ := strings.Cut(l, " ")
			owners[owner] = target
			for n := owner; ; {
				i := strings.IndexByte(n, '.')
				if i < 0 {
					break
				}
				n = n[i+1:]
				ents[n] = true
			}
		}
		for range 100 {
			q := randName()
			hit, blocked := m.Lookup(q)
			target, ok := rpzDecision(owners, ents, q)
			want := "none"
			if hit.Source != "" {
				want = map[bool]string{true: ".", false: "rpz-passthru."}[blocked]
			}
			got := "none"
			if ok {
				got = target
			}
			if got != want {
				t.Fatalf("round %d: %s: zone says %s, matcher says %s (hit %+v)\nblock %v\nallow %v\nzone %q",
					round, q, got, want, hit, feed, allows, zoneLines(t, z))
			}
		}
	}
}

func TestZoneIsSortedAndDeterministic(t *testing.T) {
	entries := []lists.Entry{block("b.test"), block("a-evil.test"), exact("x.evil.test"), block("evil.test"), block("y.x.evil.test"), block("evilx.test")}
	m1, _ := lists.Compile([]*lists.Set{buildSet("feed", entries...)}, lists.CompileOptions{})
	slices.Reverse(entries)
	m2, _ := lists.Compile([]*lists.Set{buildSet("feed", entries...)}, lists.CompileOptions{})
	z1, _ := NewZone(m1, 1, ZoneOptions{})
	z2, _ := NewZone(m2, 1, ZoneOptions{})
	a, b := zoneLines(t, z1), zoneLines(t, z2)
	if !slices.Equal(a, b) {
		t.Errorf("same names in another order give another zone:\n%q\n%q", a, b)
	}
	if !slices.IsSortedFunc(z1.nodes, func(x, y node) int { return strings.Compare(x.name, y.name) }) {
		t.Errorf("nodes not sorted: %q", a)
	}
}
