package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/rpz/follow"
)

// LoadOffline loads cfg's lists without a server or network, for `check`
// and `feeds`: cfg says which, blocklist.LoadOffline loads them, with the
// saved copy of the followed zone when cfg follows one.
func LoadOffline(ctx context.Context, cfg *config.Config, log *slog.Logger) (*blocklist.Offline, error) {
	feedList, err := feedsOf(cfg)
	if err != nil {
		return nil, err
	}
	guard := guardOf(cfg.Guard)
	var followed *lists.Set
	var note string
	if f := cfg.Server.Follow; f.Primary != "" {
		followed, err = follow.ReadSaved(filepath.Join(cfg.Server.DataDir, "follow"), f.Zone)
		switch {
		case errors.Is(err, os.ErrNotExist):
			note = fmt.Sprintf("the followed zone %s has no saved copy yet: the server has not transferred it", f.Zone)
		case err != nil:
			note = fmt.Sprintf("the saved copy of the followed zone %s is not used: %v", f.Zone, err)
		}
	}
	off, err := blocklist.LoadOffline(ctx, blocklist.OfflineOptions{
		Followed:   followed,
		Guard:      guard,
		Consensus:  cfg.Guard.Consensus,
		DataDir:    cfg.Server.DataDir,
		Feeds:      feedList,
		Allow:      cfg.Server.Allow,
		MaxBytes:   int64(cfg.Server.FeedMaxSize),
		StaleAfter: time.Duration(cfg.Server.FeedStale),
		Logger:     log,
	})
	if err == nil && note != "" {
		off.Notes = append(off.Notes, note)
	}
	return off, err
}
