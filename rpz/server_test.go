package rpz

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// logBuffer collects a server's log lines or a child process's output
// for assertions; safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs a Server on a loopback port until the test ends.
func startServer(t testing.TB, cfg Config, m *lists.Matcher) (*Server, string, *logBuffer) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m != nil {
		if _, err := s.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of cancel")
		}
	})
	<-s.Ready()
	if s.Addr() == nil {
		t.Fatal("server did not bind: " + logs.String())
	}
	return s, s.Addr().String(), logs
}

// matcherOf compiles a matcher of sub subtree blocks, ex exact blocks and
// pass exact passthru names, named with prefix.
func matcherOf(prefix string, sub, ex, pass int) *lists.Matcher {
	var entries []lists.Entry
	for i := range sub {
		entries = append(entries, block(fmt.Sprintf("%s-sub-%d.test", prefix, i)))
	}
	for i := range ex {
		entries = append(entries, exact(fmt.Sprintf("%s-exact-%d.test", prefix, i)))
	}
	for i := range pass {
		entries = append(entries, lists.Entry{Value: fmt.Sprintf("%s-pass-%d.test", prefix, i), Action: lists.Allow, Exact: true})
	}
	m, _ := lists.Compile([]*lists.Set{buildSet("feed", entries...)}, lists.CompileOptions{})
	return m
}

func matcherOfNames(names ...string) *lists.Matcher {
	var entries []lists.Entry
	for _, n := range names {
		entries = append(entries, block(n))
	}
	m, _ := lists.Compile([]*lists.Set{buildSet("feed", entries...)}, lists.CompileOptions{})
	return m
}

// transferIn runs an AXFR or IXFR (from serial) and returns the envelopes' records.
func transferIn(t *testing.T, addr, origin string, qtype uint16, serial uint32, key *TSIGKey) ([]dns.RR, int, error) {
	t.Helper()
	q := new(dns.Msg)
	if qtype == dns.TypeIXFR {
		q.SetIxfr(origin, serial, "ns.", "host.")
	} else {
		q.SetAxfr(origin)
	}
	tr := &dns.Transfer{ReadTimeout: 5 * time.Second}
	if key != nil {
		tr.TsigSecret = map[string]string{dns.Fqdn(key.Name): key.Secret}
		q.SetTsig(dns.Fqdn(key.Name), dns.HmacSHA256, 300, time.Now().Unix())
	}
	ch, err := tr.In(q, addr)
	if err != nil {
		return nil, 0, err
	}
	var rrs []dns.RR
	envelopes := 0
	for env := range ch {
		if env.Error != nil {
			return rrs, envelopes, env.Error
		}
		envelopes++
		rrs = append(rrs, env.RR...)
	}
	return rrs, envelopes, nil
}

func serials(rrs []dns.RR) []uint32 {
	var out []uint32
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SOA); ok {
			out = append(out, s.Serial)
		}
	}
	return out
}

func cnames(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			out = append(out, c.Hdr.Name+" "+c.Target)
		}
	}
	return out
}

func TestAXFRStreamsTheWholeZone(t *testing.T) {
	const sub, ex, pass = 1500, 400, 100
	s, addr, _ := startServer(t, Config{}, matcherOf("a", sub, ex, pass))
	rrs, envelopes, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeAXFR, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	z := s.Zone()
	first, ok1 := rrs[0].(*dns.SOA)
	last, ok2 := rrs[len(rrs)-1].(*dns.SOA)
	if !ok1 || !ok2 || first.Serial != z.Serial() || last.Serial != z.Serial() {
		t.Fatalf("want SOA first and last with serial %d; got %v ... %v", z.Serial(), rrs[0], rrs[len(rrs)-1])
	}
	if got, want := len(cnames(rrs)), 2*sub+ex+pass; got != want {
		t.Errorf("%d policy records, want 2×%d subtree + %d exact + %d passthru = %d", got, sub, ex, pass, want)
	}
	if len(rrs) != 2*sub+ex+pass+3 {
		t.Errorf("%d records in all, want policy records + SOA, NS, SOA", len(rrs))
	}
	if envelopes < 8 {
		t.Errorf("%d messages: want the zone streamed in envelopes of ≤500 records", envelopes)
	}
	// Same records, same order, as the snapshot.
	var want []dns.RR
	z.Records(func(rr dns.RR) bool { want = append(want, rr); return true })
	for i := range want {
		if !dns.IsDuplicate(want[i], rrs[i]) {
			t.Fatalf("record %d: got %v, want %v", i, rrs[i], want[i])
		}
	}
	// The transfer parses back as a zone.
	var b strings.Builder
	for _, rr := range rrs[:len(rrs)-1] {
		b.WriteString(rr.String() + "\n")
	}
	zp := dns.NewZoneParser(strings.NewReader(b.String()), "", "")
	n := 0
	for _, ok := zp.Next(); ok; _, ok = zp.Next() {
		n++
	}
	if zp.Err() != nil || n != len(rrs)-1 {
		t.Errorf("transfer does not parse back: %v (%d records)", zp.Err(), n)
	}
}

