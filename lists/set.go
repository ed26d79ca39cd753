package lists

import (
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/scamblock/scamblock/internal/hugepage"
)

// Set is one source's entries in compact form: the values live back to
// back in string chunks of up to 1 MiB (the arena), and each entry costs a
// 12-byte record besides its bytes. Both grow in fixed chunks, so building
// a Set never copies what it already holds and leaves no garbage behind.
// A Set is immutable once built and is shared, not copied, by the Matchers
// compiled from it.
type Set struct {
	source string
	chunks []string   // the arena
	recs   [][]setRec // one per entry, in Add order, recChunk per slice
	n      int        // entries
	cats   []string   // category table; recs refer to it by index
	chains []string   // chain table
	extras map[uint32]setExtra

	psOnce sync.Once
	ps     []uint32 // entries whose value is a public suffix (see publicSuffixes)

	backing *mapping // the snapshot file chunks and recs point into; nil on the heap
}

const (
	arenaChunkBits = 20
	arenaChunk     = 1 << arenaChunkBits // bytes
	recChunkBits   = 16
	recChunk       = 1 << recChunkBits // records
)

// setRec is one entry: where its value starts (chunk<<20 | offset; it
// ends where the next one in the same chunk starts, or at the chunk's
// end), its line, and small table indexes.
type setRec struct {
	off   uint32
	line  uint32
	cat   uint16 // index into cats; 0 = ""
	chain uint8  // index into chains; 0 = "", 255 = see extras
	flags uint8  // kind (3 bits) | action | exact
}

// setExtra holds the rare per-entry fields that do not fit a record.
type setExtra struct {
	chain     string
	links     []string
	tolerance int
}

const (
	flagKindMask = 0x07
	flagAllow    = 0x08
	flagExact    = 0x10
	chainExtra   = 255
)

func (r setRec) kind() Kind     { return Kind(r.flags & flagKindMask) }
func (r setRec) action() Action { return Action((r.flags & flagAllow) >> 3) }
func (r setRec) exact() bool    { return r.flags&flagExact != 0 }

// SetBuilder collects one source's entries. It is not safe for concurrent use.
type SetBuilder struct {
	source   string
	chunks   []string // sealed arena chunks
	buf      []byte   // the open chunk
	recs     [][]setRec
	n        int
	cats     []string
	catIdx   map[string]uint16
	chains   []string
	chainIdx map[string]uint8
	extras   map[uint32]setExtra

	// Expect's hint: a large builder cuts its arena and record chunks
	// from blocks of up to blockChunks chunks, backed by huge pages.
	expect     int64    // bytes of values expected in all; 0 = unknown
	valueBytes int64    // bytes of values added so far
	arenaFree  []byte   // the rest of the block arena chunks are cut from
	recFree    []setRec // the rest of the block record chunks are cut from

	// The public-suffix memo is computed while entries are still being
	// added: Add asks the PSL filter (psl.go) while the value is in the
	// cache, and every psBatchSize values that pass go to x/net on a
	// goroutine of their own, beside the parse. Build waits for them.
	psBatch []psValue
	psWait  sync.WaitGroup
	psMu    sync.Mutex
	psFound [][]uint32  // per batch, in batch order; guarded by psMu
	psFree  [][]psValue // full-size batches whose walk is done, for reuse; guarded by psMu
}

// psValue is one entry's value (a view of the arena) for the memo.
type psValue struct {
	i uint32
	v string
}

const psBatchSize = 8192

// A large Set's first arena chunk and first record chunk grow by append
// only up to these capacities, then to their full size at once: growing
// by a quarter at a time left megabytes of garbage, every page of it
// touched (page faults are a tenth of a cold load).
const (
	arenaGrowMax = 64 << 10 // bytes
	recGrowMax   = 4096     // records
)

// blockChunks is the most arena or record chunks one block holds (8 MiB
// of arena, 6 MiB of records): a block holds whole 2 MiB pages, which a
// chunk of 1 MiB or 768 KiB alone cannot.
const blockChunks = 8

// Expect tells b that about n bytes of values (at most) will be added,
// e.g. the size of the file piece being parsed into it. A builder
// expecting more than a chunk cuts its arena and record chunks from
// larger blocks, sized for what is still expected (at most blockChunks
// chunks), whose whole 2 MiB pages are backed by huge pages
// (internal/hugepage): a million names take a few hundred page faults
// instead of thousands. Without it, or below a chunk, each chunk is an
// allocation of its own. The Set built is the same either way.
func (b *SetBuilder) Expect(n int64) { b.expect = n }

