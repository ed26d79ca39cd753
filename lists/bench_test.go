package lists

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

var benchTLDs = []string{"com", "net", "xyz", "io", "app", "org", "co.uk", "online", "site", "top"}

// syntheticName returns a distinct, plausible scam host name for i
// (about 24 bytes, like real feeds' median).
func syntheticName(i int) string {
	return "claim-" + strconv.Itoa(i*7919%10000019) + "-airdrop." + benchTLDs[i%len(benchTLDs)]
}

// syntheticSet builds n synthetic names without leaving garbage behind
// (Add copies the value, so one reused buffer serves every name), so that
// heap measurements see the Set, not the generator.
func syntheticSet(n int) *Set {
	b := NewSetBuilder("synthetic")
	buf := make([]byte, 0, 64)
	for i := 0; i < n; i++ {
		buf = append(buf[:0], "claim-"...)
		buf = strconv.AppendInt(buf, int64(i*7919%10000019), 10)
		buf = append(buf, "-airdrop."...)
		buf = append(buf, benchTLDs[i%len(benchTLDs)]...)
		b.Add(Entry{Value: unsafe.String(unsafe.SliceData(buf), len(buf)), Kind: KindDomain, Line: i + 1})
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

// BenchmarkCompile1M compiles 1M names: "new-set" right after the Set was
// built (its public-suffix memo is computed then, as after a feed
// refresh), "recompile" when the Set is unchanged (another feed changed).
func BenchmarkCompile1M(b *testing.B) {
	b.Run("new-set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			set := syntheticSet(1_000_000)
			b.StartTimer()
			if m, _ := Compile([]*Set{set}, CompileOptions{}); m.Len() != 1_000_000 {
				b.Fatalf("Len = %d", m.Len())
			}
		}
	})
	b.Run("recompile", func(b *testing.B) {
		set := syntheticSet(1_000_000)
		Compile([]*Set{set}, CompileOptions{})
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if m, _ := Compile([]*Set{set}, CompileOptions{}); m.Len() != 1_000_000 {
				b.Fatalf("Len = %d", m.Len())
			}
		}
	})
}

// BenchmarkBytesPerDomain reports the heap held by a 1M-name Set plus its
// compiled Matcher, per name, and the peak heap seen while compiling.
func BenchmarkBytesPerDomain(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		before := heapAfterGC()
		set := syntheticSet(n)
		afterSet := heapAfterGC()
		m, _ := Compile([]*Set{set}, CompileOptions{})
		after := heapAfterGC()
		b.ReportMetric(float64(afterSet-before)/n, "set-B/name")
		b.ReportMetric(float64(after-afterSet)/n, "matcher-B/name")
		b.ReportMetric(float64(after-before)/n, "B/name")
		runtime.KeepAlive(set)
		runtime.KeepAlive(m)
	}
}

func benchMatcher(b *testing.B) *Matcher {
	b.Helper()
	set := syntheticSet(1_000_000)
	fuzzy := buildSet("metamask", Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1})
	m, _ := Compile([]*Set{set, fuzzy}, CompileOptions{})
	return m
}

func BenchmarkLookup(b *testing.B) {
	m := benchMatcher(b)
	cases := []struct{ name, q string }{
		{"hit", syntheticName(4242)},
		{"miss", "www.example-unlisted.com"},
		{"deep-subdomain-hit", "a.b.c.d.e.f.g.h." + syntheticName(777)},
		{"deep-subdomain-miss", "a.b.c.d.e.f.g.h.i.j.not-listed-at-all.com"},
		{"mixed-case-trailing-dot", "WWW.Claim-" + syntheticName(31337)[6:] + "."},
		{"lookalike-near-miss", "metamaks.io"},
		{"lookalike-hit", "metamsk.io"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Lookup(c.q)
			}
		})
	}
	b.Run("mixed-1k-names", func(b *testing.B) {
		qs := make([]string, 1024)
		for i := range qs {
			if i%2 == 0 {
				qs[i] = "www." + syntheticName(i*977)
			} else {
				qs[i] = fmt.Sprintf("cdn%d.unlisted-site.com", i)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Lookup(qs[i&1023])
			i++
		}
	})
}

// rssBytes reads the process's resident set size (Linux), or 0.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// heapSampler records the largest live+garbage heap seen while running.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak {
				peak = v
			}
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	return <-h.done
}

