package rpz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
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

// signedQuery packs an SOA query for origin signed with key name/secret at
// time signed, and returns the wire bytes and the query's MAC.
func signedQuery(t *testing.T, origin, name, secret string, signed time.Time) ([]byte, string) {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(origin, dns.TypeSOA)
	q.SetTsig(dns.Fqdn(name), dns.HmacSHA256, 300, signed.Unix())
	b, mac, err := dns.TsigGenerate(q, secret, "", false)
	if err != nil {
		t.Fatal(err)
	}
	return b, mac
}

func exchangeRaw(t *testing.T, addr string, b []byte) ([]byte, *dns.Msg) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	return buf[:n], m
}

// TestTSIGErrorRepliesCarryTheError: a query whose TSIG fails gets NOTAUTH
// with a TSIG record naming the error (RFC 8945 §5.3.2): BADKEY and BADSIG
// unsigned (MAC size 0), BADTIME signed with the server's key, the query's
// Time Signed and the server's time in Other Data.
func TestTSIGErrorRepliesCarryTheError(t *testing.T) {
	key := &TSIGKey{Name: "xfr-key", Secret: "c2NhbWJsb2NrLXRlc3Qta2V5LTAxMjM0NTY3ODk="}
	_, addr, _ := startServer(t, Config{TSIG: key}, matcherOfNames("a.test"))
	_, noKeyAddr, _ := startServer(t, Config{}, matcherOfNames("a.test"))
	const wrongSecret = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="
	now := time.Now()
	for _, tc := range []struct {
		name, addr, key, secret string
		signed                  time.Time
		want                    uint16
	}{
		{"unknown key", addr, "other-key", key.Secret, now, dns.RcodeBadKey},
		{"no key configured", noKeyAddr, "xfr-key", key.Secret, now, dns.RcodeBadKey},
		{"wrong secret", addr, "xfr-key", wrongSecret, now, dns.RcodeBadSig},
		{"an hour off", addr, "xfr-key", key.Secret, now.Add(-time.Hour), dns.RcodeBadTime},
		{"good", addr, "xfr-key", key.Secret, now, dns.RcodeSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, qmac := signedQuery(t, "rpz.scamblock.", tc.key, tc.secret, tc.signed)
			raw, resp := exchangeRaw(t, tc.addr, q)
			tsig := resp.IsTsig()
			if tsig == nil {
				t.Fatalf("reply without TSIG: %v", resp)
			}
			if tsig.Error != tc.want || tsig.Hdr.Name != dns.Fqdn(tc.key) {
				t.Fatalf("TSIG error %s (key %s), want %s", dns.RcodeToString[int(tsig.Error)], tsig.Hdr.Name, dns.RcodeToString[int(tc.want)])
			}
			verr := dns.TsigVerify(raw, key.Secret, qmac, false)
			switch tc.want {
			case dns.RcodeSuccess:
				if resp.Rcode != dns.RcodeSuccess || verr != nil {
					t.Fatalf("rcode %s, verify %v", dns.RcodeToString[resp.Rcode], verr)
				}
			case dns.RcodeBadTime:
				// miekg/dns verifies no NOTAUTH reply (ErrAuth): sign the same
				// reply with the key and compare the MACs.
				if resp.Rcode != dns.RcodeNotAuth || !errors.Is(verr, dns.ErrAuth) || tsig.TimeSigned != uint64(tc.signed.Unix()) || tsig.OtherLen != 6 {
					t.Fatalf("rcode %s, verify %v, time signed %d, other %d %q", dns.RcodeToString[resp.Rcode], verr, tsig.TimeSigned, tsig.OtherLen, tsig.OtherData)
				}
				again := resp.Copy()
				stub := *tsig
				stub.MAC, stub.MACSize = "", 0
				again.Extra = append(again.Extra[:len(again.Extra)-1], &stub)
				if _, mac, err := dns.TsigGenerate(again, key.Secret, qmac, false); err != nil || mac != tsig.MAC || mac == "" {
					t.Fatalf("BADTIME reply MAC %q, signed with the key %q (%v)", tsig.MAC, mac, err)
				}
				if server, _ := strconv.ParseUint(tsig.OtherData, 16, 64); server+5 < uint64(now.Unix()) || server > uint64(time.Now().Unix())+5 {
					t.Fatalf("other data %q is not the server's time", tsig.OtherData)
				}
			default:
				if resp.Rcode != dns.RcodeNotAuth || tsig.MACSize != 0 || tsig.MAC != "" {
					t.Fatalf("rcode %s, MAC size %d %q: want NOTAUTH, unsigned", dns.RcodeToString[resp.Rcode], tsig.MACSize, tsig.MAC)
				}
			}
		})
	}
}