// blockFor is how many chunks the next block holds for want more
// entries (or bytes) of per each (at least 1, at most blockChunks).
func blockFor(want, per int64) int {
	if want <= per {
		return 1
	}
	return int(min((want+per-1)/per, blockChunks))
}

// newArenaChunk returns an empty arena chunk of capacity arenaChunk.
func (b *SetBuilder) newArenaChunk() []byte {
	return cutChunk(&b.arenaFree, blockFor(b.expect-b.valueBytes, arenaChunk), arenaChunk)
}

// newRecChunk returns an empty record chunk of capacity recChunk. The
// entries still to come are estimated from the bytes still expected and
// the mean value length so far.
func (b *SetBuilder) newRecChunk() []setRec {
	k := 1
	if b.expect > b.valueBytes && b.valueBytes > 0 {
		k = blockFor((b.expect-b.valueBytes)*int64(b.n)/b.valueBytes, recChunk)
	}
	return cutChunk(&b.recFree, k, recChunk)
}

// cutChunk returns an empty chunk of capacity size cut from the front of
// *free. When *free is too short it becomes a new huge-page block of
// blocks chunks; a block of one is a plain allocation of its own.
func cutChunk[T any](free *[]T, blocks, size int) []T {
	if len(*free) < size {
		if blocks == 1 {
			return make([]T, 0, size)
		}
		*free = hugepage.Make[T](blocks * size)
	}
	c := (*free)[:0:size]
	*free = (*free)[size:]
	return c
}

// NewSetBuilder starts the Set of entries from source (a feed name,
// "--allow", "submission:42", ...).
func NewSetBuilder(source string) *SetBuilder {
	return &SetBuilder{
		source:   source,
		cats:     []string{""},
		catIdx:   map[string]uint16{"": 0},
		chains:   []string{""},
		chainIdx: map[string]uint8{"": 0},
	}
}

// Add appends one entry. Entries arrive already normalized from parsers;
// Add does not check them. Entries with an empty Value or unknown Kind are
// ignored.
func (b *SetBuilder) Add(e Entry) {
	if e.Value == "" || e.Kind < KindDomain || e.Kind > KindLookalike {
		return
	}
	if len(b.buf)+len(e.Value) > arenaChunk && len(b.buf) > 0 {
		b.seal()
	}
	if len(b.chunks) >= 1<<(32-arenaChunkBits)-1 || uint64(b.n) >= 1<<32-2 || len(e.Value) >= arenaChunk {
		return // 4 GiB in one source, or a 1 MiB value, is not a list we can hold
	}
	idx := uint32(b.n)
	r := setRec{off: uint32(len(b.chunks))<<arenaChunkBits | uint32(len(b.buf)), flags: uint8(e.Kind)}
	if e.Line > 0 && uint64(e.Line) <= 1<<32-1 {
		r.line = uint32(e.Line)
	}
	if e.Action == Allow {
		r.flags |= flagAllow
	}
	if e.Exact {
		r.flags |= flagExact
	}
	r.cat = b.category(e.Category)
	var ex setExtra
	hasExtra := false
	if c, ok := b.chain(e.Chain); ok {
		r.chain = c
	} else {
		r.chain = chainExtra
		ex.chain = e.Chain
		hasExtra = true
	}
	if len(e.Links) > 0 {
		ex.links = append([]string(nil), e.Links...)
		hasExtra = true
	}
	if e.Tolerance != 0 {
		ex.tolerance = e.Tolerance
		hasExtra = true
	}
	if hasExtra {
		if b.extras == nil {
			b.extras = make(map[uint32]setExtra)
		}
		b.extras[idx] = ex
	}
	if b.buf == nil {
		if b.expect > arenaChunk || len(b.chunks) > 0 {
			b.buf = b.newArenaChunk()
		} else {
			b.buf = make([]byte, 0, 4096)
		}
	}
	if len(b.buf)+len(e.Value) > cap(b.buf) && cap(b.buf) >= arenaGrowMax {
		b.buf = append(b.newArenaChunk(), b.buf...)
	}
	b.buf = append(b.buf, e.Value...)
	b.valueBytes += int64(len(e.Value))
	if (e.Kind == KindDomain || e.Kind == KindURL) && mayBePublicSuffix(e) {
		// The bytes just appended are never written again: a view is safe
		// to read from another goroutine.
		v := unsafe.String(unsafe.SliceData(b.buf[len(b.buf)-len(e.Value):]), len(e.Value))
		if b.psBatch == nil && b.n >= psBatchSize {
			b.psBatch = b.freeBatch() // a large set: no regrowing
		}
		b.psBatch = append(b.psBatch, psValue{idx, v})
		if len(b.psBatch) == psBatchSize {
			b.flushPS()
		}
	}
	if b.n>>recChunkBits == len(b.recs) {
		if b.n == 0 {
			b.recs = append(b.recs, make([]setRec, 0, 64)) // small sets stay small; the first chunk grows by append
		} else {
			b.recs = append(b.recs, b.newRecChunk())
		}
	}
	last := &b.recs[len(b.recs)-1]
	if len(*last) == cap(*last) && cap(*last) >= recGrowMax && cap(*last) < recChunk {
		*last = append(b.newRecChunk(), *last...)
	}
	*last = append(*last, r)
	b.n++
}