// BenchmarkRebuild1M measures a full rebuild of a 1M-name list while the
// old Set and Matcher are still in use (as in a feed refresh): the peak
// heap (objects, including garbage not yet collected) against the steady
// state, and the process RSS after GC.
func BenchmarkRebuild1M(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		base := heapAfterGC()
		var l Live
		set := syntheticSet(n)
		m, _ := Compile([]*Set{set}, CompileOptions{})
		l.Replace(m)
		set, m = nil, nil
		steady := heapAfterGC() - base
		debug.FreeOSMemory()
		b.ReportMetric(float64(rssBytes())/(1<<20), "RSS-MB")
		b.ReportMetric(float64(steady)/(1<<20), "steady-MB")

		s := startHeapSampler()
		set2 := syntheticSet(n)
		m2, _ := Compile([]*Set{set2}, CompileOptions{})
		l.Replace(m2)
		peak := s.Stop()
		b.ReportMetric(float64(peak-base)/float64(steady), "peak/steady")
		runtime.KeepAlive(&l)
	}
}

// BenchmarkRebuildOneOfTen measures the common refresh: 1M names in ten
// sources of 100k, one source re-parsed and the matcher recompiled while
// the old one serves.
func BenchmarkRebuildOneOfTen(b *testing.B) {
	const sources, per = 10, 100_000
	build := func(src int) *Set {
		sb := NewSetBuilder("feed" + strconv.Itoa(src))
		buf := make([]byte, 0, 64)
		for i := 0; i < per; i++ {
			buf = append(buf[:0], "claim-"...)
			buf = strconv.AppendInt(buf, int64(src*per+i), 10)
			buf = append(buf, "-airdrop."...)
			buf = append(buf, benchTLDs[i%len(benchTLDs)]...)
			sb.Add(Entry{Value: unsafe.String(unsafe.SliceData(buf), len(buf)), Kind: KindDomain, Line: i + 1})
		}
		return sb.Build()
	}
	for b.Loop() {
		base := heapAfterGC()
		var l Live
		sets := make([]*Set, sources)
		for i := range sets {
			sets[i] = build(i)
		}
		m, _ := Compile(sets, CompileOptions{})
		l.Replace(m)
		m = nil
		steady := heapAfterGC() - base

		s := startHeapSampler()
		start := time.Now()
		sets[3] = build(3)
		m2, _ := Compile(sets, CompileOptions{})
		l.Replace(m2)
		elapsed := time.Since(start)
		peak := s.Stop()
		b.ReportMetric(float64(peak-base)/float64(steady), "peak/steady")
		b.ReportMetric(float64(elapsed.Milliseconds()), "rebuild-ms")
		runtime.KeepAlive(&l)
	}
}

// BenchmarkSnapshot1M writes the snapshot of a 1M-name matcher and opens
// it again: the open is what a restart waits for before its first answer.
func BenchmarkSnapshot1M(b *testing.B) {
	m, _ := Compile([]*Set{syntheticSet(1_000_000)}, CompileOptions{})
	path := b.TempDir() + "/lists.snapshot"
	if _, err := WriteSnapshot(path, m, ""); err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if _, err := WriteSnapshot(path, m, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, _, err := OpenSnapshot(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, blocked := got.Lookup(syntheticName(12345)); !blocked {
				b.Fatal("not blocked")
			}
		}
	})
}

// BenchmarkBuildAndCompile1M is a cold load without the feed parser: 1M
// names added to a builder, then compiled (the public-suffix memo is
// computed beside the adds since the builder does it).
func BenchmarkBuildAndCompile1M(b *testing.B) {
	for b.Loop() {
		if m, _ := Compile([]*Set{syntheticSet(1_000_000)}, CompileOptions{}); m.Len() != 1_000_000 {
			b.Fatalf("Len = %d", m.Len())
		}
	}
}

// BenchmarkExplain1M explains names against a 1M-name matcher (what
// `scamblock check`, /v1/check and the web lookup page ask): a listed
// name, a subdomain of one, a name no list has, a URL and an address.
// Explain must find the listings by index, not by walking every entry;
// scan-listed is the walk it replaced, for the ratio.
func BenchmarkExplain1M(b *testing.B) {
	set := syntheticSet(1_000_000)
	extra := buildSet("extra",
		Entry{Value: syntheticName(4242), Category: "phishing"},
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "0xabc", Kind: KindAddress, Chain: "eth"},
		Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1},
	)
	m, _ := Compile([]*Set{set, extra}, CompileOptions{})
	cases := []struct{ name, q string }{
		{"listed", syntheticName(4242)},
		{"subdomain", "a.b." + syntheticName(777)},
		{"clean", "www.example-unlisted.com"},
		{"url", "twitter.com/scammer/status/1"},
		{"address", "0xabc"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Explain(c.q)
			}
		})
	}
	// The full scan Explain used to be (explain_ref_test.go), side by side.
	b.Run("scan-listed", func(b *testing.B) {
		for b.Loop() {
			explainByScan(m, cases[0].q)
		}
	})
}