func TestIXFRSendsExactlyTheDiff(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	cfg := Config{Now: func() time.Time { return clock }}
	s, addr, logs := startServer(t, cfg, matcherOfNames("keep.test", "gone.test", "x.keep.test"))
	s1 := s.Zone().Serial()

	// Update 1: gone.test removed, new.test added.
	r, err := s.Update(matcherOfNames("keep.test", "x.keep.test", "new.test"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Changed || r.Added != 2 || r.Deleted != 2 || r.Serial != s1+1 {
		t.Fatalf("update: %+v, want 2 added, 2 deleted, serial %d (clock did not move: previous+1)", r, s1+1)
	}
	s2 := r.Serial

	rrs, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeIXFR, s1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := serials(rrs), []uint32{s2, s1, s2, s2}; !slices.Equal(got, want) {
		t.Fatalf("SOA serials %v, want %v (new, old, new, new)", got, want)
	}
	want := []string{
		"rpz.scamblock. SOA", // new
		"rpz.scamblock. SOA", // old
		"gone.test.rpz.scamblock. .", "*.gone.test.rpz.scamblock. .",
		"rpz.scamblock. SOA", // new
		"new.test.rpz.scamblock. .", "*.new.test.rpz.scamblock. .",
		"rpz.scamblock. SOA",
	}
	var got []string
	for _, rr := range rrs {
		switch v := rr.(type) {
		case *dns.SOA:
			got = append(got, v.Hdr.Name+" SOA")
		case *dns.CNAME:
			got = append(got, v.Hdr.Name+" "+v.Target)
		default:
			got = append(got, rr.String())
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("IXFR:\n got %q\nwant %q", got, want)
	}

	// Update 2, with the clock moved on: serial jumps to Unix time.
	clock = clock.Add(time.Hour)
	r, err = s.Update(matcherOfNames("keep.test", "new.test"))
	if err != nil {
		t.Fatal(err)
	}
	s3 := r.Serial
	if s3 != uint32(clock.Unix()) {
		t.Fatalf("serial %d, want the Unix time %d", s3, clock.Unix())
	}

	t.Run("two deltas are chained", func(t *testing.T) {
		rrs, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeIXFR, s1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := serials(rrs), []uint32{s3, s1, s2, s2, s3, s3}; !slices.Equal(got, want) {
			t.Errorf("SOA serials %v, want %v", got, want)
		}
		if got := cnames(rrs); len(got) != 6 {
			t.Errorf("records %q, want 4 for the first delta and x.keep.test's 2 deleted", got)
		}
	})
	t.Run("unknown old serial gets the whole zone", func(t *testing.T) {
		rrs, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeIXFR, s1-5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := serials(rrs), []uint32{s3, s3}; !slices.Equal(got, want) {
			t.Errorf("SOA serials %v, want %v (AXFR-style)", got, want)
		}
		if got := cnames(rrs); len(got) != 4 {
			t.Errorf("records %q, want keep.test and new.test with wildcards", got)
		}
	})
	t.Run("current serial gets the SOA alone", func(t *testing.T) {
		rrs, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeIXFR, s3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rrs) != 1 || serials(rrs)[0] != s3 {
			t.Errorf("got %v, want one SOA %d", rrs, s3)
		}
	})
	t.Run("IXFR over UDP gets the SOA alone", func(t *testing.T) {
		q := new(dns.Msg)
		q.SetIxfr("rpz.scamblock.", s1, "ns.", "host.")
		resp, _, err := (&dns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(q, addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Answer) != 1 || serials(resp.Answer)[0] != s3 {
			t.Errorf("got %v, want one SOA %d", resp.Answer, s3)
		}
	})
	if !strings.Contains(logs.String(), "IXFR as AXFR") {
		t.Errorf("fallback not logged:\n%s", logs.String())
	}
}

func TestUpdateWithoutChangeKeepsTheSerial(t *testing.T) {
	s, _, _ := startServer(t, Config{}, matcherOfNames("a.test"))
	before := s.Zone().Serial()
	r, err := s.Update(matcherOfNames("a.test"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Changed || r.Serial != before || s.Zone().Serial() != before {
		t.Errorf("update of the same list: %+v, serial %d; want unchanged %d", r, s.Zone().Serial(), before)
	}
}

func TestSOAAndRefusals(t *testing.T) {
	_, addr, _ := startServer(t, Config{}, matcherOfNames("a.test"))
	_, deniedAddr, _ := startServer(t, Config{AllowTransfer: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, matcherOfNames("a.test"))
	tests := []struct {
		name  string
		addr  string
		net   string
		qname string
		qtype uint16
		rcode int
		soa   bool
	}{
		{"SOA over UDP is answered", addr, "udp", "rpz.scamblock.", dns.TypeSOA, dns.RcodeSuccess, true},
		{"SOA over TCP is answered, any case", addr, "tcp", "RPZ.Scamblock.", dns.TypeSOA, dns.RcodeSuccess, true},
		{"another zone is refused", addr, "udp", "example.com.", dns.TypeSOA, dns.RcodeRefused, false},
		{"AXFR over UDP is refused", addr, "udp", "rpz.scamblock.", dns.TypeAXFR, dns.RcodeRefused, false},
		{"client outside the ACL is refused", deniedAddr, "udp", "rpz.scamblock.", dns.TypeSOA, dns.RcodeRefused, false},
		{"client outside the ACL gets no AXFR", deniedAddr, "tcp", "rpz.scamblock.", dns.TypeAXFR, dns.RcodeRefused, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := new(dns.Msg)
			q.SetQuestion(tt.qname, tt.qtype)
			resp, _, err := (&dns.Client{Net: tt.net, Timeout: 2 * time.Second}).Exchange(q, tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.rcode])
			}
			if got := len(serials(resp.Answer)) == 1; got != tt.soa {
				t.Errorf("answer %v, want SOA: %v", resp.Answer, tt.soa)
			}
		})
	}
}

func TestTSIGIsRequiredForTransfers(t *testing.T) {
	key := &TSIGKey{Name: "xfr-key", Secret: "c2NhbWJsb2NrLXRlc3Qta2V5LTAxMjM0NTY3ODk="}
	_, addr, _ := startServer(t, Config{TSIG: key}, matcherOfNames("a.test"))
	if _, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeAXFR, 0, nil); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("rcode: %d", dns.RcodeRefused)) {
		t.Errorf("unsigned AXFR: err %v, want REFUSED", err)
	}
	rrs, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeAXFR, 0, key)
	if err != nil {
		t.Fatalf("signed AXFR: %v", err)
	}
	if len(cnames(rrs)) != 2 {
		t.Errorf("signed AXFR: %v", rrs)
	}
	wrong := &TSIGKey{Name: "xfr-key", Secret: "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="}
	if _, _, err := transferIn(t, addr, "rpz.scamblock.", dns.TypeAXFR, 0, wrong); err == nil {
		t.Error("AXFR signed with the wrong secret succeeded")
	}
}

