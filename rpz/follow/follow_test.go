package follow

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/rpz"
)

// A scamblock primary and a follower on loopback: AXFR at start, then each
// change reaches the follower's resolver by NOTIFY and IXFR.
func TestFollowsAScamblockPrimaryByNotifyAndIXFR(t *testing.T) {
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{Notify: []string{node.dns}}, primaryMatcher())
	f := node.follow(t, Config{Primary: p.addr, Dir: t.TempDir()})

	node.waitSerial(t, p.Zone().Serial(), 10*time.Second)
	checkPolicy(t, node.dns)
	st := f.Status()
	if st.LastTransferType != "AXFR" || st.Records != p.Zone().Len()+1 || st.Entries == 0 {
		t.Errorf("after the first transfer: %+v; want AXFR of %d records (policy + NS)", st, p.Zone().Len()+1)
	}

	// Each change: Update (which sends NOTIFY) → IXFR → Set → resolver.
	steps := []struct {
		more    []string
		name    string
		blocked bool
	}{
		{[]string{"new-scam.com"}, "sub.new-scam.com", true},
		{[]string{"new-scam.com", "second-scam.com"}, "second-scam.com", true},
		{[]string{"second-scam.com"}, "new-scam.com", false},
	}
	for i, step := range steps {
		waitBlocked(t, node.dns, step.name, !step.blocked, time.Second)
		start := time.Now()
		res, err := p.Update(primaryMatcher(step.more...))
		if err != nil || !res.Changed {
			t.Fatalf("Update: %+v %v", res, err)
		}
		waitBlocked(t, node.dns, step.name, step.blocked, 2*time.Second)
		t.Logf("change %d (%s blocked=%v): in the follower's answers %v after the primary's NOTIFY", i+1, step.name, step.blocked, time.Since(start).Round(time.Millisecond))
	}
	checkPolicy(t, node.dns)
	st = f.Status()
	if st.IXFR != len(steps) || st.AXFR != 1 || st.LastTransferType != "IXFR" || st.Serial != p.Zone().Serial() {
		t.Errorf("status %+v: want 1 AXFR then %d IXFRs up to serial %d", st, len(steps), p.Zone().Serial())
	}
	if st.Notifies < len(steps) || st.Stale || st.Restored || st.LastError != "" {
		t.Errorf("status %+v: want ≥%d NOTIFYs, fresh, no error", st, len(steps))
	}
	if l := p.logs.String(); strings.Count(l, "type=IXFR from=") != len(steps) {
		t.Errorf("primary log: want %d IXFRs:\n%s", len(steps), l)
	}
}

// The copy on disk is served after a restart while the primary is down.
func TestRestartWithThePrimaryDownServesTheSavedCopy(t *testing.T) {
	dir := t.TempDir()
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{}, primaryMatcher("new-scam.com"))
	f := node.follow(t, Config{Primary: p.addr, Dir: dir})
	waitFor(t, 10*time.Second, "first transfer", func() error {
		if _, err := os.Stat(f.store.metaPath()); err != nil || f.Status().Serial != p.Zone().Serial() {
			return errors.New("not yet")
		}
		return nil
	})
	serial := p.Zone().Serial()
	node.stop()
	p.stop() // the primary goes away: its port is closed

	node2 := startResolver(t)
	f2 := node2.follow(t, Config{Primary: p.addr, Dir: dir, RetryBase: 50 * time.Millisecond})
	select {
	case <-node2.changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no Set from the saved copy")
	}
	select {
	case <-f2.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("not ready with the saved copy in use")
	}
	checkPolicy(t, node2.dns)
	if ok, err := blocked(node2.dns, "new-scam.com"); err != nil || !ok {
		t.Errorf("new-scam.com from the saved copy: blocked=%v %v", ok, err)
	}
	waitFor(t, 5*time.Second, "a failed check", func() error {
		if f2.Status().LastError == "" {
			return errors.New("no error yet")
		}
		return nil
	})
	st := f2.Status()
	if !st.Restored || !st.HasZone || st.Serial != serial || st.Stale || st.Entries == 0 {
		t.Errorf("status %+v: want the restored copy of serial %d, not stale", st, serial)
	}
}

func TestDamagedCopyIsNotServed(t *testing.T) {
	dir := t.TempDir()
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{}, primaryMatcher())
	f := node.follow(t, Config{Primary: p.addr, Dir: dir})
	waitFor(t, 10*time.Second, "copy saved", func() error {
		_, err := os.Stat(f.store.metaPath())
		return err
	})
	node.stop()
	b, err := os.ReadFile(f.store.zonePath())
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "scam-listed.com", "listed.exampla", 1))
	if err := os.WriteFile(f.store.zonePath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	node2 := startResolver(t)
	f2 := node2.follow(t, Config{Primary: "127.0.0.1:1", Dir: dir, RetryBase: time.Hour})
	waitFor(t, 5*time.Second, "the damaged copy reported", func() error {
		if st := f2.Status(); !strings.Contains(st.CopyError, "damaged") {
			return errors.New(st.CopyError)
		}
		return nil
	})
	if f2.Status().HasZone || f2.Set() != nil {
		t.Errorf("a damaged copy was used: %+v", f2.Status())
	}
	// No copy, the primary down: ready after the first failed check, so
	// that a server's start is not held up for ever.
	select {
	case <-f2.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("not ready after the first failed check")
	}
	if f2.Status().LastError == "" {
		t.Error("ready before the first check ended")
	}
}

