package service

import (
	"fmt"
	"os"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/lists"
)

// guardOf builds the guard cfg's guard section asks for: the embedded
// popular and platform lists, and the ranking (the embedded Tranco
// snapshot, or guard.ranking's file) cut to guard.ranking_size names.
func guardOf(g config.Guard) (*lists.Guard, error) {
	base := lists.DefaultGuard()
	if g.RankingSize <= 0 {
		return base.WithRanking(nil), nil
	}
	if g.Ranking == "" {
		return base.WithRanking(lists.EmbeddedRanking(g.RankingSize)), nil
	}
	f, err := os.Open(g.Ranking)
	if err != nil {
		return nil, fmt.Errorf("guard.ranking: %w", err)
	}
	defer f.Close()
	r, _, err := lists.ParseRanking(f, g.RankingSize, g.Ranking)
	if err != nil {
		return nil, fmt.Errorf("guard.ranking: %w", err)
	}
	return base.WithRanking(r), nil
}
