package querystats

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scamblock/scamblock/lists"
)

type fixedList map[string]bool

func (f fixedList) Lookup(name string) (lists.Hit, bool) {
	if f[name] {
		return lists.Hit{Name: name, Source: "feed-a", Action: lists.Block}, true
	}
	return lists.Hit{}, false
}

func TestCountingCountsBlockedNamesAndSources(t *testing.T) {
	s := New(nil)
	c := Counting{List: fixedList{"evil.example": true, "Evil.Example.": true}, Stats: s}
	c.Lookup("evil.example")
	c.Lookup("Evil.Example.") // same name, any case and trailing dot
	c.Lookup("good.example")
	snap := s.Snapshot(10)
	if len(snap.Names) != 1 || snap.Names[0] != (Count{"evil.example", 2}) {
		t.Errorf("names %+v, want evil.example ×2", snap.Names)
	}
	if len(snap.Sources) != 1 || snap.Sources[0] != (Count{"feed-a", 2}) {
		t.Errorf("sources %+v, want feed-a ×2", snap.Sources)
	}
}

func TestSampleFillsBucketsAndForgetsAfter24h(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := New(func() time.Time { return now })
	s.Sample(100, 10) // sets the base only
	now = now.Add(time.Minute)
	s.Sample(150, 15)
	now = now.Add(Bucket)
	s.Sample(160, 15)
	snap := s.Snapshot(5)
	if len(snap.History) != nBuckets {
		t.Fatalf("%d points, want %d", len(snap.History), nBuckets)
	}
	if snap.Queries != 60 || snap.Blocks != 5 {
		t.Errorf("totals %d/%d, want 60/5", snap.Queries, snap.Blocks)
	}
	last := snap.History[nBuckets-1]
	if last.Queries != 10 || !last.Start.Equal(now.Truncate(Bucket)) {
		t.Errorf("last bucket %+v, want 10 queries at %s", last, now.Truncate(Bucket))
	}
	now = now.Add(24 * time.Hour)
	if snap := s.Snapshot(5); snap.Queries != 0 {
		t.Errorf("a day later: %d queries, want 0", snap.Queries)
	}
	s.Sample(5, 1) // the resolver restarted: its counters start again
	if snap := s.Snapshot(5); snap.Queries != 5 || snap.Blocks != 1 {
		t.Errorf("after a counter reset: %d/%d, want 5/1", snap.Queries, snap.Blocks)
	}
}

func TestNameTableStaysBounded(t *testing.T) {
	s := New(nil)
	s.Blocked("frequent.example", "a")
	s.Blocked("frequent.example", "a")
	s.Blocked("frequent.example", "a")
	for i := range maxNames * 2 {
		s.Blocked(string(rune('a'+i%26))+time.Duration(i).String()+".example", "a")
	}
	if n := len(s.names); n > maxNames {
		t.Errorf("%d names kept, limit %d", n, maxNames)
	}
}

func TestGatherReadsResolverSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	q := prometheus.NewCounterVec(prometheus.CounterOpts{Name: QueriesMetric, Help: "x"}, []string{"qtype", "outcome"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: UpstreamMetric, Help: "x"}, []string{"upstream", "result"})
	reg.MustRegister(q, h)
	s := New(nil)
	if err := s.Gather(reg); err != nil {
		t.Fatal(err)
	}
	q.WithLabelValues("A", "forwarded").Add(7)
	q.WithLabelValues("A", "blocked").Add(3)
	h.WithLabelValues("udp://192.0.2.53:53", "ok").Observe(0.010)
	h.WithLabelValues("udp://192.0.2.53:53", "ok").Observe(0.030)
	h.WithLabelValues("udp://192.0.2.53:53", "error").Observe(1.5)
	if err := s.Gather(reg); err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot(5)
	if snap.Queries != 10 || snap.Blocks != 3 {
		t.Errorf("totals %d/%d, want 10/3", snap.Queries, snap.Blocks)
	}
	want := Upstream{Name: "udp://192.0.2.53:53", OK: 2, Errors: 1, Mean: 20 * time.Millisecond}
	if len(snap.Upstreams) != 1 || snap.Upstreams[0] != want {
		t.Errorf("upstreams %+v, want %+v", snap.Upstreams, want)
	}
}