// TestTSIGErrorsWithKdig: kdig, a real TSIG client, sees the error.
func TestTSIGErrorsWithKdig(t *testing.T) {
	kdig, err := exec.LookPath("kdig")
	if err != nil {
		t.Skip("kdig not installed (apt-get install knot-dnsutils)")
	}
	key := &TSIGKey{Name: "xfr-key", Secret: "c2NhbWJsb2NrLXRlc3Qta2V5LTAxMjM0NTY3ODk="}
	_, addr, _ := startServer(t, Config{TSIG: key}, matcherOfNames("a.test"))
	host, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct{ key, want string }{
		{"hmac-sha256:xfr-key:d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=", "BADSIG"},
		{"hmac-sha256:other-key:" + key.Secret, "BADKEY"},
	} {
		out, _ := exec.Command(kdig, "-y", tc.key, "@"+host, "-p", port, "+tcp", "rpz.scamblock.", "AXFR").CombinedOutput()
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("kdig -y %s: no %s in\n%s", tc.key, tc.want, out)
		}
	}
}

// TestRefusedTransfersAreLogged: an AXFR or IXFR the ACL or TSIG refuses
// is a WARN with the client and the reason; a flood logs ten a minute and
// the next warning says how many were left out.
func TestRefusedTransfersAreLogged(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	_, deniedAddr, deniedLogs := startServer(t, Config{Now: now, AllowTransfer: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, matcherOfNames("a.test"))
	key := &TSIGKey{Name: "xfr-key", Secret: "c2NhbWJsb2NrLXRlc3Qta2V5LTAxMjM0NTY3ODk="}
	_, keyedAddr, keyedLogs := startServer(t, Config{TSIG: key}, matcherOfNames("a.test"))

	if _, _, err := transferIn(t, deniedAddr, "rpz.scamblock.", dns.TypeAXFR, 0, nil); err == nil {
		t.Fatal("AXFR outside the ACL succeeded")
	}
	if _, _, err := transferIn(t, keyedAddr, "rpz.scamblock.", dns.TypeIXFR, 1, nil); err == nil {
		t.Fatal("unsigned IXFR succeeded")
	}
	wrong := &TSIGKey{Name: "xfr-key", Secret: "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="}
	transferIn(t, keyedAddr, "rpz.scamblock.", dns.TypeAXFR, 0, wrong)
	for _, want := range []string{`level=WARN msg="rpz transfer refused" component=rpz client=127.0.0.1 type=AXFR reason="client not in the transfer ACL"`} {
		if !strings.Contains(deniedLogs.String(), want) {
			t.Errorf("no %q in\n%s", want, deniedLogs.String())
		}
	}
	for _, want := range []string{
		`level=WARN msg="rpz transfer refused" component=rpz client=127.0.0.1 type=IXFR reason="transfer without TSIG"`,
		`level=WARN msg="rpz transfer refused" component=rpz client=127.0.0.1 type=AXFR reason="TSIG BADSIG: MAC does not verify`,
	} {
		if !strings.Contains(keyedLogs.String(), want) {
			t.Errorf("no %q in\n%s", want, keyedLogs.String())
		}
	}

	// A flood: 29 more refusals in the same minute, 9 more warnings.
	q := new(dns.Msg)
	q.SetAxfr("rpz.scamblock.")
	for range 29 {
		if _, _, err := (&dns.Client{Net: "tcp", Timeout: 2 * time.Second}).Exchange(q, deniedAddr); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(deniedLogs.String(), "rpz transfer refused"); n != RefusalBurst {
		t.Fatalf("%d warnings for 30 refusals in a minute, want %d", n, RefusalBurst)
	}
	mu.Lock()
	clock = clock.Add(time.Minute)
	mu.Unlock()
	if _, _, err := (&dns.Client{Net: "tcp", Timeout: 2 * time.Second}).Exchange(q, deniedAddr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(deniedLogs.String(), "not_logged_before=20") {
		t.Fatalf("the warning after the flood does not count the 20 left out:\n%s", deniedLogs.String())
	}
}
