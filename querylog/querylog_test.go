package querylog

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func entry(name string) *Entry {
	e := &Entry{Time: time.Date(2026, 12, 2, 1, 2, 3, 456789000, time.UTC), Client: netip.MustParseAddr("203.0.113.77"),
		Qtype: 1, Outcome: "blocked", List: "evil.example", Source: "metamask", Rcode: 3, Latency: 12 * time.Microsecond}
	e.SetName(name)
	return e
}

func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

func TestLineFormat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		full   bool
		client string
		want   string
	}{
		{"IPv4 cut to /24", false, "203.0.113.77", `"client":"203.0.113.0/24"`},
		{"IPv6 cut to /56", false, "2001:db8:1:2ff::9", `"client":"2001:db8:1:200::/56"`},
		{"full address when asked", true, "203.0.113.77", `"client":"203.0.113.77"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Logger{cfg: Config{FullIP: tc.full}}
			e := entry(`www.evil.example`)
			e.Client = netip.MustParseAddr(tc.client)
			line := l.appendJSON(nil, e)
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if !strings.Contains(string(line), tc.want) {
				t.Errorf("%s lacks %s", line, tc.want)
			}
			if m["time"] != "2026-12-02T01:02:03.456789Z" || m["qname"] != "www.evil.example" || m["qtype"] != "A" ||
				m["rcode"] != "NXDOMAIN" || m["list"] != "evil.example" || m["source"] != "metamask" || m["latency_us"] != 12.0 {
				t.Errorf("fields: %s", line)
			}
		})
	}
	l := &Logger{}
	line := l.appendJSON(nil, entry("a\"b\\c\x01\xff"))
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("odd name makes invalid JSON %s: %v", line, err)
	}
}

func TestSampleOneInN(t *testing.T) {
	l, err := New(Config{Path: "-", Stdout: &bytes.Buffer{}, Sample: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range 1000 {
		if l.Sampled() {
			n++
		}
	}
	if n != 100 {
		t.Errorf("%d of 1000 sampled, want 100", n)
	}
}

// TestFullQueueDropsAndCounts: with nobody writing, Log returns at once
// and counts what does not fit.
func TestFullQueueDropsAndCounts(t *testing.T) {
	l, err := New(Config{Path: "-", Stdout: &bytes.Buffer{}, Queue: 10}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 100 {
		l.Log(entry("a.example"))
	}
	if time.Since(start) > time.Second {
		t.Error("Log blocked")
	}
	if got := counter(l.dropped); got != 90 {
		t.Errorf("dropped %v, want 90", got)
	}
}

// TestRotationBySizeAndCount writes 3.5 MiB of lines with MaxSize 1 MiB and
// MaxFiles 2: the current file and 2 rotated ones, each at most 1 MiB.
func TestRotationBySizeAndCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q", "queries.jsonl")
	l, err := New(Config{Path: path, MaxSize: 1 << 20, MaxFiles: 2, Queue: 1 << 16}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	line := len(l.appendJSON(nil, entry("rotation.example")))
	for i := range (7 << 19) / line {
		for !queue(l, entry("rotation.example")) {
			time.Sleep(time.Millisecond)
		}
		_ = i
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "queries*.jsonl"))
	if len(files) != 3 {
		t.Errorf("files %v, want the current one and 2 rotated", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() > 1<<20 {
			t.Errorf("%s: %v bytes, %v", f, st.Size(), err)
		}
	}
}

// queue is Log that says whether the entry fitted (tests only).
func queue(l *Logger, e *Entry) bool {
	select {
	case l.queue <- *e:
		return true
	default:
		return false
	}
}
