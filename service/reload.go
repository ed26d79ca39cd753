package service

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/scamblock/scamblock/config"
)

// reload applies a new configuration (SIGHUP): allow names, block policy and
// feeds, then re-fetches every feed now, in the background. Listeners and
// upstreams stay; a change to them needs a restart.
func (s *system) reload(ctx context.Context, g *errgroup.Group, load func() (*config.Config, error)) {
	s.log.Info("SIGHUP: reloading configuration and re-fetching feeds")
	s.reloadCertificate()
	if load != nil {
		cfg, err := load()
		if err == nil {
			err = s.apply(cfg)
		}
		if err != nil {
			s.log.Error("reload: configuration not applied; the running one stays", "err", err)
		}
	}
	g.Go(func() error {
		if err := s.feeds.RefreshAll(ctx); err != nil {
			s.log.Warn("reload: some feeds failed to refresh; their last good copy stays in use", "err", err)
		}
		return nil
	})
}

func (s *system) apply(cfg *config.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	policy, err := policyOf(cfg.Server)
	if err != nil {
		return err
	}
	feedList, err := feedsOf(cfg) // the ranking feed too
	if err != nil {
		return err
	}
	if err := s.feeds.SetFeeds(feedList); err != nil {
		return fmt.Errorf("feeds: %w", err)
	}
	if err := s.dns.SetPolicy(policy); err != nil {
		return err
	}
	s.lists.SetAllow(cfg.Server.Allow)
	return nil
}