func TestTSIGRequiredAndWrongKeyRefused(t *testing.T) {
	key := &rpz.TSIGKey{Name: "scamblock-xfr", Secret: "c2NhbWJsb2NrLWZvbGxvdy10ZXN0LWtleS0wMTIzNDU="}
	node := startResolver(t)
	p := startPrimary(t, rpz.Config{TSIG: key, Notify: []string{node.dns}}, primaryMatcher())

	t.Run("right key", func(t *testing.T) {
		f := node.follow(t, Config{Primary: p.addr, TSIG: key})
		node.waitSerial(t, p.Zone().Serial(), 10*time.Second)
		if st := f.Status(); st.LastTransferType != "AXFR" {
			t.Errorf("status %+v: want a signed AXFR", st)
		}
		checkPolicy(t, node.dns)
		// The primary's NOTIFYs are signed: the follower takes them.
		start := time.Now()
		if _, err := p.Update(primaryMatcher("signed-scam.com")); err != nil {
			t.Fatal(err)
		}
		waitBlocked(t, node.dns, "signed-scam.com", true, 2*time.Second)
		t.Logf("signed NOTIFY + IXFR: %v", time.Since(start).Round(time.Millisecond))
		node.stop()
	})
	for _, tc := range []struct {
		name string
		key  *rpz.TSIGKey
		want string
	}{
		{"no key", nil, "REFUSED"},
		{"wrong secret", &rpz.TSIGKey{Name: key.Name, Secret: "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0wMTIzNDU="}, "NOTAUTH"},
		{"wrong key name", &rpz.TSIGKey{Name: "other-key", Secret: key.Secret}, "NOTAUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startResolver(t)
			f := n.follow(t, Config{Primary: p.addr, TSIG: tc.key, RetryBase: time.Hour})
			waitFor(t, 5*time.Second, "a refused transfer", func() error {
				if st := f.Status(); st.LastError == "" {
					return errors.New("no error yet")
				}
				return nil
			})
			st := f.Status()
			if st.HasZone || !strings.Contains(st.LastError, tc.want) {
				t.Errorf("status %+v: want no zone and an error with %q", st, tc.want)
			}
		})
	}
}

