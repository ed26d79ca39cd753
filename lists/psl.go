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
	if k := strings.IndexByte(v, '/'); k >= 0 {
		v = v[:k]
	}
	return isPublicSuffixName(v)
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
type pslFilter struct {
	marks map[string]uint8 // pslNode | pslWildParent
}

const (
	pslNode       = 1 << iota // a name below the top level that has a rule
	pslWildParent             // a name whose children are public suffixes by a wildcard
)

var pslCandidates = sync.OnceValue(func() *pslFilter {
	f := &pslFilter{marks: make(map[string]uint8, strings.Count(pslNames, "\n")+strings.Count(pslWildcards, "\n"))}
	for _, src := range []struct {
		text string
		mark uint8
	}{{pslNames, pslNode}, {pslWildcards, pslWildParent}} {
		for name := range strings.Lines(src.text) {
			f.marks[name[:len(name)-1]] |= src.mark
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
	if f.marks[v]&pslNode != 0 {
		return true
	}
	return f.marks[v[dot+1:]]&pslWildParent != 0
}
