package blocklist

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/scamblock/scamblock/buildinfo"
	"github.com/scamblock/scamblock/lists"
)

// SnapshotFile is the snapshot's name in the data directory.
const SnapshotFile = "lists.snapshot"

// snapshotInputs is what a snapshot was compiled from besides its Sets,
// stored as lists.SnapshotInfo.Inputs: which sources are feeds (the others
// are published submissions and --allow), their compile options, the
// --allow names, the compile report.
type snapshotInputs struct {
	Feeds   []string                       `json:"feeds"`
	Options map[string]lists.SourceOptions `json:"options,omitempty"`
	Allow   []string                       `json:"allow,omitempty"`
	Report  lists.CompileReport            `json:"report"`
	// Provenance is, per feed source, what its Set was parsed from (see
	// RecordProvenance); feeds without one are parsed again on restart.
	Provenance map[string]string `json:"provenance,omitempty"`
	// Env fingerprints the rest of what the matcher was compiled with:
	// allow names, consensus, guard, build (compileEnv).
	Env string `json:"env,omitempty"`
}

// compileEnv fingerprints what a rebuild compiles with besides the Sets
// and their options: the allow names, the consensus, the guard's lists and
// ranking, and this build (its compiler and embedded lists). A snapshot
// written under another one is used until the feeds are loaded, then
// recompiled.
func (b *Blocklist) compileEnv() string {
	g := b.guard
	if g == nil {
		g = lists.DefaultGuard()
	}
	platforms, popular := g.Len()
	rk := g.Ranking()
	source := ""
	if rk != nil {
		source = rk.Source
	}
	text, err := json.Marshal([]any{b.allowNames(), b.consensus, platforms, popular, rk.Len(), source, buildinfo.Get().String()})
	if err != nil {
		return ""
	}
	return string(text)
}

// RecordProvenance makes every snapshot written from now on store, beside
// each feed Set, what fn says it was parsed from (feeds.Updater.Provenance),
// and LoadSnapshot hand it back (SnapshotFeeds), so that a restart whose
// feeds are unchanged takes their Sets from the snapshot instead of
// parsing them again.
func (b *Blocklist) RecordProvenance(fn func(*lists.Set) (string, bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.provenance = fn
}

// SnapshotFeeds returns the feed Sets of the snapshot LoadSnapshot loaded,
// each with the provenance recorded for it (feeds.Updater.Seed), and
// forgets them; nil when none was loaded.
func (b *Blocklist) SnapshotFeeds() map[*lists.Set]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.loaded
	b.loaded = nil
	return out
}

// snapshotter writes the latest matcher to the snapshot file in the
// background, one write at a time; a rebuild during a write replaces what
// is written next, so a burst of rebuilds costs at most two writes.
type snapshotter struct {
	path string
	log  *slog.Logger

	adopt func(path string, written *lists.Matcher) // after each write

	mu      sync.Mutex
	pending *snapshotJob // the next one to write
	running bool
	idle    *sync.Cond // signalled when a write ends and none is pending
}

type snapshotJob struct {
	m      *lists.Matcher
	inputs string
}

// LoadSnapshot installs the matcher of the snapshot at path, if it is
// usable, so that the lists block before any feed is parsed: the feed
// Sets it holds stand in for the feeds until SetFeeds brings theirs. It
// returns what it loaded; an error wraps lists.ErrSnapshot and leaves the
// Blocklist as it was.
func (b *Blocklist) LoadSnapshot(path string) (lists.SnapshotInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := time.Now()
	m, info, err := lists.OpenSnapshot(path, b.guard)
	if err != nil {
		return lists.SnapshotInfo{}, err
	}
	var in snapshotInputs
	if err := json.Unmarshal([]byte(info.Inputs), &in); err != nil {
		return lists.SnapshotInfo{}, fmt.Errorf("%w: %s: inputs: %w", lists.ErrSnapshot, path, err)
	}
	var feeds, published []*lists.Set
	for _, s := range m.Sets() {
		switch {
		case slices.Contains(in.Feeds, s.Source()):
			feeds = append(feeds, s)
		case s.Source() != lists.SourceAllow:
			published = append(published, s) // until SetPublished says what is published now
		}
	}
	b.feedSets, b.published, b.sourceOpts, b.report = feeds, published, in.Options, in.Report
	b.loaded = make(map[*lists.Set]string, len(feeds))
	for _, s := range feeds {
		b.loaded[s] = in.Provenance[s.Source()]
	}
	b.builtFrom = nil
	if in.Env != "" && in.Env == b.compileEnv() {
		b.builtFrom = &feedInputs{sets: feeds, opts: in.Options}
	}
	ix, wrep := buildWalletIndex(withIndicators(m.Sets(), in.Report, func(r lists.SourceReport) int { return r.Addresses }))
	b.Domains.Replace(m)
	b.Wallets.Replace(ix)
	if b.onCompiled != nil {
		b.onCompiled(m)
	}
	b.walletRep = wrep
	if err := b.syncCatalogue(m.Sets(), m, time.Now()); err != nil {
		b.log.Error("catalogue not updated", "err", err)
	}
	b.log.Info("lists loaded from the snapshot", "file", path, "names", info.Names, "sources", len(m.Sets()),
		"written", info.Written, "bytes", info.Bytes, "took", time.Since(start).Round(time.Millisecond))
	return info, nil
}