// mayBePublicSuffix is the PSL filter for a domain or URL entry being
// added, while its bytes are still in the CPU's cache: the few names that
// pass go to x/net in a batch, the rest are never read again for the memo.
func mayBePublicSuffix(e Entry) bool {
	return pslCandidates().may(urlHost(e.Value))
}

// freeBatch returns a full-size public-suffix batch that a finished walk
// gave back, or a new one: a million names need a few, not 122.
func (b *SetBuilder) freeBatch() []psValue {
	b.psMu.Lock()
	defer b.psMu.Unlock()
	if n := len(b.psFree); n > 0 {
		f := b.psFree[n-1]
		b.psFree = b.psFree[:n-1]
		return f
	}
	return make([]psValue, 0, psBatchSize)
}

// category returns the index of category c in the builder's table, adding
// it (0, "", when the table is full).
func (b *SetBuilder) category(c string) uint16 {
	if c == "" {
		return 0
	}
	i, ok := b.catIdx[c]
	if !ok && len(b.cats) < 1<<16 {
		i = uint16(len(b.cats))
		b.cats = append(b.cats, c)
		b.catIdx[c] = i
	}
	return i
}

// chain returns the index of chain c in the builder's table, adding it;
// ok=false (and chainExtra) when the table is full.
func (b *SetBuilder) chain(c string) (uint8, bool) {
	if c == "" {
		return 0, true
	}
	i, ok := b.chainIdx[c]
	if !ok && len(b.chains) < chainExtra {
		i = uint8(len(b.chains))
		b.chains = append(b.chains, c)
		b.chainIdx[c] = i
		ok = true
	}
	if !ok {
		return chainExtra, false
	}
	return i, true
}

// seal closes the open arena chunk: its bytes are never written again, so
// they can be viewed as a string and handed out as substrings.
func (b *SetBuilder) seal() {
	if len(b.buf) == 0 {
		return
	}
	buf := b.buf
	if cap(buf)-len(buf) > len(buf)/8 {
		buf = append([]byte(nil), buf...) // the last chunk: give back the slack
	}
	b.chunks = append(b.chunks, unsafe.String(unsafe.SliceData(buf), len(buf)))
	if len(b.buf) >= arenaChunk/2 {
		b.buf = nil // Add takes a new chunk if one is needed
	} else {
		b.buf = b.buf[len(b.buf):] // keep appending into the same allocation
	}
}

// flushPS finds the public suffixes among the pending values: on a
// goroutine of its own for a full batch, at once for the last few.
func (b *SetBuilder) flushPS() {
	if len(b.psBatch) == 0 {
		return
	}
	batch := b.psBatch
	b.psBatch = nil
	b.psMu.Lock()
	k := len(b.psFound)
	b.psFound = append(b.psFound, nil)
	b.psMu.Unlock()
	find := func() {
		var out []uint32
		for _, p := range batch {
			if isPublicSuffixValue(p.v) {
				out = append(out, p.i)
			}
		}
		b.psMu.Lock()
		b.psFound[k] = out
		if cap(batch) == psBatchSize {
			b.psFree = append(b.psFree, batch[:0])
		}
		b.psMu.Unlock()
	}
	if len(batch) < psBatchSize {
		find()
		return
	}
	b.psWait.Add(1)
	go func() {
		defer b.psWait.Done()
		find()
	}()
}

// Len is the number of entries added so far.
func (b *SetBuilder) Len() int { return b.n }

