package feeds

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// UpdaterOptions configure an Updater.
type UpdaterOptions struct {
	// DataDir is the state directory; last good copies go to DataDir/feeds.
	// Empty means no disk cache (tests, one-shot commands).
	DataDir string
	// Fetcher downloads; nil means NewFetcher(Logger).
	Fetcher *Fetcher
	Logger  *slog.Logger
	// OnChange receives the current sets, in feed order, after feeds
	// changed. Calls are debounced and never overlap.
	OnChange func(sets []*lists.Set)
	// Debounce is the window in which changes are gathered into one
	// OnChange call. Zero means 200 ms.
	Debounce time.Duration
	// MaxBytes is the size limit of feeds that set none (Feed.MaxBytes);
	// zero means DefaultMaxBytes.
	MaxBytes int64
	// RetryAfterFailure is the wait before a feed whose refresh failed is
	// tried again; it doubles with each failure in a row, up to the feed's
	// interval. Zero means one minute.
	RetryAfterFailure time.Duration
	// StaleAfter is the staleness expectation of http(s) feeds that set
	// none (Feed.StaleAfter): content unchanged for longer makes the feed
	// stale. Zero or negative: no expectation.
	StaleAfter time.Duration
}

// Updater holds the feeds, refreshes each on its own timer and keeps the
// last good Set of each. All methods are safe for concurrent use.
type Updater struct {
	opts  UpdaterOptions
	log   *slog.Logger
	fetch *Fetcher
	cache *cache // nil without a data dir

	mu      sync.Mutex
	feeds   []*feedState
	runCtx  context.Context // non-nil while Run runs
	loops   sync.WaitGroup
	pending *time.Timer // debounced OnChange
	// dirty: the sets changed since OnChange last got them. stale: the
	// body bytes of the Sets replaced since then, which the matcher that
	// OnChange built from them still holds (see flushDue).
	dirty bool
	stale int64
	// slot lets one parse or one OnChange run at a time: fetches overlap,
	// parses and compiles do not, so a reload of every feed does not stack
	// a parser's garbage on top of a compile's new matcher, nor compiles
	// on each other (see README.md, "Numbers").
	slot chan struct{}

	rankMemo rankMemo // Ranking's last answer, by the Set it was read from; guarded by mu
}

type feedState struct {
	feed      Feed
	refreshMu sync.Mutex    // one refresh of this feed at a time
	kick      chan struct{} // wakes the feed's loop after an out-of-band refresh
	stop      context.CancelFunc

	// Guarded by Updater.mu.
	set         *lists.Set
	meta        cacheMeta // describes set; zero without one
	lastAttempt time.Time
	nextFetch   time.Time // zero: due now if never tried, else only on RefreshAll
	lastErr     string
	usingCache  bool
	failures    int
	// keptSHA256 is the content hash of the Set in use when SetFeeds
	// cleared meta.SHA256 to force a re-parse: the same bytes then are no
	// change of content (changed_at and the stale streak are kept).
	keptSHA256 string
	seed       *seed // offered by Seed for the next LoadCached
}

// NewUpdater checks the feeds and returns an Updater for them. It does no I/O.
func NewUpdater(feeds []Feed, opts UpdaterOptions) (*Updater, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 200 * time.Millisecond
	}
	if opts.RetryAfterFailure <= 0 {
		opts.RetryAfterFailure = time.Minute
	}
	m := &Updater{opts: opts, log: opts.Logger, fetch: opts.Fetcher, slot: make(chan struct{}, 1)}
	if m.fetch == nil {
		m.fetch = NewFetcher(opts.Logger)
	}
	if opts.DataDir != "" {
		m.cache = &cache{dir: filepath.Join(opts.DataDir, "feeds")}
	}
	states, err := newStates(feeds, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	m.feeds = states
	return m, nil
}

func newStates(feeds []Feed, maxBytes int64) ([]*feedState, error) {
	seen := make(map[string]bool, len(feeds))
	var errs []error
	states := make([]*feedState, 0, len(feeds))
	for _, f := range feeds {
		if err := f.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if f.MaxBytes == 0 {
			f.MaxBytes = maxBytes // the updater's default; WithDefaults fills in the built-in one
		}
		f = f.WithDefaults()
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("feed %q is configured twice: give one of them another name", f.Name))
			continue
		}
		seen[f.Name] = true
		states = append(states, &feedState{feed: f, kick: make(chan struct{}, 1)})
	}
	return states, errors.Join(errs...)
}

