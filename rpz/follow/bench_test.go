package follow

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/rpz"
)

var benchTLDs = []string{"com", "net", "xyz", "io", "app", "org", "co.uk", "online", "site", "top"}

// syntheticMatcher compiles n scam-like names of ~24 bytes starting at
// offset, every 10th exact-only (as rpz's benchmarks do).
func syntheticMatcher(n, offset int) *lists.Matcher {
	b := lists.NewSetBuilder("synthetic")
	for i := offset; i < offset+n; i++ {
		name := "claim-" + strconv.Itoa(i*7919%10000019) + "-airdrop." + benchTLDs[i%len(benchTLDs)]
		b.Add(lists.Entry{Value: name, Kind: lists.KindDomain, Line: i + 1, Exact: i%10 == 0})
	}
	m, _ := lists.Compile([]*lists.Set{b.Build()}, lists.CompileOptions{})
	return m
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkFollow measures, against a scamblock primary on loopback, a
// fresh follower's AXFR (transfer + Set) and an IXFR of 1% of the names
// replaced, and reports the bytes the copy keeps per name besides its Set.
// go test -run xxx -bench Follow -benchtime 3x ./rpz/follow/
func BenchmarkFollow(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p := startPrimary(b, rpz.Config{JournalDeltas: 1 << 10}, syntheticMatcher(n, 0))
			quiet := slog.New(slog.DiscardHandler)
			b.Run("AXFR", func(b *testing.B) {
				var held *zone
				var kept uint64
				for b.Loop() {
					held = nil
					before := heapAfterGC()
					f, err := New(Config{Primary: p.addr, Zone: "rpz.scamblock", Logger: quiet})
					if err != nil {
						b.Fatal(err)
					}
					if err := f.check(context.Background()); err != nil {
						b.Fatal(err)
					}
					f.set.Store(nil)
					held = f.cur.Load()
					kept = heapAfterGC() - before
				}
				b.ReportMetric(float64(kept)/float64(n), "B/name-kept")
				b.ReportMetric(float64(held.records), "records")
			})
			b.Run("IXFR-1pct", func(b *testing.B) {
				f, err := New(Config{Primary: p.addr, Zone: "rpz.scamblock", Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				if err := f.check(context.Background()); err != nil {
					b.Fatal(err)
				}
				round := 0
				var took time.Duration
				for b.Loop() {
					b.StopTimer()
					round++
					if _, err := p.Update(syntheticMatcher(n, round*n/100)); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					start := time.Now()
					if err := f.check(context.Background()); err != nil {
						b.Fatal(err)
					}
					took = time.Since(start)
				}
				if st := f.Status(); st.LastTransferType != "IXFR" {
					b.Fatalf("last transfer %s, want IXFR", st.LastTransferType)
				}
				b.ReportMetric(float64(took.Milliseconds()), "ms-last")
			})
			b.Run("Set", func(b *testing.B) {
				f, err := New(Config{Primary: p.addr, Zone: "rpz.scamblock", Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				if err := f.check(context.Background()); err != nil {
					b.Fatal(err)
				}
				z := f.cur.Load()
				b.ReportAllocs()
				for b.Loop() {
					z.toSet("follow:rpz.scamblock", parse.Options{})
				}
			})
		})
	}
}
