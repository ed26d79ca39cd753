package lists

import (
	"strings"
	"unsafe"

	"golang.org/x/net/publicsuffix"
)

// Matcher is the compiled, immutable answer to "is this name blocked?".
// It is built by Compile and read concurrently without locks.
//
// Layout: one open-addressed table (linear probing, load ≤ 0.7) of 64-bit
// slots, one per distinct listed name: a 30-bit hash tag, 2 bits saying
// which entry decides for names below this one, and the global reference
// (index into the concatenated records of all Sets, plus one) of the entry
// that decides for the name itself; beside it, at the same position, where
// that entry's name starts in its Set's arena. That is about 17 bytes per
// name. Names, categories and sources are not copied: Hits point into the
// Sets' arenas, and a tag match is verified against the listed name. A
// lookup loads a slot and its name offset together, then the name and the
// record (which says where the name ends) together: a hit is two dependent
// memory reads, not three (slot, record, name).
type Matcher struct {
	sets  []*Set
	bases []uint32 // bases[i] = global index of sets[i]'s first entry; len(sets)+1 entries

	slots []uint64          // tag<<34 | sub mode<<32 | full ref+1; 0 = empty
	names []uint32          // names[p]: the arena offset of slot p's name (its record's off)
	subs  map[uint32]uint32 // full ref+1 → sub ref+1, for slots in subOther mode
	count int               // distinct listed names
	tlds  bool              // some listed name is a single label (else Lookup skips that probe)

	fuzzy []fuzzyTarget // look-alike targets
	guard *Guard

	urls      []hashRef // URL indicators by host hash, sorted
	addresses []hashRef // address indicators by value hash, sorted
	// listings indexes, by name hash (then reference), the entries
	// Explain must find that hold no slot: domain entries repeating a
	// listed name (duplicates, shadowed, sub-entries), those the guard
	// refused or a --allow name dropped, and look-alike targets.
	listings []hashRef

	guarded   []guardedRef         // Block entries the guard refused
	dropped   []uint32             // refs of Block entries dropped by --allow
	userAllow map[string]struct{}  // user --allow names (normalized)
	consensus map[string]Consensus // ranked names some Block entry listed, and the decision

	backing *mapping // the snapshot file the slices point into; nil on the heap
}

// Sub modes: which entry decides for names below a listed name. Exact
// entries never decide there.
const (
	subSame  = 0 // the entry deciding for the name itself
	subNone  = 1 // none: only exact entries list the name
	subOther = 2 // another entry: see Matcher.subs
)

// slot packing
func slotFull(s uint64) uint32  { return uint32(s) }
func slotMode(s uint64) uint64  { return (s >> 32) & 3 }
func slotTag(s uint64) uint64   { return s >> 34 }
func tagOf(mixed uint64) uint64 { return mixed >> 34 }

// sub returns the reference + 1 deciding below the name in slot s (0 = none).
func (m *Matcher) sub(s uint64) uint32 {
	switch slotMode(s) {
	case subSame:
		return slotFull(s)
	case subOther:
		return m.subs[slotFull(s)]
	}
	return 0
}

type fuzzyTarget struct {
	target string // the real site, e.g. "metamask.io"
	form   string // target without its public suffix: "metamask"
	labels int    // labels in form
	tol    int
	ref    uint32
}

type hashRef struct {
	hash uint64
	ref  uint32
}

type guardedRef struct {
	ref  uint32
	rule uint8
}

var ruleNames = [...]string{"", RulePublicSuffix, RulePlatform, RulePopular, RuleRanked}

func ruleID(r string) uint8 {
	for i, n := range ruleNames {
		if n == r {
			return uint8(i)
		}
	}
	return 0
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	maxName   = 253
)

