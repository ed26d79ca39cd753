package lists

import "sync/atomic"

// Lists holds the current Matcher and swaps it atomically: lookups take no
// lock and a rebuild never blocks a query. The zero value is usable and
// blocks nothing.
type Lists struct {
	current atomic.Pointer[Matcher]
}

// Replace makes m the matcher every following Lookup uses. nil empties it.
func (l *Lists) Replace(m *Matcher) { l.current.Store(m) }

// Lookup asks the current matcher; see Matcher.Lookup.
func (l *Lists) Lookup(name string) (Hit, bool) { return l.current.Load().Lookup(name) }

// Current returns the matcher in use (nil before the first Replace).
func (l *Lists) Current() *Matcher { return l.current.Load() }
