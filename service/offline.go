package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// Offline is the configured lists loaded without a server or network: the
// last good copies in the data directory, local feed files and published
// submissions. `scamblock check` and `scamblock feeds` read it.
type Offline struct {
	Lists *Blocklists
	Feeds []feeds.Status
	// Notes say what could not be loaded and why (e.g. a feed never
	// fetched yet, the store held by a running server).
	Notes []string
	// StoreInUse is true when a running server holds the researcher
	// store: its published submissions are then only known to it.
	StoreInUse bool
}

// LoadOffline loads cfg's lists without fetching anything.
func LoadOffline(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Offline, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bl, err := NewBlocklists(cfg.Server.Allow, nil, log)
	if err != nil {
		return nil, err
	}
	off := &Offline{Lists: bl}

	var sets []*lists.Set
	mgr, err := feeds.NewManager(cfg.ResolveFeeds(), feeds.ManagerOptions{
		DataDir:  cfg.Server.DataDir,
		Logger:   log,
		OnChange: func(s []*lists.Set) { sets = s },
	})
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	if err := mgr.LoadCached(ctx); err != nil {
		off.Notes = append(off.Notes, fmt.Sprintf("some feeds are not loaded: %v", err))
	}
	if sets == nil {
		sets = mgr.Sets()
	}
	bl.SetFeeds(sets, mgr.SourceOptions())
	off.Feeds = mgr.Status()
	bl.RecordSources(off.Feeds)

	if _, err := os.Stat(filepath.Join(cfg.Server.DataDir, store.FileName)); err != nil {
		return off, nil // no researcher store yet: nothing published
	}
	db, err := store.Open(cfg.Server.DataDir, store.Options{})
	switch {
	case errors.Is(err, store.ErrInUse):
		off.StoreInUse = true // the caller may ask the running server instead
	case err != nil:
		return nil, fmt.Errorf("open the researcher store: %w", err)
	default:
		pub, perr := db.Published()
		db.Close()
		if perr != nil {
			return nil, perr
		}
		bl.SetPublished(pub)
	}
	return off, nil
}