// NOTIFYs that do not come from the primary, or carry a bad signature,
// are refused and start no transfer.
func TestNotifyFromOthersRefused(t *testing.T) {
	key := &rpz.TSIGKey{Name: "k", Secret: "c2NhbWJsb2NrLWZvbGxvdy10ZXN0LWtleS0wMTIzNDU="}
	f, err := New(Config{Primary: "127.0.0.1:5300", Zone: "rpz.scamblock", TSIG: key, Logger: testLogger(&logBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	signedAt := time.Now()
	notify := func(zone string, serial uint32, sign *rpz.TSIGKey) (raw []byte, mac string) {
		m := new(dns.Msg)
		m.SetNotify(dns.Fqdn(zone))
		m.Answer = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: dns.Fqdn(zone), Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Ns: "a.", Mbox: "b.", Serial: serial}}
		if sign == nil {
			b, _ := m.Pack()
			return b, ""
		}
		m.SetTsig(dns.Fqdn(sign.Name), dns.HmacSHA256, 300, signedAt.Unix())
		b, mac, err := dns.TsigGenerate(m, sign.Secret, "", false)
		if err != nil {
			t.Fatal(err)
		}
		return b, mac
	}
	msg := func(raw []byte, mac string) struct {
		raw []byte
		mac string
	} {
		return struct {
			raw []byte
			mac string
		}{raw, mac}
	}
	primary, other := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	tests := []struct {
		name string
		msg  struct {
			raw []byte
			mac string
		}
		from    netip.Addr
		rcode   int
		signed  bool
		tsigErr uint16 // the TSIG error record of a NOTAUTH answer (RFC 8945 §5.3.2)
	}{
		{"from the primary", msg(notify("rpz.scamblock", 7, nil)), primary, dns.RcodeSuccess, false, 0},
		{"signed by the primary", msg(notify("rpz.scamblock", 7, key)), primary, dns.RcodeSuccess, true, 0},
		{"from another address", msg(notify("rpz.scamblock", 7, nil)), other, dns.RcodeRefused, false, 0},
		{"another zone", msg(notify("other.zone", 7, nil)), primary, dns.RcodeRefused, false, 0},
		{"wrong secret", msg(notify("rpz.scamblock", 7, &rpz.TSIGKey{Name: "k", Secret: "d3Jvbmctc2VjcmV0"})), primary, dns.RcodeNotAuth, false, dns.RcodeBadSig},
		{"unknown key", msg(notify("rpz.scamblock", 7, &rpz.TSIGKey{Name: "x", Secret: key.Secret})), primary, dns.RcodeNotAuth, false, dns.RcodeBadKey},
	}
	signedAt = time.Now().Add(-time.Hour)
	tests = append(tests, struct {
		name string
		msg  struct {
			raw []byte
			mac string
		}
		from    netip.Addr
		rcode   int
		signed  bool
		tsigErr uint16
	}{"signed an hour ago", msg(notify("rpz.scamblock", 7, key)), primary, dns.RcodeNotAuth, false, dns.RcodeBadTime})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := f.ServeNotify(tt.msg.raw, tt.from)
			if !ok {
				t.Fatal("not handled")
			}
			var r dns.Msg
			if err := r.Unpack(out); err != nil {
				t.Fatal(err)
			}
			if r.Rcode != tt.rcode || !r.Response || r.Opcode != dns.OpcodeNotify {
				t.Errorf("rcode %s response %v opcode %d, want %s", dns.RcodeToString[r.Rcode], r.Response, r.Opcode, dns.RcodeToString[tt.rcode])
			}
			if tt.tsigErr != 0 {
				tsig := r.IsTsig()
				if tsig == nil || tsig.Error != tt.tsigErr || (tsig.MAC != "") != (tt.tsigErr == dns.RcodeBadTime) {
					t.Fatalf("TSIG record %v, want error %s (signed only for BADTIME)", tsig, dns.RcodeToString[int(tt.tsigErr)])
				}
			}
			if tt.signed {
				if r.IsTsig() == nil {
					t.Fatal("the answer to a signed NOTIFY is not signed")
				}
				if err := dns.TsigVerify(out, key.Secret, tt.msg.mac, false); err != nil {
					t.Errorf("the answer's signature: %v", err)
				}
			}
		})
	}
	if _, ok := f.ServeNotify([]byte{1, 2, 3}, primary); ok {
		t.Error("garbage handled as a NOTIFY")
	}
	q := new(dns.Msg)
	q.SetQuestion("rpz.scamblock.", dns.TypeSOA)
	b, _ := q.Pack()
	if _, ok := f.ServeNotify(b, primary); ok {
		t.Error("a query handled as a NOTIFY")
	}
	st := f.Status()
	if st.Notifies != 2 || st.NotifiesRefused != 4 {
		t.Errorf("notifies %d accepted, %d refused; want 2 and 4 (the BADTIME one too)", st.Notifies, st.NotifiesRefused)
	}
	if err := f.Notify(other, 9); !errors.Is(err, ErrNotPrimary) {
		t.Errorf("Notify from another address: %v, want ErrNotPrimary", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no primary", Config{Zone: "rpz.x"}, "no primary"},
		{"primary without port", Config{Primary: "192.0.2.1", Zone: "rpz.x"}, "host:port"},
		{"no zone", Config{Primary: "192.0.2.1:53"}, "no zone"},
		{"bad zone", Config{Primary: "192.0.2.1:53", Zone: "a..b"}, "not a domain name"},
		{"key without secret", Config{Primary: "192.0.2.1:53", Zone: "rpz.x", TSIG: &rpz.TSIGKey{Name: "k"}}, "name and a base64 secret"},
		{"secret not base64", Config{Primary: "192.0.2.1:53", Zone: "rpz.x", TSIG: &rpz.TSIGKey{Name: "k", Secret: "not base64!"}}, "base64"},
		{"bad algorithm", Config{Primary: "192.0.2.1:53", Zone: "rpz.x", TSIG: &rpz.TSIGKey{Name: "k", Secret: "c2VjcmV0", Algorithm: "md5"}}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestNotifyFloodLogsTenAMinute: anyone can send a NOTIFY; refusals are
// all counted but logged at most rpz.RefusalBurst a minute.
func TestNotifyFloodLogsTenAMinute(t *testing.T) {
	logs := &logBuffer{}
	f, err := New(Config{Primary: "127.0.0.1:5300", Zone: "rpz.scamblock", Logger: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddr("192.0.2.7")
	for range 25 {
		if err := f.Notify(other, 9); !errors.Is(err, ErrNotPrimary) {
			t.Fatalf("NOTIFY from %s: %v", other, err)
		}
	}
	if n := strings.Count(logs.String(), "NOTIFY refused"); n != rpz.RefusalBurst || f.Status().NotifiesRefused != 25 {
		t.Fatalf("%d warnings, %d counted for 25 refusals; want %d and 25\n%s", n, f.Status().NotifiesRefused, rpz.RefusalBurst, logs.String())
	}
}

// A follower without a directory keeps no copy: Run must not start the
// saver, which reads the copy's metadata as soon as a zone is current (the
// first transfer can finish before the saver goroutine first runs; a race
// that panicked on the nil store).
func TestRunWithoutDirectoryStartsNoSaver(t *testing.T) {
	p := startPrimary(t, rpz.Config{}, primaryMatcher())
	f, err := New(Config{Primary: p.addr, Zone: "rpz.scamblock", Logger: testLogger(&logBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		<-f.Ready()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		f.ran.Store(false) // a fresh Run on the same follower, with its zone current from the start
	}
}
