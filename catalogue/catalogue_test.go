package catalogue

import (
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/scamblock/scamblock/lists"
)

func TestIndicators(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	set := buildSet("cryptoscamdb",
		lists.Entry{Value: "evil.example"},
		lists.Entry{Value: "twitter.com/scammer", Kind: lists.KindURL, Category: "scam"},
		lists.Entry{Value: "0xabc", Kind: lists.KindAddress, Chain: "eth", Links: []string{"evil.example"}},
	)
	inds := IndicatorsOf(set)
	if len(inds) != 2 {
		t.Fatalf("IndicatorsOf = %+v; want the URL and the address only", inds)
	}
	if _, err := c.ReplaceSourceIndicators("cryptoscamdb", t0, inds); err != nil {
		t.Fatal(err)
	}
	other := Indicator{Value: "0xabc", Kind: lists.KindAddress, Source: "ofac", Chain: "eth", Reason: "address", Expiry: t0.Add(30 * time.Minute)}
	if err := c.UpsertIndicators(t0, other); err != nil {
		t.Fatal(err)
	}

	got, err := c.Indicators("0xabc")
	if err != nil || len(got) != 2 {
		t.Fatalf("Indicators(0xabc) = %+v, %v; want two sources", got, err)
	}
	got[0].Links[0] = "mutated"
	again, _ := c.Indicators("0xabc")
	if again[0].Links[0] != "evil.example" {
		t.Fatal("a returned indicator shares memory with the catalogue")
	}

	// A refresh keeps FirstSeen, moves LastSeen and drops what the source no longer lists.
	deleted, err := c.ReplaceSourceIndicators("cryptoscamdb", t1, inds[1:])
	if err != nil || deleted != 1 {
		t.Fatalf("refresh deleted %d, %v; want 1", deleted, err)
	}
	bySource, _ := c.IndicatorsBySource("cryptoscamdb")
	if len(bySource) != 1 || !bySource[0].FirstSeen.Equal(t0) || !bySource[0].LastSeen.Equal(t1) {
		t.Fatalf("after refresh: %+v", bySource)
	}
	if n, err := c.Expire(t1); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want the ofac row", n, err)
	}
	addrs, _ := c.IndicatorsByKind(lists.KindAddress)
	if len(addrs) != 1 || addrs[0].Source != "cryptoscamdb" {
		t.Fatalf("addresses = %+v", addrs)
	}
	if err := c.UpsertIndicators(t0, Indicator{Value: "x"}); err == nil {
		t.Fatal("an indicator without a source was accepted")
	}
}

func TestSources(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src := SourceInfo{Name: "metamask", URL: "https://example.invalid/config.json", Format: "metamask-json", Entries: 10, Rejected: map[string]int{"single-label": 1}}
	if err := c.UpsertSource(src); err != nil {
		t.Fatal(err)
	}
	src.Rejected["single-label"] = 99 // the caller's map must not reach the catalogue
	got, ok, err := c.Source("metamask")
	if err != nil || !ok || got.Rejected["single-label"] != 1 {
		t.Fatalf("Source = %+v, %v, %v", got, ok, err)
	}
	if err := c.UpsertIndicators(time.Now(), Indicator{Value: "0x1", Source: "metamask", Kind: lists.KindAddress}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSource("metamask"); err != nil {
		t.Fatal(err)
	}
	all, _ := c.Sources()
	inds, _ := c.IndicatorsBySource("metamask")
	if len(all) != 0 || len(inds) != 0 {
		t.Fatalf("after delete: %d sources, %d indicators", len(all), len(inds))
	}
	if err := c.UpsertSource(SourceInfo{}); err == nil {
		t.Fatal("a source without a name was accepted")
	}
}

// BenchmarkBytesPerIndicator compares the heap go-memdb needs for
// 100k indicators with a Set holding the same values.
func BenchmarkBytesPerIndicator(b *testing.B) {
	const n = 100_000
	now := time.Now()
	for b.Loop() {
		before := heapAfterGC()
		c, err := New()
		if err != nil {
			b.Fatal(err)
		}
		inds := make([]Indicator, 0, 1000)
		for i := 0; i < n; i++ {
			inds = append(inds, Indicator{Value: syntheticName(i), Kind: lists.KindDomain, Source: "synthetic", Reason: "feed", Line: i + 1})
			if len(inds) == cap(inds) {
				if err := c.UpsertIndicators(now, inds...); err != nil {
					b.Fatal(err)
				}
				inds = inds[:0]
			}
		}
		afterDB := heapAfterGC()
		set := syntheticSet(n)
		afterSet := heapAfterGC()
		b.ReportMetric(float64(afterDB-before)/n, "memdb-B/indicator")
		b.ReportMetric(float64(afterSet-afterDB)/n, "set-B/indicator")
		runtime.KeepAlive(c)
		runtime.KeepAlive(set)
	}
}

func buildSet(source string, entries ...lists.Entry) *lists.Set {
	b := lists.NewSetBuilder(source)
	for i, e := range entries {
		if e.Kind == 0 {
			e.Kind = lists.KindDomain
		}
		e.Line = i + 1
		b.Add(e)
	}
	return b.Build()
}

func syntheticName(i int) string {
	return "claim-" + strconv.Itoa(i*7919%10000019) + "-airdrop.com"
}

// syntheticSet builds n synthetic names without leaving garbage behind,
// so that heap measurements see the Set, not the generator.
func syntheticSet(n int) *lists.Set {
	b := lists.NewSetBuilder("synthetic")
	buf := make([]byte, 0, 64)
	for i := 0; i < n; i++ {
		buf = append(buf[:0], "claim-"...)
		buf = strconv.AppendInt(buf, int64(i*7919%10000019), 10)
		buf = append(buf, "-airdrop.com"...)
		b.Add(lists.Entry{Value: unsafe.String(unsafe.SliceData(buf), len(buf)), Kind: lists.KindDomain, Line: i + 1})
	}
	return b.Build()
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