// hashName hashes s right to left, lower-casing ASCII on the fly. Hashing
// from the right means one pass over a query yields the hash of every
// parent name: the running hash at each '.' is the hash of the suffix
// after it.
func hashName(s string) uint64 {
	h := uint64(fnvOffset)
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// mix spreads FNV's bits so both halves of the result are usable (the
// finalizer of MurmurHash3).
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// slotOf maps a mixed hash to a table position (Lemire's fast range).
func slotOf(mixed uint64, n int) int {
	return int((uint64(uint32(mixed)) * uint64(n)) >> 32)
}

// equalFold compares a query suffix (any ASCII case) with a lower-case
// listed name.
func equalFold(query, listed string) bool {
	if len(query) != len(listed) {
		return false
	}
	for i := 0; i < len(query); i++ {
		c := query[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != listed[i] {
			return false
		}
	}
	return true
}

// set returns the Set and record index of global reference ref (not +1).
func (m *Matcher) set(ref uint32) (*Set, uint32) {
	i := m.setIndex(ref)
	return m.sets[i], ref - m.bases[i]
}

// setIndex returns the index in m.sets of the Set holding global reference ref.
func (m *Matcher) setIndex(ref uint32) int {
	lo, hi := 0, len(m.sets)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if m.bases[mid] <= ref {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// listedName is the name a reference lists: the value, or for a URL
// indicator its host.
func (m *Matcher) listedName(ref uint32) string {
	s, i := m.set(ref)
	v := s.value(i)
	if s.rec(i).kind() == KindURL {
		v = urlHost(v)
	}
	return v
}

// find returns the slot of the listed name with hash h that equals q
// (compared case-insensitively), or 0.
func (m *Matcher) find(h uint64, q string) uint64 {
	if len(m.slots) == 0 {
		return 0
	}
	pr := m.probe(h, q)
	return m.scan(&pr)
}

// probe is one name a lookup asks: the name, its tag, its table position
// and the slot and name offset there, loaded ahead of the comparison.
type probe struct {
	q   string
	tag uint64
	p   int
	s   uint64
	off uint32
}

// probe computes where the name q with hash h would lie and loads that
// slot and its name offset (two reads that do not wait for each other).
// m.slots must not be empty.
func (m *Matcher) probe(h uint64, q string) probe {
	mixed := mix(h)
	p := slotOf(mixed, len(m.slots))
	return probe{q: q, tag: tagOf(mixed), p: p, s: m.slots[p], off: m.names[p]}
}

// scan walks the slot run from pr's loaded slot and returns the slot of
// the listed name equal to pr.q, or 0.
func (m *Matcher) scan(pr *probe) uint64 {
	n := len(m.slots)
	for p, s, off := pr.p, pr.s, pr.off; s != 0; s, off = m.slots[p], m.names[p] {
		if slotTag(s) == pr.tag && m.lists(slotFull(s), off, pr.q) {
			return s
		}
		p++
		if p == n {
			p = 0
		}
	}
	return 0
}

// lists reports whether the entry with global reference full-1, whose name
// starts at arena offset off, lists q (any ASCII case). It compares q with
// the bytes at off and reads the record, which says where the listed name
// ends, beside them: neither read waits for the other.
func (m *Matcher) lists(full, off uint32, q string) bool {
	set, i := m.set(full - 1)
	chunk, ok := set.chunkAt(off)
	if !ok {
		return false
	}
	start := int(off & (arenaChunk - 1))
	r := set.rec(i)
	if end := start + len(q); end > len(chunk) || !equalFold(q, chunk[start:end]) || r.off != off {
		return false
	}
	end := set.valueEnd(i, r.off, chunk)
	if r.kind() == KindURL {
		// A URL indicator lists its host: the value up to its first '/'.
		if j := strings.IndexByte(chunk[start:end], '/'); j >= 0 {
			end = start + j
		}
	}
	return end-start == len(q)
}

// hit builds the Hit for global reference ref (not +1).
func (m *Matcher) hit(ref uint32) Hit {
	s, i := m.set(ref)
	r := s.rec(i)
	name := s.value(i)
	if r.kind() == KindURL {
		name = urlHost(name)
	}
	h := Hit{
		Name:     name,
		Source:   s.source,
		Category: s.cats[r.cat],
		Line:     int(r.line),
		Action:   r.action(),
		Exact:    r.exact(),
	}
	if len(m.consensus) > 0 && h.Action == Block {
		if c, ok := m.consensusOf(name); ok {
			h.Consensus = len(c.Publishers)
		}
	}
	return h
}

// TableBytes is the size of the slot table and the name offsets beside it,
// the structure every Lookup reads first (one random read of each per name
// or parent asked).
func (m *Matcher) TableBytes() int {
	if m == nil {
		return 0
	}
	return len(m.slots)*int(unsafe.Sizeof(m.slots[0])) + len(m.names)*int(unsafe.Sizeof(m.names[0]))
}

// Len is the number of distinct listed names (blocked or allowed).
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return m.count
}

// Lookup reports whether name is blocked. It accepts any letter case and a
// trailing dot, walks the name and then its parents, and lets the most
// specific listing decide: a Block entry blocks, an Allow entry allows
// (Hit.Action == Allow, false). Exact entries decide only for the full
// name. When no listing decides, a name that looks like a look-alike
// target (MetaMask fuzzylist) is blocked with Category "lookalike".
// Lookup does not allocate.
func (m *Matcher) Lookup(name string) (Hit, bool) {
	if m == nil {
		return Hit{}, false
	}
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) == 0 || len(name) > maxName {
		return Hit{}, false
	}
	// One right-to-left pass collects the hash and start of every parent,
	// the most general first: starts[0] is where the last label begins.
	// Names deeper than fastLabels parents (rare) hash the rest one by one.
	var hs [fastLabels]uint64
	var starts [fastLabels]uint8
	n, deep := 0, false
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= 0; i-- {
		c := name[i]
		if c == '.' {
			if n < fastLabels {
				hs[n], starts[n] = h, uint8(i+1)
				n++
			} else {
				deep = true
			}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	if m.count > 0 {
		if ref := m.decider(name, h, &hs, &starts, n, deep); ref != 0 {
			hit := m.hit(ref - 1)
			return hit, hit.Action == Block
		}
	}
	if len(m.fuzzy) > 0 {
		return m.lookalike(name, starts[:n], deep)
	}
	return Hit{}, false
}

// fastLabels is how many parents Lookup hashes in its single pass.
const fastLabels = 16

// decider returns the reference + 1 of the entry that decides for name (0:
// none): the name's own listing, else the nearest listed parent's entry for
// names below it. h is name's hash; hs and starts are the hashes and starts
// of its n most general parents (hs[0]: the last label), deep says there
// are more between them and the name. m.slots must not be empty.
//
// The slots of the name and of every collected parent are loaded in one
// loop before any is compared: the loads do not depend on each other, so
// the CPU overlaps their cache misses instead of waiting for each in turn
// (a subdomain query costs about one miss, not one per label). The order
// in which they decide is unchanged.
func (m *Matcher) decider(name string, h uint64, hs *[fastLabels]uint64, starts *[fastLabels]uint8, n int, deep bool) uint32 {
	last := 0 // hs[0] is the last label alone: skip it unless one is listed
	if !m.tlds {
		last = 1
	}
	var ps [fastLabels + 1]probe
	ps[0] = m.probe(h, name)
	k := 1
	for j := n - 1; j >= last; j-- {
		ps[k] = m.probe(hs[j], name[starts[j]:])
		k++
	}
	if s := m.scan(&ps[0]); s != 0 {
		return slotFull(s)
	}
	if deep {
		// Parents between the full name and the collected ones.
		limit := int(starts[fastLabels-1]) - 1
		for i := 0; i < limit; i++ {
			if name[i] != '.' {
				continue
			}
			parent := name[i+1:]
			if s := m.find(hashName(parent), parent); s != 0 {
				if ref := m.sub(s); ref != 0 {
					return ref
				}
			}
		}
	}
	for i := 1; i < k; i++ {
		if s := m.scan(&ps[i]); s != 0 {
			if ref := m.sub(s); ref != 0 {
				return ref
			}
		}
	}
	return 0
}

// lookalike applies MetaMask's fuzzylist rule to a name no listing decided:
// strip a leading "www." and the public suffix; take from what is left as
// many labels, from the right, as the target's form has ("metamask" for
// metamask.io: one label, the registrable name; "launchpad.ethereum" for
// launchpad.ethereum.org: two), and block when they are within the
// target's tolerance of the target's form, unless the name is the target,
// lies under it, or is guarded. Unlike MetaMask, subdomains in front do
// not hide a look-alike (app.metamasq.io is caught), and the public suffix
// is the PSL's, not just the last label.
//
// starts are the label starts Lookup collected (starts[k] follows the
// k-th dot from the right). The public suffix is only computed
// (golang.org/x/net/publicsuffix, which allocates) once a candidate has
// matched: each label-aligned candidate ending at a dot is tried against
// the target's form first, so misses do not allocate.
func (m *Matcher) lookalike(name string, starts []uint8, deep bool) (Hit, bool) {
	off := 0
	if len(name) > 4 && equalFold(name[:4], "www.") {
		off = 4
	}
	n := len(starts)
	for i := range m.fuzzy {
		f := &m.fuzzy[i]
		// The candidate ends at the dot before starts[k] and is the
		// f.labels labels before it.
		for k := 0; k < n; k++ {
			d := int(starts[k]) - 1
			var a int
			switch j := k + f.labels; {
			case j < n:
				a = int(starts[j])
			case j == n && !deep:
				a = 0
			default:
				continue
			}
			if a < off {
				continue // the candidate would include the stripped "www."
			}
			if diff := d - a - len(f.form); diff < -f.tol || diff > f.tol {
				continue
			}
			if !levenshteinWithin(name[a:d], f.form, f.tol) {
				continue
			}
			if hit, ok := m.confirmLookalike(name[off:], d-off, f); ok {
				return hit, true
			}
		}
	}
	return Hit{}, false
}

// confirmLookalike checks a candidate: q[:d] must be q's fuzzy form, q must
// not be the target or under it, and neither q nor its registrable domain
// may be guarded. It allocates; it runs only for near matches.
func (m *Matcher) confirmLookalike(q string, d int, f *fuzzyTarget) (Hit, bool) {
	lower := strings.ToLower(q)
	if lower == f.target || strings.HasSuffix(lower, f.target) && lower[len(lower)-len(f.target)-1] == '.' {
		return Hit{}, false
	}
	if form, ok := fuzzyForm(lower); !ok || len(form) != d {
		return Hit{}, false
	}
	if _, guarded := m.guard.checkSites(lower); guarded {
		return Hit{}, false
	}
	site := lower[strings.LastIndexByte(lower[:d], '.')+1:]
	if _, guarded := m.guard.checkSites(site); guarded {
		return Hit{}, false
	}
	h := m.hit(f.ref)
	h.Name = f.target
	h.Category = CategoryLookalike
	h.Action = Block
	h.Exact = false
	return h, true
}

// CategoryLookalike is the Hit.Category of a look-alike block.
const CategoryLookalike = "lookalike"

// fuzzyForm is name without a leading "www." and without its public
// suffix ("www.metamask.io" → "metamask"; "launchpad.ethereum.org" →
// "launchpad.ethereum"). ok is false when nothing is left.
func fuzzyForm(name string) (string, bool) {
	name = strings.TrimPrefix(name, "www.")
	ps, _ := publicsuffix.PublicSuffix(name)
	if len(ps) >= len(name) {
		return "", false
	}
	return name[:len(name)-len(ps)-1], true
}

// levenshteinWithin reports whether the edit distance of a (any ASCII
// case) and b (lower case) is at most tol, using two stack rows.
func levenshteinWithin(a, b string, tol int) bool {
	if len(a) > maxName || len(b) > maxName {
		return false
	}
	var prev, cur [maxName + 1]uint16
	for j := 0; j <= len(b); j++ {
		prev[j] = uint16(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = uint16(i)
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			c := a[i-1]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			cost := uint16(1)
			if c == b[j-1] {
				cost = 0
			}
			v := prev[j-1] + cost
			if x := prev[j] + 1; x < v {
				v = x
			}
			if x := cur[j-1] + 1; x < v {
				v = x
			}
			cur[j] = v
			if v < rowMin {
				rowMin = v
			}
		}
		if int(rowMin) > tol {
			return false
		}
		prev, cur = cur, prev
	}
	return int(prev[len(b)]) <= tol
}
