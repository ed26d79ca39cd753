package blocklist

import (
	"time"

	"github.com/scamblock/scamblock/catalogue"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/wallet"
)

// RecordSources writes the feeds' state into the catalogue's sources table.
func (b *Blocklist) RecordSources(sts []feeds.Status) {
	for _, st := range sts {
		rejected := make(map[string]int, len(st.Rejected))
		for r, n := range st.Rejected {
			rejected[string(r)] = n
		}
		err := b.Catalogue.UpsertSource(catalogue.SourceInfo{
			Name: st.Name, URL: st.URL, Format: string(st.Format), Licence: st.Licence,
			Entries: st.Entries, Rejected: rejected,
			LastFetch: st.LastFetch, LastChange: st.LastChange, LastError: st.LastError,
		})
		if err != nil {
			b.log.Error("catalogue: source not recorded", "source", st.Name, "err", err)
		}
	}
}

// syncCatalogue refreshes the catalogue rows of every source whose Set
// changed and drops the rows of sources that are gone. Addresses are
// catalogued in their canonical form so that any spelling finds them.
func (b *Blocklist) syncCatalogue(sets []*lists.Set, m *lists.Matcher, now time.Time) error {
	guarded := map[string][]catalogue.Indicator{}
	for _, g := range catalogue.GuardedIndicators(m) {
		guarded[g.Source] = append(guarded[g.Source], g)
	}
	current := make(map[string]bool, len(sets))
	for _, s := range sets {
		src := s.Source()
		current[src] = true
		if b.catalogued[src] == s {
			continue
		}
		var rows []catalogue.Indicator
		if r := b.report.Source(src); r.URLs+r.Addresses+r.Lookalikes > 0 || r.Entries == 0 {
			rows = canonicalRows(catalogue.IndicatorsOf(s)) // a domains-only Set has none: skip the walk
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
func canonicalRows(rows []catalogue.Indicator) []catalogue.Indicator {
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
