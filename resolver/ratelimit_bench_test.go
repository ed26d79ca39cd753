package resolver

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkRateLimit is the rate limiter's cost per query on the fast path
// (raw query in, raw answer out): off, on with every query under the rate
// (the check alone), and on with every query over it (dropped, or sent
// back as an empty TC=1 answer with the default slip of 2).
func BenchmarkRateLimit(b *testing.B) {
	for _, tc := range []struct {
		name string
		rate float64
	}{{"off", 0}, {"on-under-rate", 1e12}, {"on-over-rate", 1e-9}} {
		for _, q := range []struct{ kind, name string }{{"block", "www.evil.example."}, {"cache-hit", "a.test."}} {
			b.Run(tc.name+"/"+q.kind, func(b *testing.B) {
				auth := startAuth(b)
				s, err := New(Config{Upstreams: []string{"udp://" + auth.addr}, RateLimit: tc.rate, RateBurst: 1,
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testList())
				if err != nil {
					b.Fatal(err)
				}
				raw := benchQuery(b, q.name, dns.TypeA)
				if q.kind == "cache-hit" { // fill the cache over TCP (not limited)
					if s.handle(b.Context(), raw, benchClient, true, make([]byte, packBufLen)) == nil {
						b.Fatal("no answer to fill the cache")
					}
				}
				out := make([]byte, packBufLen)
				b.ReportAllocs()
				for b.Loop() {
					s.handle(b.Context(), raw, benchClient, false, out)
				}
			})
		}
	}
}

var benchClient = netip.MustParseAddr("127.0.0.1")