// Feeds returns the configured feeds, defaults filled in.
func (m *Updater) Feeds() []Feed {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Feed, len(m.feeds))
	for i, fs := range m.feeds {
		out[i] = fs.feed
	}
	return out
}

// Sets returns the last good Set of every enabled feed that has one, in
// feed order. A ranking feed's Set is not one of them (see Ranking).
func (m *Updater) Sets() []*lists.Set {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setsLocked()
}

func (m *Updater) setsLocked() []*lists.Set {
	var out []*lists.Set
	for _, fs := range m.feeds {
		if fs.feed.Enabled && fs.set != nil && !fs.feed.IsRanking() {
			out = append(out, fs.set)
		}
	}
	return out
}

// Adopt replaces Sets the Updater holds by equal ones (old → new): the
// same Sets read back from the lists' snapshot file, so that the parsed
// copies can be freed. Nothing changed, so OnChange is not called.
func (m *Updater) Adopt(repl map[*lists.Set]*lists.Set) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fs := range m.feeds {
		if n, ok := repl[fs.set]; ok && n != nil && n.Source() == fs.set.Source() && n.Len() == fs.set.Len() {
			fs.set = n
		}
	}
}

// SourceOptions returns the compile options of every feed by name, for
// lists.CompileOptions.Sources.
func (m *Updater) SourceOptions() map[string]lists.SourceOptions {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]lists.SourceOptions, len(m.feeds))
	for _, fs := range m.feeds {
		if fs.feed.IsRanking() {
			continue
		}
		out[fs.feed.DisplayName()] = lists.SourceOptions{URLBlocksHost: fs.feed.Options.URLBlocksHost, Trusted: fs.feed.Trusted, Publisher: fs.feed.Publisher()}
	}
	return out
}

// LoadCached installs the last good copy of every enabled remote feed from
// the data directory, and reads enabled local files, so that blocking works
// before (and without) any network fetch. It calls OnChange once, at the
// end, if anything was loaded. Feeds without a usable copy are skipped; the
// returned error joins what went wrong with each.
func (m *Updater) LoadCached(ctx context.Context) error {
	var errs []error
	loaded := 0
	m.removeStaleTemps()
	for _, fs := range m.snapshot() {
		if !fs.feed.Enabled {
			continue
		}
		m.restoreFailure(fs)
		var err error
		if fs.feed.IsRemote() {
			err = m.loadCached(ctx, fs)
		} else {
			err = m.refresh(ctx, fs, false)
		}
		switch {
		case err == nil:
			loaded++
		case errors.Is(err, os.ErrNotExist) && fs.feed.IsRemote():
			m.log.Info("feed has no cached copy yet", slog.String("feed", fs.feed.Name))
		default:
			errs = append(errs, err)
		}
	}
	m.dropSeeds()
	if loaded > 0 {
		m.mu.Lock()
		m.dirty = true
		m.mu.Unlock()
		m.emit()
	}
	return errors.Join(errs...)
}

// removeStaleTemps deletes downloads and metadata writes that a crash left
// half done in the cache directory (an hour old or more, so that a second
// process on the same directory is not disturbed).
// restoreFailure shows the last failure recorded in the data directory
// until the next attempt.
func (m *Updater) restoreFailure(fs *feedState) {
	if m.cache == nil || !fs.feed.IsRemote() {
		return
	}
	rec, ok := m.cache.loadFailure(fs.feed.Name)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fs.lastErr, fs.lastAttempt = rec.Error, rec.At
}

func (m *Updater) removeStaleTemps() {
	if m.cache == nil {
		return
	}
	for _, pattern := range []string{".fetch-*", ".tmp-*"} {
		matches, _ := filepath.Glob(filepath.Join(m.cache.dir, pattern))
		for _, p := range matches {
			if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
		}
	}
}

