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
// wallet address). It reads the Matcher's indexes, so its cost does not
// grow with the number of names loaded; it allocates and is meant for
// people, not for the query path.
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
	x := &explainer{m: m, ex: &ex, raw: raw, host: host, hasPath: hasPath, path: path}
	x.gather()
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

// explainer gathers the listings Explain reports from the Matcher's
// indexes, never by walking the Sets: the table's slot and the name index
// (Matcher.listings) for the host and each parent, the URL index for the
// host, the address and name indexes for indicators. Its cost grows with
// the labels of the query and the entries that name it, not with the
// number of names loaded.
type explainer struct {
	m         *Matcher
	ex        *Explanation
	raw, host string
	hasPath   bool
	path      string
	listed    []rankedListing
}

// rankedListing is one listing with its place in the report: depth labels
// above the host, then entry order (global reference).
type rankedListing struct {
	depth int
	ref   uint32
	l     Listing
}

// gather collects every listing of the host and its parents, the host's
// URL indicators and the indicators naming the query.
func (x *explainer) gather() {
	for d, n := 0, x.host; ; d++ {
		x.domains(d, n)
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	x.urls()
	x.indicators()
}

// domains adds every domain entry listing n, which lies depth labels above
// the host: the one holding n's slot, and the others from the name index.
func (x *explainer) domains(depth int, n string) {
	m := x.m
	h := hashName(n)
	if s := m.find(h, n); s != 0 {
		x.domain(depth, n, slotFull(s)-1)
	}
	m.eachHash(m.listings, h, func(ref uint32) bool {
		x.domain(depth, n, ref)
		return true
	})
}

// domain adds domain entry ref if it lists n, with what became of it.
func (x *explainer) domain(depth int, n string, ref uint32) {
	m := x.m
	s, i := m.set(ref)
	r := s.rec(i)
	if r.kind() != KindDomain || s.value(i) != n {
		return
	}
	l := m.listing(ref)
	switch rule := m.guardRule(ref); {
	case rule != 0:
		l.Status = "guarded:" + ruleNames[rule]
	case m.droppedByAllow(ref):
		l.Status = "allowed:" + SourceAllow
	case depth > 0 && r.exact():
		l.Status = "not-applicable"
	case m.decides(ref, depth == 0):
		l.Status = "applied"
	default:
		l.Status = "shadowed"
	}
	x.listed = append(x.listed, rankedListing{depth, ref, l})
}

// urls adds the URL indicators of the host in entry order, those matching
// the queried path first.
func (x *explainer) urls() {
	m := x.m
	var refs []uint32
	m.eachHash(m.urls, hashName(x.host), func(ref uint32) bool {
		if m.listedName(ref) == x.host {
			refs = append(refs, ref)
		}
		return true
	})
	slices.Sort(refs)
	for _, ref := range refs {
		s, i := m.set(ref)
		v := s.value(i)
		l := m.listing(ref)
		l.Status = "indicator"
		if x.hasPath && strings.HasPrefix("/"+x.path, v[len(x.host):]) {
			x.ex.URLs = append([]Listing{l}, x.ex.URLs...)
		} else {
			x.ex.URLs = append(x.ex.URLs, l)
		}
	}
}

// indicators adds the address and look-alike entries that name the query
// (as given or as a host), and the look-alike target that decided.
func (x *explainer) indicators() {
	m := x.m
	dec := x.ex.Decision
	values := []string{x.raw, x.host}
	if dec != nil && dec.Category == CategoryLookalike {
		values = append(values, dec.Name)
	}
	var refs []uint32
	for _, v := range values {
		h := hashName(v)
		for _, idx := range [][]hashRef{m.addresses, m.listings} {
			m.eachHash(idx, h, func(ref uint32) bool {
				refs = append(refs, ref)
				return true
			})
		}
	}
	slices.Sort(refs)
	for _, ref := range slices.Compact(refs) {
		s, i := m.set(ref)
		r := s.rec(i)
		if k := r.kind(); k != KindAddress && k != KindLookalike {
			continue
		}
		v := s.value(i)
		if v != x.raw && v != x.host && (dec == nil || dec.Category != CategoryLookalike || v != dec.Name || dec.Source != s.source) {
			continue
		}
		l := m.listing(ref)
		l.Status = "indicator"
		if r.kind() == KindLookalike && v != x.host {
			l.Status = "applied"
		}
		x.listed = append(x.listed, rankedListing{0, ref, l})
	}
}

// sorted returns the listings most specific first, in entry order (source
// order, then line) within a level.
func (x *explainer) sorted() []Listing {
	slices.SortFunc(x.listed, func(a, b rankedListing) int {
		return cmp.Or(cmp.Compare(a.depth, b.depth), cmp.Compare(a.ref, b.ref))
	})
	var out []Listing
	for _, r := range x.listed {
		out = append(out, r.l)
	}
	return out
}

// guardRule returns the guard rule that refused Block entry ref, or 0.
// m.guarded is in entry order (Compile appends it so).
func (m *Matcher) guardRule(ref uint32) uint8 {
	i, ok := slices.BinarySearchFunc(m.guarded, ref, func(g guardedRef, r uint32) int { return cmp.Compare(g.ref, r) })
	if !ok {
		return 0
	}
	return m.guarded[i].rule
}

// droppedByAllow reports whether a --allow name dropped Block entry ref.
// m.dropped is in entry order.
func (m *Matcher) droppedByAllow(ref uint32) bool {
	_, ok := slices.BinarySearch(m.dropped, ref)
	return ok
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
