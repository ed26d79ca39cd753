package feeds

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/scamblock/scamblock/config"
)

// Staleness: a feed whose content has not changed for longer than its
// expectation (Feed.StaleAfter, else UpdaterOptions.StaleAfter for http(s)
// feeds) is stale. The time of the last change is kept in the cache
// metadata (changed_at), so it survives restarts; the WARN is logged once
// per streak (stale_warned in the metadata).

// staleAfter is f's expectation; 0 for none (a dormant feed, a local file
// without its own, no default).
func (m *Updater) staleAfter(f Feed) time.Duration { return expectation(f, m.opts.StaleAfter) }

// staleness fills in st's last-change age and staleness at now.
func (m *Updater) staleness(st *Status, f Feed, now time.Time) {
	exp := m.staleAfter(f)
	switch {
	case f.StaleAfter < 0:
		st.StaleAfter = config.NeverStale.String()
	case exp > 0:
		st.StaleAfter = config.Staleness(exp).String()
		st.StaleAfterSeconds = exp.Seconds()
	}
	if st.LastChange.IsZero() {
		return
	}
	st.LastChangeAge = max(now.Sub(st.LastChange), 0).Seconds()
	st.Stale = exp > 0 && now.Sub(st.LastChange) > exp
}

// warnIfStale logs a WARN when fs's content has not changed for longer
// than its expectation, once per streak: the streak ends when the content
// changes (a new changed_at).
func (m *Updater) warnIfStale(fs *feedState, now time.Time) {
	m.mu.Lock()
	f, exp := fs.feed, m.staleAfter(fs.feed)
	changed := fs.meta.ChangedAt
	if exp <= 0 || changed.IsZero() || now.Sub(changed) <= exp || fs.meta.StaleWarned.After(changed) {
		m.mu.Unlock()
		return
	}
	fs.meta.StaleWarned = now
	meta := fs.meta
	m.mu.Unlock()
	log := m.log.With(slog.String("feed", f.Name))
	log.Warn("feed is stale: its content has not changed for longer than expected; check that the URL is still the one its publisher updates (scamblock feeds --check), or set its stale_after (never for a dormant feed)",
		slog.Time("last_change", changed), slog.Duration("unchanged_for", now.Sub(changed).Round(time.Minute)),
		slog.String("stale_after", config.Staleness(exp).String()), slog.String("url", f.URL))
	m.storeMeta(log, f, meta)
}

// changedAt is when a new copy's content changed: the server's
// Last-Modified when it is plausible (before now and after the previous
// change), else now (fetched).
func changedAt(lastModified string, fetched, previous time.Time) time.Time {
	lm, err := http.ParseTime(lastModified)
	if err != nil || !lm.Before(fetched) || !lm.After(previous) {
		return fetched
	}
	return lm
}