func (m *Updater) loadCached(ctx context.Context, fs *feedState) error {
	if m.cache == nil {
		return fmt.Errorf("feed %q: %w (no data directory)", fs.feed.Name, os.ErrNotExist)
	}
	fs.refreshMu.Lock()
	defer fs.refreshMu.Unlock()
	f := fs.feed
	meta, err := m.cache.load(f.Name)
	if err != nil {
		return fmt.Errorf("feed %q: %w", f.Name, err)
	}
	pf := f
	if pf.Format == "" {
		pf.Format = meta.Format
	}
	start := time.Now()
	set, seeded, ok := m.takeSeed(fs, meta.SHA256)
	if ok && meta.URL == f.URL { // unchanged since the snapshot: its Set, no parse
		meta.Report, meta.Format, meta.Entries = seeded.Report, seeded.Format, set.Len()
	} else {
		var rep parse.Report
		var format parse.Format
		set, rep, format, err = m.parse(ctx, pf, m.cache.bodyPath(f.Name), 0, 0) // start-up: one compile at the end
		if err != nil {
			return fmt.Errorf("feed %q: cached copy: %w", f.Name, err)
		}
		meta.Report, meta.Format, meta.Entries = rep, format, set.Len()
	}
	if meta.URL != f.URL { // the config now names another URL: fetch afresh
		meta.ETag, meta.LastModified = "", ""
	}
	m.mu.Lock()
	fs.set, fs.meta, fs.usingCache = set, meta, true
	fs.nextFetch = meta.FetchedAt.Add(f.Interval)
	if meta.URL != f.URL || fs.nextFetch.Before(start) {
		fs.nextFetch = start
	}
	m.mu.Unlock()
	m.log.Info("feed loaded from cache", slog.String("feed", f.Name), slog.Int("entries", set.Len()),
		slog.Time("fetched_at", meta.FetchedAt), slog.Duration("took", time.Since(start)))
	m.warnIfStale(fs, start)
	return nil
}

// Run refreshes every enabled feed on its own timer until ctx ends: each
// feed is fetched when due (at once when it has no fresh cached copy), then
// every Interval. A feed's slow fetch or failure affects no other feed.
func (m *Updater) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.runCtx != nil {
		m.mu.Unlock()
		return errors.New("feeds: Updater.Run is already running")
	}
	m.runCtx = ctx
	for _, fs := range m.feeds {
		m.startLocked(fs)
	}
	m.mu.Unlock()

	<-ctx.Done()
	m.loops.Wait()
	m.mu.Lock()
	m.runCtx = nil
	if m.pending != nil {
		m.pending.Stop()
		m.pending = nil
	}
	m.mu.Unlock()
	return nil
}

// startLocked starts fs's loop if Run is running and the feed is enabled.
func (m *Updater) startLocked(fs *feedState) {
	if m.runCtx == nil || !fs.feed.Enabled || fs.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(m.runCtx)
	fs.stop = cancel
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		m.loop(ctx, fs)
	}()
}

func (m *Updater) loop(ctx context.Context, fs *feedState) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		m.mu.Lock()
		wait, scheduled := fs.dueIn(time.Now())
		m.mu.Unlock()
		if scheduled && wait <= 0 {
			m.refresh(ctx, fs, true) // logged and kept in status
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var tc <-chan time.Time
		if scheduled {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-fs.kick:
		case <-tc:
		}
		timer.Stop()
	}
}

// dueIn says how long until fs should be fetched; false when it is only
// refreshed on demand (a local file without an interval, once read).
func (fs *feedState) dueIn(now time.Time) (time.Duration, bool) {
	if fs.nextFetch.IsZero() {
		return 0, fs.lastAttempt.IsZero()
	}
	return fs.nextFetch.Sub(now), true
}

