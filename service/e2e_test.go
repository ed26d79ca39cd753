package service

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamblock/scamblock/internal/feedstest"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
)

// upstream is a small real authoritative server on loopback: every name has
// A 192.0.2.1, except alias names that CNAME into a listed domain.
func startUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		if name == "alias.example.org." {
			m.Answer = append(m.Answer,
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "cdn.yearnson.finance."},
				&dns.A{Hdr: dns.RR_Header{Name: "cdn.yearnson.finance.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 66)})
		} else if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)})
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func sharedFeed(t *testing.T, rel string) string { return feedstest.Path(t, rel) }

type running struct {
	dns, http string
	rpz       string
	hup       chan os.Signal
	dataDir   string
	ready     Ready
	stop      func() // stops the service now (also done when the test ends)
}

// startService runs the real service on loopback ports until the test ends.
// DNS listens on a free port unless cfg names its own loopback address.
func startService(t *testing.T, cfg *config.Config) running {
	t.Helper()
	def := config.Default().Server
	if slices.Equal(cfg.Server.DNSListen, def.DNSListen) { // a test that sets its own listeners keeps them
		cfg.Server.DNSListen = []string{"127.0.0.1:0"}
	}
	if cfg.Server.HTTPListen == def.HTTPListen {
		cfg.Server.HTTPListen = "127.0.0.1:0"
	}
	cfg.Server.Upstreams = []string{"udp://" + startUpstream(t)}
	cfg.DefaultFeeds = false
	if cfg.Guard.Ranking == config.Default().Guard.Ranking {
		cfg.Guard.Ranking = "" // only loopback is a target: the embedded snapshot, unless the test serves a ranking
	}
	if cfg.Server.DataDir == "" || cfg.Server.DataDir == "scamblock-data" {
		cfg.Server.DataDir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	ready := make(chan Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Options{Hangup: hup, OnReady: func(r Ready) { ready <- r }, Reload: func() (*config.Config, error) { return cfg, nil }})
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("service returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("service did not stop within 10 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	select {
	case r := <-ready:
		run := running{dns: r.DNS[0].String(), http: "http://" + r.HTTP.String(), hup: hup, dataDir: cfg.Server.DataDir, ready: r, stop: stop}
		if r.RPZ != nil {
			run.rpz = r.RPZ.String()
		}
		return run
	case err := <-done:
		done <- nil // for stop: Run has returned
		t.Fatalf("service failed to start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready within 10 s")
	}
	return running{}
}

func query(t *testing.T, server, name string, qtype uint16, net string, edns bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if edns {
		m.SetEdns0(1232, false)
	}
	c := &dns.Client{Net: net, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], net, err)
	}
	return r
}

func edeText(m *dns.Msg) (uint16, string, bool) {
	opt := m.IsEdns0()
	if opt == nil {
		return 0, "", false
	}
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			return e.InfoCode, e.ExtraText, true
		}
	}
	return 0, "", false
}

func TestServeBlocksRealFeedsEndToEnd(t *testing.T) {
	metamask := sharedFeed(t, "metamask-eth-phishing-detect/hosts.txt")
	decripto := sharedFeed(t, "decripto-crypto-scam-blacklist/domini_scam.txt")
	cfg := config.Default()
	cfg.Feeds = []config.Feed{
		{Name: "metamask", URL: metamask, Enabled: true},
		{Name: "decripto", URL: decripto, Enabled: true},
	}
	cfg.Server.Allow = []string{"allowed-by-user.example.com"}
	s := startService(t, cfg)
	t.Cleanup(func() { checkMetrics(t, s.http) })

	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			tests := []struct {
				name    string
				qname   string
				edns    bool
				rcode   int
				edeText string // "" = no EDE expected
			}{
				{"listed name is blocked with EDE 15", "yearnson.finance", true, dns.RcodeNameError, "listed: yearnson.finance (metamask)"},
				{"subdomain of listed name is blocked", "a.b.yearnson.finance", true, dns.RcodeNameError, "listed: yearnson.finance (metamask)"},
				{"no EDE without EDNS0", "yearnson.finance", false, dns.RcodeNameError, ""},
				{"unlisted name resolves", "example.org", true, dns.RcodeSuccess, ""},
				{"guarded exchange from decripto is not blocked", "coinbase.com", true, dns.RcodeSuccess, ""},
				{"CNAME into a listed name is blocked", "alias.example.org", true, dns.RcodeNameError, "listed: yearnson.finance (metamask)"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := query(t, s.dns, tt.qname, dns.TypeA, proto, tt.edns)
					if r.Rcode != tt.rcode {
						t.Fatalf("rcode %s, want %s\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode], r)
					}
					code, text, ok := edeText(r)
					if tt.edeText == "" {
						if ok {
							t.Fatalf("unexpected EDE %d %q", code, text)
						}
						return
					}
					if !ok || code != dns.ExtendedErrorCodeBlocked || text != tt.edeText {
						t.Fatalf("EDE = %d %q (present %v), want 15 %q", code, text, ok, tt.edeText)
					}
					if len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA || r.Ns[0].Header().Ttl != 300 {
						t.Fatalf("want one SOA with TTL 300 in authority, got %v", r.Ns)
					}
				})
			}
		})
	}
}

