package lists

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// RuleRanked: the name is a registrable domain of the popularity ranking
// (or its "www." name). Unlike the other rules it yields to consensus: two
// independent feeds, or a reviewed submission, block it.
const RuleRanked = "ranked"

// DefaultRankingSize is how many top names of the ranking are guarded.
const DefaultRankingSize = 10000

// DefaultConsensus is how many independent feeds must list a ranked name
// before it is blocked whole.
const DefaultConsensus = 2

// trancoSnapshot is the top 10,000 of a Tranco list (late 2025; see
// ../shared/data/popularity/SOURCES.md), embedded so that a first start
// without network is guarded too. A fetched ranking replaces it.
//
//go:embed tranco-top10k.csv
var trancoSnapshot string

// Ranking is a popularity ranking: name → rank (1 = most popular). It is
// immutable once built.
type Ranking struct {
	rank   map[string]int
	Source string // where it came from: "embedded Tranco snapshot", a URL or path
}

// Len is the number of ranked names.
func (r *Ranking) Len() int {
	if r == nil {
		return 0
	}
	return len(r.rank)
}

// Rank returns name's rank, or 0 when it is not ranked.
func (r *Ranking) Rank(name string) int {
	if r == nil {
		return 0
	}
	return r.rank[name]
}

// ParseRanking reads a ranking: "rank,domain" lines as Tranco and Cisco
// Umbrella publish them (CRLF or LF, no header), or one domain a line in
// rank order. It keeps the top size names (size ≤ 0: all). Lines that are
// not a rank and a host name are skipped and counted in skipped; a file
// without a single ranked name is an error.
func ParseRanking(r io.Reader, size int, source string) (rk *Ranking, skipped int, err error) {
	rk = &Ranking{rank: map[string]int{}, Source: source}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		n++
		name := line
		rank := n
		if a, b, ok := strings.Cut(line, ","); ok {
			v, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil || v < 1 {
				skipped++
				continue
			}
			rank, name = v, strings.TrimSpace(b)
		}
		h, err := NormalizeHost(name)
		if err != nil {
			skipped++
			continue
		}
		if size > 0 && rank > size {
			continue
		}
		if _, dup := rk.rank[h]; !dup {
			rk.rank[h] = rank
		}
	}
	if err := sc.Err(); err != nil {
		return nil, skipped, fmt.Errorf("ranking %s: %w", source, err)
	}
	if len(rk.rank) == 0 {
		return nil, skipped, fmt.Errorf("ranking %s: no \"rank,domain\" line (%d lines skipped)", source, skipped)
	}
	return rk, skipped, nil
}

var embeddedRanking = sync.OnceValue(func() *Ranking {
	r, _, err := ParseRanking(strings.NewReader(trancoSnapshot), 0, "embedded Tranco snapshot (top 10,000, late 2025)")
	if err != nil {
		panic(err) // the embedded file is part of the build; a test reads it
	}
	return r
})

// EmbeddedRanking returns the embedded Tranco snapshot, cut to size names
// (size ≤ 0 or over 10,000: all of it).
func EmbeddedRanking(size int) *Ranking {
	full := embeddedRanking()
	if size <= 0 || size >= full.Len() {
		return full
	}
	cut := &Ranking{rank: make(map[string]int, size), Source: full.Source}
	for n, r := range full.rank {
		if r <= size {
			cut.rank[n] = r
		}
	}
	return cut
}

// RankingFromSet reads a ranking kept as a Set: every domain entry is a
// ranked name, its Line its rank (how the feeds package keeps a fetched
// ranking, so that it is cached, refreshed and reported like any feed).
// The first entry of a name decides its rank; nil when s has none.
func RankingFromSet(s *Set, source string) *Ranking {
	if s == nil || s.Len() == 0 {
		return nil
	}
	rk := &Ranking{rank: make(map[string]int, s.Len()), Source: source}
	s.Entries(func(e Entry) bool {
		if e.Kind == KindDomain && e.Line > 0 {
			if _, dup := rk.rank[e.Value]; !dup {
				rk.rank[strings.Clone(e.Value)] = e.Line // the Set may be a snapshot's mapping
			}
		}
		return true
	})
	if len(rk.rank) == 0 {
		return nil
	}
	return rk
}