// RefreshAll re-fetches every enabled feed now (SIGHUP), in parallel, and
// waits for all of them. The error joins the failures; feeds that failed
// keep their last good copy.
func (m *Updater) RefreshAll(ctx context.Context) error {
	var wg sync.WaitGroup
	states := m.snapshot()
	errs := make([]error, len(states))
	for i, fs := range states {
		if !fs.feed.Enabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.refresh(ctx, fs, true)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Refresh re-fetches the named feed now.
func (m *Updater) Refresh(ctx context.Context, name string) error {
	for _, fs := range m.snapshot() {
		if fs.feed.Name == name {
			return m.refresh(ctx, fs, true)
		}
	}
	return fmt.Errorf("no feed is named %q", name)
}

// SetFeeds replaces the feed list (config reload). Feeds whose
// configuration is unchanged keep their state and schedule; changed feeds
// keep blocking with their last good Set until their first fetch, which is
// due at once; removed feeds are dropped. OnChange follows.
func (m *Updater) SetFeeds(feeds []Feed) error {
	states, err := newStates(feeds, m.opts.MaxBytes)
	if err != nil {
		return err
	}
	m.mu.Lock()
	old := make(map[string]*feedState, len(m.feeds))
	for _, fs := range m.feeds {
		old[fs.feed.Name] = fs
	}
	changed := len(states) != len(m.feeds)
	for i, ns := range states {
		o, ok := old[ns.feed.Name]
		if !ok {
			changed = true
			continue
		}
		delete(old, ns.feed.Name)
		if reflect.DeepEqual(o.feed, ns.feed) {
			states[i] = o
			continue
		}
		changed = true
		if o.stop != nil {
			o.stop()
		}
		if o.feed.URL == ns.feed.URL {
			// Keep blocking with the old copy, but re-fetch and re-parse it
			// in full: the format or parser options may have changed.
			ns.set, ns.meta, ns.usingCache = o.set, o.meta, o.set != nil
			ns.keptSHA256 = cmp.Or(o.meta.SHA256, o.keptSHA256)
			ns.meta.ETag, ns.meta.LastModified, ns.meta.SHA256, ns.meta.Format = "", "", "", ""
		}
	}
	for _, o := range old {
		if o.stop != nil {
			o.stop()
		}
	}
	changed = changed || !slices.EqualFunc(states, m.feeds, func(a, b *feedState) bool { return a == b }) // order
	m.feeds = states
	for _, fs := range states {
		m.startLocked(fs)
	}
	m.mu.Unlock()
	if changed { // an unchanged list (a SIGHUP that kept the config) costs no recompile
		m.notify()
	}
	return nil
}

func (m *Updater) snapshot() []*feedState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.feeds)
}

func (m *Updater) tempDir() string {
	if m.cache == nil {
		return ""
	}
	if err := os.MkdirAll(m.cache.dir, 0o755); err != nil {
		return ""
	}
	return m.cache.dir
}

// refresh fetches and parses fs once. On any failure, or when the shrink
// guard refuses the new copy, the last good Set stays in use.
// keepUnchanged records a fetch that brought nothing new (304 Not Modified,
// or the same bytes): the Set stays, the validators and fetch time move on.
func (m *Updater) keepUnchanged(fs *feedState, log *slog.Logger, start time.Time, prev cacheMeta, resp *Response) {
	meta := prev
	meta.FetchedAt = start
	meta.ETag, meta.LastModified = resp.ETag, resp.LastModified
	m.succeed(fs, start, nil, meta)
	m.storeMeta(log, fs.feed, meta)
	m.warnIfStale(fs, start)
	log.Debug("feed unchanged", slog.Bool("not_modified", resp.NotModified), slog.Duration("took", time.Since(start)))
}

// adoptSeed takes the feed's Set from the lists' snapshot when the
// download has the checksum the snapshot was built from; false: parse it.
func (m *Updater) adoptSeed(fs *feedState, log *slog.Logger, start time.Time, sha256 string, notify bool) bool {
	set, seeded, ok := m.takeSeed(fs, sha256)
	if !ok {
		return false
	}
	m.succeed(fs, start, set, seeded)
	m.warnIfStale(fs, start)
	log.Info("feed unchanged since the lists' snapshot; its Set is taken from it", slog.Int("entries", set.Len()), slog.Duration("took", time.Since(start)))
	if notify {
		m.notify()
	}
	return true
}

// cacheDownload moves a downloaded body into the last-good cache with its
// metadata; a failure is logged and the feed is used from memory.
func (m *Updater) cacheDownload(log *slog.Logger, f Feed, resp *Response, meta cacheMeta) {
	if m.cache == nil || !f.IsRemote() || !resp.IsTemp() {
		return
	}
	if err := m.cache.store(f.Name, resp.Path, meta); err != nil {
		log.Warn("feed not cached on disk; using it from memory", slog.Any("error", err))
		return
	}
	resp.temp = false // renamed into the cache
}

