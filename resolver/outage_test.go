package resolver

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoReachableUpstreamIsLoggedOnce: started without a working upstream
// (a first start without network), the server says so in its log once, not
// once per query, and says when an upstream answers again (issue 12.5).
func TestNoReachableUpstreamIsLoggedOnce(t *testing.T) {
	auth := startAuth(t)
	auth.stop() // its port now refuses: like no network
	var logBuf syncBuffer
	ts := startServer(t, Config{Upstreams: []string{"udp://" + auth.addr}, CacheSize: -1, StaleAge: -1,
		Logger:          slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo})),
		UpstreamTimeout: 200 * time.Millisecond, ResolveTimeout: 400 * time.Millisecond}, testList())
	for i := range 5 {
		r := ts.query(t, "udp", "a.test.", dns.TypeA, true)
		if r.Rcode != dns.RcodeServerFailure {
			t.Fatalf("query %d: %s, want SERVFAIL", i, dns.RcodeToString[r.Rcode])
		}
	}
	if n := strings.Count(logBuf.String(), "no upstream resolver is reachable"); n != 1 {
		t.Fatalf("after 5 failed queries the log says %d times that no upstream is reachable, want 1:\n%s", n, logBuf.String())
	}
}

// TestFlappingUpstreamIsNotLoggedPerFlap: an upstream that fails and
// answers in turn (a starved machine) gives one WARN and one INFO, not a
// pair per flap; the next WARN names the outages it left out.
func TestFlappingUpstreamIsNotLoggedPerFlap(t *testing.T) {
	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var o outage
	for range 20 {
		o.begin(log, nil, errTestOutage)
		o.over(log)
	}
	if n := strings.Count(logBuf.String(), "no upstream resolver is reachable"); n != 1 {
		t.Fatalf("20 flaps logged %d WARN lines, want 1:\n%s", n, logBuf.String())
	}
	if n := strings.Count(logBuf.String(), "answers again"); n != 1 {
		t.Fatalf("20 flaps logged %d INFO lines, want 1:\n%s", n, logBuf.String())
	}
	// A minute after the last flap ended, an outage is logged again with
	// the count of those left out.
	o.ended.Store(time.Now().Add(-2 * outageQuiet).UnixNano())
	o.begin(log, nil, errTestOutage)
	if !strings.Contains(logBuf.String(), "short_outages_not_logged=19") {
		t.Fatalf("the next WARN does not count the 19 flaps left out:\n%s", logBuf.String())
	}
}

var errTestOutage = errors.New("i/o timeout")