// SaveSnapshots makes every rebuild from now on write its matcher to the
// snapshot at path, in the background. Stale temporary files of an
// interrupted write are removed.
func (b *Blocklist) SaveSnapshots(path string) {
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".snapshot-*")); len(matches) > 0 {
		for _, p := range matches {
			os.Remove(p)
		}
	}
	s := &snapshotter{path: path, log: b.log, adopt: b.adoptSnapshot}
	s.idle = sync.NewCond(&s.mu)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.snap = s
}

// WaitSnapshot waits until no snapshot write is pending or running.
func (b *Blocklist) WaitSnapshot() {
	b.mu.Lock()
	s := b.snap
	b.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.running || s.pending != nil {
		s.idle.Wait()
	}
}

// offerSnapshot queues m (just compiled from the current inputs) for
// writing. It runs under b.mu.
func (b *Blocklist) offerSnapshot(m *lists.Matcher) {
	if b.snap == nil {
		return
	}
	in := snapshotInputs{Options: b.sourceOpts, Allow: b.allowNames(), Report: b.report, Env: b.compileEnv()}
	for _, s := range b.feedSets {
		in.Feeds = append(in.Feeds, s.Source())
		if b.provenance == nil {
			continue
		}
		if text, ok := b.provenance(s); ok {
			if in.Provenance == nil {
				in.Provenance = make(map[string]string, len(b.feedSets))
			}
			in.Provenance[s.Source()] = text
		}
	}
	text, err := json.Marshal(in)
	if err != nil {
		b.log.Warn("snapshot not written", "err", err)
		return
	}
	b.snap.offer(&snapshotJob{m: m, inputs: string(text)})
}

func (s *snapshotter) offer(job *snapshotJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = job
	if !s.running {
		s.running = true
		go s.loop()
	}
}

func (s *snapshotter) loop() {
	for {
		s.mu.Lock()
		job := s.pending
		s.pending = nil
		if job == nil {
			s.running = false
			s.idle.Broadcast()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		start := time.Now()
		info, err := lists.WriteSnapshot(s.path, job.m, job.inputs)
		if err != nil {
			s.log.Warn("snapshot not written; the next start compiles from the feeds", "err", err)
			continue
		}
		s.log.Info("snapshot written", "file", s.path, "names", info.Names, "bytes", info.Bytes,
			"took", time.Since(start).Round(time.Millisecond))
		s.adopt(s.path, job.m)
	}
}

// OnAdopt registers fn, told (old → new) whenever the Sets of a rebuild
// were replaced by the same Sets read back from the snapshot file, so
// that whoever else holds the old ones (the feed schedule) can let them go.
func (b *Blocklist) OnAdopt(fn func(map[*lists.Set]*lists.Set)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onAdopt = fn
}

// adoptSnapshot moves the lists onto the snapshot just written: the
// matcher and Sets read back from the file (mmap) replace the compiled
// ones, whose heap memory is then returned. Names, records and provenance
// are then paged from the file as queries and `check` read them; only
// what is read stays resident. Nothing changes for readers: the answers
// are the same. Skipped when a newer rebuild already replaced written.
//
// The RPZ zone, when one is served, keeps the matcher it was built from
// until the next change.
func (b *Blocklist) adoptSnapshot(path string, written *lists.Matcher) {
	start := time.Now()
	b.mu.Lock()
	guard := b.guard // SetGuard (a fetched ranking) may replace it meanwhile
	b.mu.Unlock()
	m, _, err := lists.OpenSnapshot(path, guard)
	if err != nil {
		b.log.Warn("snapshot written but not readable; the lists stay in memory", "err", err)
		return
	}
	b.mu.Lock()
	old, mapped := written.Sets(), m.Sets()
	if b.Domains.Load() != written || len(old) != len(mapped) {
		b.mu.Unlock()
		return
	}
	repl := make(map[*lists.Set]*lists.Set, len(old))
	for i := range old {
		repl[old[i]] = mapped[i]
	}
	b.feedSets, b.published = replaced(b.feedSets, repl), replaced(b.published, repl)
	if b.builtFrom != nil { // the same Sets, now read from the file: the old ones must not stay reachable
		b.builtFrom = &feedInputs{sets: replaced(b.builtFrom.sets, repl), opts: b.builtFrom.opts}
	}
	for src, s := range b.catalogued {
		if n, ok := repl[s]; ok {
			b.catalogued[src] = n
		}
	}
	b.Domains.Replace(m)
	adopted := b.onAdopt
	b.mu.Unlock()
	if adopted != nil {
		adopted(repl)
	}
	// The compiled copy (tens of bytes a name) is garbage now. No forced
	// collection (issue 10.4): the runtime frees it at its next cycle and
	// returns the pages under the memory limit (memlimit, GOMEMLIMIT).
	b.log.Info("lists now read from the snapshot file", "file", path, "names", m.Len(), "took", time.Since(start).Round(time.Millisecond))
}

// replaced returns a copy of sets with every Set in repl replaced.
func replaced(sets []*lists.Set, repl map[*lists.Set]*lists.Set) []*lists.Set {
	if sets == nil {
		return nil
	}
	out := make([]*lists.Set, len(sets))
	for i, s := range sets {
		if n, ok := repl[s]; ok {
			s = n
		}
		out[i] = s
	}
	return out
}