func (m *Updater) refresh(ctx context.Context, fs *feedState, notify bool) error {
	fs.refreshMu.Lock()
	defer fs.refreshMu.Unlock()
	f := fs.feed
	log := m.log.With(slog.String("feed", f.Name))
	start := time.Now()

	m.mu.Lock()
	prev, hasSet, kept := fs.meta, fs.set != nil, fs.keptSHA256
	seeded := fs.seed != nil
	m.mu.Unlock()

	// A first load of a local file needs its sum only for the metadata,
	// after the parse (a snapshot's seed or a previous copy is compared
	// before): it is computed beside the parse.
	req := Request{URL: f.URL, MaxBytes: f.MaxBytes, HashLater: !hasSet && !seeded}
	if f.IsRemote() {
		req.TempDir = m.tempDir()
	}
	if hasSet && prev.URL == f.URL {
		req.ETag, req.LastModified = prev.ETag, prev.LastModified
	}
	resp, err := m.fetch.Fetch(ctx, req)
	if err != nil {
		if ctx.Err() != nil { // shutting down: not the feed's fault
			return fmt.Errorf("feed %q: %w", f.Name, err)
		}
		return m.fail(fs, log, start, fmt.Errorf("fetch: %w", err))
	}
	defer resp.Remove()
	if resp.NotModified && !hasSet {
		return m.fail(fs, log, start, errors.New("the server answered 304 Not Modified to an unconditional request"))
	}

	if resp.NotModified || (hasSet && resp.SHA256 == prev.SHA256 && prev.URL == f.URL) {
		m.keepUnchanged(fs, log, start, prev, resp)
		return nil
	}
	if resp.Size == 0 && f.ShrinkGuard > 0 {
		return m.fail(fs, log, start, errors.New("refused: the download is empty"))
	}
	if !hasSet && m.adoptSeed(fs, log, start, resp.SHA256, notify) { // unchanged since the snapshot: its Set, no parse
		return nil
	}
	pf := f
	if pf.Format == "" && hasSet && prev.URL == f.URL {
		pf.Format = prev.Format // detected once; a feed keeps its format
	}
	replaces := int64(0)
	if hasSet {
		replaces = prev.Size
	}
	set, rep, format, err := m.parse(ctx, pf, resp.Path, resp.Size, replaces)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("feed %q: %w", f.Name, err)
		}
		return m.fail(fs, log, start, err)
	}
	if err := resp.Hash(); err != nil {
		return m.fail(fs, log, start, fmt.Errorf("fetch: %w", err))
	}
	n := set.Len()
	prevEntries := 0
	if hasSet {
		prevEntries = prev.Entries
		if f.IsRanking() && f.Top > 0 {
			prevEntries = min(prevEntries, f.Top) // a smaller top N is not a shrunk ranking
		}
	}
	if err := shrinkCheck(f.ShrinkGuard, prevEntries, n, rep); err != nil {
		return m.fail(fs, log, start, err)
	}
	meta := cacheMeta{
		Name: f.Name, URL: f.URL, ETag: resp.ETag, LastModified: resp.LastModified,
		FetchedAt: start, ChangedAt: changedAt(resp.LastModified, start, time.Time{}), SHA256: resp.SHA256, Size: resp.Size,
		Format: format, Entries: n, Report: rep,
	}
	if hasSet {
		meta.ChangedAt = changedAt(resp.LastModified, start, prev.ChangedAt)
		if kept != "" && kept == resp.SHA256 { // re-parsed for a new configuration: the same content
			meta.ChangedAt, meta.StaleWarned = prev.ChangedAt, prev.StaleWarned
		}
	}
	m.cacheDownload(log, f, resp, meta)
	m.succeed(fs, start, set, meta)
	m.warnIfStale(fs, start) // a first copy may be old (Last-Modified)
	if hasSet && prev.StaleWarned.After(prev.ChangedAt) && meta.ChangedAt != prev.ChangedAt {
		log.Info("feed changes again after being stale", slog.Time("previous_change", prev.ChangedAt))
	}
	log.Info("feed updated", slog.Int("entries", n), slog.Int("previous", prevEntries),
		slog.Int("rejected", rep.TotalRejected()), slog.String("format", string(format)),
		slog.Int64("bytes", resp.Size), slog.Duration("took", time.Since(start)))
	if notify {
		m.notify()
	}
	return nil
}

