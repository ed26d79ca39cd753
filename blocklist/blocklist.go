// Package blocklist assembles what the blocking parts read from what feeds,
// researchers and the operator say: the compiled domain matcher and the
// wallet index, rebuilt together and swapped atomically whenever the feed
// Sets, the published submissions or the --allow names change, and the
// go-memdb catalogue of sources and non-bulk indicators kept in step.
//
// It also loads the same lists offline (LoadOffline, for `scamblock check`
// and `scamblock feeds`) and parses one feed as a rebuild would use it
// (Import, for `scamblock import`).
package blocklist

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/scamblock/scamblock/catalogue"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
)

// Blocklist is the state the query path, the HashBL zone, the RPZ zone and
// verdicts read. Readers never wait: Domains and Wallets are swapped
// atomically, the Catalogue has its own transactions.
type Blocklist struct {
	Domains lists.Live  // the compiled matcher (resolver.Blocklist)
	Wallets wallet.Live // the wallet index (hashbl.Addresses)
	// Catalogue holds the provenance people ask about — sources, URL
	// indicators, addresses, look-alike targets, guarded entries — with
	// first and last seen times. Bulk domains stay in the Sets.
	Catalogue *catalogue.Catalogue

	log *slog.Logger

	mu          sync.Mutex // serializes rebuilds and guards the inputs below
	feedSets    []*lists.Set
	sourceOpts  map[string]lists.SourceOptions
	published   []*lists.Set
	followed    *lists.Set               // the followed RPZ zone (--follow); nil when none
	publishedBy map[string]store.Listing // provenance of each published source
	allow       []string
	adminAllow  []string // the admin allowlist kept in the store
	guard       *lists.Guard
	consensus   int // lists.CompileOptions.Consensus; 0 = lists.DefaultConsensus
	report      lists.CompileReport
	walletRep   map[string]*parse.Report
	catalogued  map[string]*lists.Set // the Set each source's catalogue rows came from
	onCompiled  func(*lists.Matcher)  // told of every new matcher (the RPZ zone follows it)
	snap        *snapshotter          // writes every new matcher to the data directory; nil: off
	onAdopt     func(map[*lists.Set]*lists.Set)
	provenance  func(*lists.Set) (string, bool) // what a feed Set was parsed from, for the snapshot
	loaded      map[*lists.Set]string           // the loaded snapshot's feed Sets and their provenance
	// builtFrom is the feed Sets and options the current matcher was
	// compiled from (by the last rebuild, or the loaded snapshot when it
	// was compiled with the allow names, guard and build of this run);
	// SetFeeds with the same ones costs no rebuild. nil sets: unknown.
	builtFrom *feedInputs
}

// feedInputs is what SetFeeds sets.
type feedInputs struct {
	sets []*lists.Set
	opts map[string]lists.SourceOptions
}

func (f *feedInputs) same(sets []*lists.Set, opts map[string]lists.SourceOptions) bool {
	return f != nil && slices.Equal(f.sets, sets) && maps.Equal(f.opts, opts)
}

// New returns an empty Blocklist (nothing blocked) that never blocks the
// allow names. guard nil means lists.DefaultGuard(); log nil discards.
func New(allow []string, guard *lists.Guard, log *slog.Logger) (*Blocklist, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cat, err := catalogue.New()
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	b := &Blocklist{log: log, allow: allow, guard: guard, Catalogue: cat, catalogued: map[string]*lists.Set{}}
	b.Wallets.Replace(wallet.NewBuilder().Build())
	return b, nil
}

// SetConsensus sets how many independent feeds block a ranked name whole
// (0: lists.DefaultConsensus), from the next rebuild on; call it before
// the first SetFeeds.
func (b *Blocklist) SetConsensus(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consensus = n
	b.builtFrom = nil
}

