// Command lookupns times lists.Matcher.Lookup on a snapshot written by
// scamblock serve (DATA_DIR/lists.snapshot), the structure the query path
// reads, for bench/run's scale table: listed names, random subdomains of
// them and names that are not listed, sampled from the feed file.
//
// It prints one line: "hit_ns=H sub_ns=S miss_ns=M names=N".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
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
	dur := flag.Duration("time", time.Second, "time spent on each kind")
	flag.Parse()
	if *list == "" {
		fmt.Fprintln(os.Stderr, "lookupns: -list is required")
		os.Exit(2)
	}
	if err := run(*snapshot, *list, *sample, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "lookupns:", err)
		os.Exit(1)
	}
}

func run(snapshot, list string, sample int, dur time.Duration) error {
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
	fmt.Printf("hit_ns=%.0f sub_ns=%.0f miss_ns=%.0f names=%d\n", timeLookups(m, hits, dur), timeLookups(m, subs, dur), timeLookups(m, misses, dur), m.Len())
	return nil
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

// timeLookups asks names round-robin for about dur of this thread's CPU
// time and returns CPU ns per lookup. CPU time, not wall time: the machine
// is shared, and a wall clock counts other processes' turns.
func timeLookups(m *lists.Matcher, names []string, dur time.Duration) float64 {
	names = packed(names)
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
