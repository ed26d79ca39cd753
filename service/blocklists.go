// Package service assembles and runs scamblock: the feeds manager, the
// compiled blocklists, the DNS resolver, the researcher store and the HTTP
// API. It owns the wiring and nothing else: each part's logic lives in its
// own package.
package service

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
)

// Blocklists is the state the query path, the HashBL zone and `check` read:
// the compiled domain matcher and the wallet index, rebuilt together
// whenever feeds, published submissions or --allow names change. Readers
// never wait: both are swapped atomically.
type Blocklists struct {
	Domains lists.Lists
	Wallets wallet.Live
	// Catalogue holds the provenance people ask about — sources, URL
	// indicators, addresses, look-alike targets, guarded entries — with
	// first and last seen times. Bulk domains stay in the Sets.
	Catalogue *lists.Catalogue

	log *slog.Logger

	mu          sync.Mutex // serializes rebuilds and guards the inputs below
	feedSets    []*lists.Set
	sourceOpts  map[string]lists.SourceOptions
	published   []*lists.Set
	publishedBy map[string]store.Listing // provenance of each published source
	allow       []string
	guard       *lists.Guard
	report      lists.CompileReport
	walletRep   map[string]*parse.Report
	catalogued  map[string]*lists.Set // the Set each source's catalogue rows came from
	onCompiled  func(*lists.Matcher)  // told of every new matcher (the RPZ zone follows it)
}

// OnCompiled registers fn to be told of every matcher compiled from now on,
// and of the current one. fn must not block: it runs under the rebuild lock.
func (b *Blocklists) OnCompiled(fn func(*lists.Matcher)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onCompiled = fn
	fn(b.Domains.Current())
}

// NewBlocklists returns empty blocklists (nothing blocked) that never block
// the allow names. guard nil means lists.DefaultGuard().
func NewBlocklists(allow []string, guard *lists.Guard, log *slog.Logger) (*Blocklists, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cat, err := lists.NewCatalogue()
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	b := &Blocklists{log: log, allow: allow, guard: guard, Catalogue: cat, catalogued: map[string]*lists.Set{}}
	b.Wallets.Replace(wallet.NewBuilder().Build())
	return b, nil
}

// SetFeeds installs the feeds' current sets and rebuilds.
func (b *Blocklists) SetFeeds(sets []*lists.Set, opts map[string]lists.SourceOptions) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.feedSets, b.sourceOpts = sets, opts
	b.rebuildLocked()
}

// SetPublished installs the researchers' published indicators and rebuilds.
// Each submission is its own source ("submission:<id>") so that a block
// answer names it.
func (b *Blocklists) SetPublished(pub []store.Listing) {
	sets := make([]*lists.Set, 0, len(pub))
	bySource := make(map[string]store.Listing, len(pub))
	for _, l := range pub {
		sb := lists.NewSetBuilder(l.Source)
		sb.Add(l.Entry)
		sets = append(sets, sb.Build())
		bySource[l.Source] = l
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.published, b.publishedBy = sets, bySource
	b.rebuildLocked()
}

// SetAllow replaces the user --allow names and rebuilds.
func (b *Blocklists) SetAllow(allow []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if slices.Equal(b.allow, allow) {
		return // a reload that kept the allow names costs no rebuild
	}
	b.allow = allow
	b.rebuildLocked()
}

// RecordSources writes the feeds' state into the catalogue's sources table.
func (b *Blocklists) RecordSources(sts []feeds.Status) {
	for _, st := range sts {
		rejected := make(map[string]int, len(st.Rejected))
		for r, n := range st.Rejected {
			rejected[string(r)] = n
		}
		err := b.Catalogue.UpsertSource(lists.SourceInfo{
			Name: st.Name, URL: st.URL, Format: string(st.Format), Licence: st.Licence,
			Entries: st.Entries, Rejected: rejected,
			LastFetch: st.LastFetch, LastChange: st.LastChange, LastError: st.LastError,
		})
		if err != nil {
			b.log.Error("catalogue: source not recorded", "source", st.Name, "err", err)
		}
	}
}

// publication returns the provenance of a published submission's source.
func (b *Blocklists) publication(source string) (store.Listing, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.publishedBy[source]
	return l, ok
}

// Report returns what the last rebuild did with every source.
func (b *Blocklists) Report() lists.CompileReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.report
}

// WalletReports returns, per source, the address entries that failed wallet
// validation in the last rebuild (with their lines).
func (b *Blocklists) WalletReports() map[string]parse.Report {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]parse.Report, len(b.walletRep))
	for k, v := range b.walletRep {
		out[k] = *v
	}
	return out
}