// SetGuard replaces the guard (a newly fetched ranking) from the next
// rebuild on; nil means lists.DefaultGuard(). A guard with another
// ranking makes the next SetFeeds rebuild even if the feeds are the same.
func (b *Blocklist) SetGuard(g *lists.Guard) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.guard != g && (b.guard == nil || g == nil || !sameRanking(b.guard.Ranking(), g.Ranking())) {
		b.builtFrom = nil
	}
	b.guard = g
}

// sameRanking: the same ranking, or the same copy of it read again (the
// source names the URL and when its content last changed).
func sameRanking(a, b *lists.Ranking) bool {
	return a == b || (a != nil && b != nil && a.Source == b.Source && a.Len() == b.Len())
}

// OnCompiled registers fn to be told of every matcher compiled from now on,
// and of the current one. fn must not block: it runs under the rebuild lock.
func (b *Blocklist) OnCompiled(fn func(*lists.Matcher)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onCompiled = fn
	fn(b.Domains.Load())
}

// SetFeeds installs the feeds' current sets and rebuilds, unless the
// current matcher was compiled from these very Sets with these options
// (a restart whose feeds were unchanged took their Sets from the snapshot
// it loaded): then nothing changes.
func (b *Blocklist) SetFeeds(sets []*lists.Set, opts map[string]lists.SourceOptions) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.builtFrom.same(sets, opts) {
		b.feedSets, b.sourceOpts = sets, opts
		b.log.Info("feeds unchanged since the lists were compiled; no rebuild", "sources", len(sets))
		return
	}
	b.feedSets, b.sourceOpts = sets, opts
	b.rebuildLocked()
}

// SetPublished installs the researchers' published indicators and rebuilds.
// Each submission is its own source ("submission:<id>") so that a block
// answer names it.
func (b *Blocklist) SetPublished(pub []store.Listing) {
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
	unchanged := len(sets) == 0 && len(b.published) == 0
	b.published, b.publishedBy = sets, bySource
	if unchanged {
		return // none before, none now: the start-up publish costs no rebuild
	}
	b.rebuildLocked()
}

// SetFollowed installs the current version of the followed RPZ zone
// (package rpz/follow) and rebuilds. It is one source among the others,
// after the published submissions and before the feeds; nil removes it.
func (b *Blocklist) SetFollowed(set *lists.Set) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.followed = set
	b.rebuildLocked()
}

// SetAllow replaces the user --allow names and rebuilds.
func (b *Blocklist) SetAllow(allow []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if slices.Equal(b.allow, allow) {
		return // a reload that kept the allow names costs no rebuild
	}
	b.allow = allow
	b.rebuildLocked()
}

// SetAdminAllow replaces the names of the admin allowlist (kept in the
// store, changed on the web pages and /v1/allowlist) and rebuilds. They
// act like --allow names: the name and its subtree are never blocked.
func (b *Blocklist) SetAdminAllow(names []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if slices.Equal(b.adminAllow, names) {
		return
	}
	b.adminAllow = slices.Clone(names)
	b.rebuildLocked()
}

// allowNames is every allow name the matcher applies: --allow, then the
// admin allowlist.
func (b *Blocklist) allowNames() []string {
	if len(b.adminAllow) == 0 {
		return b.allow
	}
	return append(slices.Clone(b.allow), b.adminAllow...)
}

// Publication returns the provenance of a published submission's source
// ("submission:<id>"): evidence, submitter, reviewer, expiry.
func (b *Blocklist) Publication(source string) (store.Listing, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.publishedBy[source]
	return l, ok
}

// Report returns what the last rebuild did with every source.
func (b *Blocklist) Report() lists.CompileReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.report
}

// WalletReports returns, per source, the address entries that failed wallet
// validation in the last rebuild (with their lines).
func (b *Blocklist) WalletReports() map[string]parse.Report {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]parse.Report, len(b.walletRep))
	for k, v := range b.walletRep {
		out[k] = *v
	}
	return out
}
