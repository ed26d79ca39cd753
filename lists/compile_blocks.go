package lists

import (
	"runtime"
	"strings"
	"sync"
)

// Per-entry codes of the guard pre-pass (siteCodes).
const (
	codeSkip uint8 = iota // an Allow entry, or one that lists no name
	codeOpen              // a Block entry no guard rule names
	// codeOpen + siteRulePlatform, siteRulePopular, siteRuleRanked
	codePlatform
	codePopular
	codeRanked
	codePublicSuffix
)

// siteCodes is the guard pre-pass: for every entry (by global reference)
// whether it is a Block entry listing a name and which guard rule, if
// any, names it. The rules only read the Guard and the Sets, so large
// compiles split the entries across the CPUs. rankedConsensus and
// applyBlocks read the codes instead of asking the guard twice a name.
func (c *compiler) siteCodes() []uint8 {
	total := int(c.m.bases[len(c.m.sets)])
	codes := make([]uint8, total)
	parts := 1
	if total >= 1<<16 {
		parts = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { c.siteCodesRange(codes, total*p/parts, total*(p+1)/parts) })
	}
	wg.Wait()
	return codes
}

// siteCodesRange fills codes[lo:hi].
func (c *compiler) siteCodesRange(codes []uint8, lo, hi int) {
	m := c.m
	for si, s := range m.sets {
		base := int(m.bases[si])
		from, to := max(lo, base), min(hi, base+s.n)
		if from >= to {
			continue
		}
		urlsBlockHost := c.sources[s.source].URLBlocksHost
		for g := from; g < to; g++ {
			ri := uint32(g - base)
			r := s.rec(ri)
			if r.action() == Allow {
				continue
			}
			var name string
			switch kind := r.kind(); {
			case kind == KindDomain:
				name = s.value(ri)
			case kind == KindURL && urlsBlockHost:
				name = m.listedName(uint32(g))
			default:
				continue
			}
			if s.isPublicSuffix(ri) {
				codes[g] = codePublicSuffix
			} else if c.guard == nil {
				codes[g] = codeOpen
			} else {
				codes[g] = codeOpen + c.guard.siteRule(name)
			}
		}
	}
}

// codeRules names the guard rule of each code.
var codeRules = [...]string{codeSkip: "", codeOpen: "", codePlatform: RulePlatform, codePopular: RulePopular, codeRanked: RuleRanked, codePublicSuffix: RulePublicSuffix}

// applyBlocks is the second pass: it inserts every Block entry that the
// guard and the --allow names let through. A domain entry lists its name;
// a URL entry lists its host only when its source says URLBlocksHost.
// Entries go by windows of insertWindowSize: their names are hashed on
// every CPU (windowItems), then, in entry order, refused entries are
// counted and recorded, and the rest are inserted sorted by table
// position (insertWindow).
func (c *compiler) applyBlocks(codes []uint8) {
	total := len(codes)
	parts := 1
	if total >= 1<<16 {
		parts = runtime.GOMAXPROCS(0)
	}
	w := &insertWindow{items: make([]insertItem, min(total, insertWindowSize)), parts: make([]insertPart, parts)}
	for i := range w.parts {
		w.parts[i].tally.reports = make([]SourceReport, len(c.reports))
	}
	ends := make([]int, parts)
	for lo := 0; lo < total; lo += insertWindowSize {
		hi := min(lo+insertWindowSize, total)
		var wg sync.WaitGroup
		for p := range parts {
			from, to := lo+(hi-lo)*p/parts, lo+(hi-lo)*(p+1)/parts
			wg.Go(func() { ends[p] = c.windowItems(codes, from, to, w.items[from-lo:to-lo]) })
		}
		wg.Wait()
		// Compact the kept items in place: each segment starts at or
		// after the end of what was kept before it.
		kept := 0
		for p := range parts {
			start := (hi - lo) * p / parts
			for _, it := range w.items[start : start+ends[p]] {
				if !it.check || !c.refusedItem(it) {
					w.items[kept] = it
					kept++
				}
			}
		}
		w.keep = w.items[:kept]
		c.insertWindow(w)
	}
}

