package parse

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"testing"
)

// repeatReader yields head, then body n times, then tail, without holding
// the whole document.
type repeatReader struct {
	parts [][]byte
	n     int
	cur   *bytes.Reader
	stage int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for {
		if r.cur != nil && r.cur.Len() > 0 {
			return r.cur.Read(p)
		}
		switch {
		case r.stage == 0:
			r.cur, r.stage = bytes.NewReader(r.parts[0]), 1
		case r.stage == 1 && r.n > 0:
			r.cur = bytes.NewReader(r.parts[1])
			r.n--
		case r.stage == 1:
			r.cur, r.stage = bytes.NewReader(r.parts[2]), 2
		default:
			return 0, io.EOF
		}
	}
}

// heapSampler reports the largest live heap seen every MiB read.
type heapSampler struct {
	r        io.Reader
	n, next  int
	maxHeap  uint64
	memstats runtime.MemStats
}

func (h *heapSampler) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += n
	if h.n >= h.next {
		h.next += 1 << 20
		runtime.ReadMemStats(&h.memstats)
		h.maxHeap = max(h.maxHeap, h.memstats.HeapAlloc)
	}
	return n, err
}

// BenchmarkOFACAdvancedXML streams a synthetic sdn_advanced.xml of ~100 MB
// (the size of the real one): the fixture's parties repeated, so most of
// the document is parties, as in the real file. It reports MB/s, the
// addresses emitted and the largest live heap sampled each MiB: the parse
// holds the pending addresses, not the document.
func BenchmarkOFACAdvancedXML(b *testing.B) {
	src, err := os.ReadFile("testdata/sdn_advanced-sample.xml")
	if err != nil {
		b.Fatal(err)
	}
	i, j := bytes.Index(src, []byte("    <DistinctParty ")), bytes.Index(src, []byte("  </DistinctParties>"))
	k, l := bytes.Index(src, []byte("    <SanctionsEntry ")), bytes.Index(src, []byte("  </SanctionsEntries>"))
	head, body := src[:i], src[i:j]
	tail := append(append(append([]byte(nil), src[j:k]...), bytes.Repeat(src[k:l], 1)...), src[l:]...)
	const copies = 100 << 20 / 5000 // body is ~5 KB
	b.SetBytes(int64(len(head) + copies*len(body) + len(tail)))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	b.ResetTimer()
	var h *heapSampler
	var rep Report
	for range b.N {
		h = &heapSampler{r: &repeatReader{parts: [][]byte{head, body, tail}, n: copies}}
		rep, err = Parse(FormatOFACAdvanced, h, Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rep.Accepted), "addresses")
	b.ReportMetric(float64(h.maxHeap-min(h.maxHeap, base.HeapAlloc))/(1<<20), "peak-heap-MiB")
}
