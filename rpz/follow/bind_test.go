package follow

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/rpz"
)

// BIND as the primary: named serves an RPZ zone file on a loopback port,
// TSIG-signed, NOTIFYing one follower (also-notify to its resolver's
// port); a second follower has no NOTIFY route and sees changes at the
// SOA refresh. The zone is edited and named reloaded (SIGHUP); with
// ixfr-from-differences BIND sends the change as an IXFR.

const bindZone = `$TTL 300
@ SOA ns.rpz.test. hostmaster.rpz.test. %d 1 1 86400 300
@ NS ns.rpz.test.
ns A 127.0.0.1
scam-listed.com CNAME .
*.scam-listed.com CNAME .
scam-evil.net CNAME .
*.scam-evil.net CNAME .
x.scam-evil.net CNAME .
*.x.scam-evil.net CNAME .
ok.x.scam-evil.net CNAME rpz-passthru.
*.ok.x.scam-evil.net CNAME .
scam-exact.org CNAME .
%s`

func TestBINDPrimary(t *testing.T) {
	named, err := exec.LookPath("named")
	if err != nil {
		t.Skip("named (BIND 9) not installed; apt-get install -y bind9 to run the BIND primary test")
	}
	key := &rpz.TSIGKey{Name: "follow-xfr", Secret: "c2NhbWJsb2NrLWZvbGxvdy1iaW5kLWtleS0wMTIzNDU="}
	notified := startResolver(t)
	polled := startResolver(t)
	_, notifyPort, _ := net.SplitHostPort(notified.dns)
	dir := t.TempDir()
	zoneFile := filepath.Join(dir, "rpz.test.db")
	writeZone := func(serial int, extra string) {
		t.Helper()
		if err := os.WriteFile(zoneFile, []byte(fmt.Sprintf(bindZone, serial, extra)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Enough names for a transfer of many messages, each signed.
	var bulk strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&bulk, "bulk-%d-scam.com CNAME .\n*.bulk-%d-scam.com CNAME .\n", i, i)
	}
	writeZone(1, bulk.String())
	port := freePort(t)
	conf := fmt.Sprintf(`
key %[1]q { algorithm hmac-sha256; secret %[2]q; };
options {
	directory "%[3]s";
	pid-file "%[3]s/named.pid";
	session-keyfile "%[3]s/session.key";
	managed-keys-directory "%[3]s";
	listen-on port %[4]d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { 127.0.0.0/8; };
	allow-transfer { key %[1]q; };
	dnssec-validation no;
	notify explicit;
	notify-delay 0;
	also-notify { 127.0.0.1 port %[5]s key %[1]q; };
	ixfr-from-differences yes;
};
controls { };
zone "rpz.test" {
	type primary;
	file "%[6]s";
};
`, key.Name, key.Secret, dir, port, notifyPort, zoneFile)
	confPath := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, out := startNamed(t, named, confPath)
	primary := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, 15*time.Second, "named answers", func() error {
		_, err := bindSerial(primary)
		return err
	})

	fn := notified.follow(t, Config{Primary: primary, Zone: "rpz.test", TSIG: key, Dir: t.TempDir()})
	fp := polled.follow(t, Config{Primary: primary, Zone: "rpz.test", TSIG: key, MinRefresh: 500 * time.Millisecond})
	notified.waitSerial(t, 1, 10*time.Second)
	polled.waitSerial(t, 1, 10*time.Second)
	waitBlocked(t, notified.dns, "a.bulk-4999-scam.com", true, time.Second)
	checkPolicy(t, notified.dns)
	checkPolicy(t, polled.dns)
	// 10,011 records besides the SOA: 5,005 policy names (one of them
	// passthru at the name, block below: two entries), NS, and the A
	// record of ns, which is no policy (rejected: a single label).
	if st := fn.Status(); st.Records != 10011 || st.Entries != 5006 || st.Report.TotalRejected() != 1 {
		t.Errorf("status %+v: want 10,011 records, 5,006 entries, 1 reject", st)
	}

	// A new name, serial 2: named reloads the file, computes the IXFR and
	// NOTIFYs the first follower.
	writeZone(2, bulk.String()+"new-scam.com CNAME .\n*.new-scam.com CNAME .\n")
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, notified.dns, "sub.new-scam.com", true, 5*time.Second)
	tn := time.Since(start)
	waitBlocked(t, polled.dns, "sub.new-scam.com", true, 5*time.Second)
	t.Logf("BIND reload → blocked by the NOTIFYed follower after %v, by the polling one (SOA refresh 1 s) after %v",
		tn.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	checkPolicy(t, notified.dns)

	st := fn.Status()
	if st.Serial != 2 || st.LastTransferType != "IXFR" || st.Notifies == 0 {
		t.Errorf("NOTIFYed follower %+v: want serial 2 by IXFR after a NOTIFY\nnamed:\n%s", st, out.String())
	}
	if st := fp.Status(); st.Serial != 2 || st.Notifies != 0 {
		t.Errorf("polling follower %+v: want serial 2 without NOTIFY", st)
	}
	// The copy on disk is a zone file BIND itself accepts.
	if checkzone, err := exec.LookPath("named-checkzone"); err == nil {
		waitFor(t, 5*time.Second, "copy of serial 2 saved", func() error {
			m, err := fn.store.readMeta()
			if err == nil && m.Serial != 2 {
				err = fmt.Errorf("saved serial %d", m.Serial)
			}
			return err
		})
		if out, err := exec.Command(checkzone, "rpz.test", fn.store.zonePath()).CombinedOutput(); err != nil {
			t.Errorf("named-checkzone on the saved copy: %v\n%s", err, out)
		}
	}
	if !strings.Contains(out.String(), "IXFR") {
		t.Logf("named did not log an IXFR:\n%s", out.String())
	}
}

// bindSerial asks addr for rpz.test's SOA serial.
func bindSerial(addr string) (uint32, error) {
	resp, err := query(addr, "rpz.test.", dns.TypeSOA)
	if err != nil {
		return 0, err
	}
	for _, rr := range resp.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial, nil
		}
	}
	return 0, errors.New("no SOA yet: " + dns.RcodeToString[resp.Rcode])
}

// startNamed runs named in the foreground until the test ends.
func startNamed(t testing.TB, named, conf string) (*exec.Cmd, *logBuffer) {
	t.Helper()
	out := &logBuffer{}
	cmd := exec.Command(named, "-g", "-n", "1", "-c", conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start named: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("named output:\n%s", out.String())
		}
	})
	return cmd, out
}

// freePort returns a loopback port that was free for UDP and TCP a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", l.Addr().String())
		l.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}