// flushAfterBytes is the body size from which a pending OnChange is run
// before the parse, and the least stale budget; see flushDue.
const flushAfterBytes = 1 << 20

// staleShare: the Sets replaced but still held by the serving matcher may
// add up to 1/staleShare of all feeds' bytes before a parse that would add
// more waits for a compile that drops them (flushDue).
const staleShare = 8

// parse runs parseFile when the slot is free; replaces is the body size of
// the copy whose Set the new one is to replace (0: none). Memory is left to
// the runtime: the parser's short-lived garbage goes when the garbage
// collector next runs, which the soft memory limit (memlimit, GOMEMLIMIT)
// brings forward as the heap nears it; nothing here forces a collection.
func (m *Updater) parse(ctx context.Context, f Feed, path string, size, replaces int64) (*lists.Set, parse.Report, parse.Format, error) {
	select {
	case m.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, parse.Report{}, "", ctx.Err()
	}
	defer func() { <-m.slot }()
	if m.flushDue(size, replaces) {
		m.flushPending()
	}
	return parseFile(ctx, f, path)
}

// flushDue says whether the pending change should be handed to OnChange
// before a parse of size bytes that replaces a copy of replaces bytes.
// When every feed changes at once (SIGHUP, a restart's first fetch), each
// replaced Set stays live, held by the serving matcher, until the next
// compile; the new Sets pile up beside them. Compiling whenever the
// replaced copies would reach staleShare of the whole bounds that overlap
// to a fraction of the steady heap, at the cost of a few compiles (about
// staleShare, plus one per large feed). A large parse also publishes what
// is pending first, so that the changes before it are not held back for
// the length of the parse.
func (m *Updater) flushDue(size, replaces int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirty {
		return false
	}
	if size >= flushAfterBytes {
		return true
	}
	if replaces == 0 || m.stale == 0 {
		return false
	}
	var total int64
	for _, fs := range m.feeds {
		if fs.set != nil {
			total += fs.meta.Size
		}
	}
	return m.stale+replaces > max(flushAfterBytes, total/staleShare)
}

// shrinkCheck refuses a copy that is empty or lost more than guard of the
// previous entry count. guard 0 disables it.
func shrinkCheck(guard float64, prev, n int, rep parse.Report) error {
	if guard <= 0 {
		return nil
	}
	if n == 0 {
		return fmt.Errorf("refused: the new copy has no usable entries (%d lines, %d rejected)", rep.Lines, rep.TotalRejected())
	}
	if prev > 0 && float64(n) < float64(prev)*(1-guard) {
		return fmt.Errorf("refused by the shrink guard: the new copy has %d entries, the last good one %d (-%.0f%%, limit -%.0f%%); raise shrink_guard to accept it",
			n, prev, 100*(1-float64(n)/float64(prev)), 100*guard)
	}
	return nil
}

func (m *Updater) succeed(fs *feedState, start time.Time, set *lists.Set, meta cacheMeta) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if fs.failures > 0 {
		m.log.Info("feed refreshed again after failing", slog.String("feed", fs.feed.Name), slog.Int("failures", fs.failures))
	}
	if fs.failures > 0 || fs.lastErr != "" {
		m.storeFailure(fs.feed, time.Time{}, "")
	}
	if set != nil {
		if fs.set != nil {
			m.stale += fs.meta.Size // the serving matcher holds the old Set until the next compile
		}
		fs.set = set
	}
	fs.meta = meta
	fs.keptSHA256 = ""
	fs.lastAttempt = start
	fs.lastErr = ""
	fs.usingCache = false
	fs.failures = 0
	fs.nextFetch = time.Time{}
	if iv := fs.feed.Interval; iv > 0 {
		fs.nextFetch = start.Add(iv + jitter(iv/20))
	}
	wake(fs)
}

