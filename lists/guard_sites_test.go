package lists

import "testing"

// checkSitesByLists is checkSites as three separate list reads (the rule
// the site index must reproduce).
func checkSitesByLists(g *Guard, name string) (string, bool) {
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

func TestSiteIndexMatchesLists(t *testing.T) {
	rk := &Ranking{rank: map[string]int{"both.com": 1, "www.ranked.com": 2, "ranked.com": 3, "plat.com": 4, "zero.com": 0}}
	small := NewGuard([]string{"both.com", "pop.com", "www.pop2.com"}, []string{"plat.com", "www.both.com"}).WithRanking(rk)
	names := []string{"both.com", "www.both.com", "pop.com", "www.pop.com", "pop2.com", "www.pop2.com", "plat.com", "www.plat.com",
		"ranked.com", "www.ranked.com", "www.www.ranked.com", "zero.com", "www.zero.com", "other.com", "www.", "www.com", ""}
	def := DefaultGuard()
	for n := range def.popular {
		names = append(names, n, "www."+n)
	}
	for n := range def.platforms {
		names = append(names, n, "www."+n)
	}
	for n := range def.ranking.rank {
		names = append(names, n, "www."+n, "x."+n)
	}
	big := &Ranking{rank: map[string]int{}}
	for i := range maxIndexedRanking + 1 {
		big.rank[syntheticName(i)] = i + 1
	}
	big.rank["pop.com"] = 7
	for _, g := range []*Guard{small, def, small.With("ranked.com"), def.WithRanking(nil), small.WithRanking(big)} {
		for _, n := range append(names, syntheticName(5), "www."+syntheticName(5)) {
			gr, gok := g.checkSites(n)
			wr, wok := checkSitesByLists(g, n)
			if gr != wr || gok != wok {
				t.Fatalf("checkSites(%q) = %q %v, the lists say %q %v", n, gr, gok, wr, wok)
			}
		}
	}
}
