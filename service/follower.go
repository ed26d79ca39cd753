package service

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/rpz"
	"github.com/scamblock/scamblock/rpz/follow"
)

// newFollower builds the follower of a primary's RPZ zone (--follow): the
// secondary side of zone transfer. Each version of the zone becomes one
// source of the blocklist (bl.SetFollowed), compiled with the local feeds
// and swapped in without stalling a query; the last version is kept in
// DATA_DIR/follow and served after a restart while the primary is down.
// The resolver hands it the NOTIFYs arriving on the DNS port.
func newFollower(c config.Follow, dataDir string, bl *blocklist.Blocklist, reg prometheus.Registerer, log *slog.Logger) (*follow.Follower, error) {
	cfg := follow.Config{
		Primary:  c.Primary,
		Zone:     c.Zone,
		Dir:      filepath.Join(dataDir, "follow"),
		OnChange: bl.SetFollowed,
		Logger:   log,
	}
	if c.TSIGName != "" {
		cfg.TSIG = &rpz.TSIGKey{Name: c.TSIGName, Secret: c.TSIGSecret, Algorithm: c.TSIGAlgorithm}
	}
	f, err := follow.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := reg.Register(f.Collector()); err != nil {
		return nil, err
	}
	f.LoadSaved() // before the DNS port opens: a restart blocks from its first query
	return f, nil
}

// runFollower follows the primary until ctx ends.
func (s *system) runFollower(ctx context.Context) error { return s.follower.Run(ctx) }