func (m *Updater) fail(fs *feedState, log *slog.Logger, start time.Time, err error) error {
	m.mu.Lock()
	fs.lastAttempt = start
	fs.lastErr = err.Error()
	fs.usingCache = fs.set != nil
	fs.failures++
	fs.nextFetch = time.Time{}
	if iv := fs.feed.Interval; iv > 0 {
		d := m.opts.RetryAfterFailure
		for i := 1; i < fs.failures && d < iv; i++ {
			d *= 2
		}
		fs.nextFetch = start.Add(min(d, iv) + jitter(min(d, iv)/10))
	}
	using, next, failures := fs.usingCache, fs.nextFetch, fs.failures
	wake(fs)
	m.mu.Unlock()
	m.storeFailure(fs.feed, start, err.Error())
	switch {
	case failures > 1: // one line per failure streak: the first
		log.Debug("feed refresh failed again", slog.Any("error", err), slog.Int("failures", failures), slog.Time("next_fetch", next))
	case using:
		log.Warn("feed refresh failed; the last good copy stays in use; retrying with backoff, logged again when it recovers",
			slog.Any("error", err), slog.Time("next_fetch", next))
	default:
		log.Error("feed refresh failed and there is no good copy to use; retrying with backoff, logged again when it recovers",
			slog.Any("error", err), slog.Time("next_fetch", next))
	}
	return fmt.Errorf("feed %q: %w", fs.feed.Name, err)
}

// storeFailure keeps the last failed attempt of a remote feed in the data
// directory (cleared with msg ""), so that offline status shows it.
func (m *Updater) storeFailure(f Feed, at time.Time, msg string) {
	if m.cache == nil || !f.IsRemote() {
		return
	}
	if err := m.cache.storeFailure(f.Name, failureRecord{At: at, Error: msg}); err != nil {
		m.log.Debug("feed failure record not written", slog.String("feed", f.Name), slog.Any("error", err))
	}
}

func (m *Updater) storeMeta(log *slog.Logger, f Feed, meta cacheMeta) {
	if m.cache == nil || !f.IsRemote() || meta.SHA256 == "" {
		return
	}
	if err := m.cache.storeMeta(f.Name, meta); err != nil {
		log.Warn("feed cache metadata not written", slog.Any("error", err))
	}
}

