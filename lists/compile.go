package lists

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/scamblock/scamblock/internal/hugepage"
)

// SourceAllow is the Hit.Source of entries that come from CompileOptions.Allow.
const SourceAllow = "--allow"

// CompileOptions says how Compile merges Sets into a Matcher.
type CompileOptions struct {
	// Allow holds user --allow names: the name and its whole subtree are
	// never blocked; it wins over every Block entry, however specific.
	Allow []string
	// Guard refuses Block entries for public suffixes, platforms and popular
	// sites. nil means DefaultGuard().
	Guard *Guard
	// Sources holds per-source options by Set.Source(); absent = zero value.
	Sources map[string]SourceOptions
	// Consensus is how many independent sources (distinct Publishers) must
	// list a ranked name (RuleRanked) before it is blocked whole; 0 means
	// DefaultConsensus. A Reviewed source's word is enough on its own.
	Consensus int
}

// SourceOptions are per-source compile options.
type SourceOptions struct {
	// URLBlocksHost makes this source's URL indicators ("host/path") block
	// their host and its subtree, subject to the guard, as phishing-URL
	// feeds often intend. Off by default: a URL never blocks its host.
	URLBlocksHost bool
	// Trusted sources skip the platform and popular rules (a researcher's
	// own list). Public suffixes stay guarded for everyone.
	Trusted bool
	// Publisher names who stands behind the source, for consensus: sources
	// with the same Publisher (one project's adblock and hosts renderings,
	// or feeds copied from one another) are one voice. "" = the source name.
	Publisher string
	// Reviewed sources are reviewer-approved submissions: they block a
	// ranked name without a second feed.
	Reviewed bool
}

// CompileReport says what Compile did with every source. It marshals to JSON.
type CompileReport struct {
	Sources []SourceReport `json:"sources"`
	Total   SourceReport   `json:"total"`
	// Names is the number of distinct listed names in the matcher.
	Names int `json:"names"`
	// AllowRejected lists --allow names that are not valid host names.
	AllowRejected []string `json:"allow_rejected,omitempty"`
}

// SourceReport counts one source's entries.
type SourceReport struct {
	Source     string `json:"source"`
	Entries    int    `json:"entries"`
	Domains    int    `json:"domains"`
	URLs       int    `json:"urls"`
	Addresses  int    `json:"addresses"`
	Lookalikes int    `json:"lookalikes"`
	// Applied counts domain entries (and host-blocking URL entries) that
	// made it into the matcher.
	Applied int `json:"applied"`
	// Duplicates counts entries naming a name the same source listed before.
	Duplicates int `json:"duplicates"`
	// Guarded counts Block entries the guard refused, by rule.
	Guarded         map[string]int `json:"guarded,omitempty"`
	GuardedExamples []GuardedEntry `json:"guarded_examples,omitempty"`
	// AllowedByUser counts Block entries dropped because a --allow name
	// covers them.
	AllowedByUser int `json:"allowed_by_user"`
	// OverriddenByAllow counts Block entries whose name an allowlist entry
	// of some feed also lists (Allow wins).
	OverriddenByAllow int `json:"overridden_by_allow"`
	// Consensus counts Block entries of ranked names that were applied
	// because independent sources agree (or a reviewer approved).
	Consensus int `json:"consensus,omitempty"`
}

// GuardedEntry is one Block entry that the guard kept from being applied.
type GuardedEntry struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Line   int    `json:"line"`
	Rule   string `json:"rule"`
}

const maxGuardedExamples = 5

