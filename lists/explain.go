package lists

import (
	"cmp"
	"slices"
	"strings"
)

// Explanation is everything the lists know about one name, for
// `scamblock check` and the API. It marshals to JSON.
type Explanation struct {
	// Query is the name as asked; Name is its canonical form (the host
	// part when Query was "host/path").
	Query string `json:"query"`
	Name  string `json:"name"`
	// Blocked and Decision are what Lookup answers. Decision is nil when no
	// listing decided.
	Blocked  bool `json:"blocked"`
	Decision *Hit `json:"decision,omitempty"`
	// Listings are every listing of Name and its parents in every source,
	// most specific first, whether or not it applied.
	Listings []Listing `json:"listings,omitempty"`
	// URLs are the URL indicators listed for the host Name (those matching
	// the path first when Query had one).
	URLs []Listing `json:"urls,omitempty"`
	// UserAllow is the --allow name that covers Name, if any.
	UserAllow string `json:"user_allow,omitempty"`
	// Consensus is the decision about the ranked name Name is (or is the
	// www. name of), when some source listed it: who listed it, how many
	// independent sources were needed, and whether it is blocked whole.
	Consensus *Consensus `json:"consensus,omitempty"`
}

// Listing is one entry of one source, as Explain reports it.
type Listing struct {
	Name     string `json:"name"`
	Source   string `json:"source"`
	Line     int    `json:"line,omitempty"`
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	Action   string `json:"action"`
	Exact    bool   `json:"exact,omitempty"`
	Chain    string `json:"chain,omitempty"`
	// Status says what became of the entry: "applied", "not-applicable"
	// (an exact entry of a parent), "guarded:<rule>", "allowed:--allow"
	// (dropped because a --allow name covers it), "shadowed" (same name
	// decided by another entry), "indicator" (URLs, addresses, look-alike
	// targets: never blocking by themselves).
	Status string `json:"status"`
}

// Explain lists everything relevant to name (a host, "host/path", or a
// wallet address). It scans every Set and is meant for people, not for
// the query path.
func (m *Matcher) Explain(name string) Explanation {
	ex := Explanation{Query: name}
	if m == nil {
		ex.Name = name
		return ex
	}
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
	x := m.newExplainer(&ex, raw, host)
	x.hasPath, x.path = hasPath, path
	x.scan()
	ex.Listings = x.sorted()
	return ex
}

// explainDecision fills in what Lookup (or LookupAddress) answers.
func (m *Matcher) explainDecision(ex *Explanation, host, raw string) {
	hit, blocked := m.Lookup(host)
	ex.Blocked = blocked
	if hit.Source != "" {
		ex.Decision = &hit
	}
	if a, ok := m.LookupAddress(raw); ok || a.Source != "" {
		ex.Blocked = ok
		ex.Decision = &a
	}
}

// userAllowOf returns the --allow name that covers host ("" if none).
func (m *Matcher) userAllowOf(host string) string {
	for n := host; ; {
		if _, ok := m.userAllow[n]; ok {
			return n
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			return ""
		}
		n = n[i+1:]
	}
}

// explainer gathers the listings Explain reports in one scan of every Set.
type explainer struct {
	m         *Matcher
	ex        *Explanation
	raw, host string
	hasPath   bool
	path      string
	depth     map[string]int   // how many labels a name lies above host (0 = host itself)
	guarded   map[uint32]uint8 // ref → guard rule
	dropped   map[uint32]bool  // refs dropped by --allow
	listed    []rankedListing
}

type rankedListing struct {
	depth int
	l     Listing
}

func (m *Matcher) newExplainer(ex *Explanation, raw, host string) *explainer {
	x := &explainer{m: m, ex: ex, raw: raw, host: host,
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

func (x *explainer) scan() {
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
func (x *explainer) domain(ref uint32, r setRec) {
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
	x.listed = append(x.listed, rankedListing{d, l})
}

// url adds a URL indicator of host; those matching the queried path first.
func (x *explainer) url(ref uint32, v string) {
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
func (x *explainer) indicator(s *Set, ri, ref uint32, r setRec) {
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
	x.listed = append(x.listed, rankedListing{0, l})
}

// sorted returns the listings most specific first, in source order within
// a level.
func (x *explainer) sorted() []Listing {
	slices.SortStableFunc(x.listed, func(a, b rankedListing) int { return cmp.Compare(a.depth, b.depth) })
	var out []Listing
	for _, r := range x.listed {
		out = append(out, r.l)
	}
	return out
}

// decides reports whether ref is the entry the table holds for its name,
// for the name itself (full) or for names below it.
func (m *Matcher) decides(ref uint32, full bool) bool {
	n := m.listedName(ref)
	s := m.find(hashName(n), n)
	if s == 0 {
		return false
	}
	if full {
		return slotFull(s) == ref+1
	}
	return m.sub(s) == ref+1
}

func (m *Matcher) listing(ref uint32) Listing {
	s, i := m.set(ref)
	e := s.entry(i)
	return Listing{
		Name:     e.Value,
		Source:   s.source,
		Line:     e.Line,
		Kind:     e.Kind.String(),
		Category: e.Category,
		Action:   e.Action.String(),
		Exact:    e.Exact,
		Chain:    e.Chain,
	}
}

// Guarded returns every Block entry the guard kept from being applied.
func (m *Matcher) Guarded() []GuardedEntry {
	if m == nil {
		return nil
	}
	out := make([]GuardedEntry, 0, len(m.guarded))
	for _, g := range m.guarded {
		s, i := m.set(g.ref)
		out = append(out, GuardedEntry{Name: m.listedName(g.ref), Source: s.source, Line: int(s.rec(i).line), Rule: ruleNames[g.rule]})
	}
	return out
}

// Sets returns the Sets the matcher was compiled from, the --allow Set
// first when there is one. They are shared: do not modify.
func (m *Matcher) Sets() []*Set {
	if m == nil {
		return nil
	}
	return m.sets
}
