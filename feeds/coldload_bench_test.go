package feeds

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/scamblock/scamblock/lists"
)

// coldLoadList returns a list of 1M names to load: $SCAMBLOCK_BENCH_LIST
// (bench/cmd/listgen's list.txt: real names from the feeds and generated
// ones) when set, else 1M generated names written to a temporary file.
func coldLoadList(b *testing.B) string {
	if p := os.Getenv("SCAMBLOCK_BENCH_LIST"); p != "" {
		return p
	}
	p := filepath.Join(b.TempDir(), "list.txt")
	fh, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	tlds := []string{"com", "net", "xyz", "io", "app", "org", "co.uk", "online", "site", "top"}
	w.WriteString("# generated list\n")
	for i := range 1_000_000 {
		w.WriteString("claim-" + strconv.Itoa(i*7919%10000019) + "-airdrop." + tlds[i%len(tlds)] + "\n")
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkColdLoad1M is serve's cold load without the server around it:
// one local feed of 1M names parsed into a Set ("parse"), and parsed and
// compiled into a Matcher ("parse+compile"), as when no snapshot exists.
func BenchmarkColdLoad1M(b *testing.B) {
	path := coldLoadList(b)
	f := Feed{Name: "bench", URL: path, Enabled: true}.WithDefaults()
	b.Run("parse", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, _, _, err := parseFile(context.Background(), f, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+compile", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			set, _, _, err := parseFile(context.Background(), f, path)
			if err != nil {
				b.Fatal(err)
			}
			if m, _ := lists.Compile([]*lists.Set{set}, lists.CompileOptions{}); m.Len() == 0 {
				b.Fatal("empty matcher")
			}
		}
	})
}

// reportCPU reports the process's CPU time (user + system, every thread)
// per operation: on a machine other work shares, wall time says more
// about the others than about the code.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
