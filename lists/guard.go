package lists

import (
	_ "embed"
	"strings"
	"sync"
)

// Guard rules: the reasons a Block entry is not applied.
const (
	// RulePublicSuffix: the name is a public suffix (ICANN or private
	// section of the Public Suffix List): com, co.uk, github.io, pages.dev.
	RulePublicSuffix = "public-suffix"
	// RulePlatform: the name is a hosting platform, link shortener or other
	// service whose users publish content under it (sites.google.com, t.me).
	RulePlatform = "platform"
	// RulePopular: the name is pinned (popular.txt: infrastructure and
	// legitimate sites that feeds were seen to list by mistake), or its
	// "www." name. No consensus of feeds unpins it.
	RulePopular = "popular"
)

//go:embed popular.txt
var popularText string

//go:embed platforms.txt
var platformsText string

// Guard refuses Block entries whose name is a public suffix, a hosting
// platform or a popular site: no single feed line may take down a site that
// millions use. It guards the name itself, not the names under it:
// evil.github.io and phish.sites.google.com stay blockable.
//
// A Guard is immutable and safe for concurrent use.
type Guard struct {
	platforms map[string]struct{}
	popular   map[string]struct{}
	ranking   *Ranking // RuleRanked; nil guards no ranked names
	// sites is every platform, popular and ranked name with its rule (the
	// first that applies), built at first use: checkSites reads one map,
	// not three, for each of a million names a compile checks.
	sites func() *siteIndex
}

// siteIndex is the guarded names with their rule ids, and a bitmap of
// their quick hashes that answers first: most names of a list are in no
// guard list, and their bit is clear (one map read a name was 4-5 % of a
// cold load's CPU).
type siteIndex struct {
	rules map[string]uint8
	bits  quickBits
}

// siteBits is log2 of the bitmap's bits: 2^18 (32 KiB) for the ~11,000
// names of the default guard.
const siteBits = 18

// rule returns name's rule id (siteRuleNone when it is not guarded).
func (x *siteIndex) rule(name string) uint8 {
	if !x.bits.mayHave(name) {
		return siteRuleNone
	}
	return x.rules[name]
}

// withSites gives g its own lazily built site index.
func (g *Guard) withSites() *Guard {
	g.sites = sync.OnceValue(g.buildSites)
	return g
}

// buildSites indexes the guarded names: rule ids, the lowest (first
// checked) rule kept for a name in several lists.
func (g *Guard) buildSites() *siteIndex {
	sites := make(map[string]uint8, len(g.platforms)+len(g.popular)+g.ranking.Len())
	add := func(name string, rule uint8) {
		if old, ok := sites[name]; !ok || rule < old {
			sites[name] = rule
		}
	}
	for n := range g.platforms {
		add(n, siteRulePlatform)
	}
	for n := range g.popular {
		add(n, siteRulePopular)
	}
	if g.ranking != nil && g.rankingIndexed() {
		for n, rank := range g.ranking.rank {
			if rank > 0 {
				add(n, siteRuleRanked)
			}
		}
	}
	x := &siteIndex{rules: sites, bits: newQuickBits(siteBits)}
	for n := range sites {
		x.bits.add(n)
	}
	return x
}

// rankingIndexed says whether the site index holds the ranked names too;
// a ranking of more than maxIndexedRanking names (a whole top-1m list) is
// read on its own rather than copied.
func (g *Guard) rankingIndexed() bool { return g.ranking.Len() <= maxIndexedRanking }

const maxIndexedRanking = 1 << 17

// Site rule ids, in the order checkSites applies the rules.
const (
	siteRuleNone uint8 = iota
	siteRulePlatform
	siteRulePopular
	siteRuleRanked
)

var siteRuleNames = [...]string{"", RulePlatform, RulePopular, RuleRanked}

// defaultGuard parses the embedded lists once; the result is never mutated.
var defaultGuard = sync.OnceValue(func() *Guard {
	return NewGuard(ParseNameList(popularText), ParseNameList(platformsText)).WithRanking(EmbeddedRanking(DefaultRankingSize))
})

// DefaultGuard returns the guard built from the project's embedded popular
// and platform lists (popular.txt, platforms.txt), the embedded Tranco
// snapshot (ranked names, RuleRanked) and the Public Suffix List compiled
// into golang.org/x/net/publicsuffix.
func DefaultGuard() *Guard { return defaultGuard() }

// Prepare builds g's index of platform, popular and ranked names now
// (~4 ms) instead of in the first Compile that asks it: serve calls it on
// a goroutine of its own while the first feed is read.
func (g *Guard) Prepare() {
	if g != nil && g.sites != nil {
		g.sites()
	}
}