func wake(fs *feedState) {
	select {
	case fs.kick <- struct{}{}:
	default:
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// notify schedules one OnChange call after the debounce window; changes
// inside the window share it.
func (m *Updater) notify() {
	if m.opts.OnChange == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = true
	if m.pending != nil {
		return
	}
	m.pending = time.AfterFunc(m.opts.Debounce, func() {
		m.mu.Lock()
		m.pending = nil
		m.mu.Unlock()
		m.emit()
	})
}

// flushPending runs the pending OnChange now, in the slot its caller
// holds (see flushDue), so that the new matcher drops the replaced Sets
// before the next one is built. A debounce timer that already fired finds
// nothing left to do.
func (m *Updater) flushPending() {
	m.mu.Lock()
	if m.pending != nil {
		m.pending.Stop()
		m.pending = nil
	}
	m.mu.Unlock()
	m.emitInSlot()
}

// emit calls OnChange with the current sets when they changed since its
// last call, once the slot is free.
func (m *Updater) emit() {
	m.slot <- struct{}{}
	defer func() { <-m.slot }()
	m.emitInSlot()
}

// emitInSlot is emit for a caller that holds the slot. Changes that a
// call already covered (timers that fired while a compile ran) cost
// nothing.
func (m *Updater) emitInSlot() {
	if m.opts.OnChange == nil {
		return
	}
	m.mu.Lock()
	if !m.dirty {
		m.mu.Unlock()
		return
	}
	m.dirty, m.stale = false, 0
	sets := m.setsLocked()
	m.mu.Unlock()
	m.opts.OnChange(sets)
}

// Status describes one feed for `scamblock feeds` and GET /v1/feeds.
type Status struct {
	Name       string               `json:"name"`
	URL        string               `json:"url"`
	Format     parse.Format         `json:"format,omitempty"`
	Enabled    bool                 `json:"enabled"`
	Licence    string               `json:"licence,omitempty"`
	Entries    int                  `json:"entries"`  // in the Set in use
	Lines      int                  `json:"lines"`    // read by the parse of the copy in use
	Accepted   int                  `json:"accepted"` // entries the parser emitted (before de-duplication)
	Rejected   map[lists.Reason]int `json:"rejected,omitempty"`
	UnknownTLD int                  `json:"unknown_tld,omitempty"` // accepted names whose TLD the compiled-in PSL lacks
	SpecialUse int                  `json:"special_use,omitempty"` // accepted names under .lan, .home.arpa, .test ...
	Examples   []RejectExample      `json:"examples,omitempty"`    // first rejects per reason
	Size       int64                `json:"size_bytes,omitempty"`
	SHA256     string               `json:"sha256,omitempty"`
	LastFetch  time.Time            `json:"last_fetch,omitzero"`  // last attempt, good or bad
	LastGood   time.Time            `json:"last_good,omitzero"`   // last fetch that succeeded (200 or 304)
	LastChange time.Time            `json:"last_change,omitzero"` // content last changed
	NextFetch  time.Time            `json:"next_fetch,omitzero"`  // zero: on reload only
	LastError  string               `json:"last_error,omitempty"` // of the last attempt; "" when it succeeded
	UsingCache bool                 `json:"using_cache"`          // the Set in use is an older copy: the last refresh failed or was refused, or none ran yet since the cache was loaded
	CacheFile  string               `json:"cache_file,omitempty"` // where the last good copy is on disk
	Interval   string               `json:"interval,omitempty"`   // refresh interval ("6h0m0s"); "" = on reload only
	Homepage   string               `json:"homepage,omitempty"`
	Trusted    bool                 `json:"trusted,omitempty"`
	// LastChangeAge is how long ago the content last changed (LastChange).
	LastChangeAge float64 `json:"last_change_age_seconds,omitempty"`
	// StaleAfter is the feed's staleness expectation ("3d"; "never" for a
	// dormant feed; "" for none: a local file). Stale is true when the
	// content has not changed for longer.
	StaleAfter string `json:"stale_after,omitempty"`
	Stale      bool   `json:"stale,omitempty"`
	// StaleAfterSeconds is StaleAfter in seconds; 0 for none or never.
	StaleAfterSeconds float64 `json:"stale_after_seconds,omitempty"`
}

// RejectExample is one rejected line, located as file:line.
type RejectExample struct {
	Reason lists.Reason `json:"reason"`
	Where  string       `json:"where"` // "path:line" of the copy in use
	Input  string       `json:"input"`
	Detail string       `json:"detail,omitempty"`
}

// Status returns the state of every feed, in config order.
func (m *Updater) Status() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.feeds))
	now := time.Now()
	for _, fs := range m.feeds {
		f, meta := fs.feed, fs.meta
		st := Status{
			Name: f.Name, URL: f.URL, Format: cmp.Or(meta.Format, f.Format), Enabled: f.Enabled,
			Licence: f.Licence, Entries: meta.Entries, Lines: meta.Report.Lines,
			Accepted: meta.Report.Accepted, Rejected: meta.Report.Rejected,
			UnknownTLD: meta.Report.UnknownTLD, SpecialUse: meta.Report.SpecialUse,
			Size: meta.Size, SHA256: meta.SHA256,
			LastFetch: fs.lastAttempt, LastGood: meta.FetchedAt, LastChange: meta.ChangedAt,
			NextFetch: fs.nextFetch, LastError: fs.lastErr, UsingCache: fs.usingCache,
			Homepage: f.Homepage, Trusted: f.Trusted,
		}
		if f.Interval > 0 {
			st.Interval = f.Interval.String()
		}
		m.staleness(&st, f, now)
		if fs.set == nil {
			st.Entries = 0
		}
		where := f.URL
		if f.IsRemote() {
			if m.cache != nil && meta.SHA256 != "" {
				st.CacheFile = m.cache.bodyPath(f.Name)
				where = st.CacheFile
			}
		} else if p, err := f.localPath(); err == nil {
			where = p
		}
		for reason, exs := range meta.Report.Examples {
			for _, ex := range exs {
				st.Examples = append(st.Examples, RejectExample{Reason: reason, Where: fmt.Sprintf("%s:%d", where, ex.Line), Input: ex.Input, Detail: ex.Detail})
			}
		}
		slices.SortStableFunc(st.Examples, func(a, b RejectExample) int { return cmp.Compare(a.Reason, b.Reason) })
		out = append(out, st)
	}
	return out
}
