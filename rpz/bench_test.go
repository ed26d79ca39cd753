package rpz

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

var benchTLDs = []string{"com", "net", "xyz", "io", "app", "org", "co.uk", "online", "site", "top"}

// syntheticMatcher compiles n distinct scam-like names of ~24 bytes
// ("claim-<k>-airdrop.<tld>", as lists' benchmarks use), starting at
// offset, with every 10th name exact-only.
func syntheticMatcher(n, offset int) *lists.Matcher {
	b := lists.NewSetBuilder("synthetic")
	buf := make([]byte, 0, 64)
	for i := offset; i < offset+n; i++ {
		buf = append(buf[:0], "claim-"...)
		buf = strconv.AppendInt(buf, int64(i*7919%10000019), 10)
		buf = append(buf, "-airdrop."...)
		buf = append(buf, benchTLDs[i%len(benchTLDs)]...)
		b.Add(lists.Entry{Value: unsafe.String(unsafe.SliceData(buf), len(buf)), Kind: lists.KindDomain, Line: i + 1, Exact: i%10 == 0})
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

// BenchmarkNewZone builds the snapshot of a compiled matcher and reports
// the bytes the snapshot keeps per name (the names themselves stay in the
// Sets).
func BenchmarkNewZone(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := syntheticMatcher(n, 0)
			before := heapAfterGC()
			var z *Zone
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if z, err = NewZone(m, 1, ZoneOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			after := heapAfterGC()
			b.ReportMetric(float64(int64(after)-int64(before))/float64(n), "B/name-kept")
			b.ReportMetric(float64(z.Len()), "records")
			runtime.KeepAlive(z)
			runtime.KeepAlive(m)
		})
	}
}

// BenchmarkUpdate measures Server.Update when 1% of the names changed:
// snapshot, diff and journal.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ms := []*lists.Matcher{syntheticMatcher(n, 0), syntheticMatcher(n, n/100)}
			s, err := NewServer(Config{Now: func() time.Time { return time.Unix(1, 0) }})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Update(ms[0]); err != nil {
				b.Fatal(err)
			}
			i := 1
			for b.Loop() {
				r, err := s.Update(ms[i%2])
				if err != nil || !r.Changed || r.Added == 0 {
					b.Fatalf("%+v %v", r, err)
				}
				i++
			}
		})
	}
}

// BenchmarkAXFR transfers the whole zone over loopback TCP to a client
// that only frames the messages and counts the records (the server's
// cost), and to miekg/dns's Transfer.In, which also unpacks every record.
func BenchmarkAXFR(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		s, err := NewServer(Config{Listen: "127.0.0.1:0", Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Update(syntheticMatcher(n, 0)); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go s.Run(ctx)
		<-s.Ready()
		want := s.Zone().Len() + 3
		q := new(dns.Msg)
		q.SetAxfr(s.Zone().Origin())
		b.Run(strconv.Itoa(n)+"/raw", func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				bytes = rawAXFR(b, s.Addr().String(), q, want)
			}
			b.ReportMetric(float64(want), "records")
			b.ReportMetric(float64(bytes), "bytes")
		})
		b.Run(strconv.Itoa(n)+"/miekg", func(b *testing.B) {
			for b.Loop() {
				ch, err := (&dns.Transfer{ReadTimeout: 10 * time.Second}).In(q, s.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for env := range ch {
					if env.Error != nil {
						b.Fatal(env.Error)
					}
					got += len(env.RR)
				}
				if got != want {
					b.Fatalf("%d records, want %d", got, want)
				}
			}
		})
		cancel()
	}
}

// rawAXFR sends q over TCP and reads length-prefixed messages until want
// answer records arrived; it returns the bytes read.
func rawAXFR(b *testing.B, addr string, q *dns.Msg, want int) int64 {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Write(append([]byte{byte(len(wire) >> 8), byte(len(wire))}, wire...)); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReaderSize(c, 64<<10)
	buf := make([]byte, 65536)
	got := 0
	var total int64
	for got < want {
		if _, err := io.ReadFull(r, buf[:2]); err != nil {
			b.Fatalf("after %d records: %v", got, err)
		}
		n := int(buf[0])<<8 | int(buf[1])
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			b.Fatal(err)
		}
		got += int(buf[6])<<8 | int(buf[7]) // ANCOUNT
		total += int64(n + 2)
	}
	if got != want {
		b.Fatalf("%d records, want %d", got, want)
	}
	return total
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkBINDFollows measures what an ISP sees: a fresh BIND secondary
// transferring and loading the whole policy zone (AXFR) until it blocks
// the last name, then following an update of 1% of the names (Update,
// NOTIFY, IXFR, BIND's policy reload) until it blocks a new name.
func BenchmarkBINDFollows(b *testing.B) {
	benchFollower(b, func(b *testing.B, rpzAddr string, port int) { startNamed(b, rpzAddr, nil, port) })
}

// BenchmarkUnboundFollows measures what an ISP sees: a fresh Unbound rpz: follower
// transferring and loading the whole policy zone (AXFR) until it blocks
// the last name, then following an update of 1% of the names (Update,
// NOTIFY, IXFR, Unbound's reload) until it blocks a new name.
func BenchmarkUnboundFollows(b *testing.B) {
	benchFollower(b, func(b *testing.B, rpzAddr string, port int) { startUnbound(b, rpzAddr, port) })
}

// benchFollower starts a secondary with start for 100k and 1M names, times
// until it blocks the last name (AXFR and load), then until it follows an
// update of 1% of the names (Update, NOTIFY, IXFR, reload).
func benchFollower(b *testing.B, start func(b *testing.B, rpzAddr string, port int)) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ms := []*lists.Matcher{syntheticMatcher(n, 0), syntheticMatcher(n, n/100)}
			var axfr, ixfr time.Duration
			for b.Loop() {
				port := freePort(b)
				follower := "127.0.0.1:" + strconv.Itoa(port)
				s, addr, _ := startServer(b, Config{Notify: []string{follower}, NotifyTimeout: 200 * time.Millisecond}, ms[0])
				t0 := time.Now()
				start(b, addr, port)
				waitBlocked(b, follower, syntheticName(n-1), 120*time.Second)
				axfr += time.Since(t0)
				t0 = time.Now()
				if _, err := s.Update(ms[1]); err != nil {
					b.Fatal(err)
				}
				waitBlocked(b, follower, syntheticName(n+n/100-1), 120*time.Second) // listed only in ms[1]
				ixfr += time.Since(t0)
			}
			b.ReportMetric(axfr.Seconds()/float64(b.N), "s-to-load")
			b.ReportMetric(ixfr.Seconds()/float64(b.N), "s-to-follow-1%")
		})
	}
}

// waitBlocked waits until resolver addr answers NXDOMAIN for name.
func waitBlocked(b testing.TB, addr, name string, d time.Duration) {
	waitFor(b, d, "the resolver blocks "+name, func() error {
		resp, err := query(addr, name, dns.TypeA)
		if err == nil && resp.Rcode != dns.RcodeNameError {
			err = fmt.Errorf("rcode %s", dns.RcodeToString[resp.Rcode])
		}
		return err
	})
}

func syntheticName(i int) string {
	return "claim-" + strconv.Itoa(i*7919%10000019) + "-airdrop." + benchTLDs[i%len(benchTLDs)]
}