// TestFullNameTableMakesRoomOnce: when every counted name was seen at least
// twice, a new name is not counted and costs no pass over the table (one
// halving per new name stalled the resolver: issue 12's soak found it; one
// per 10,000 new names still put its p99 at 2x Unbound's in issue 15's
// bench); the next Sample makes room for many more.
func TestFullNameTableMakesRoomOnce(t *testing.T) {
	s := New(nil)
	for i := range maxNames {
		name := fmt.Sprintf("n%d.example", i)
		s.Blocked(name, "feed")
		s.Blocked(name, "feed")
	}
	s.Blocked("new.example", "feed")
	s.mu.Lock()
	n, counted := len(s.names), s.names["new.example"]
	s.mu.Unlock()
	if n != maxNames || counted != nil {
		t.Fatalf("a new name in a full table: %d names kept, new.example counted: %v; want the table as it was", n, counted != nil)
	}
	s.Sample(1, 1)
	s.mu.Lock()
	n = len(s.names)
	s.mu.Unlock()
	if n > maxNames*3/4 {
		t.Fatalf("after a sample of a full table of counts >= 2: %d names kept, want at most %d (room for the next ones)", n, maxNames*3/4)
	}
	s.Blocked("new.example", "feed")
	if snap := s.Snapshot(maxNames); !slices.ContainsFunc(snap.Names, func(c Count) bool { return c.Name == "new.example" }) {
		t.Error("new.example not counted once the sample made room")
	}
}

// TestBlockedDoesNotAllocate: the resolver calls Blocked on every blocked
// query; a name already counted (in any letter case: DNS 0x20) and a new
// name when the table is full cost no allocation, so they do not drive the
// garbage collector, whose pauses were issue 15's blocked p99.
func TestBlockedDoesNotAllocate(t *testing.T) {
	s := New(nil)
	s.Blocked("scam.example", "feed")
	if n := testing.AllocsPerRun(100, func() { s.Blocked("ScAm.ExAmPlE.", "feed") }); n != 0 {
		t.Errorf("a counted name in mixed case: %.0f allocations, want 0", n)
	}
	for i := range maxNames {
		s.Blocked(fmt.Sprintf("n%d.example", i), "feed")
	}
	if n := testing.AllocsPerRun(100, func() { s.Blocked("not-counted.example", "feed") }); n != 0 {
		t.Errorf("a new name in a full table: %.0f allocations, want 0", n)
	}
}

// TestSourceIsCopied: the source name may point into memory that changes
// after the call (a list snapshot a reload replaces); the table keeps its
// own copy, or its keys change under it (the soak of issue 12 stalled the
// resolver in halve on such a table).
func TestSourceIsCopied(t *testing.T) {
	s := New(nil)
	buf := []byte("feedA")
	s.Blocked("a.example", unsafe.String(&buf[0], len(buf)))
	copy(buf, "feedB")
	s.Blocked("b.example", "feedA")
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.sources["feedA"]; n == nil || *n != 2 || len(s.sources) != 1 {
		t.Fatalf("sources %v: want feedA counted twice", s.sources)
	}
}

// TestTopMatchesFullSort checks the bounded selection against sorting the
// whole table: highest count first, ties by name.
func TestTopMatchesFullSort(t *testing.T) {
	m := table{}
	for i := range 5000 {
		m[fmt.Sprintf("n%d.example", i)] = new(uint64(i*7919%97 + 1))
	}
	all := make([]Count, 0, len(m))
	for k, v := range m {
		all = append(all, Count{k, *v})
	}
	slices.SortFunc(all, byCount)
	for _, n := range []int{0, 1, 10, 96, 5000, 6000} {
		if got, want := top(m, n), all[:min(n, len(all))]; !slices.Equal(got, want) {
			t.Errorf("top(%d) = %v, want %v", n, got, want)
		}
	}
}

// BenchmarkSnapshotFullTable is a dashboard refresh with the blocked-name
// table full (maxNames names): it holds the lock the resolver's Blocked
// waits for.
func BenchmarkSnapshotFullTable(b *testing.B) {
	s := New(nil)
	for i := range maxNames {
		for range i%5 + 1 {
			s.Blocked(fmt.Sprintf("claim-%d-airdrop.top", i), "bench")
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Snapshot(10)
	}
}
