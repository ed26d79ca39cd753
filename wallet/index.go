package wallet

import (
	"strings"

	"github.com/scamblock/scamblock/internal/live"
	"github.com/scamblock/scamblock/lists"
)

// Listing is one source's listing of an address.
type Listing struct {
	Source   string   // feed name, "submission:42", ...
	Category string   // "scam", "phishing", "drainer", "sanctioned", ... ("" = source default)
	Line     int      // line in the source file; 0 when unknown
	Hint     string   // the chain the source listed it under ("xbt", "usdt"), as given
	Links    []string // related domains (the sites that used the address)
}

// Record is a listed address and every listing of it.
type Record struct {
	Address  Address
	Listings []Listing
}

// Builder collects listings for an Index. It is not safe for concurrent
// use; build, then hand the Index over.
type Builder struct {
	byCanon  map[string]int
	records  []Record
	extra    [][]string // per record: spellings as the feeds wrote them
	accepted int
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{byCanon: make(map[string]int)}
}

// Add parses e.Value under the chain hint e.Chain (ParseHint) and records
// the listing under source. Entries that are not KindAddress, and addresses
// ParseHint rejects, are not added: the error says why (a
// *lists.RejectError for a bad address).
func (b *Builder) Add(source string, e lists.Entry) error {
	if e.Kind != lists.KindAddress {
		return &lists.RejectError{Reason: ReasonUnknownFormat, Input: e.Value, Detail: "entry kind " + e.Kind.String() + " is not an address"}
	}
	a, err := ParseHint(e.Chain, e.Value)
	if err != nil {
		return err
	}
	l := Listing{Source: source, Category: e.Category, Line: e.Line, Hint: e.Chain}
	if len(e.Links) > 0 {
		l.Links = append([]string(nil), e.Links...)
	}
	i, ok := b.byCanon[a.Canonical]
	if !ok {
		i = len(b.records)
		b.byCanon[a.Canonical] = i
		b.records = append(b.records, Record{Address: a})
		b.extra = append(b.extra, nil)
	}
	b.records[i].Listings = append(b.records[i].Listings, l)
	if v := strings.TrimSpace(e.Value); v != a.Canonical {
		b.extra[i] = append(b.extra[i], v)
	}
	b.accepted++
	return nil
}

// Build returns an immutable Index of everything added so far. The Builder
// may be used again afterwards; the Index does not share its maps.
func (b *Builder) Build() *Index {
	ix := &Index{
		records: make([]Record, len(b.records)),
		byCanon: make(map[string]int32, len(b.records)),
		byLabel: make(map[string]int32, len(b.records)*8),
		entries: b.accepted,
	}
	for i, r := range b.records {
		r.Listings = append([]Listing(nil), r.Listings...)
		ix.records[i] = r
		ix.byCanon[r.Address.Canonical] = int32(i)
		for _, l := range Labels(r.Address, b.extra[i]...) {
			if _, taken := ix.byLabel[l]; !taken {
				ix.byLabel[l] = int32(i)
			}
		}
	}
	return ix
}

// Index maps listed addresses and their HashBL labels to their listings.
// It is never mutated after Build: share it freely, replace it whole.
type Index struct {
	records []Record
	byCanon map[string]int32
	byLabel map[string]int32
	entries int
}

// Len is the number of distinct addresses.
func (ix *Index) Len() int { return len(ix.records) }

// Listings is the number of listings (entries added) over all addresses.
func (ix *Index) Listings() int { return ix.entries }

// Labels is the number of distinct HashBL labels the index answers.
func (ix *Index) Labels() int { return len(ix.byLabel) }

// Lookup finds an address written in any case and form Parse accepts
// ("0xABC…" finds "0xabc…", "bitcoincash:q…" and "q…" are one). The
// returned Record shares the index's slices: do not modify it.
func (ix *Index) Lookup(addr string) (Record, bool) {
	if ix == nil {
		return Record{}, false
	}
	a, err := Parse(addr)
	if err != nil {
		a, err = ParseHint(ChainEVM, addr) // 40 hex digits without 0x
	}
	if err == nil {
		if i, ok := ix.byCanon[a.Canonical]; ok {
			return ix.records[i], true
		}
	}
	if i, ok := ix.byCanon[strings.TrimSpace(addr)]; ok {
		return ix.records[i], true
	}
	return Record{}, false
}

// LookupLabel finds the address a HashBL label stands for: the SHA-1 or
// MD5 hex, or the lower-case unpadded base32 SHA-256, of one of the
// address's Spellings, or the address itself. Any letter case. It does not
// allocate when label is already lower case.
func (ix *Index) LookupLabel(label string) (Record, bool) {
	if ix == nil {
		return Record{}, false
	}
	i, ok := ix.byLabel[label]
	if !ok && hasUpper(label) {
		i, ok = ix.byLabel[strings.ToLower(label)]
	}
	if !ok {
		return Record{}, false
	}
	return ix.records[i], true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// Live holds the current Index for readers on the query path and swaps it
// atomically (live.Value): its owner builds a new Index on every change and
// calls Replace; Load returns the current one. The zero value holds no
// index (every lookup misses).
type Live struct {
	live.Value[Index]
}

// Lookup is Index.Lookup on the current index.
func (l *Live) Lookup(addr string) (Record, bool) { return l.Load().Lookup(addr) }

// LookupLabel is Index.LookupLabel on the current index.
func (l *Live) LookupLabel(label string) (Record, bool) { return l.Load().LookupLabel(label) }
