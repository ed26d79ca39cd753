package catalogue

import (
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// IndicatorsOf returns the catalogue rows for a Set's non-bulk entries:
// URL indicators, addresses and look-alike targets (domains stay in the
// Set). Pass them to ReplaceSourceIndicators.
func IndicatorsOf(s *lists.Set) []Indicator {
	var out []Indicator
	s.Entries(func(e lists.Entry) bool {
		if e.Kind == lists.KindDomain {
			return true
		}
		out = append(out, Indicator{
			Value:    strings.Clone(e.Value), // the Set's arena may be a snapshot's mapping
			Kind:     e.Kind,
			Source:   s.Source(),
			Category: e.Category,
			Chain:    e.Chain,
			Reason:   e.Kind.String(),
			Line:     e.Line,
			Links:    e.Links,
		})
		return true
	})
	return out
}

// GuardedIndicators returns the catalogue rows for the entries a Matcher's
// guard refused (Reason "guarded:<rule>").
func GuardedIndicators(m *lists.Matcher) []Indicator {
	var out []Indicator
	for _, g := range m.Guarded() {
		out = append(out, Indicator{
			Value:  strings.Clone(g.Name),
			Kind:   lists.KindDomain,
			Source: g.Source,
			Reason: "guarded:" + g.Rule,
			Line:   g.Line,
		})
	}
	return out
}
