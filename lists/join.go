package lists

import (
	"runtime"
	"sync"

	"github.com/scamblock/scamblock/internal/hugepage"
)

// JoinSets joins the Sets built from consecutive pieces of one source (a
// large file parsed on several CPUs) into one Set named source, the same
// as a single builder adding every piece's entries in order would have
// built: lineBases[i] is added to piece i's line numbers (the lines of
// the file before the piece). The pieces' arenas and public-suffix memos
// are taken over, not copied; their records are renumbered into the new
// Set, on every CPU for a large join. The pieces must not be used
// afterwards.
func JoinSets(source string, pieces []*Set, lineBases []int) *Set {
	j := NewSetBuilder(source)
	out := &Set{source: source}
	var parts []joinPiece
	for pi, p := range pieces {
		if p == nil || p.n == 0 {
			continue
		}
		if len(out.chunks)+len(p.chunks) >= 1<<(32-arenaChunkBits)-1 || uint64(out.n)+uint64(p.n) >= 1<<32-2 {
			break // the 4 GiB a single builder stops at
		}
		jp := joinPiece{set: p, base: out.n, chunkBase: uint32(len(out.chunks)) << arenaChunkBits}
		jp.cats = make([]uint16, len(p.cats))
		for i, c := range p.cats {
			jp.cats[i] = j.category(c)
		}
		jp.chains = make([]uint8, len(p.chains))
		for i, c := range p.chains {
			jp.chains[i], _ = j.chain(c)
		}
		for i, ex := range p.extras {
			if j.extras == nil {
				j.extras = make(map[uint32]setExtra)
			}
			j.extras[uint32(out.n)+i] = ex
		}
		if pi < len(lineBases) && lineBases[pi] > 0 {
			jp.lineBase = uint64(lineBases[pi])
		}
		if out.n == 0 && jp.lineBase == 0 {
			// The first piece's records keep their numbers (its category
			// and chain tables open the joined ones): its full record
			// chunks are taken over as they are, not copied.
			jp.from = (p.n >> recChunkBits) << recChunkBits
			out.recs = append(out.recs, p.recs[:jp.from>>recChunkBits]...)
		}
		out.n += p.n
		out.chunks = append(out.chunks, p.chunks...)
		parts = append(parts, jp)
	}
	copyFrom := len(out.recs) << recChunkBits // the first record copied
	out.recs = append(out.recs, joinRecChunks(out.n-copyFrom)...)
	j.extras = copyJoinedRecs(out, parts, copyFrom, j.extras)
	for _, jp := range parts {
		for _, i := range jp.set.ps {
			out.ps = append(out.ps, uint32(jp.base)+i)
		}
		*jp.set = Set{}
	}
	out.cats, out.chains, out.extras = j.cats, j.chains, j.extras
	out.psOnce.Do(func() {}) // the pieces' memos, renumbered, are the memo
	return out
}

// joinPiece is one piece of a join and how its records are renumbered.
type joinPiece struct {
	set       *Set
	base      int    // the joined number of its first record
	from      int    // its first record to copy (the ones before are taken over)
	chunkBase uint32 // added to its records' arena offsets
	lineBase  uint64 // added to its line numbers
	cats      []uint16
	chains    []uint8
}

// joinRecChunks returns the record chunks for n copied records, full
// length, cut from one block (backed by huge pages when large) instead of
// each being an allocation whose pages fault one by one.
func joinRecChunks(n int) [][]setRec {
	block := hugepage.Make[setRec](n)
	var chunks [][]setRec
	for len(block) > 0 {
		k := min(len(block), recChunk)
		chunks = append(chunks, block[:k:k])
		block = block[k:]
	}
	return chunks
}

// joinParallelMin is the fewest copied records split across the CPUs.
const joinParallelMin = 1 << 16

// copyJoinedRecs fills out's records from copyFrom on from the pieces',
// renumbered; the CPUs take consecutive ranges. A record whose chain the
// joined table has no room for gets it in extras (returned).
func copyJoinedRecs(out *Set, parts []joinPiece, copyFrom int, extras map[uint32]setExtra) map[uint32]setExtra {
	n := out.n - copyFrom
	workers := 1
	if n >= joinParallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	spilled := make([][]chainSpill, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := copyFrom+n*w/workers, copyFrom+n*(w+1)/workers
		wg.Go(func() { spilled[w] = copyRecRange(out, parts, lo, hi) })
	}
	wg.Wait()
	for _, sp := range spilled {
		for _, s := range sp {
			if extras == nil {
				extras = make(map[uint32]setExtra)
			}
			ex := extras[s.at]
			ex.chain = s.chain
			extras[s.at] = ex
		}
	}
	return extras
}

// chainSpill is a joined record whose chain goes to the extras.
type chainSpill struct {
	at    uint32
	chain string
}

// copyRecRange copies the joined records [lo, hi) from their pieces.
func copyRecRange(out *Set, parts []joinPiece, lo, hi int) []chainSpill {
	var spill []chainSpill
	for _, jp := range parts {
		p := jp.set
		start, end := max(lo, jp.base+jp.from), min(hi, jp.base+p.n)
		for g := start; g < end; g++ {
			r := p.rec(uint32(g - jp.base))
			r.off += jp.chunkBase
			if r.line > 0 {
				r.line = uint32(min(uint64(r.line)+jp.lineBase, 1<<32-1))
			}
			r.cat = jp.cats[r.cat]
			if r.chain != chainExtra {
				c := jp.chains[r.chain]
				if c == chainExtra { // the joined chain table is full
					spill = append(spill, chainSpill{uint32(g), p.chains[r.chain]})
				}
				r.chain = c
			}
			out.recs[g>>recChunkBits][g&(recChunk-1)] = r
		}
	}
	return spill
}