// notifySink is a UDP DNS server that records NOTIFYs and ignores the
// first drop of them.
type notifySink struct {
	mu      sync.Mutex
	drop    int
	seen    int
	serials []uint32
	got     chan uint32
}

func (n *notifySink) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if r.Opcode != dns.OpcodeNotify {
		return
	}
	n.mu.Lock()
	n.seen++
	if n.seen <= n.drop {
		n.mu.Unlock()
		return
	}
	var serial uint32
	if len(r.Answer) == 1 {
		if s, ok := r.Answer[0].(*dns.SOA); ok {
			serial = s.Serial
		}
	}
	n.serials = append(n.serials, serial)
	n.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(r)
	w.WriteMsg(m)
	n.got <- serial
}

func startNotifySink(t *testing.T, drop int) (*notifySink, string) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink := &notifySink{drop: drop, got: make(chan uint32, 16)}
	srv := &dns.Server{PacketConn: pc, Handler: sink}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return sink, pc.LocalAddr().String()
}

func TestNotifyOnStartAndChangeWithRetries(t *testing.T) {
	sink, target := startNotifySink(t, 2)
	s, _, _ := startServer(t, Config{Notify: []string{target}, NotifyTimeout: 50 * time.Millisecond}, matcherOfNames("a.test"))
	wait := func(want uint32) {
		t.Helper()
		select {
		case got := <-sink.got:
			if got != want {
				t.Errorf("NOTIFY serial %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no NOTIFY for serial %d", want)
		}
	}
	wait(s.Zone().Serial()) // on start, after 2 dropped attempts
	sink.mu.Lock()
	if sink.seen != 3 {
		t.Errorf("%d NOTIFYs sent, want 3 (2 unanswered, then answered)", sink.seen)
	}
	sink.mu.Unlock()
	r, err := s.Update(matcherOfNames("a.test", "b.test"))
	if err != nil {
		t.Fatal(err)
	}
	wait(r.Serial)
}

func TestJournalKeepsBoundedDeltas(t *testing.T) {
	var j journal
	for i := range 5 {
		j = j.with(&delta{from: uint32(i), to: uint32(i + 1), records: 10}, 100, 3, 1000)
	}
	if len(j.deltas) != 3 || j.deltas[0].from != 2 {
		t.Fatalf("kept %d deltas from %d, want the last 3 from serial 2", len(j.deltas), j.deltas[0].from)
	}
	if _, ok := j.since(1); ok {
		t.Error("serial 1 should have been dropped")
	}
	if ds, ok := j.since(3); !ok || len(ds) != 2 {
		t.Errorf("since(3) = %d deltas, %v; want 2", len(ds), ok)
	}
	j = j.with(&delta{from: 5, to: 6, records: 200}, 100, 3, 1000)
	if len(j.deltas) != 0 {
		t.Error("a delta bigger than the zone should empty the journal (AXFR is cheaper)")
	}
	j = j.with(&delta{from: 6, to: 7, records: 60}, 100, 3, 100)
	j = j.with(&delta{from: 7, to: 8, records: 60}, 100, 3, 100)
	if len(j.deltas) != 1 || j.records != 60 {
		t.Errorf("record cap: kept %d deltas, %d records; want 1, 60", len(j.deltas), j.records)
	}
}

func TestNoZoneBeforeTheFirstUpdate(t *testing.T) {
	sink, target := startNotifySink(t, 0)
	clock := time.Unix(1_800_000_000, 0)
	s, addr, _ := startServer(t, Config{Notify: []string{target}, NotifyTimeout: 50 * time.Millisecond, LastSerial: 1_900_000_000, Now: func() time.Time { return clock }}, nil)
	if s.Zone() != nil {
		t.Fatal("a zone before the first Update")
	}
	q := new(dns.Msg)
	q.SetQuestion("rpz.scamblock.", dns.TypeSOA)
	resp, _, err := (&dns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("SOA before the first Update: %s, want SERVFAIL (secondaries keep their copy)", dns.RcodeToString[resp.Rcode])
	}
	select {
	case got := <-sink.got:
		t.Fatalf("NOTIFY for serial %d without a zone", got)
	case <-time.After(200 * time.Millisecond):
	}
	r, err := s.Update(matcherOfNames("a.test"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Serial != 1_900_000_001 {
		t.Errorf("first serial %d, want LastSerial+1 = 1900000001 (the clock is behind it)", r.Serial)
	}
	select {
	case got := <-sink.got:
		if got != r.Serial {
			t.Errorf("NOTIFY serial %d, want %d", got, r.Serial)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no NOTIFY after the first Update")
	}
}