// windowItems fills out with the Block entries among global references
// [from, to) that list a name, keyed by their name's hash, and returns
// how many. Entries a guard rule names, or all when there are --allow
// names, are marked for refusedItem.
func (c *compiler) windowItems(codes []uint8, from, to int, out []insertItem) int {
	m := c.m
	n := 0
	userAllow := len(m.userAllow) > 0
	for g := from; g < to; g++ {
		code := codes[g]
		if code == codeSkip {
			continue
		}
		s, ri := m.set(uint32(g))
		r := s.rec(ri)
		name := s.value(ri)
		if r.kind() == KindURL {
			name = m.listedName(uint32(g))
		}
		out[n] = insertItem{key: mix(hashName(name)), ref: uint32(g), off: r.off, flags: r.flags, code: code,
			single: strings.IndexByte(name, '.') < 0, check: code != codeOpen || userAllow}
		n++
	}
	return n
}

// refusedItem is refused for a waiting entry.
func (c *compiler) refusedItem(it insertItem) bool {
	m := c.m
	si := m.setIndex(it.ref)
	s, ri := m.sets[si], it.ref-m.bases[si]
	return c.refused(&c.reports[si], s, ri, it.ref, s.rec(ri), m.listedName(it.ref), c.sources[s.source], it.code)
}

// refused reports whether the guard or a --allow name keeps Block entry
// ref (whose guard pre-pass code is code) out of the table, and records
// which one did.
func (c *compiler) refused(rp *SourceReport, s *Set, ri, ref uint32, r setRec, name string, so SourceOptions, code uint8) bool {
	rule, guarded := codeRules[code], code != codeOpen
	if guarded && so.Trusted && rule != RulePublicSuffix {
		guarded = false
	}
	if guarded && rule == RuleRanked {
		if base, _ := c.guard.RankedBase(name); c.agreed[base] {
			guarded = false
			rp.Consensus++
		}
	}
	if guarded {
		c.tally.listUnplaced(ref, name, r)
		c.m.guarded = append(c.m.guarded, guardedRef{ref: ref, rule: ruleID(rule)})
		if rp.Guarded == nil {
			rp.Guarded = map[string]int{}
		}
		rp.Guarded[rule]++
		if len(rp.GuardedExamples) < maxGuardedExamples {
			rp.GuardedExamples = append(rp.GuardedExamples, GuardedEntry{Name: name, Source: s.source, Line: int(r.line), Rule: rule})
		}
		return true
	}
	if c.userAllowed(name) {
		c.tally.listUnplaced(ref, name, r)
		c.m.dropped = append(c.m.dropped, ref)
		rp.AllowedByUser++
		return true
	}
	return false
}

// insertItem is one Block entry waiting to go into the table.
type insertItem struct {
	key    uint64 // mix(hashName(name)): tag and table position
	ref    uint32
	off    uint32 // the entry's record's off: where its name starts in the arena
	flags  uint8  // the entry's record flags (kind, action, exact)
	code   uint8  // the guard pre-pass code
	single bool   // the name is a single label
	check  bool   // refusedItem decides whether it goes in
}

// insertWindowSize is how many entries are sorted by table position and
// inserted at a time: 768 KiB of items (the kept ones compacted in
// place) and as much for their sorted copy, whatever the list's size. Windows of 2¹⁸ (8 MiB in all) were slower
// (Rebuild/compile 196–240 → 159–165 ms, ColdLoad1M parse+compile
// 0.73–0.87 → 0.67–0.69 CPU-s at load 3.5) and took a rebuild's peak from
// 1.8× to 2.5× the steady heap (feeds/README.md, Numbers).
const (
	insertWindowSize = 1 << 15
	insertBucketBits = 12
)

// insertWindow holds the entries waiting to be inserted and the buffer
// they are sorted into.
type insertWindow struct {
	items  []insertItem // a window's entries, by worker segments
	keep   []insertItem // those to insert, in entry order (the start of items)
	sorted []insertItem // keep in table order
	counts [1 << insertBucketBits]int
	parts  []insertPart // one per CPU
}

// insertPart is one CPU's share of a window's inserts: the entries whose
// table positions fall in one range of buckets, which it writes alone.
type insertPart struct {
	items  []insertItem // sorted, in the part's buckets
	lo, hi int          // the slots the part may write
	spill  []insertItem // entries whose probe reached hi: inserted after the parts
	tally  tally
}

