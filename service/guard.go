package service

import (
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
)

// guardOf builds the guard cfg's guard section asks for before any
// ranking was fetched: the embedded popular and platform lists and the
// embedded Tranco snapshot cut to guard.ranking_size names (none with 0).
// The fetched ranking replaces the snapshot (rankedGuard) once the
// ranking feed has a good copy.
func guardOf(g config.Guard) *lists.Guard {
	base := lists.DefaultGuard()
	if g.RankingSize <= 0 {
		return base.WithRanking(nil)
	}
	return base.WithRanking(lists.EmbeddedRanking(g.RankingSize))
}

// rankedGuard is g guarding r, the ranking feed's last good copy; g itself
// (the embedded snapshot) while there is none, or when no ranking is
// guarded at all.
func rankedGuard(g *lists.Guard, r *lists.Ranking) *lists.Guard {
	if r == nil || g.Ranking() == nil {
		return g
	}
	return g.WithRanking(r)
}

// feedsOf is the feeds cfg runs: the configured and built-in blocklists,
// and the ranking feed (guard.ranking) unless no ranking is guarded or
// only the embedded snapshot is asked for.
func feedsOf(cfg *config.Config) ([]feeds.Feed, error) {
	list, err := feeds.Resolve(cfg.Feeds, cfg.UsesDefaultFeeds())
	if err != nil {
		return nil, err
	}
	if g := cfg.Guard; g.Ranking != "" && g.RankingSize > 0 {
		list = append(list, feeds.RankingFeed(g.Ranking, g.RankingSize, time.Duration(g.RankingInterval)))
	}
	return list, nil
}
