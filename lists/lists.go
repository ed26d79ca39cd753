package lists

import "github.com/scamblock/scamblock/internal/live"

// Live holds the Matcher in use and swaps it atomically (live.Value):
// lookups take no lock and a rebuild never blocks a query. The zero value
// is usable and blocks nothing. Replace hands over a new Matcher, Load
// returns the current one.
type Live struct {
	live.Value[Matcher]
}

// Lookup asks the current matcher; see Matcher.Lookup.
func (l *Live) Lookup(name string) (Hit, bool) { return l.Load().Lookup(name) }