// Compile merges sets, in priority order, into an immutable Matcher.
//
// Allow entries of any feed win over Block entries of the same name; among
// equal actions the first set (then the first line) decides. Block entries
// for guarded names are not applied; those under a user --allow name are
// dropped. Both are counted in the report and kept for Explain.
//
// Compile does not modify the Sets; the Matcher shares their memory.
func Compile(sets []*Set, opts CompileOptions) (*Matcher, CompileReport) {
	c := newCompiler(opts)
	userAllow := c.userAllowSet(opts.Allow)
	c.layout(userAllow, sets)
	c.indexAndAllow()
	codes := c.siteCodes()
	c.rankedConsensus(cmp.Or(opts.Consensus, DefaultConsensus), codes)
	c.applyBlocks(codes)
	c.settle()
	c.sortIndexes()
	return c.m, c.report()
}

// compiler is the state of one Compile: the Matcher being filled and what
// the report counts. Each stage of Compile is one of its methods.
type compiler struct {
	m       *Matcher
	guard   *Guard
	sources map[string]SourceOptions

	reports       []SourceReport // one per m.sets
	allowRejected []string
	// lastSet[p] is the set (+1) that last listed the name in slot p, to
	// count duplicates; it is dropped after compiling.
	lastSet []uint16
	// agreed holds the ranked names whose block consensus reached.
	agreed map[string]bool
	// tally counts the table writes; settle moves it into the Matcher.
	tally tally
}

// tally is what table writes count. The compiler's own (whose reports are
// the compiler's) takes the serial writes; insertWindow's parts, which
// write disjoint slot ranges at once, have one each, added to it by add.
type tally struct {
	reports  []SourceReport // Applied, Duplicates, OverriddenByAllow
	count    int            // names placed
	tlds     bool           // a single-label name was placed
	subs     map[uint32]uint32
	listings []hashRef // domain entries that took no slot
}

// add adds part's counts to t and empties part.
func (t *tally) add(part *tally) {
	for i := range part.reports {
		r, p := &t.reports[i], &part.reports[i]
		r.Applied += p.Applied
		r.Duplicates += p.Duplicates
		r.OverriddenByAllow += p.OverriddenByAllow
		*p = SourceReport{}
	}
	t.count += part.count
	t.tlds = t.tlds || part.tlds
	for k, v := range part.subs {
		if t.subs == nil {
			t.subs = map[uint32]uint32{}
		}
		t.subs[k] = v
	}
	t.listings = append(t.listings, part.listings...)
	part.count, part.tlds, part.subs, part.listings = 0, false, nil, part.listings[:0]
}

// settle moves the tally's names, subtree deciders and unplaced listings
// into the Matcher (its reports are the compiler's already).
func (c *compiler) settle() {
	m := c.m
	m.count = c.tally.count
	m.tlds = c.tally.tlds
	m.subs = c.tally.subs
	m.listings = append(m.listings, c.tally.listings...)
}

func newCompiler(opts CompileOptions) compiler {
	g := opts.Guard
	if g == nil {
		g = DefaultGuard()
	}
	return compiler{
		m:       &Matcher{guard: g, userAllow: map[string]struct{}{}},
		guard:   g,
		sources: opts.Sources,
	}
}

// userAllowSet turns the user's --allow names into a Set of their own
// (nil when there are none) and remembers them in the Matcher. Names that
// are not host names are reported, not applied.
func (c *compiler) userAllowSet(allow []string) *Set {
	ab := NewSetBuilder(SourceAllow)
	for _, a := range allow {
		raw := strings.TrimPrefix(strings.TrimSpace(a), "*.")
		n, err := NormalizeHost(raw) // special-use names (printer.lan, nas.home.arpa) are names
		if err != nil {
			c.allowRejected = append(c.allowRejected, fmt.Sprintf("%s: %v", a, err))
			continue
		}
		if _, dup := c.m.userAllow[n]; dup {
			continue
		}
		c.m.userAllow[n] = struct{}{}
		ab.Add(Entry{Value: n, Kind: KindDomain, Action: Allow})
	}
	if ab.Len() == 0 {
		return nil
	}
	return ab.Build()
}