// TestDigSeesBlockWithEDE uses the real dig client, as the README shows.
func TestDigSeesBlockWithEDE(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig is not installed (apt-get install dnsutils); .ci/run installs it")
	}
	feed := filepath.Join(t.TempDir(), "my-list.txt")
	if err := os.WriteFile(feed, []byte("# my list\nscam-exchange.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{URL: feed, Enabled: true}}
	s := startService(t, cfg)
	host, port, _ := net.SplitHostPort(s.dns)
	out, err := exec.Command(dig, "@"+host, "-p", port, "www.scam-exchange.com", "A", "+tries=1", "+time=3").CombinedOutput()
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	for _, want := range []string{"status: NXDOMAIN", "EDE: 15 (Blocked): (listed: scam-exchange.com (" + feed + "))", "IN\tSOA"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dig output lacks %q:\n%s", want, out)
		}
	}
}

// TestKdigOverTCP uses Knot's kdig, a second real client, over TCP: without
// EDNS it gets the block without EDE, with +edns the EDE text.
func TestKdigOverTCP(t *testing.T) {
	kdig, err := exec.LookPath("kdig")
	if err != nil {
		t.Skip("kdig is not installed (apt-get install knot-dnsutils); .ci/run installs it")
	}
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("scam-exchange.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "mine", URL: feed, Enabled: true}}
	s := startService(t, cfg)
	host, port, _ := net.SplitHostPort(s.dns)
	for _, tc := range []struct {
		flag string
		ede  bool
	}{{"+noedns", false}, {"+edns", true}} {
		out, err := exec.Command(kdig, "@"+host, "-p", port, "+tcp", tc.flag, "+timeout=3", "www.scam-exchange.com", "A").CombinedOutput()
		if err != nil {
			t.Fatalf("kdig %s: %v\n%s", tc.flag, err, out)
		}
		if !strings.Contains(string(out), "status: NXDOMAIN") {
			t.Errorf("kdig %s: no NXDOMAIN:\n%s", tc.flag, out)
		}
		if got := strings.Contains(string(out), "EDE: 15 (Blocked): 'listed: scam-exchange.com (mine)'"); got != tc.ede {
			t.Errorf("kdig %s: EDE present = %v, want %v:\n%s", tc.flag, got, tc.ede, out)
		}
	}
}

func TestSighupReloadsFeedFile(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("first-scam.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: feed, Enabled: true}}
	s := startService(t, cfg)
	if r := query(t, s.dns, "second-scam.com", dns.TypeA, "udp", true); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("before reload: %s", dns.RcodeToString[r.Rcode])
	}
	if err := os.WriteFile(feed, []byte("first-scam.com\nsecond-scam.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.hup <- os.Interrupt // any value: the service treats it as SIGHUP
	waitFor(t, 3*time.Second, func() bool {
		return query(t, s.dns, "x.second-scam.com", dns.TypeA, "udp", true).Rcode == dns.RcodeNameError
	})
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestResearcherFlowOverDNS: submit → pending does not block → approve →
// blocked within 1 s naming the submission → appeal → delist → resolves.
func TestResearcherFlowOverDNS(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	subTok, _, err := db.CreateToken("alice", store.RoleSubmitter, "test")
	if err != nil {
		t.Fatal(err)
	}
	revTok, _, err := db.CreateToken("bob", store.RoleReviewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	cfg := config.Default()
	cfg.Server.DataDir = dir
	s := startService(t, cfg)
	ctx := context.Background()
	submitter := &api.Client{Server: s.http, Token: subTok}
	reviewer := &api.Client{Server: s.http, Token: revTok}
	public := &api.Client{Server: s.http}

	res, err := submitter.Submit(ctx, api.SubmitRequest{Indicator: "fresh-pig-butchering.com", Category: "scam", Evidence: []string{"https://example.org/report/1"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Results[0].Submission.ID
	if r := query(t, s.dns, "fresh-pig-butchering.com", dns.TypeA, "udp", true); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("pending submission blocks: %s", dns.RcodeToString[r.Rcode])
	}
	if _, err := reviewer.Approve(ctx, id, api.DecisionRequest{Reason: "confirmed"}); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, time.Second, func() bool {
		return query(t, s.dns, "www.fresh-pig-butchering.com", dns.TypeA, "udp", true).Rcode == dns.RcodeNameError
	})
	t.Logf("blocked %v after approval", took)
	_, text, _ := edeText(query(t, s.dns, "fresh-pig-butchering.com", dns.TypeA, "udp", true))
	if want := "listed: fresh-pig-butchering.com (submission:"; !strings.HasPrefix(text, want) {
		t.Fatalf("EDE text %q, want prefix %q", text, want)
	}

	appeal, err := public.Appeal(ctx, api.AppealRequest{Indicator: "fresh-pig-butchering.com", Reason: "this is my bakery", Contact: "owner@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reviewer.DelistAppeal(ctx, appeal.ID, api.DecisionRequest{Reason: "false positive"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, func() bool {
		return query(t, s.dns, "fresh-pig-butchering.com", dns.TypeA, "udp", true).Rcode == dns.RcodeSuccess
	})
}

// TestReloadUnderLoad keeps querying while the feeds are swapped 100 times
// and sees no failed or wrong answer.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "list.txt")
	rotating := func(i int) string { return "rotating-" + string(rune('a'+i%26)) + ".com" }
	write := func(i int) { // atomically, as a feed download is installed
		tmp := feed + ".tmp"
		if err := os.WriteFile(tmp, []byte("always-blocked.com\n"+rotating(i)+"\n"), 0o600); err != nil {
			t.Error(err)
		}
		if err := os.Rename(tmp, feed); err != nil {
			t.Error(err)
		}
	}
	write(0)
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: feed, Enabled: true}}
	s := startService(t, cfg)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, tc := range []struct {
					name  string
					rcode int
				}{{"sub.always-blocked.com.", dns.RcodeNameError}, {"fine.example.org.", dns.RcodeSuccess}} {
					m := new(dns.Msg)
					m.SetQuestion(tc.name, dns.TypeA)
					r, _, err := c.Exchange(m, s.dns)
					if err != nil || r.Rcode != tc.rcode {
						mu.Lock()
						bad = append(bad, tc.name+": "+errString(err, r))
						mu.Unlock()
					}
				}
			}
		}()
	}
	for i := 1; i <= 100; i++ {
		write(i)
		s.hup <- os.Interrupt
		time.Sleep(15 * time.Millisecond)
	}
	waitFor(t, 2*time.Second, func() bool { // the last swap took effect
		return query(t, s.dns, rotating(100), dns.TypeA, "udp", false).Rcode == dns.RcodeNameError
	})
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d failed or wrong answers during 100 reloads, first: %s", len(bad), bad[0])
	}
}

