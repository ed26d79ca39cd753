package lists

import (
	"cmp"
	"slices"
	"strings"
)

// Consensus is the decision about one ranked name: who listed it and
// whether that was enough to block it whole.
type Consensus struct {
	Name       string   `json:"name"`       // the ranked registrable domain
	Rank       int      `json:"rank"`       // its rank in the ranking
	Publishers []string `json:"publishers"` // independent sources that list it (or its www. name), sorted
	Reviewed   bool     `json:"reviewed"`   // a reviewer-approved submission lists it
	Needed     int      `json:"needed"`     // independent sources needed
	Blocked    bool     `json:"blocked"`    // consensus reached: Block entries apply
}

// rankedConsensus counts, for every ranked name some Block entry names,
// the independent publishers behind those entries, and decides which
// ranked names are blocked whole. Only runs when the guard has a ranking.
func (c *compiler) rankedConsensus(needed int, codes []uint8) {
	if c.guard.Ranking().Len() == 0 {
		return
	}
	votes := map[string]*Consensus{}
	m := c.m
	for si, s := range m.sets {
		so := c.sources[s.source]
		publisher := cmp.Or(so.Publisher, s.source)
		for ri := uint32(0); ri < uint32(s.n); ri++ {
			if codes[m.bases[si]+ri] != codeRanked {
				continue // not a Block entry of a ranked name (pinned, a platform, a public suffix: no consensus unguards those)
			}
			name := s.value(ri)
			if s.rec(ri).kind() == KindURL {
				name = m.listedName(m.bases[si] + ri)
			}
			base, rank := c.guard.RankedBase(name)
			v := votes[base]
			if v == nil {
				v = &Consensus{Name: base, Rank: rank, Needed: needed}
				votes[base] = v
			}
			if !slices.Contains(v.Publishers, publisher) {
				v.Publishers = append(v.Publishers, publisher)
			}
			v.Reviewed = v.Reviewed || so.Reviewed
		}
	}
	c.agreed = make(map[string]bool)
	m.consensus = make(map[string]Consensus, len(votes))
	for base, v := range votes {
		slices.Sort(v.Publishers)
		v.Blocked = v.Reviewed || len(v.Publishers) >= needed
		if v.Blocked {
			c.agreed[base] = true
		}
		m.consensus[base] = *v
	}
}

// ConsensusFor returns the consensus decision for the ranked name that
// name is (or is the www. name of), if any source listed it.
func (m *Matcher) ConsensusFor(name string) (Consensus, bool) {
	if m == nil || m.consensus == nil {
		return Consensus{}, false
	}
	return m.consensusOf(name)
}

// consensusOf finds the decision for name or, for a "www." name, its
// base, in the decisions themselves (not the guard's ranking: a matcher
// read back from a snapshot keeps the decisions it was compiled with).
func (m *Matcher) consensusOf(name string) (Consensus, bool) {
	if c, ok := m.consensus[name]; ok {
		return c, true
	}
	if rest, ok := strings.CutPrefix(name, "www."); ok {
		c, ok := m.consensus[rest]
		return c, ok
	}
	return Consensus{}, false
}
