// Package catalogue is the go-memdb store of what people ask about: the
// sources (feeds, submissions) with their fetch state, and the non-bulk
// indicators (wallet addresses, URL indicators, look-alike targets,
// researcher submissions, guarded entries) with first and last seen times.
// Bulk feed domains stay in lists.Sets. The query path never reads it: the
// resolver, rpz and wallet packages do not import it (deps_test.go).
package catalogue

import (
	"fmt"
	"maps"
	"slices"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/scamblock/scamblock/lists"
)

// SourceInfo is one source's row in the catalogue.
type SourceInfo struct {
	Name       string         `json:"name"`
	URL        string         `json:"url,omitempty"`
	Format     string         `json:"format,omitempty"`
	Licence    string         `json:"licence,omitempty"`
	Entries    int            `json:"entries"`
	Rejected   map[string]int `json:"rejected,omitempty"` // by reason
	LastFetch  time.Time      `json:"last_fetch,omitzero"`
	LastChange time.Time      `json:"last_change,omitzero"`
	LastError  string         `json:"last_error,omitempty"`
}

func (s SourceInfo) clone() SourceInfo {
	s.Rejected = maps.Clone(s.Rejected)
	return s
}

// Indicator is one non-bulk indicator in the catalogue: a wallet address,
// a URL indicator, a researcher submission or a guarded entry. Bulk feed
// domains stay in Sets (see README.md for why).
type Indicator struct {
	Value     string     `json:"value"`
	Kind      lists.Kind `json:"kind"`
	Source    string     `json:"source"`
	Category  string     `json:"category,omitempty"`
	Chain     string     `json:"chain,omitempty"`
	FirstSeen time.Time  `json:"first_seen,omitzero"`
	LastSeen  time.Time  `json:"last_seen,omitzero"`
	// Reason says why it is here: "address", "url", "submission",
	// "guarded:popular", ...
	Reason string    `json:"reason,omitempty"`
	Expiry time.Time `json:"expiry,omitzero"` // zero: never expires
	Line   int       `json:"line,omitempty"`
	Links  []string  `json:"links,omitempty"`
}

func (i Indicator) clone() Indicator {
	i.Links = slices.Clone(i.Links)
	return i
}

// Catalogue is the go-memdb store of sources and non-bulk indicators. It
// is safe for concurrent use; reads see consistent snapshots. The query
// path never reads it.
type Catalogue struct {
	db *memdb.MemDB
}

// New returns an empty catalogue.
func New() (*Catalogue, error) {
	db, err := memdb.NewMemDB(catalogueSchema())
	if err != nil {
		return nil, fmt.Errorf("catalogue schema: %w", err)
	}
	return &Catalogue{db: db}, nil
}

// UpsertSource inserts or replaces a source's row.
func (c *Catalogue) UpsertSource(s SourceInfo) error {
	if s.Name == "" {
		return fmt.Errorf("upsert source: empty name")
	}
	txn := c.db.Txn(true)
	defer txn.Abort()
	row := s.clone()
	if err := txn.Insert(TableSources, &row); err != nil {
		return fmt.Errorf("upsert source %q: %w", s.Name, err)
	}
	txn.Commit()
	return nil
}

// Source returns the named source's row.
func (c *Catalogue) Source(name string) (SourceInfo, bool, error) {
	txn := c.db.Txn(false)
	raw, err := txn.First(TableSources, indexID, name)
	if err != nil {
		return SourceInfo{}, false, fmt.Errorf("source %q: %w", name, err)
	}
	if raw == nil {
		return SourceInfo{}, false, nil
	}
	return raw.(*SourceInfo).clone(), true, nil
}

// Sources returns every source, sorted by name.
func (c *Catalogue) Sources() ([]SourceInfo, error) {
	txn := c.db.Txn(false)
	it, err := txn.Get(TableSources, indexID)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	var out []SourceInfo
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*SourceInfo).clone())
	}
	return out, nil
}

// DeleteSource removes a source and all its indicators.
func (c *Catalogue) DeleteSource(name string) error {
	txn := c.db.Txn(true)
	defer txn.Abort()
	if _, err := txn.DeleteAll(TableSources, indexID, name); err != nil {
		return fmt.Errorf("delete source %q: %w", name, err)
	}
	if _, err := txn.DeleteAll(TableIndicators, indexSource, name); err != nil {
		return fmt.Errorf("delete indicators of %q: %w", name, err)
	}
	txn.Commit()
	return nil
}