// insertParallelMin is the fewest entries a window splits across the CPUs.
const insertParallelMin = 1 << 12

// insertWindow inserts the waiting entries in the order of their table
// positions (a counting sort by the top bits of the position, stable):
// the writes into the table then sweep it instead of landing at random,
// a cache miss each. Entries of one name share a position, so they keep
// their order, and the first still decides: the result is the same as
// inserting them in entry order.
//
// A large window is split by position across the CPUs: part i takes the
// entries of its range of buckets and writes only the slots from its
// first bucket's position to the next part's. An entry whose probe would
// leave that range waits (spill) and is inserted after the parts, with
// the whole table to probe. All entries of a name start at the same slot
// and so go to the same part, in order; the later ones of a spilled name
// spill too (the slots it probed are still full), so the first still
// decides.
func (c *compiler) insertWindow(w *insertWindow) {
	if len(w.keep) == 0 {
		return
	}
	c.sortWindow(w)
	nslots := len(c.m.slots)
	if len(w.sorted) < insertParallelMin || len(w.parts) < 2 {
		for _, it := range w.sorted {
			c.insertKeyed(&c.tally, it, 0, nslots)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range w.parts {
		pt := &w.parts[i]
		wg.Go(func() {
			pt.spill = pt.spill[:0]
			for _, it := range pt.items {
				if !c.insertKeyed(&pt.tally, it, pt.lo, pt.hi) {
					pt.spill = append(pt.spill, it)
				}
			}
		})
	}
	wg.Wait()
	for i := range w.parts {
		pt := &w.parts[i]
		c.tally.add(&pt.tally)
		for _, it := range pt.spill {
			c.insertKeyed(&c.tally, it, 0, nslots)
		}
	}
}

// sortWindow sorts w.keep by table position into w.sorted (stable) and
// cuts it into w.parts.
func (c *compiler) sortWindow(w *insertWindow) {
	const shift = 32 - insertBucketBits
	clear(w.counts[:])
	for _, it := range w.keep {
		w.counts[uint32(it.key)>>shift]++
	}
	sum := 0
	for b, n := range w.counts {
		w.counts[b] = sum
		sum += n
	}
	if cap(w.sorted) < len(w.keep) {
		w.sorted = make([]insertItem, len(w.keep), len(w.items))
	}
	w.sorted = w.sorted[:len(w.keep)]
	nslots, np := len(c.m.slots), len(w.parts)
	for i := range w.parts { // w.counts[b] is where bucket b starts
		pt := &w.parts[i]
		first, next := len(w.counts)*i/np, len(w.counts)*(i+1)/np
		pt.lo, pt.hi = slotOf(uint64(first)<<shift, nslots), nslots
		end := len(w.sorted)
		if i+1 < np {
			pt.hi, end = slotOf(uint64(next)<<shift, nslots), w.counts[next]
		}
		pt.items = w.sorted[w.counts[first]:end]
	}
	for _, it := range w.keep {
		b := uint32(it.key) >> shift
		w.sorted[w.counts[b]] = it
		w.counts[b]++
	}
}

// insertKeyed is insert for a waiting entry: its name is read only when
// a slot's tag matches. It probes and writes only slots [lo, hi), and
// wraps around only when that is the whole table; false means the entry
// is not in the table because its probe would leave the range.
func (c *compiler) insertKeyed(t *tally, it insertItem, lo, hi int) bool {
	m := c.m
	si := m.setIndex(it.ref)
	r := setRec{flags: it.flags, off: it.off}
	nslots := len(m.slots)
	wrap := lo == 0 && hi == nslots
	tag := tagOf(it.key)
	p := slotOf(it.key, nslots)
	if p < lo || p >= hi {
		return false
	}
	for {
		sl := m.slots[p]
		if sl == 0 {
			break
		}
		if slotTag(sl) == tag {
			if name := m.listedName(it.ref); m.listedName(slotFull(sl)-1) == name {
				c.relist(t, p, si, it.ref, r)
				t.listUnplaced(it.ref, name, r)
				return true
			}
		}
		p++
		if p == hi {
			if !wrap {
				return false
			}
			p = 0
		}
	}
	c.place(t, p, si, it.ref, r, tag, it.single)
	return true
}
