package blocklist

import (
	"strings"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/wallet"
)

// rebuildLocked compiles the matcher and the wallet index from the current
// inputs, swaps both in, tells the OnCompiled follower and brings the
// catalogue up to date. The old matcher and Sets become garbage; the
// runtime's memory limit (GOMEMLIMIT, debug.SetMemoryLimit), not a forced
// collection, decides when their memory goes back.
func (b *Blocklist) rebuildLocked() {
	start := time.Now()
	// Researchers' published indicators come first: among equal actions the
	// first set decides, so a block answer names the submission. The
	// followed zone comes next: what the primary decided, before what this
	// server fetches itself.
	sets := make([]*lists.Set, 0, len(b.published)+1+len(b.feedSets))
	sets = append(sets, b.published...)
	if b.followed != nil {
		sets = append(sets, b.followed)
	}
	sets = append(sets, b.feedSets...)

	m, rep := lists.Compile(sets, lists.CompileOptions{Allow: b.allowNames(), Guard: b.guard, Sources: b.sourcesLocked(), Consensus: b.consensus})
	ix, wrep := buildWalletIndex(withIndicators(sets, rep, func(r lists.SourceReport) int { return r.Addresses }))
	b.Domains.Replace(m)
	b.Wallets.Replace(ix)
	if b.onCompiled != nil {
		b.onCompiled(m)
	}
	b.report, b.walletRep = rep, wrep
	b.builtFrom = &feedInputs{sets: b.feedSets, opts: b.sourceOpts}
	b.offerSnapshot(m)
	if err := b.syncCatalogue(sets, m, time.Now()); err != nil {
		b.log.Error("catalogue not updated", "err", err)
	}
	b.logCompiled(len(sets), rep, ix, wrep, time.Since(start))
}

// sourcesLocked is the feeds' source options plus the published
// submissions, which a reviewer approved: their word alone blocks a ranked
// name (lists.SourceOptions.Reviewed). So does the followed zone's: it is
// what the primary decided, after its own consensus and reviews (a ranked
// name is in a scamblock primary's zone only when its feeds agreed or a
// reviewer approved it). The platform, pinned popular and public-suffix
// rules still apply to it, as to every source.
func (b *Blocklist) sourcesLocked() map[string]lists.SourceOptions {
	if len(b.publishedBy) == 0 && b.followed == nil {
		return b.sourceOpts
	}
	out := make(map[string]lists.SourceOptions, len(b.sourceOpts)+len(b.publishedBy)+1)
	for k, v := range b.sourceOpts {
		out[k] = v
	}
	for src := range b.publishedBy {
		out[src] = lists.SourceOptions{Reviewed: true, Publisher: src}
	}
	if b.followed != nil {
		src := b.followed.Source()
		out[src] = lists.SourceOptions{Reviewed: true, Publisher: src}
	}
	return out
}

func (b *Blocklist) logCompiled(sources int, rep lists.CompileReport, ix *wallet.Index, wrep map[string]*parse.Report, took time.Duration) {
	guarded := 0
	for _, n := range rep.Total.Guarded {
		guarded += n
	}
	b.log.Info("lists compiled",
		"sources", sources, "names", rep.Names, "applied", rep.Total.Applied,
		"guarded", guarded, "allowlisted", rep.Total.OverriddenByAllow+rep.Total.AllowedByUser,
		"addresses", ix.Len(), "address_rejects", totalRejects(wrep),
		"took", took.Round(time.Millisecond))
	if len(rep.AllowRejected) > 0 {
		b.log.Warn("--allow names that are not host names were ignored", "names", rep.AllowRejected)
	}
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
			e.Value = strings.Clone(e.Value) // the index outlives the Set, which may be a snapshot's mapping
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