// UpsertIndicators inserts indicators or refreshes existing ones (same
// value and source): FirstSeen is kept, LastSeen becomes now, the other
// fields are replaced.
func (c *Catalogue) UpsertIndicators(now time.Time, inds ...Indicator) error {
	txn := c.db.Txn(true)
	defer txn.Abort()
	for _, ind := range inds {
		if err := upsertIndicator(txn, now, ind); err != nil {
			return err
		}
	}
	txn.Commit()
	return nil
}

func upsertIndicator(txn *memdb.Txn, now time.Time, ind Indicator) error {
	if ind.Value == "" || ind.Source == "" {
		return fmt.Errorf("upsert indicator %q from %q: value and source are required", ind.Value, ind.Source)
	}
	row := ind.clone()
	raw, err := txn.First(TableIndicators, indexID, ind.Value, ind.Source)
	if err != nil {
		return fmt.Errorf("indicator %q from %q: %w", ind.Value, ind.Source, err)
	}
	if raw != nil {
		if old := raw.(*Indicator); !old.FirstSeen.IsZero() {
			row.FirstSeen = old.FirstSeen
		}
	}
	if row.FirstSeen.IsZero() {
		row.FirstSeen = now
	}
	row.LastSeen = now
	if err := txn.Insert(TableIndicators, &row); err != nil {
		return fmt.Errorf("insert indicator %q from %q: %w", ind.Value, ind.Source, err)
	}
	return nil
}

// ReplaceSourceIndicators makes inds the indicators of source: new ones
// are inserted, existing ones refreshed (FirstSeen kept), and those the
// source no longer lists are deleted. It returns how many were deleted.
func (c *Catalogue) ReplaceSourceIndicators(source string, now time.Time, inds []Indicator) (deleted int, err error) {
	txn := c.db.Txn(true)
	defer txn.Abort()
	keep := make(map[string]struct{}, len(inds))
	for _, ind := range inds {
		ind.Source = source
		keep[ind.Value] = struct{}{}
		if err := upsertIndicator(txn, now, ind); err != nil {
			return 0, err
		}
	}
	it, err := txn.Get(TableIndicators, indexSource, source)
	if err != nil {
		return 0, fmt.Errorf("indicators of %q: %w", source, err)
	}
	var stale []*Indicator
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if ind := raw.(*Indicator); !hasKey(keep, ind.Value) {
			stale = append(stale, ind)
		}
	}
	for _, ind := range stale {
		if err := txn.Delete(TableIndicators, ind); err != nil {
			return 0, fmt.Errorf("delete indicator %q from %q: %w", ind.Value, source, err)
		}
	}
	txn.Commit()
	return len(stale), nil
}

func hasKey(m map[string]struct{}, k string) bool {
	_, ok := m[k]
	return ok
}

// Expire deletes indicators whose Expiry is before now and returns how many.
func (c *Catalogue) Expire(now time.Time) (int, error) {
	txn := c.db.Txn(true)
	defer txn.Abort()
	it, err := txn.Get(TableIndicators, indexID)
	if err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	var expired []*Indicator
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if ind := raw.(*Indicator); !ind.Expiry.IsZero() && ind.Expiry.Before(now) {
			expired = append(expired, ind)
		}
	}
	for _, ind := range expired {
		if err := txn.Delete(TableIndicators, ind); err != nil {
			return 0, fmt.Errorf("expire %q from %q: %w", ind.Value, ind.Source, err)
		}
	}
	txn.Commit()
	return len(expired), nil
}

// Indicators returns every source's row for value.
func (c *Catalogue) Indicators(value string) ([]Indicator, error) {
	return c.get(indexValue, value)
}

// IndicatorsBySource returns the indicators a source lists.
func (c *Catalogue) IndicatorsBySource(source string) ([]Indicator, error) {
	return c.get(indexSource, source)
}

// IndicatorsByKind returns the indicators of one kind.
func (c *Catalogue) IndicatorsByKind(k lists.Kind) ([]Indicator, error) {
	return c.get(indexKind, uint8(k)) // the index encodes by the field's width
}

func (c *Catalogue) get(index string, arg any) ([]Indicator, error) {
	txn := c.db.Txn(false)
	it, err := txn.Get(TableIndicators, index, arg)
	if err != nil {
		return nil, fmt.Errorf("indicators by %s %v: %w", index, arg, err)
	}
	var out []Indicator
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Indicator).clone())
	}
	return out, nil
}
