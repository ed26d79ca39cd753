package lists

import (
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
	host, path, hasPath := strings.Cut(strings.TrimSpace(name), "/")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ex.Name = host
	if n, err := NormalizeHost(host); err == nil {
		host = n
		ex.Name = n
	}
	hit, blocked := m.Lookup(host)
	ex.Blocked = blocked
	if hit.Source != "" {
		ex.Decision = &hit
	}
	if a, ok := m.LookupAddress(strings.TrimSpace(name)); ok || a.Source != "" {
		ex.Blocked = ok
		ex.Decision = &a
	}

	// depth[n] is how many labels n lies above host (0 = host itself).
	depth := map[string]int{}
	for d, n := 0, host; ; d++ {
		depth[n] = d
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	for n := host; ; {
		if _, ok := m.userAllow[n]; ok {
			ex.UserAllow = n
			break
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}

	guarded := make(map[uint32]uint8, len(m.guarded))
	for _, g := range m.guarded {
		guarded[g.ref] = g.rule
	}
	dropped := make(map[uint32]bool, len(m.dropped))
	for _, r := range m.dropped {
		dropped[r] = true
	}
	type ranked struct {
		depth int
		l     Listing
	}
	var listed []ranked
	raw := strings.TrimSpace(name)
	for si, s := range m.sets {
		for ri := 0; ri < s.n; ri++ {
			r := s.rec(uint32(ri))
			ref := m.bases[si] + uint32(ri)
			v := s.value(uint32(ri))
			switch r.kind() {
			case KindDomain, KindURL:
				n := m.listedName(ref)
				d, ok := depth[n]
				if !ok {
					continue
				}
				l := m.listing(ref)
				if r.kind() == KindURL {
					if d != 0 {
						continue
					}
					p := v[len(n):]
					l.Status = "indicator"
					if hasPath && strings.HasPrefix("/"+path, p) {
						ex.URLs = append([]Listing{l}, ex.URLs...)
					} else {
						ex.URLs = append(ex.URLs, l)
					}
					continue
				}
				switch {
				case guarded[ref] != 0:
					l.Status = "guarded:" + ruleNames[guarded[ref]]
				case dropped[ref]:
					l.Status = "allowed:" + SourceAllow
				case d > 0 && r.exact():
					l.Status = "not-applicable"
				case m.decides(ref, d == 0):
					l.Status = "applied"
				default:
					l.Status = "shadowed"
				}
				listed = append(listed, ranked{d, l})
			case KindAddress, KindLookalike:
				if v == raw || v == host || ex.Decision != nil && ex.Decision.Category == CategoryLookalike && v == ex.Decision.Name && ex.Decision.Source == s.source {
					l := m.listing(ref)
					l.Status = "indicator"
					if r.kind() == KindLookalike && v != host {
						l.Status = "applied"
					}
					listed = append(listed, ranked{0, l})
				}
			}
		}
	}
	// Most specific first; stable keeps source order within a level.
	for i := 1; i < len(listed); i++ {
		for j := i; j > 0 && listed[j].depth < listed[j-1].depth; j-- {
			listed[j], listed[j-1] = listed[j-1], listed[j]
		}
	}
	for _, r := range listed {
		ex.Listings = append(ex.Listings, r.l)
	}
	return ex
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