// layout puts the --allow Set first and the others in order (nil Sets
// skipped), numbers every entry globally and sizes the table for the
// entries that may go into it.
func (c *compiler) layout(userAllow *Set, sets []*Set) {
	m := c.m
	all := make([]*Set, 0, len(sets)+1)
	if userAllow != nil {
		all = append(all, userAllow)
	}
	for _, s := range sets {
		if s != nil {
			all = append(all, s)
		}
	}
	m.sets = all
	m.bases = make([]uint32, len(all)+1)
	c.reports = make([]SourceReport, len(all))
	c.tally.reports = c.reports
	capacity := 0
	for i, s := range all {
		m.bases[i+1] = m.bases[i] + uint32(s.n)
		c.reports[i] = SourceReport{Source: s.source, Entries: s.n}
		urlsBlockHost := c.sources[s.source].URLBlocksHost
		for ri := 0; ri < s.n; ri++ {
			if k := s.rec(uint32(ri)).kind(); k == KindDomain || k == KindURL && urlsBlockHost {
				capacity++
			}
		}
	}
	// Load factor ≤ 0.7 with linear probing.
	nslots := capacity*10/7 + 8
	// The inserts touch every page of these: 2 MiB pages save most of
	// their page faults (a tenth of a cold load's CPU; internal/hugepage).
	m.slots = hugepage.Make[uint64](nslots)
	m.names = hugepage.Make[uint32](nslots)
	c.lastSet = hugepage.Make[uint16](nslots)
}

// indexAndAllow is the first pass over every entry: it counts kinds,
// indexes URL, address and look-alike entries, and inserts the Allow
// entries, so that an Allow is in the table before any Block of its name.
func (c *compiler) indexAndAllow() {
	m := c.m
	for si, s := range m.sets {
		rp := &c.reports[si]
		for ri := uint32(0); ri < uint32(s.n); ri++ {
			r := s.rec(ri)
			ref := m.bases[si] + ri
			kind := r.kind()
			c.index(rp, s, ri, ref, kind)
			if kind == KindDomain && r.action() == Allow {
				c.insert(si, ref, s.value(ri), r)
			}
		}
	}
}

// index counts entry ri of s by kind and adds the non-domain kinds to
// their indexes.
func (c *compiler) index(rp *SourceReport, s *Set, ri, ref uint32, kind Kind) {
	m := c.m
	switch kind {
	case KindDomain:
		rp.Domains++
	case KindURL:
		rp.URLs++
		m.urls = append(m.urls, hashRef{hashName(m.listedName(ref)), ref})
	case KindAddress:
		rp.Addresses++
		m.addresses = append(m.addresses, hashRef{hashName(s.value(ri)), ref})
	case KindLookalike:
		rp.Lookalikes++
		v := s.value(ri)
		m.listings = append(m.listings, hashRef{hashName(v), ref})
		if form, ok := fuzzyForm(v); ok {
			m.fuzzy = append(m.fuzzy, fuzzyTarget{target: v, form: form, labels: strings.Count(form, ".") + 1, tol: s.tolerance(ri), ref: ref})
		}
	}
}

// listUnplaced puts a domain entry that takes no slot in the name index,
// so that Explain still finds it.
func (t *tally) listUnplaced(ref uint32, name string, r setRec) {
	if r.kind() == KindDomain {
		t.listings = append(t.listings, hashRef{hashName(name), ref})
	}
}

