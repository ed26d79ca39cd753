// Command lookupns times lists.Matcher.Lookup on a snapshot written by
// scamblock serve (DATA_DIR/lists.snapshot), the structure the query path
// reads, for bench/run's scale table: listed names, random subdomains of
// them and names that are not listed, sampled from the feed file.
//
// It runs -rounds rounds of each kind (hit, sub, miss, in turn) and prints
// the medians, then a memory reference: CPU ns per random dependent 8-byte
// read over an anonymous array as large as the matcher's slot table (the
// structure every lookup reads first), so that a table of sizes shows the
// hardware's growth beside the lookup's. One line:
// "hit_ns=H sub_ns=S miss_ns=M names=N mem_ns=R table_mb=T".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/scamblock/scamblock/lists"
)

func main() {
	snapshot := flag.String("snapshot", "", "snapshot file; empty: compile the list on the heap instead (for comparison)")
	list := flag.String("list", "", "the feed file the snapshot was compiled from (required): listed names are sampled from it")
	sample := flag.Int("sample", 200_000, "names sampled per kind")
	dur := flag.Duration("time", 500*time.Millisecond, "time spent on each kind per round")
	rounds := flag.Int("rounds", 5, "rounds of each kind; the medians are printed")
	flag.Parse()
	if *list == "" {
		fmt.Fprintln(os.Stderr, "lookupns: -list is required")
		os.Exit(2)
	}
	if err := run(*snapshot, *list, *sample, *dur, max(*rounds, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "lookupns:", err)
		os.Exit(1)
	}
}

func run(snapshot, list string, sample int, dur time.Duration, rounds int) error {
	m, err := matcher(snapshot, list)
	if err != nil {
		return err
	}
	hits, err := sampleNames(list, sample)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// Ask in random order: the sample is in file order, the order the
	// Sets lay their records and names out in.
	rng.Shuffle(len(hits), func(i, j int) { hits[i], hits[j] = hits[j], hits[i] })
	subs := make([]string, len(hits))
	misses := make([]string, len(hits))
	for i, h := range hits {
		subs[i] = fmt.Sprintf("w%d.x%d.%s", rng.IntN(1000), rng.IntN(1000), h)
		misses[i] = fmt.Sprintf("nx%d-%s", rng.IntN(1_000_000), h)
	}
	// Every listed name must be blocked: the snapshot is the list's.
	for _, h := range hits[:min(len(hits), 1000)] {
		if _, blocked := m.Lookup(h); !blocked {
			return fmt.Errorf("%s is in %s but the snapshot does not block it", h, list)
		}
	}
	kinds := [][]string{packed(hits), packed(subs), packed(misses)}
	ns := make([][]float64, len(kinds))
	for range rounds {
		for k, names := range kinds {
			ns[k] = append(ns[k], timeLookups(m, names, dur))
		}
	}
	table := m.TableBytes()
	ref, err := memoryReference(table, rounds)
	if err != nil {
		return err
	}
	fmt.Printf("hit_ns=%.0f sub_ns=%.0f miss_ns=%.0f names=%d mem_ns=%.0f table_mb=%.1f\n",
		median(ns[0]), median(ns[1]), median(ns[2]), m.Len(), ref, float64(table)/1e6)
	return nil
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// memoryReference is the median over rounds of CPU ns per random dependent
// 8-byte read over an anonymous array of size bytes: what one cache miss
// into a table of that size costs on this machine (TLB included).
func memoryReference(size, rounds int) (float64, error) {
	size = max(size, 1<<12) &^ 7
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return 0, fmt.Errorf("memory reference: %w", err)
	}
	defer syscall.Munmap(b)
	s := unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), size/8)
	for i := range s {
		s[i] = uint64(i) * 0x9E3779B97F4A7C15
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const reads = 2_000_000
	var sum uint64
	ns := make([]float64, 0, rounds)
	for range rounds {
		x := uint64(12345)
		start := threadCPU()
		for range reads {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			// The position depends on the previous read: one miss at a time.
			p := (uint64(uint32(x^sum&1)) * uint64(len(s))) >> 32
			sum += s[p]
		}
		ns = append(ns, float64(threadCPU()-start)/reads)
	}
	runtime.KeepAlive(sum) // keep the reads
	return median(ns), nil
}

// matcher opens the snapshot, or without one compiles the list's names.
func matcher(snapshot, list string) (*lists.Matcher, error) {
	if snapshot != "" {
		m, _, err := lists.OpenSnapshot(snapshot, nil)
		return m, err
	}
	f, err := os.Open(list)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := lists.NewSetBuilder("list")
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if h := strings.TrimSpace(sc.Text()); h != "" && h[0] != '#' {
			b.Add(lists.Entry{Value: h, Kind: lists.KindDomain, Line: line})
		}
	}
	m, _ := lists.Compile([]*lists.Set{b.Build()}, lists.CompileOptions{})
	return m, sc.Err()
}

// timeLookups asks names (packed) round-robin for about dur of this
// thread's CPU time and returns CPU ns per lookup. CPU time, not wall time:
// the machine is shared, and a wall clock counts other processes' turns.
func timeLookups(m *lists.Matcher, names []string, dur time.Duration) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, q := range names { // warm: page in what these names touch
		m.Lookup(q)
	}
	n := 0
	start := threadCPU()
	for threadCPU()-start < dur {
		for _, q := range names {
			m.Lookup(q)
		}
		n += len(names)
	}
	return float64(threadCPU()-start) / float64(n)
}

// threadCPU is the calling thread's user + system CPU time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

// sampleNames reads up to k names spread over the whole file (reservoir
// sampling), skipping comments.
func sampleNames(path string, k int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, 0, k)
	sc := bufio.NewScanner(f)
	seen := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		seen++
		if len(out) < k {
			out = append(out, line)
		} else if j := rng.IntN(seen); j < k {
			out[j] = line
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no names", path)
	}
	return out, sc.Err()
}

// packed copies names into one buffer in the order they are asked, as a
// server reads each query from the packet it just received: the query's own
// bytes are in the cache, and only what the matcher reads is timed.
func packed(names []string) []string {
	size := 0
	for _, q := range names {
		size += len(q)
	}
	buf := make([]byte, 0, size)
	out := make([]string, len(names))
	for i, q := range names {
		buf = append(buf, q...)
		out[i] = unsafe.String(unsafe.SliceData(buf[len(buf)-len(q):]), len(q))
	}
	return out
}