// PrepareTables builds the package's tables from its embedded lists now
// (the default guard's popular, platform and Tranco names, ~11 ms; the
// public-suffix filter, ~4 ms) instead of when a cold load first needs
// them: serve calls it on a goroutine of its own while its store opens.
// Calling it again, or not at all, changes nothing but when the work is
// done.
func PrepareTables() {
	DefaultGuard()
	pslCandidates()
}

// NewGuard builds a guard from lower-case names. The public-suffix rule is
// always on.
func NewGuard(popular, platforms []string) *Guard {
	g := &Guard{
		platforms: make(map[string]struct{}, len(platforms)),
		popular:   make(map[string]struct{}, len(popular)),
	}
	for _, n := range platforms {
		g.platforms[n] = struct{}{}
	}
	for _, n := range popular {
		g.popular[n] = struct{}{}
	}
	return g.withSites()
}

// WithRanking returns a copy of g whose ranked names are r's (nil: none).
func (g *Guard) WithRanking(r *Ranking) *Guard {
	n := *g
	n.ranking = r
	return n.withSites()
}

// Ranking returns the ranking g guards (nil when none).
func (g *Guard) Ranking() *Ranking {
	if g == nil {
		return nil
	}
	return g.ranking
}

// RankedBase returns the ranked name that name is, or is the "www." name
// of, with its rank. Names under a ranked name are not ranked.
func (g *Guard) RankedBase(name string) (base string, rank int) {
	if g == nil || g.ranking == nil {
		return "", 0
	}
	if r := g.ranking.Rank(name); r > 0 {
		return name, r
	}
	if rest, ok := strings.CutPrefix(name, "www."); ok {
		if r := g.ranking.Rank(rest); r > 0 {
			return rest, r
		}
	}
	return "", 0
}

// With returns a copy of g that also guards the given popular names.
func (g *Guard) With(popular ...string) *Guard {
	n := &Guard{
		ranking:   g.ranking,
		platforms: g.platforms,
		popular:   make(map[string]struct{}, len(g.popular)+len(popular)),
	}
	for k := range g.popular {
		n.popular[k] = struct{}{}
	}
	for _, k := range popular {
		n.popular[strings.ToLower(strings.TrimSuffix(k, "."))] = struct{}{}
	}
	return n.withSites()
}

// ParseNameList reads one name a line; blank lines and "#" comments
// (whole-line or trailing) are skipped, names are lower-cased.
func ParseNameList(text string) []string {
	var out []string
	for line := range strings.Lines(text) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(line), "."))
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Check reports whether a Block entry for name must not be applied, and
// by which rule. name is a normalized host name (lower case, no trailing
// dot). Names under a guarded name are not guarded.
func (g *Guard) Check(name string) (rule string, guarded bool) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return RulePublicSuffix, true
	}
	if isPublicSuffixName(name) {
		return RulePublicSuffix, true
	}
	return g.checkSites(name)
}

// checkSites is Check without the public-suffix rule (for names that are
// known not to be public suffixes, on the query path). It does not allocate.
func (g *Guard) checkSites(name string) (rule string, guarded bool) {
	if g == nil {
		return "", false
	}
	if g.sites != nil {
		r := g.siteRule(name)
		return siteRuleNames[r], r != siteRuleNone
	}
	if g.isPlatform(name) {
		return RulePlatform, true
	}
	if g.isPopular(name) {
		return RulePopular, true
	}
	if _, r := g.RankedBase(name); r > 0 {
		return RuleRanked, true
	}
	return "", false
}

// siteRule is checkSites as a rule id, from the site index: a name is
// guarded by a rule if it or, for a "www." name, the name without "www."
// is in that rule's list; the first rule that applies wins.
func (g *Guard) siteRule(name string) uint8 {
	sites, ranked := g.sites(), !g.rankingIndexed()
	lookup := func(n string) uint8 {
		if r := sites.rule(n); r != siteRuleNone {
			return r
		}
		if ranked && g.ranking.Rank(n) > 0 {
			return siteRuleRanked
		}
		return siteRuleNone
	}
	r := lookup(name)
	if rest, www := strings.CutPrefix(name, "www."); www {
		if r2 := lookup(rest); r2 != siteRuleNone && (r == siteRuleNone || r2 < r) {
			r = r2
		}
	}
	return r
}

func (g *Guard) isPlatform(name string) bool {
	if _, ok := g.platforms[name]; ok {
		return true
	}
	if rest, ok := strings.CutPrefix(name, "www."); ok {
		_, ok := g.platforms[rest]
		return ok
	}
	return false
}

func (g *Guard) isPopular(name string) bool {
	if _, ok := g.popular[name]; ok {
		return true
	}
	if rest, ok := strings.CutPrefix(name, "www."); ok {
		_, ok := g.popular[rest]
		return ok
	}
	return false
}

// Len returns the number of platform and popular names guarded.
func (g *Guard) Len() (platforms, popular int) {
	if g == nil {
		return 0, 0
	}
	return len(g.platforms), len(g.popular)
}
