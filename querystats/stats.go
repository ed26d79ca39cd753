// Package querystats keeps what the dashboard shows about the DNS traffic:
// queries and blocks over the last 24 hours in 5-minute buckets, the most
// blocked names and the sources that blocked them, and the health of each
// upstream.
//
// Totals come from the resolver's Prometheus series
// (scamblock_dns_queries_total, scamblock_dns_upstream_duration_seconds),
// sampled by Run; blocked names come from Counting, a resolver.Blocklist
// that wraps the real one. It does not answer or log queries and keeps no
// client addresses.
package querystats

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scamblock/scamblock/lists"
)

// Bucket is one slot of the 24-hour history.
const (
	Bucket   = 5 * time.Minute
	nBuckets = int(24 * time.Hour / Bucket)
)

// maxNames bounds the blocked-name table. When it is full a new name is
// not counted (the query path does no more than a map read and never
// allocates then); the next Sample halves every count and drops the names
// left at zero, so recent, frequent names stay, a flood of distinct names
// costs bounded memory, and the pass over the table runs once per sample,
// not on the resolver's query path.
const maxNames = 10000

// Stats is safe for concurrent use. The zero value is not usable: call New.
type Stats struct {
	mu      sync.Mutex
	history [nBuckets]Point
	// last cumulative counter values seen by Sample (negative: none yet)
	lastQueries, lastBlocks float64
	names                   table
	sources                 table
	upstreams               []Upstream
	now                     func() time.Time
}

// Point is the traffic of one bucket.
type Point struct {
	Start   time.Time `json:"start"`
	Queries uint64    `json:"queries"`
	Blocks  uint64    `json:"blocks"`
}

// Count is one row of a top list.
type Count struct {
	Name  string `json:"name"`
	Count uint64 `json:"count"`
}

// Upstream is the health of one upstream since the server started.
type Upstream struct {
	Name   string        `json:"name"`
	OK     uint64        `json:"ok"`
	Errors uint64        `json:"errors"`
	Mean   time.Duration `json:"mean"` // of successful answers
}

// New returns empty statistics; now nil means time.Now.
func New(now func() time.Time) *Stats {
	if now == nil {
		now = time.Now
	}
	return &Stats{lastQueries: -1, lastBlocks: -1, names: table{}, sources: table{}, now: now}
}

