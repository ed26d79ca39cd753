package blocklist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// OfflineOptions say which lists LoadOffline loads.
type OfflineOptions struct {
	DataDir string       // the server's data directory (--data-dir)
	Feeds   []feeds.Feed // the configured feeds
	Allow   []string     // --allow names
	// MaxBytes is the size limit of feeds that set none; 0 = the default.
	MaxBytes int64
	// StaleAfter is the staleness expectation of feeds that set none
	// (--feed-stale-after); 0 = none.
	StaleAfter time.Duration
	Logger     *slog.Logger // nil discards
	// Guard and Consensus as the server uses them (nil, 0: the defaults).
	Guard     *lists.Guard
	Consensus int
	// Followed is the saved copy of the followed RPZ zone (--follow), or
	// nil: compiled with the feeds as the server compiles it.
	Followed *lists.Set
}

// Offline is the configured lists loaded without a server or network: the
// last good copies in the data directory, local feed files and published
// submissions. `scamblock check` and `scamblock feeds` read it.
type Offline struct {
	Lists *Blocklist
	Feeds []feeds.Status
	// Notes say what could not be loaded and why (e.g. a feed never
	// fetched yet, the store held by a running server).
	Notes []string
	// StoreInUse is true when a running server holds the researcher
	// store: its published submissions are then only known to it.
	StoreInUse bool
	// Entries counts what was loaded: feed entries and published
	// submissions. 0 means every verdict is "not listed" for want of a list.
	Entries int
}

// LoadOffline loads the lists o describes without fetching anything.
func LoadOffline(ctx context.Context, o OfflineOptions) (*Offline, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bl, err := New(o.Allow, o.Guard, log)
	if err != nil {
		return nil, err
	}
	bl.consensus = o.Consensus
	bl.followed = o.Followed // compiled by SetFeeds below
	off := &Offline{Lists: bl}
	if o.Followed != nil {
		off.Entries += o.Followed.Len()
	}

	var sets []*lists.Set
	updater, err := feeds.NewUpdater(o.Feeds, feeds.UpdaterOptions{
		DataDir:    o.DataDir,
		MaxBytes:   o.MaxBytes,
		StaleAfter: o.StaleAfter,
		Logger:     log,
		OnChange:   func(s []*lists.Set) { sets = s },
	})
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	if err := updater.LoadCached(ctx); err != nil {
		off.Notes = append(off.Notes, fmt.Sprintf("some feeds are not loaded: %v", err))
	}
	if sets == nil {
		sets = updater.Sets()
	}
	if r := updater.Ranking(); r != nil && o.Guard != nil && o.Guard.Ranking() != nil {
		bl.guard = o.Guard.WithRanking(r) // the ranking feed's last good copy, as the server guards
	}
	bl.SetFeeds(sets, updater.SourceOptions())
	off.Feeds = updater.Status()
	for _, st := range off.Feeds {
		if st.Format != feeds.FormatRanking { // a ranking guards names, it lists none
			off.Entries += st.Entries
		}
	}
	bl.RecordSources(off.Feeds)
	if err := off.loadPublished(o.DataDir); err != nil {
		return nil, err
	}
	return off, nil
}

// loadPublished adds the researcher store's published submissions, unless
// there is no store yet or a running server holds it.
func (off *Offline) loadPublished(dataDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); err != nil {
		return nil // no researcher store yet: nothing published
	}
	db, err := store.Open(dataDir, store.Options{})
	switch {
	case errors.Is(err, store.ErrInUse):
		off.StoreInUse = true // the caller may ask the running server instead
		return nil
	case err != nil:
		return fmt.Errorf("open the researcher store: %w", err)
	}
	pub, err := db.Published()
	db.Close()
	if err != nil {
		return err
	}
	off.Lists.SetPublished(pub)
	off.Entries += len(pub)
	return nil
}