// userAllowed reports whether a --allow name covers name.
func (c *compiler) userAllowed(name string) bool {
	if len(c.m.userAllow) == 0 {
		return false
	}
	for {
		if _, ok := c.m.userAllow[name]; ok {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}

// insert adds global reference ref of set si, listing name, to the table.
// The first entry of a name decides (Allows go in first); a later one only
// counts, or decides for the subtree when the first one was exact.
func (c *compiler) insert(si int, ref uint32, name string, r setRec) {
	m := c.m
	nslots := len(m.slots)
	mixed := mix(hashName(name))
	tag := tagOf(mixed)
	p := slotOf(mixed, nslots)
	for {
		sl := m.slots[p]
		if sl == 0 {
			break
		}
		if slotTag(sl) == tag && m.listedName(slotFull(sl)-1) == name {
			c.relist(&c.tally, p, si, ref, r)
			c.tally.listUnplaced(ref, name, r)
			return
		}
		p++
		if p == nslots {
			p = 0
		}
	}
	c.place(&c.tally, p, si, ref, r, tag, strings.IndexByte(name, '.') < 0)
}

// place puts global reference ref of set si, whose name is new to the
// table, in the free slot p, counted in t.
func (c *compiler) place(t *tally, p, si int, ref uint32, r setRec, tag uint64, singleLabel bool) {
	mode := uint64(subSame)
	if r.exact() {
		mode = subNone
	}
	c.m.slots[p] = tag<<34 | mode<<32 | uint64(ref+1)
	c.m.names[p] = r.off
	if singleLabel {
		t.tlds = true
	}
	c.lastSet[p] = uint16(si + 1)
	t.count++
	t.reports[si].Applied++
}

// relist handles an entry of set si naming the name already in slot p,
// counted in t.
func (c *compiler) relist(t *tally, p, si int, ref uint32, r setRec) {
	m := c.m
	rp := &t.reports[si]
	sl := m.slots[p]
	addsSub := slotMode(sl) == subNone && !r.exact()
	if c.lastSet[p] == uint16(si+1) && !addsSub {
		rp.Duplicates++
		return
	}
	c.lastSet[p] = uint16(si + 1)
	if r.action() == Block && m.actionOf(slotFull(sl)-1) == Allow {
		rp.OverriddenByAllow++
	}
	if addsSub {
		if t.subs == nil {
			t.subs = map[uint32]uint32{}
		}
		t.subs[slotFull(sl)] = ref + 1
		m.slots[p] = sl&^(3<<32) | subOther<<32
	}
	rp.Applied++
}

// sortIndexes sorts the URL and address indexes by hash for LookupURL and
// LookupAddress, and the name index by hash and reference for Explain.
func (c *compiler) sortIndexes() {
	byHash := func(a, b hashRef) int { return cmp.Compare(a.hash, b.hash) }
	slices.SortFunc(c.m.urls, byHash)
	slices.SortFunc(c.m.addresses, byHash)
	slices.SortFunc(c.m.listings, func(a, b hashRef) int { return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.ref, b.ref)) })
}

// report sums the per-source counts.
func (c *compiler) report() CompileReport {
	rep := CompileReport{Sources: c.reports, Names: c.m.count, AllowRejected: c.allowRejected}
	t := &rep.Total
	t.Source = "total"
	for _, r := range c.reports {
		t.Entries += r.Entries
		t.Domains += r.Domains
		t.URLs += r.URLs
		t.Addresses += r.Addresses
		t.Lookalikes += r.Lookalikes
		t.Applied += r.Applied
		t.Duplicates += r.Duplicates
		t.AllowedByUser += r.AllowedByUser
		t.OverriddenByAllow += r.OverriddenByAllow
		t.Consensus += r.Consensus
		for k, v := range r.Guarded {
			if t.Guarded == nil {
				t.Guarded = map[string]int{}
			}
			t.Guarded[k] += v
		}
	}
	return rep
}

// Source returns the report of the named source (zero value if absent).
func (r *CompileReport) Source(name string) SourceReport {
	for _, s := range r.Sources {
		if s.Source == name {
			return s
		}
	}
	return SourceReport{}
}

func (m *Matcher) actionOf(ref uint32) Action {
	s, i := m.set(ref)
	return s.rec(i).action()
}

// tolerance returns entry i's look-alike tolerance (1 when unset).
func (s *Set) tolerance(i uint32) int {
	if ex, ok := s.extras[i]; ok && ex.tolerance > 0 {
		return ex.tolerance
	}
	return 1
}
