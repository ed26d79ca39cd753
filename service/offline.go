package service

import (
	"context"
	"log/slog"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
)

// LoadOffline loads cfg's lists without a server or network, for `check`
// and `feeds`: cfg says which, blocklist.LoadOffline loads them.
func LoadOffline(ctx context.Context, cfg *config.Config, log *slog.Logger) (*blocklist.Offline, error) {
	feedList, err := feeds.Resolve(cfg.Feeds, cfg.UsesDefaultFeeds())
	if err != nil {
		return nil, err
	}
	guard, err := guardOf(cfg.Guard)
	if err != nil {
		return nil, err
	}
	return blocklist.LoadOffline(ctx, blocklist.OfflineOptions{
		Guard:     guard,
		Consensus: cfg.Guard.Consensus,
		DataDir:   cfg.Server.DataDir,
		Feeds:     feedList,
		Allow:     cfg.Server.Allow,
		MaxBytes:  int64(cfg.Server.FeedMaxSize),
		Logger:    log,
	})
}
