package lists

import "github.com/scamblock/scamblock/internal/hugepage"

// JoinSets joins the Sets built from consecutive pieces of one source (a
// large file parsed on several CPUs) into one Set named source, the same
// as a single builder adding every piece's entries in order would have
// built: lineBases[i] is added to piece i's line numbers (the lines of
// the file before the piece). The pieces' arenas and public-suffix memos
// are taken over, not copied; their records are renumbered into the new
// Set. The pieces must not be used afterwards.
func JoinSets(source string, pieces []*Set, lineBases []int) *Set {
	j := NewSetBuilder(source)
	out := &Set{source: source}
	free := joinRecBlock(pieces, lineBases)
	for pi, p := range pieces {
		if p == nil || p.n == 0 {
			continue
		}
		if len(out.chunks)+len(p.chunks) >= 1<<(32-arenaChunkBits)-1 || uint64(out.n)+uint64(p.n) >= 1<<32-2 {
			break // the 4 GiB a single builder stops at
		}
		base := uint32(out.n)
		cats := make([]uint16, len(p.cats))
		for i, c := range p.cats {
			cats[i] = j.category(c)
		}
		chains := make([]uint8, len(p.chains))
		for i, c := range p.chains {
			chains[i], _ = j.chain(c)
		}
		for i, ex := range p.extras {
			if j.extras == nil {
				j.extras = make(map[uint32]setExtra)
			}
			j.extras[base+i] = ex
		}
		chunkBase := uint32(len(out.chunks)) << arenaChunkBits
		lineBase := uint64(0)
		if pi < len(lineBases) && lineBases[pi] > 0 {
			lineBase = uint64(lineBases[pi])
		}
		first := 0
		if out.n == 0 && lineBase == 0 {
			// The first piece's records keep their numbers (its category
			// and chain tables open the joined ones): its full record
			// chunks are taken over as they are, not copied.
			first = p.n >> recChunkBits
			out.recs = append(out.recs, p.recs[:first]...)
			out.n = first << recChunkBits
		}
		for ci := first; ci < len(p.recs); ci++ {
			for _, r := range p.recs[ci] {
				r.off += chunkBase
				if r.line > 0 {
					r.line = uint32(min(uint64(r.line)+lineBase, 1<<32-1))
				}
				r.cat = cats[r.cat]
				if r.chain != chainExtra {
					c := chains[r.chain]
					if c == chainExtra { // the joined chain table is full
						if j.extras == nil {
							j.extras = make(map[uint32]setExtra)
						}
						ex := j.extras[uint32(out.n)]
						ex.chain = p.chains[r.chain]
						j.extras[uint32(out.n)] = ex
					}
					r.chain = c
				}
				out.appendRec(r, &free)
			}
			p.recs[ci] = nil // give the piece's records back as they are copied
		}
		out.chunks = append(out.chunks, p.chunks...)
		for _, i := range p.ps {
			out.ps = append(out.ps, base+i)
		}
		*p = Set{}
	}
	if n := len(out.recs); n > 0 {
		last := out.recs[n-1]
		if cap(last)-len(last) > len(last)/8 {
			out.recs[n-1] = append([]setRec(nil), last...)
		}
	}
	out.cats, out.chains, out.extras = j.cats, j.chains, j.extras
	out.psOnce.Do(func() {}) // the pieces' memos, renumbered, are the memo
	return out
}

// joinRecBlock returns one block for the records JoinSets copies (all
// but the first piece's full record chunks, which it takes over), backed
// by huge pages when large: the copy's chunks are cut from it instead of
// each being an allocation whose pages fault one by one.
func joinRecBlock(pieces []*Set, lineBases []int) []setRec {
	n, chunks, adopted := uint64(0), 0, 0
	for pi, p := range pieces {
		if p == nil || p.n == 0 {
			continue
		}
		if chunks+len(p.chunks) >= 1<<(32-arenaChunkBits)-1 || n+uint64(p.n) >= 1<<32-2 {
			break // as JoinSets stops
		}
		if n == 0 && (pi >= len(lineBases) || lineBases[pi] <= 0) {
			adopted = (p.n >> recChunkBits) << recChunkBits
		}
		n += uint64(p.n)
		chunks += len(p.chunks)
	}
	block := make([]setRec, int(n)-adopted)
	hugepage.Advise(block)
	return block
}

// appendRec adds one record at the end of a Set being joined, cutting a
// new record chunk from free (or allocating one when free is used up).
func (s *Set) appendRec(r setRec, free *[]setRec) {
	if s.n>>recChunkBits == len(s.recs) {
		if k := min(len(*free), recChunk); k > 0 {
			s.recs = append(s.recs, (*free)[:0:k])
			*free = (*free)[k:]
		} else {
			s.recs = append(s.recs, make([]setRec, 0, recChunk))
		}
	}
	last := &s.recs[len(s.recs)-1]
	*last = append(*last, r)
	s.n++
}
