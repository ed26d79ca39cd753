package lists

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// explainByScan is Explain as it was before the name index: one walk over
// every entry of every Set. It is kept here as the reference the indexed
// Explain must agree with (TestExplainAgreesWithScan).
func explainByScan(m *Matcher, name string) Explanation {
	ex := Explanation{Query: name}
	raw := strings.TrimSpace(name)
	host, path, hasPath := strings.Cut(raw, "/")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if n, err := NormalizeHost(host); err == nil {
		host = n
	}
	ex.Name = host
	m.explainDecision(&ex, host, raw)
	ex.UserAllow = m.userAllowOf(host)
	if c, ok := m.ConsensusFor(host); ok {
		ex.Consensus = &c
	}
	x := newScanExplainer(m, &ex, raw, host)
	x.hasPath, x.path = hasPath, path
	x.scan()
	ex.Listings = x.sorted()
	return ex
}

// scanExplainer gathers the listings Explain reports in one scan of every Set.
type scanExplainer struct {
	m         *Matcher
	ex        *Explanation
	raw, host string
	hasPath   bool
	path      string
	depth     map[string]int   // how many labels a name lies above host (0 = host itself)
	guarded   map[uint32]uint8 // ref → guard rule
	dropped   map[uint32]bool  // refs dropped by --allow
	listed    []scanRanked
}

type scanRanked struct {
	depth int
	l     Listing
}