// Build returns the immutable Set. The builder must not be used afterwards.
func (b *SetBuilder) Build() *Set {
	b.seal()
	if n := len(b.recs); n > 0 {
		last := b.recs[n-1]
		if cap(last)-len(last) > len(last)/8 {
			b.recs[n-1] = append([]setRec(nil), last...)
		}
	}
	b.flushPS()
	b.psWait.Wait()
	s := &Set{
		source: b.source,
		chunks: b.chunks,
		recs:   b.recs,
		n:      b.n,
		cats:   b.cats,
		chains: b.chains,
		extras: b.extras,
		ps:     slices.Concat(b.psFound...), // batches in entry order: sorted
	}
	s.psOnce.Do(func() {}) // the memo is complete
	*b = SetBuilder{}
	return s
}

// Source names where the entries came from.
func (s *Set) Source() string {
	if s == nil {
		return ""
	}
	return s.source
}

// Len is the number of entries.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// rec returns entry i's record.
func (s *Set) rec(i uint32) setRec {
	return s.recs[i>>recChunkBits][i&(recChunk-1)]
}

// value returns entry i's value, a substring of its arena chunk.
func (s *Set) value(i uint32) string {
	off := s.rec(i).off
	chunk := s.chunks[off>>arenaChunkBits]
	return chunk[off&(arenaChunk-1) : s.valueEnd(i, off, chunk)]
}

// valueEnd is where entry i's value ends in chunk, the arena chunk holding
// it (off is the entry's record's off): where the next entry's value
// starts, or the chunk's end.
func (s *Set) valueEnd(i, off uint32, chunk string) int {
	if int(i)+1 < s.n {
		if next := s.rec(i + 1).off; next>>arenaChunkBits == off>>arenaChunkBits {
			return int(next & (arenaChunk - 1))
		}
	}
	return len(chunk)
}

// chunkAt returns the arena chunk holding offset off, if there is one.
func (s *Set) chunkAt(off uint32) (string, bool) {
	if c := int(off >> arenaChunkBits); c < len(s.chunks) {
		return s.chunks[c], true
	}
	return "", false
}

// entry rebuilds entry i. Value, Category and Chain share the Set's memory;
// Links is a copy.
func (s *Set) entry(i uint32) Entry {
	r := s.rec(i)
	e := Entry{
		Value:    s.value(i),
		Kind:     r.kind(),
		Action:   r.action(),
		Exact:    r.exact(),
		Line:     int(r.line),
		Category: s.cats[r.cat],
	}
	if r.chain != chainExtra {
		e.Chain = s.chains[r.chain]
	}
	if ex, ok := s.extras[i]; ok {
		if ex.chain != "" {
			e.Chain = ex.chain
		}
		if len(ex.links) > 0 {
			e.Links = append([]string(nil), ex.links...)
		}
		e.Tolerance = ex.tolerance
	}
	return e
}

// Entries calls fn for every entry in the order they were added and stops
// early when fn returns false.
func (s *Set) Entries(fn func(Entry) bool) {
	if s == nil {
		return
	}
	for i := 0; i < s.n; i++ {
		if !fn(s.entry(uint32(i))) {
			return
		}
	}
}

// isPublicSuffix reports whether entry i's value (a domain) is a public
// suffix. The answer depends only on the value and the PSL compiled into
// the program, so it is computed once per Set, not at every Compile:
// golang.org/x/net/publicsuffix allocates on every call. The builder (or
// the snapshot) has normally filled the memo already; the walk below is
// for a Set that came without one.
func (s *Set) isPublicSuffix(i uint32) bool {
	s.psOnce.Do(func() {
		// Large Sets are split across the CPUs: this walk is most of a
		// fresh Set's compile time (one PSL lookup per name).
		parts := 1
		if s.n >= 1<<16 {
			parts = runtime.GOMAXPROCS(0)
		}
		found := make([][]uint32, parts)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := s.n * p / parts; j < s.n*(p+1)/parts; j++ {
					if k := s.rec(uint32(j)).kind(); k != KindDomain && k != KindURL {
						continue
					}
					if isPublicSuffixValue(s.value(uint32(j))) {
						found[p] = append(found[p], uint32(j))
					}
				}
			}()
		}
		wg.Wait()
		s.ps = slices.Concat(found...) // ranges in order: sorted
	})
	_, found := slices.BinarySearch(s.ps, i)
	return found
}