func errString(err error, r *dns.Msg) string {
	if err != nil {
		return err.Error()
	}
	return dns.RcodeToString[r.Rcode]
}

// TestHashBLZoneOnTheDNSListener: --hashbl-zone answers wallet and domain
// lookups on the same listener that resolves, as mail filters query it.
func TestHashBLZoneOnTheDNSListener(t *testing.T) {
	ofac := sharedFeed(t, "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_ETH.txt")
	cfg := config.Default()
	cfg.Server.HashBLZone = "hashbl.scamblock.test"
	cfg.Feeds = []config.Feed{{Name: "ofac-eth", URL: ofac, Enabled: true}, {Name: "metamask", URL: sharedFeed(t, "metamask-eth-phishing-detect/hosts.txt"), Enabled: true}}
	s := startService(t, cfg)

	const listed = "0x8589427373D6D84E98730D7795D8f6f8731FDA16" // OFAC ETH list, line 89
	tests := []struct {
		name  string
		label string
		rcode int
	}{
		{"sha1 of the address as written", wallet.Label(wallet.HashSHA1, listed), dns.RcodeSuccess},
		{"sha1 of the lower-cased address", wallet.Label(wallet.HashSHA1, strings.ToLower(listed)), dns.RcodeSuccess},
		{"md5", wallet.Label(wallet.HashMD5, strings.ToLower(listed)), dns.RcodeSuccess},
		{"sha256 base32", wallet.Label(wallet.HashSHA256, strings.ToLower(listed)), dns.RcodeSuccess},
		{"the address itself", strings.ToLower(listed), dns.RcodeSuccess},
		{"listed domain", "yearnson.finance", dns.RcodeSuccess},
		{"unlisted address", wallet.Label(wallet.HashSHA1, "0x0000000000000000000000000000000000000001"), dns.RcodeNameError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := query(t, s.dns, tt.label+".hashbl.scamblock.test", dns.TypeA, "udp", true)
			if r.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode], r)
			}
			if tt.rcode != dns.RcodeSuccess {
				return
			}
			a, ok := r.Answer[0].(*dns.A)
			if !ok || !a.A.IsLoopback() {
				t.Fatalf("want an A record in 127/8, got %v", r.Answer)
			}
		})
	}
	txt := query(t, s.dns, strings.ToLower(listed)+".hashbl.scamblock.test", dns.TypeTXT, "tcp", true)
	if len(txt.Answer) == 0 || !strings.Contains(txt.Answer[0].String(), "ofac-eth") {
		t.Fatalf("TXT should name the source: %v", txt.Answer)
	}
}