func newScanExplainer(m *Matcher, ex *Explanation, raw, host string) *scanExplainer {
	x := &scanExplainer{m: m, ex: ex, raw: raw, host: host,
		depth:   map[string]int{},
		guarded: make(map[uint32]uint8, len(m.guarded)),
		dropped: make(map[uint32]bool, len(m.dropped)),
	}
	for d, n := 0, host; ; d++ {
		x.depth[n] = d
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	for _, g := range m.guarded {
		x.guarded[g.ref] = g.rule
	}
	for _, r := range m.dropped {
		x.dropped[r] = true
	}
	return x
}

func (x *scanExplainer) scan() {
	m := x.m
	for si, s := range m.sets {
		for ri := uint32(0); ri < uint32(s.n); ri++ {
			ref := m.bases[si] + ri
			switch r := s.rec(ri); r.kind() {
			case KindDomain:
				x.domain(ref, r)
			case KindURL:
				x.url(ref, s.value(ri))
			case KindAddress, KindLookalike:
				x.indicator(s, ri, ref, r)
			}
		}
	}
}

// domain adds a domain entry listing host or a parent, with what became
// of it.
func (x *scanExplainer) domain(ref uint32, r setRec) {
	d, ok := x.depth[x.m.listedName(ref)]
	if !ok {
		return
	}
	l := x.m.listing(ref)
	switch {
	case x.guarded[ref] != 0:
		l.Status = "guarded:" + ruleNames[x.guarded[ref]]
	case x.dropped[ref]:
		l.Status = "allowed:" + SourceAllow
	case d > 0 && r.exact():
		l.Status = "not-applicable"
	case x.m.decides(ref, d == 0):
		l.Status = "applied"
	default:
		l.Status = "shadowed"
	}
	x.listed = append(x.listed, scanRanked{d, l})
}

// url adds a URL indicator of host; those matching the queried path first.
func (x *scanExplainer) url(ref uint32, v string) {
	n := x.m.listedName(ref)
	if d, ok := x.depth[n]; !ok || d != 0 {
		return
	}
	l := x.m.listing(ref)
	l.Status = "indicator"
	if x.hasPath && strings.HasPrefix("/"+x.path, v[len(n):]) {
		x.ex.URLs = append([]Listing{l}, x.ex.URLs...)
	} else {
		x.ex.URLs = append(x.ex.URLs, l)
	}
}

// indicator adds an address or look-alike entry that names the query, or
// the look-alike target that decided.
func (x *scanExplainer) indicator(s *Set, ri, ref uint32, r setRec) {
	v := s.value(ri)
	dec := x.ex.Decision
	if v != x.raw && v != x.host && (dec == nil || dec.Category != CategoryLookalike || v != dec.Name || dec.Source != s.source) {
		return
	}
	l := x.m.listing(ref)
	l.Status = "indicator"
	if r.kind() == KindLookalike && v != x.host {
		l.Status = "applied"
	}
	x.listed = append(x.listed, scanRanked{0, l})
}

// sorted returns the listings most specific first, in source order within
// a level.
func (x *scanExplainer) sorted() []Listing {
	slices.SortStableFunc(x.listed, func(a, b scanRanked) int { return cmp.Compare(a.depth, b.depth) })
	var out []Listing
	for _, r := range x.listed {
		out = append(out, r.l)
	}
	return out
}

// TestExplainAgreesWithScan checks the indexed Explain against the full
// scan on a matcher with every state an entry can end in — applied,
// shadowed, duplicated, exact, sub-entry, allowed by a feed, guarded by
// every rule, dropped by --allow, URL indicators (one source's blocking
// their host), addresses in mixed case, look-alike targets with and
// without a fuzzy form — compiled and loaded from its snapshot.
func TestExplainAgreesWithScan(t *testing.T) {
	feed := buildSet("feed",
		Entry{Value: "evil.example", Category: "phishing"},
		Entry{Value: "evil.example", Category: "repeat"},
		Entry{Value: "x.evil.example", Exact: true},
		Entry{Value: "ok.evil.example", Action: Allow},
		Entry{Value: "com"},
		Entry{Value: "coinbase.com"},
		Entry{Value: "github.io"},
		Entry{Value: "x.corp.example"},
		Entry{Value: "corp.example"},
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "twitter.com/other", Kind: KindURL},
		Entry{Value: "0xabc", Kind: KindAddress, Chain: "eth"},
		Entry{Value: "TXyzAbC", Kind: KindAddress, Chain: "trx"},
		Entry{Value: "metamask.io", Category: "lookalike"},
	)
	other := buildSet("other",
		Entry{Value: "evil.example"},
		Entry{Value: "x.evil.example"},
		Entry{Value: "shared.example", Action: Allow},
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "0xabc", Kind: KindAddress},
		Entry{Value: "evil.example", Kind: KindLookalike},
	)
	phish := buildSet("phish",
		Entry{Value: "shared.example"},
		Entry{Value: "phish.example/login", Kind: KindURL},
		Entry{Value: "phish.example"},
		Entry{Value: "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.deep.example"},
	)
	fuzzy := buildSet("metamask",
		Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1},
		Entry{Value: "io", Kind: KindLookalike},
	)
	m, _ := Compile([]*Set{feed, other, phish, fuzzy}, CompileOptions{
		Allow:   []string{"corp.example", "fine.evil.example"},
		Sources: map[string]SourceOptions{"phish": {URLBlocksHost: true}},
	})
	loaded, _, err := OpenSnapshot(writeTestSnapshot(t, m), nil)
	if err != nil {
		t.Fatal(err)
	}
	queries := append([]string{
		"evil.example", "A.X.Evil.Example.", "x.evil.example", "ok.evil.example", "a.ok.evil.example",
		"com", "coinbase.com", "www.coinbase.com", "github.io", "me.github.io", "x.corp.example", "corp.example",
		"a.fine.evil.example", "twitter.com", "twitter.com/scammer", "twitter.com/scammer/status/1", "twitter.com/other",
		"TWITTER.com/scammer", "0xabc", "0XABC", "TXyzAbC", "txyzabc", "metamask.io", "metamsk.io", "app.metamask.io",
		"shared.example", "www.shared.example", "phish.example", "phish.example/login", "www.phish.example",
		"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.deep.example", "z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.deep.example",
		"io", "example", "", " evil.example ", "a..evil.example", "never.listed.org",
	}, snapshotQueries...)
	for _, q := range queries {
		want := explainByScan(m, q)
		if got := m.Explain(q); !reflect.DeepEqual(got, want) {
			t.Errorf("Explain(%q) =\n%+v\nscan gives\n%+v", q, got, want)
		}
		if got := loaded.Explain(q); !reflect.DeepEqual(got, want) {
			t.Errorf("snapshot: Explain(%q) =\n%+v\nscan gives\n%+v", q, got, want)
		}
	}
}