// Blocked counts one blocked query for name (any case, trailing dot or
// not) decided by source. It copies name when it adds it. A name that is
// not in a full table is not counted until Sample makes room.
func (s *Stats) Blocked(name, source string) {
	name = strings.TrimSuffix(name, ".")
	var lower [256]byte // a name is at most 253 bytes; lower-cased here, not by an allocation per query
	key := lower[:0]
	if len(name) <= len(lower) {
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			key = append(key, c)
		}
	} else {
		key = []byte(strings.ToLower(name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.names[string(key)]; c != nil {
		*c++
	} else if len(s.names) < maxNames {
		s.names[string(key)] = new(uint64(1)) // string(key) copies: the resolver reuses the buffer behind name
	}
	if c := s.sources[source]; c != nil {
		*c++
	} else if len(s.sources) < maxNames {
		s.sources[strings.Clone(source)] = new(uint64(1)) // it may point into a list snapshot that a reload replaces
	}
}

// table counts names. A count is raised through the pointer a lookup
// returns: a lookup by string(bytes) does not allocate, and an assignment
// to a present key would store the caller's string, which may alias a
// buffer the resolver reuses, in place of the table's own copy.
type table map[string]*uint64

// makeRoom halves the tables that are full (see maxNames). Sample calls it
// with the lock held.
func (s *Stats) makeRoom() {
	if len(s.names) >= maxNames {
		halve(s.names)
	}
	if len(s.sources) >= maxNames {
		halve(s.sources)
	}
}

// halve halves every count, dropping those that reach zero, until the map
// is at most three quarters full: one pass may free nothing (every count
// at least 2), and the table would then stay full until the next sample.
func halve(m table) {
	for pass := 0; len(m) > maxNames*3/4; pass++ {
		if pass == 64 { // every count is zero by now: cannot happen, but never loop
			clear(m)
			return
		}
		for k, c := range m {
			if *c /= 2; *c == 0 {
				delete(m, k)
			}
		}
	}
}

// Sample records the resolver's cumulative query and block counters: the
// growth since the previous sample goes into the current bucket. A counter
// that went down (a restart of the resolver) counts from zero.
func (s *Stats) Sample(queries, blocks float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.bucket(s.now())
	p.Queries += delta(s.lastQueries, queries)
	p.Blocks += delta(s.lastBlocks, blocks)
	s.lastQueries, s.lastBlocks = queries, blocks
	s.makeRoom()
}

func delta(last, cur float64) uint64 {
	switch {
	case last < 0:
		return 0 // the first sample only sets the base
	case cur < last:
		return uint64(cur)
	}
	return uint64(cur - last)
}

// bucket returns the bucket of t, clearing it when it last held an older
// period.
func (s *Stats) bucket(t time.Time) *Point {
	start := t.Truncate(Bucket)
	p := &s.history[int(start.Unix()/int64(Bucket/time.Second))%nBuckets]
	if !p.Start.Equal(start) {
		*p = Point{Start: start}
	}
	return p
}

// SetUpstreams replaces the upstream health rows.
func (s *Stats) SetUpstreams(u []Upstream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upstreams = slices.Clone(u)
}

// Snapshot is everything the dashboard shows, copied.
type Snapshot struct {
	History   []Point    `json:"history"` // oldest first, one per bucket, 24 h
	Queries   uint64     `json:"queries"` // over the history
	Blocks    uint64     `json:"blocks"`
	Names     []Count    `json:"top_names"`
	Sources   []Count    `json:"top_sources"`
	Upstreams []Upstream `json:"upstreams"`
}

// Snapshot returns the last 24 hours and the top n names and sources.
func (s *Stats) Snapshot(n int) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.now().Truncate(Bucket)
	out := Snapshot{History: make([]Point, nBuckets), Upstreams: slices.Clone(s.upstreams)}
	for i := range nBuckets {
		start := end.Add(-time.Duration(nBuckets-1-i) * Bucket)
		p := s.history[int(start.Unix()/int64(Bucket/time.Second))%nBuckets]
		if !p.Start.Equal(start) {
			p = Point{Start: start}
		}
		out.History[i] = p
		out.Queries += p.Queries
		out.Blocks += p.Blocks
	}
	out.Names = top(s.names, n)
	out.Sources = top(s.sources, n)
	return out
}

// top returns the n highest counts of m, highest first, ties by name. It
// keeps only n candidates (sorted, replacing the last) instead of sorting
// the whole table: Snapshot runs it under the lock the resolver's Blocked
// waits for, and the table holds up to maxNames names.
func top(m table, n int) []Count {
	out := make([]Count, 0, min(n, len(m)))
	if n <= 0 {
		return out
	}
	for k, v := range m {
		c := Count{k, *v}
		if len(out) == n {
			if byCount(c, out[n-1]) >= 0 {
				continue
			}
			out = out[:n-1]
		}
		i, _ := slices.BinarySearchFunc(out, c, byCount)
		out = slices.Insert(out, i, c)
	}
	return out
}

// byCount orders counts highest first, then by name.
func byCount(a, b Count) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// Blocklist is what the resolver asks (resolver.Blocklist).
type Blocklist interface {
	Lookup(name string) (lists.Hit, bool)
}

// Counting is a Blocklist that tells Stats of every blocked lookup. Hand
// it to the resolver in place of the real one. A name asked again through
// a CNAME check counts again: the table shows what was blocked, not
// distinct clients' intentions.
type Counting struct {
	List  Blocklist
	Stats *Stats
}

// Lookup asks the wrapped list and counts a block.
func (c Counting) Lookup(name string) (lists.Hit, bool) {
	hit, blocked := c.List.Lookup(name)
	if blocked {
		c.Stats.Blocked(name, hit.Source)
	}
	return hit, blocked
}
