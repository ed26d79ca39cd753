package feeds

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamblock/scamblock/lists"
)

// sharedFeedList is every data file under the shared feed folder as a local
// feed with an autodetected format.
func sharedFeedList(tb testing.TB) []Feed {
	dir := sharedFeeds(tb)
	var feeds []Feed
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b := d.Name(); b == "SOURCES.md" || b == "SHA256SUMS" {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		feeds = append(feeds, Feed{Name: rel, URL: p, Enabled: true, ShrinkGuard: 1})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return feeds
}

// heapSampler records the peak of live+unswept heap objects, sampled every
// 500µs through runtime/metrics (no stop-the-world, unlike ReadMemStats),
// and the peak of the live heap that the collections in the meantime
// marked: what the code keeps reachable, whatever the collector's pace.
type heapSampler struct {
	peak atomic.Uint64
	live atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

const (
	heapMetric = "/memory/classes/heap/objects:bytes"
	liveMetric = "/gc/heap/live:bytes"
)

func liveNow() uint64 {
	s := []metrics.Sample{{Name: liveMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.peak.Store(heapNow())
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(500 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				if v := heapNow(); v > h.peak.Load() {
					h.peak.Store(v)
				}
				if v := liveNow(); v > h.live.Load() {
					h.live.Store(v)
				}
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	if v := heapNow(); v > h.peak.Load() {
		h.peak.Store(v)
	}
	return h.peak.Load()
}

// Live is the largest live heap marked while the sampler ran.
func (h *heapSampler) Live() uint64 { return max(h.live.Load(), liveNow()) }

// steadyHeap is the heap after two full collections.
func steadyHeap() uint64 {
	runtime.GC()
	runtime.GC()
	return heapNow()
}

// memoryInUse is the memory the runtime holds from the OS (heap, stacks,
// metadata) less what it has handed back, after returning all it can: what
// the soft memory limit is compared with.
func memoryInUse() uint64 {
	debug.FreeOSMemory()
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// limitModes are the runtime settings the rebuild benchmarks run under:
// GOGC=100 alone, and in addition a soft memory limit of the memory in use
// at steady state plus one more steady heap (room for one new copy of the
// lists beside the serving one), as a server would set --memory-limit.
// The limit is taken once, at the steady state after the first load
// (steadyLimit), as a server's is set at start: not after the no-limit
// runs, whose larger heap leaves the runtime holding more memory.
var limitModes = []string{"no-limit", "limit"}

// steadyLimit is the memory limit of the "limit" mode: the memory in use
// now, at steady state, plus one steady heap.
func steadyLimit(steady uint64) uint64 { return memoryInUse() + steady }

// underLimit sets the soft memory limit for mode until the benchmark ends
// and returns it (0: none).
func underLimit(b *testing.B, mode string, limit uint64) uint64 {
	if mode != "limit" {
		return 0
	}
	prev := debug.SetMemoryLimit(int64(limit))
	b.Cleanup(func() { debug.SetMemoryLimit(prev) })
	return limit
}

// importAll parses every feed, one after another, as the Updater's
// LoadCached does at start.
func importAll(tb testing.TB, feeds []Feed) []*lists.Set {
	fetcher := NewFetcher(nil)
	sets := make([]*lists.Set, 0, len(feeds))
	for _, f := range feeds {
		res, err := Import(context.Background(), fetcher, f, nil)
		if err != nil {
			tb.Fatalf("%s: %v", f.Name, err)
		}
		sets = append(sets, res.Set)
	}
	return sets
}

func countEntries(sets []*lists.Set) int {
	n := 0
	for _, s := range sets {
		n += s.Len()
	}
	return n
}

// BenchmarkImportAllSharedFeeds parses every shared feed file (~500k
// entries) and compiles one Matcher from them, from nothing.
func BenchmarkImportAllSharedFeeds(b *testing.B) {
	feeds := sharedFeedList(b)
	var entries, names int
	var peak uint64
	base := steadyHeap()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h := startHeapSampler()
		sets := importAll(b, feeds)
		m, _ := lists.Compile(sets, lists.CompileOptions{})
		peak = max(peak, h.Stop())
		entries, names = countEntries(sets), m.Len()
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(float64(names), "names")
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
}

// BenchmarkRebuild measures the heap during rebuilds while the previous
// Matcher is still serving, against the steady state (sets + matcher, after
// GC): "all" re-parses every feed (SIGHUP with every feed changed), "one"
// re-parses the largest feed (a normal refresh), "compile" only recompiles;
// "+limit" runs the same under the soft memory limit of underLimit.
func BenchmarkRebuild(b *testing.B) {
	feeds := sharedFeedList(b)
	base := steadyHeap()
	sets := importAll(b, feeds)
	current, _ := lists.Compile(sets, lists.CompileOptions{})
	steady := steadyHeap() - base
	limitAt := steadyLimit(steady)
	largest := 0
	for i, s := range sets {
		if s.Len() > sets[largest].Len() {
			largest = i
		}
	}
	for _, mode := range []string{"all", "all+limit", "one", "one+limit", "compile"} {
		b.Run(mode, func(b *testing.B) {
			var limit uint64
			if strings.HasSuffix(mode, "+limit") {
				limit = underLimit(b, "limit", limitAt)
			}
			var peak, live uint64
			for b.Loop() {
				steadyHeap()
				h := startHeapSampler()
				next := slices.Clone(sets)
				switch mode {
				case "all", "all+limit":
					next = importAll(b, feeds)
				case "one", "one+limit":
					next[largest] = importAll(b, feeds[largest:largest+1])[0]
				}
				m, _ := lists.Compile(next, lists.CompileOptions{})
				peak, live = max(peak, h.Stop()-base), max(live, h.Live()-base)
				current = m // swap; the old sets and matcher become garbage
				sets = next
			}
			reportPeak(b, steady, peak, live, limit)
		})
	}
	runtime.KeepAlive(current)
}

// TestImportAllSharedFeeds checks that every shared file imports (a format
// is detected, no hard parse error) and logs the per-file counts.
func TestImportAllSharedFeeds(t *testing.T) {
	feeds := sharedFeedList(t)
	start := time.Now()
	sets := importAll(t, feeds)
	m, rep := lists.Compile(sets, lists.CompileOptions{})
	took := time.Since(start)
	var b strings.Builder
	for i, s := range sets {
		b.WriteString(feeds[i].Name + ": " + strconv.Itoa(s.Len()) + "\n")
	}
	t.Logf("%d files, %d entries, %d names compiled in %s\n%s", len(feeds), countEntries(sets), m.Len(), took, b.String())
	if countEntries(sets) < 400_000 {
		t.Errorf("only %d entries from the shared feeds", countEntries(sets))
	}
	t.Logf("compiled: %d applied, guarded %v", rep.Total.Applied, rep.Total.Guarded)
}

// BenchmarkUpdaterStartup is the server's start: an Updater over every shared
// file (as local feeds) loads them all and its OnChange compiles the Matcher.
func BenchmarkUpdaterStartup(b *testing.B) {
	feeds := sharedFeedList(b)
	base := steadyHeap()
	var peak uint64
	var names int
	for b.Loop() {
		h := startHeapSampler()
		var m *lists.Matcher
		updater, err := NewUpdater(feeds, UpdaterOptions{OnChange: func(sets []*lists.Set) {
			m, _ = lists.Compile(sets, lists.CompileOptions{})
		}})
		if err != nil {
			b.Fatal(err)
		}
		if err := updater.LoadCached(context.Background()); err != nil {
			b.Fatal(err)
		}
		peak = max(peak, h.Stop()-base)
		names = m.Len()
	}
	b.ReportMetric(float64(names), "names")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkUpdaterRefreshOneFeed is the normal rebuild as the server sees
// it: every shared file is loaded and compiled and the Matcher serves;
// then the largest feed changes (one line more), RefreshAll re-reads all
// feeds (the others are unchanged and not re-parsed), and OnChange
// compiles the new Matcher while the old one is still referenced.
// peak/steady is the figure the issue bounds by 2.
func BenchmarkUpdaterRefreshOneFeed(b *testing.B) {
	src := sharedFeeds(b)
	dir := b.TempDir()
	feeds := sharedFeedList(b)
	largest, largestSize := 0, int64(0)
	for i := range feeds {
		rel, _ := filepath.Rel(src, feeds[i].URL)
		dst := filepath.Join(dir, "feeds", rel) // keep the path: detection reads it
		data, err := os.ReadFile(feeds[i].URL)
		if err != nil {
			b.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			b.Fatal(err)
		}
		feeds[i].URL = dst
		if int64(len(data)) > largestSize {
			largest, largestSize = i, int64(len(data))
		}
	}
	base := steadyHeap()
	var serving atomic.Pointer[lists.Matcher]
	compiled := make(chan struct{}, 1)
	updater, err := NewUpdater(feeds, UpdaterOptions{Debounce: time.Millisecond, OnChange: func(sets []*lists.Set) {
		m, _ := lists.Compile(sets, lists.CompileOptions{})
		serving.Store(m)
		select {
		case compiled <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	if err := updater.LoadCached(context.Background()); err != nil {
		b.Fatal(err)
	}
	<-compiled
	steady := steadyHeap() - base
	limitAt := steadyLimit(steady)
	n := 0
	for _, mode := range limitModes {
		b.Run(mode, func(b *testing.B) {
			limit := underLimit(b, mode, limitAt)
			var peak, live uint64
			for b.Loop() {
				n++
				b.StopTimer()
				if err := appendLine(feeds[largest].URL, n); err != nil {
					b.Fatal(err)
				}
				steadyHeap()
				b.StartTimer()
				h := startHeapSampler()
				if err := updater.RefreshAll(context.Background()); err != nil {
					b.Fatal(err)
				}
				<-compiled
				peak, live = max(peak, h.Stop()-base), max(live, h.Live()-base)
			}
			reportPeak(b, steady, peak, live, limit)
		})
	}
	runtime.KeepAlive(serving.Load())
}

func reportPeak(b *testing.B, steady, peak, live, limit uint64) {
	if limit > 0 {
		b.ReportMetric(float64(limit)/(1<<20), "limit-MiB")
	}
	b.ReportMetric(float64(steady)/(1<<20), "steady-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(peak)/float64(steady), "peak/steady")
	b.ReportMetric(float64(live)/float64(steady), "live/steady")
}

// appendLine adds a new name to a JSON array or line-based file.
func appendLine(path string, n int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	name := "bench-added-" + strconv.Itoa(n) + "-scam.com"
	if i := strings.LastIndexByte(string(data), ']'); strings.HasSuffix(path, ".json") && i > 0 {
		data = append(data[:i:i], []byte(",\""+name+"\"]")...)
	} else {
		data = append(data, []byte("\n"+name+"\n")...)
	}
	return os.WriteFile(path, data, 0o644)
}

// BenchmarkUpdaterChangeAll measures the heap when every shared feed changes
// at once and the Updater refreshes them all (SIGHUP after an upstream
// update of every list), with a matcher compiled on every OnChange while the
// previous one serves — the case issue 4 bounds at 2× the steady state.
func BenchmarkUpdaterChangeAll(b *testing.B) {
	shared := sharedFeedList(b)
	dir := b.TempDir()
	var feeds []Feed
	for _, f := range shared {
		dst := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			b.Fatal(err)
		}
		body, err := os.ReadFile(f.URL)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(dst, body, 0o600); err != nil {
			b.Fatal(err)
		}
		feeds = append(feeds, Feed{Name: f.Name, URL: dst, Enabled: true})
	}
	var serving atomic.Pointer[lists.Matcher]
	var compiledFrom atomic.Pointer[[]*lists.Set]
	updater, err := NewUpdater(feeds, UpdaterOptions{Debounce: 50 * time.Millisecond, OnChange: func(sets []*lists.Set) {
		m, _ := lists.Compile(sets, lists.CompileOptions{})
		serving.Store(m)
		compiledFrom.Store(&sets)
	}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	base := steadyHeap()
	if err := updater.LoadCached(ctx); err != nil {
		b.Fatal(err)
	}
	waitCompiled(b, updater, &compiledFrom)
	steady := steadyHeap() - base
	limitAt := steadyLimit(steady)
	for _, mode := range limitModes {
		b.Run(mode, func(b *testing.B) {
			limit := underLimit(b, mode, limitAt)
			var peak, live uint64
			for b.Loop() {
				for _, f := range feeds { // every feed changes: one more line
					fh, err := os.OpenFile(f.URL, os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						b.Fatal(err)
					}
					fh.WriteString("\n")
					fh.Close()
				}
				steadyHeap()
				h := startHeapSampler()
				if err := updater.RefreshAll(ctx); err != nil {
					b.Fatal(err)
				}
				waitCompiled(b, updater, &compiledFrom) // the last compile is part of the rebuild
				peak, live = max(peak, h.Stop()-base), max(live, h.Live()-base)
			}
			reportPeak(b, steady, peak, live, limit)
		})
	}
	runtime.KeepAlive(serving.Load())
}

// waitCompiled waits until the matcher in use was compiled from the
// Updater's current Sets: the rebuild is over.
func waitCompiled(b *testing.B, u *Updater, from *atomic.Pointer[[]*lists.Set]) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if p := from.Load(); p != nil && slices.Equal(*p, u.Sets()) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("no OnChange with the current sets after 2 minutes")
		}
		time.Sleep(time.Millisecond)
	}
}