func (b *Blocklists) rebuildLocked() {
	start := time.Now()
	// Researchers' published indicators come first: among equal actions the
	// first set decides, so a block answer names the submission.
	sets := make([]*lists.Set, 0, len(b.published)+len(b.feedSets))
	sets = append(sets, b.published...)
	sets = append(sets, b.feedSets...)

	m, rep := lists.Compile(sets, lists.CompileOptions{Allow: b.allow, Guard: b.guard, Sources: b.sourceOpts})
	ix, wrep := buildWalletIndex(withIndicators(sets, rep, func(r lists.SourceReport) int { return r.Addresses }))
	b.Domains.Replace(m)
	b.Wallets.Replace(ix)
	if b.onCompiled != nil {
		b.onCompiled(m)
	}
	// The old matcher and Sets are garbage now; hand their memory back to
	// the OS at once instead of keeping it as GC headroom, so RSS stays
	// flat across refreshes (a rebuild is rare; this costs one collection,
	// run beside the caller so that start-up and reloads do not wait for it).
	go debug.FreeOSMemory()
	b.report, b.walletRep = rep, wrep
	if err := b.catalogue(sets, m, time.Now()); err != nil {
		b.log.Error("catalogue not updated", "err", err)
	}

	guarded := 0
	for _, n := range rep.Total.Guarded {
		guarded += n
	}
	b.log.Info("lists compiled",
		"sources", len(sets), "names", rep.Names, "applied", rep.Total.Applied,
		"guarded", guarded, "allowlisted", rep.Total.OverriddenByAllow+rep.Total.AllowedByUser,
		"addresses", ix.Len(), "address_rejects", totalRejects(wrep),
		"took", time.Since(start).Round(time.Millisecond))
	if len(rep.AllowRejected) > 0 {
		b.log.Warn("--allow names that are not host names were ignored", "names", rep.AllowRejected)
	}
}

// catalogue refreshes the catalogue rows of every source whose Set changed
// and drops the rows of sources that are gone. Addresses are catalogued in
// their canonical form so that any spelling finds them.
func (b *Blocklists) catalogue(sets []*lists.Set, m *lists.Matcher, now time.Time) error {
	guarded := map[string][]lists.Indicator{}
	for _, g := range lists.GuardedIndicators(m) {
		guarded[g.Source] = append(guarded[g.Source], g)
	}
	current := make(map[string]bool, len(sets))
	for _, s := range sets {
		src := s.Source()
		current[src] = true
		if b.catalogued[src] == s {
			continue
		}
		var rows []lists.Indicator
		if r := b.report.Source(src); r.URLs+r.Addresses+r.Lookalikes > 0 || r.Entries == 0 {
			rows = canonicalRows(lists.IndicatorsOf(s)) // a domains-only Set has none: skip the walk
		}
		if _, err := b.Catalogue.ReplaceSourceIndicators(src, now, append(rows, guarded[src]...)); err != nil {
			return err
		}
		b.catalogued[src] = s
	}
	for src := range b.catalogued {
		if current[src] {
			continue
		}
		if err := b.Catalogue.DeleteSource(src); err != nil {
			return err
		}
		delete(b.catalogued, src)
	}
	return nil
}

// canonicalRows rewrites address rows to their canonical form and drops
// the addresses that fail validation (they are reported elsewhere).
func canonicalRows(rows []lists.Indicator) []lists.Indicator {
	out := rows[:0]
	for _, r := range rows {
		if r.Kind == lists.KindAddress {
			a, err := wallet.ParseHint(r.Chain, r.Value)
			if err != nil {
				continue
			}
			r.Value, r.Chain = a.Canonical, a.Network
		}
		out = append(out, r)
	}
	return out
}

// withIndicators returns the sets whose report counts some entries of the
// kind count picks, so that walks for addresses or URLs skip the
// (large) domains-only Sets.
func withIndicators(sets []*lists.Set, rep lists.CompileReport, count func(lists.SourceReport) int) []*lists.Set {
	out := make([]*lists.Set, 0, len(sets))
	for _, s := range sets {
		if count(rep.Source(s.Source())) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// buildWalletIndex validates every address entry of every set with its
// chain's checksum and indexes the good ones; the rest are reported per
// source with their lines, never silently trusted.
func buildWalletIndex(sets []*lists.Set) (*wallet.Index, map[string]*parse.Report) {
	wb := wallet.NewBuilder()
	reps := make(map[string]*parse.Report)
	for _, s := range sets {
		src := s.Source()
		s.Entries(func(e lists.Entry) bool {
			if e.Kind != lists.KindAddress {
				return true
			}
			if err := wb.Add(src, e); err != nil {
				r := reps[src]
				if r == nil {
					r = &parse.Report{}
					reps[src] = r
				}
				r.RejectErr(e.Line, e.Value, err)
			}
			return true
		})
	}
	return wb.Build(), reps
}

func totalRejects(reps map[string]*parse.Report) int {
	n := 0
	for _, r := range reps {
		n += r.TotalRejected()
	}
	return n
}