// checkMetrics reads /metrics after the queries of a test ran.
func checkMetrics(t *testing.T, base string) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`scamblock_feed_entries{feed="metamask"} 1071`,
		`scamblock_dns_queries_total{outcome="blocked",qtype="A"}`,
		"scamblock_lists_names ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(body), "yearnson") {
		t.Error("/metrics must never carry query names")
	}
}

// TestRPZZoneFollowsTheLists: with --rpz-listen the compiled list is served
// by AXFR, and a reload shows in the next transfer.
func TestRPZZoneFollowsTheLists(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("first-scam.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: feed, Enabled: true}}
	cfg.Server.RPZ = config.RPZ{Listen: "127.0.0.1:0", Zone: "rpz.scamblock.test."}
	s := startService(t, cfg)
	if s.rpz == "" {
		t.Fatal("no RPZ address reported")
	}
	axfr := func() []string {
		tr := &dns.Transfer{}
		m := new(dns.Msg)
		m.SetAxfr("rpz.scamblock.test.")
		env, err := tr.In(m, s.rpz)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for e := range env {
			if e.Error != nil { // SERVFAIL until the first snapshot is built
				t.Logf("AXFR: %v", e.Error)
				return nil
			}
			for _, rr := range e.RR {
				if c, ok := rr.(*dns.CNAME); ok {
					names = append(names, c.Hdr.Name+" "+c.Target)
				}
			}
		}
		return names
	}
	waitFor(t, 3*time.Second, func() bool {
		return strings.Contains(strings.Join(axfr(), ","), "first-scam.com.rpz.scamblock.test. .")
	})
	if err := os.WriteFile(feed, []byte("first-scam.com\nsecond-scam.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.hup <- os.Interrupt
	waitFor(t, 5*time.Second, func() bool {
		return strings.Contains(strings.Join(axfr(), ","), "*.second-scam.com.rpz.scamblock.test. .")
	})
}
