package lists

import (
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

//go:generate go run ./internal/pslgen -o psl_gen.go

// isPublicSuffixValue reports whether a domain (or a URL indicator's
// host) is itself a public suffix.
func isPublicSuffixValue(v string) bool {
	return isPublicSuffixName(urlHost(v))
}

// urlHost is the host of a URL indicator's value (up to its first '/');
// a domain value is its own host.
func urlHost(v string) string {
	if k := strings.IndexByte(v, '/'); k >= 0 {
		return v[:k]
	}
	return v
}

// isPublicSuffixName reports whether publicsuffix.PublicSuffix(name) is
// name itself. golang.org/x/net/publicsuffix stays the authority: most
// names cannot be their own public suffix, and pslCandidates says which
// can, without x/net's cost (a binary search per label and an IP parse
// whose error allocates).
func isPublicSuffixName(name string) bool {
	if !pslCandidates().may(name) {
		return false
	}
	ps, _ := publicsuffix.PublicSuffix(name)
	return ps == name
}

// pslFilter answers "may x/net's PublicSuffix(v) be v?" exactly when the
// answer is no. In x/net's walk (labels right to left down the PSL trie)
// a name l1.rest of two or more labels is its own public suffix only if
// the walk reaches rest's node and then either l1 is a child of it (so
// l1.rest is a node: in pslNames) or rest's children are a wildcard (in
// pslWildcards); or if the name parses as an IP address, which x/net
// returns whole. Everything else is a proper suffix of the name.
//
// Two bitmaps of the names' quick hashes, small enough to stay in the
// CPU's cache, answer first: most names take no map read.
type pslFilter struct {
	marks map[string]uint8 // pslNode | pslWildParent
	nodes quickBits
	wild  quickBits
}

// The bitmaps' sizes (log2 of their bits): ~9,100 nodes in 2^20 bits (128
// KiB), ~280 wildcard parents in 2^16 (8 KiB). Of bench/cmd/listgen's 1M
// names, 0.8 % pass the first and 0.08 % the second to a map read (a map
// read for every name was twice the filter's CPU in a cold load's
// profile; with 2^17 and 2^13 bits 6.3 % and 4.2 % passed, the map reads
// 3.5 % of a cold load's CPU).
const (
	pslNodeBits = 20
	pslWildBits = 16
)

// quickBits is a bitmap of names' quick hashes that answers before a map
// (here and the guard's site index): a name whose bit is clear was never
// added, and most names of a list take no map read.
type quickBits struct {
	words []uint64
	shift uint // 64 - log2 of the bitmap's bits
}

// newQuickBits is an empty bitmap of 2^log2 bits.
func newQuickBits(log2 uint) quickBits {
	return quickBits{words: make([]uint64, 1<<(log2-6)), shift: 64 - log2}
}

func (q quickBits) add(name string) {
	w, m := q.bit(name)
	q.words[w] |= m
}

// mayHave is false when name was never added.
func (q quickBits) mayHave(name string) bool {
	w, m := q.bit(name)
	return q.words[w]&m != 0
}

func (q quickBits) bit(name string) (word int, mask uint64) {
	b := (quickHash(name) * 0x9e3779b97f4a7c15) >> q.shift
	return int(b >> 6), 1 << (b & 63)
}

// quickHash is name's length and first 8 bytes, mixed: no loop over the
// rest.
func quickHash(v string) uint64 {
	var w uint64
	if len(v) >= 8 {
		w = uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
			uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
	} else {
		for i := range len(v) {
			w |= uint64(v[i]) << (8 * i)
		}
	}
	return w ^ uint64(len(v))*0xff51afd7ed558ccd
}

const (
	pslNode       = 1 << iota // a name below the top level that has a rule
	pslWildParent             // a name whose children are public suffixes by a wildcard
)

var pslCandidates = sync.OnceValue(func() *pslFilter {
	f := &pslFilter{
		marks: make(map[string]uint8, strings.Count(pslNames, "\n")+strings.Count(pslWildcards, "\n")),
		nodes: newQuickBits(pslNodeBits),
		wild:  newQuickBits(pslWildBits),
	}
	for _, src := range []struct {
		text string
		mark uint8
		bits quickBits
	}{{pslNames, pslNode, f.nodes}, {pslWildcards, pslWildParent, f.wild}} {
		for name := range strings.Lines(src.text) {
			name = name[:len(name)-1]
			f.marks[name] |= src.mark
			src.bits.add(name)
		}
	}
	return f
})

// may is false when PublicSuffix(v) cannot return v.
func (f *pslFilter) may(v string) bool {
	dot := strings.IndexByte(v, '.')
	if dot < 0 || v[len(v)-1] <= '9' || strings.IndexByte(v, ':') >= 0 {
		// A single label, or possibly an IP address: netip.ParseAddr
		// accepts IPv4 (ends in a digit) and IPv6 (has a colon) only.
		return true
	}
	if f.nodes.mayHave(v) && f.marks[v]&pslNode != 0 {
		return true
	}
	rest := v[dot+1:]
	return f.wild.mayHave(rest) && f.marks[rest]&pslWildParent != 0
}
