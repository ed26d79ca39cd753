package hashbl

import (
	"net"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/wallet"
)

const zoneName = "hashbl.scamblock.local"

// Listed addresses of the tests.
const (
	ethListed  = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" // EIP-55 example
	ethOther   = "0xde709f2102306220921060314715629080e2fb77" // not listed
	btcListed  = "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"         // OFAC BSV/BTC
	bchListed  = "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"
	trxListed  = "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg"
	bechListed = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
)

// domains is a Blocklist over a map, walking the name's suffixes as the
// real matcher does.
type domains map[string]lists.Hit

func (d domains) Lookup(name string) (lists.Hit, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for {
		if h, ok := d[name]; ok {
			return h, h.Action == lists.Block
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return lists.Hit{}, false
		}
		name = name[i+1:]
	}
}

func testIndex(t testing.TB) *wallet.Index {
	t.Helper()
	b := wallet.NewBuilder()
	for _, e := range []struct {
		src, chain, value, category string
		links                       []string
	}{
		{"ofac-ETH", "ETH", ethListed, "sanctioned", nil},
		{"scamsniffer", "eth", strings.ToLower(ethListed), "drainer", []string{"claim-airdrop.example"}},
		{"ofac-XBT", "XBT", btcListed, "sanctioned", nil},
		{"ofac-BCH", "BCH", bchListed, "sanctioned", nil},
		{"cryptoscamdb", "TRX", trxListed, "Scamming", []string{"tron-double.example"}},
		{"cryptoscamdb", "BTC", bechListed, "Phishing", nil},
	} {
		err := b.Add(e.src, lists.Entry{Value: e.value, Kind: lists.KindAddress, Chain: e.chain, Category: e.category, Links: e.links})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func testZone(t testing.TB) *Zone {
	t.Helper()
	z, err := New(Config{
		Zone:      zoneName,
		Addresses: testIndex(t),
		Domains: domains{
			"evil.example":      {Name: "evil.example", Source: "hagezi-fake", Category: "phishing", Action: lists.Block},
			"good.evil.example": {Name: "good.evil.example", Source: "--allow", Action: lists.Allow},
		},
		Serial: 2026112501,
	})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// serve runs z on a UDP and a TCP listener on 127.0.0.1 and returns the
// address. Questions outside the zone are REFUSED, as a resolver without
// upstreams would.
func serve(t testing.TB, z *Zone) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if resp, ok := z.Answer(r); ok {
			w.WriteMsg(resp)
			return
		}
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeRefused)
		w.WriteMsg(m)
	})
	// UDP and TCP on the same port; another process may hold the TCP side
	// of a free UDP port, so try a few.
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatalf("no port free for both UDP and TCP: %v", err)
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("DNS server did not start")
		}
		t.Cleanup(func() { s.Shutdown() })
	}
	return pc.LocalAddr().String()
}

func query(t testing.TB, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

// values lists the answer's A addresses and TXT strings, sorted.
func values(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.TXT:
			out = append(out, strings.Join(v.Txt, ""))
		case *dns.SOA:
			out = append(out, "SOA "+v.Ns)
		case *dns.NS:
			out = append(out, "NS "+v.Ns)
		}
	}
	sort.Strings(out)
	return out
}

func TestZoneAnswersOverRealDNS(t *testing.T) {
	server := serve(t, testZone(t))
	lowerETH := strings.ToLower(ethListed)
	label := func(h wallet.Hash, v string) string { return wallet.Label(h, v) + "." + zoneName }
	cases := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string // A and TXT values, sorted
		soa    bool     // SOA in the authority section
	}{
		{"sha1 of the lower-cased ETH address: sanctioned and drainer codes", label(wallet.HashSHA1, lowerETH), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"sha1 of the EIP-55 form (case kept)", label(wallet.HashSHA1, ethListed), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"md5 of the lower-cased address", label(wallet.HashMD5, lowerETH), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"sha256 base32 of the lower-cased address", label(wallet.HashSHA256, lowerETH), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"the address itself", lowerETH + "." + zoneName, dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"the address itself in mixed case", ethListed + "." + zoneName, dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"TXT gives every listing's reason and source", label(wallet.HashSHA1, lowerETH), dns.TypeTXT, dns.RcodeSuccess, []string{
			"scamblock: drainer evm address listed by scamsniffer; used by claim-airdrop.example",
			"scamblock: sanctioned evm address listed by ofac-ETH"}, false},
		{"sha1 of base58 as written", label(wallet.HashSHA1, btcListed), dns.TypeA, dns.RcodeSuccess, []string{"127.0.2.1"}, false},
		{"sha1 of base58 lower-cased", label(wallet.HashSHA1, strings.ToLower(btcListed)), dns.TypeA, dns.RcodeSuccess, []string{"127.0.2.1"}, false},
		{"sha1 of cashaddr without prefix", label(wallet.HashSHA1, bchListed), dns.TypeA, dns.RcodeSuccess, []string{"127.0.2.1"}, false},
		{"sha1 of cashaddr with prefix", label(wallet.HashSHA1, "bitcoincash:"+bchListed), dns.TypeA, dns.RcodeSuccess, []string{"127.0.2.1"}, false},
		{"TRON scam (category Scamming)", label(wallet.HashSHA1, strings.ToLower(trxListed)), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.1"}, false},
		{"bech32 phishing", label(wallet.HashSHA256, bechListed), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.2"}, false},
		{"A and TXT for ANY", label(wallet.HashSHA1, bechListed), dns.TypeANY, dns.RcodeSuccess, []string{"127.0.1.2", "scamblock: phishing btc address listed by cryptoscamdb"}, false},
		{"listed address, other type: NODATA with SOA", label(wallet.HashSHA1, lowerETH), dns.TypeAAAA, dns.RcodeSuccess, nil, true},
		{"unlisted address: NXDOMAIN with SOA", label(wallet.HashSHA1, ethOther), dns.TypeA, dns.RcodeNameError, nil, true},
		{"unlisted label of junk: NXDOMAIN", "nothing-here." + zoneName, dns.TypeTXT, dns.RcodeNameError, nil, true},
		{"listed domain", "evil.example." + zoneName, dns.TypeA, dns.RcodeSuccess, []string{"127.0.3.2"}, false},
		{"subdomain of a listed domain", "login.evil.example." + zoneName, dns.TypeA, dns.RcodeSuccess, []string{"127.0.3.2"}, false},
		{"listed domain TXT", "login.evil.example." + zoneName, dns.TypeTXT, dns.RcodeSuccess, []string{"scamblock: phishing domain evil.example listed by hagezi-fake"}, false},
		{"allowed subdomain of a listed domain is not listed", "good.evil.example." + zoneName, dns.TypeA, dns.RcodeNameError, nil, true},
		{"unlisted domain", "example.org." + zoneName, dns.TypeA, dns.RcodeNameError, nil, true},
		{"apex SOA", zoneName, dns.TypeSOA, dns.RcodeSuccess, []string{"SOA localhost."}, false},
		{"apex NS", zoneName, dns.TypeNS, dns.RcodeSuccess, []string{"NS localhost."}, false},
		{"apex A: NODATA", zoneName, dns.TypeA, dns.RcodeSuccess, nil, true},
		{"zone name in upper case", strings.ToUpper(label(wallet.HashSHA1, lowerETH)), dns.TypeA, dns.RcodeSuccess, []string{"127.0.1.3", "127.0.2.1"}, false},
		{"outside the zone: not answered", "example.org", dns.TypeA, dns.RcodeRefused, nil, false},
		{"a sibling that ends in the zone's text: not answered", "xhashbl.scamblock.local", dns.TypeA, dns.RcodeRefused, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := query(t, server, c.qname, c.qtype)
			if r.Rcode != c.rcode {
				t.Fatalf("rcode %s, want %s\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[c.rcode], r)
			}
			if got := values(r); strings.Join(got, "|") != strings.Join(c.answer, "|") {
				t.Errorf("answer %q, want %q", got, c.answer)
			}
			if c.rcode == dns.RcodeRefused {
				return
			}
			if !r.Authoritative {
				t.Error("AA bit not set")
			}
			hasSOA := len(r.Ns) == 1 && r.Ns[0].Header().Rrtype == dns.TypeSOA && r.Ns[0].Header().Name == zoneName+"."
			if hasSOA != c.soa {
				t.Errorf("SOA in authority: %v, want %v (%v)", hasSOA, c.soa, r.Ns)
			}
			for _, rr := range r.Answer {
				if rr.Header().Rrtype != dns.TypeSOA && rr.Header().Rrtype != dns.TypeNS && !strings.EqualFold(rr.Header().Name, dns.Fqdn(c.qname)) {
					t.Errorf("answer owner %q, want the question name", rr.Header().Name)
				}
			}
		})
	}
}

func TestZoneAnswersOverTCPAndEDNS(t *testing.T) {
	server := serve(t, testZone(t))
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(wallet.Label(wallet.HashSHA1, strings.ToLower(ethListed))+"."+zoneName), dns.TypeTXT)
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Answer) != 2 || r.IsEdns0() == nil {
		t.Errorf("TCP/EDNS answer: %v", r)
	}
}

func TestZoneSOACarriesConfiguredValues(t *testing.T) {
	r := query(t, serve(t, testZone(t)), zoneName, dns.TypeSOA)
	soa, ok := r.Answer[0].(*dns.SOA)
	if !ok || soa.Serial != 2026112501 || soa.Mbox != "hostmaster."+zoneName+"." || soa.Minttl != 60 || soa.Hdr.Ttl != 60 {
		t.Errorf("SOA %v", r.Answer)
	}
}

func TestOriginsNamesTheZone(t *testing.T) {
	z, err := New(Config{Zone: "HashBL.ScamBlock.Local."})
	if err != nil {
		t.Fatal(err)
	}
	if o := z.Origins(); len(o) != 1 || o[0] != zoneName+"." || z.Name() != zoneName+"." {
		t.Errorf("Origins %v Name %q", o, z.Name())
	}
}

func TestNewRejectsBadZoneNames(t *testing.T) {
	for _, name := range []string{"", " ", "bad..name"} {
		if _, err := New(Config{Zone: name}); err == nil {
			t.Errorf("New(%q) succeeded", name)
		}
	}
}

func TestAnswerIgnoresMalformedRequests(t *testing.T) {
	z := testZone(t)
	if _, ok := z.Answer(nil); ok {
		t.Error("nil request answered")
	}
	if _, ok := z.Answer(new(dns.Msg)); ok {
		t.Error("request without a question answered")
	}
}

func TestCodeTable(t *testing.T) {
	cases := []struct {
		k        Kind
		category string
		want     string
	}{
		{KindAddress, "", "127.0.1.1"},
		{KindAddress, "scam", "127.0.1.1"},
		{KindAddress, "Scamming", "127.0.1.1"},
		{KindAddress, "phishing", "127.0.1.2"},
		{KindAddress, "drainer", "127.0.1.3"},
		{KindAddress, "malware", "127.0.1.4"},
		{KindAddress, "hacked", "127.0.1.5"},
		{KindAddress, "pig-butchering", "127.0.1.6"},
		{KindAddress, "something-else", "127.0.1.255"},
		{KindAddress, "sanctioned", "127.0.2.1"},
		{KindDomain, "phishing", "127.0.3.2"},
		{KindDomain, "", "127.0.3.1"},
	}
	for _, c := range cases {
		if got := Code(c.k, c.category).String(); got != c.want {
			t.Errorf("Code(%d, %q) = %s, want %s", c.k, c.category, got, c.want)
		}
	}
}

// dig, a real client, asks for each label form.
func TestDigQueriesEachLabelForm(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig not installed (Debian: apt-get install dnsutils)")
	}
	server := serve(t, testZone(t))
	host, port, _ := net.SplitHostPort(server)
	lower := strings.ToLower(ethListed)
	for _, label := range []string{
		wallet.Label(wallet.HashSHA1, lower), wallet.Label(wallet.HashSHA1, ethListed),
		wallet.Label(wallet.HashMD5, lower), wallet.Label(wallet.HashSHA256, lower), lower,
	} {
		out, err := exec.Command(dig, "@"+host, "-p", port, "+short", "+tries=2", "+time=5", label+"."+zoneName, "A").CombinedOutput()
		if err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
		got := strings.Fields(string(out))
		sort.Strings(got)
		if strings.Join(got, " ") != "127.0.1.3 127.0.2.1" {
			t.Errorf("dig %s: %q", label, out)
		}
	}
	out, _ := exec.Command(dig, "@"+host, "-p", port, "+tries=2", "+time=5", wallet.Label(wallet.HashSHA1, ethOther)+"."+zoneName, "A").CombinedOutput()
	if !strings.Contains(string(out), "status: NXDOMAIN") || !strings.Contains(string(out), "flags: qr aa") {
		t.Errorf("dig of an unlisted address:\n%s", out)
	}
}

func BenchmarkAnswer(b *testing.B) {
	z := testZone(b)
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(wallet.Label(wallet.HashSHA1, strings.ToLower(ethListed))+"."+zoneName), dns.TypeA)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := z.Answer(m); !ok {
			b.Fatal("not answered")
		}
	}
}

func TestTXTIsCappedAtMaxTXT(t *testing.T) {
	b := wallet.NewBuilder()
	for i := 0; i < 6; i++ {
		b.Add("feed"+string(rune('a'+i)), lists.Entry{Value: ethListed, Kind: lists.KindAddress, Chain: "eth", Category: "scam"})
	}
	z, err := New(Config{Zone: zoneName, Addresses: b.Build(), MaxTXT: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetQuestion(strings.ToLower(ethListed)+"."+zoneName+".", dns.TypeTXT)
	r, _ := z.Answer(m)
	if len(r.Answer) != 2 || !strings.HasSuffix(r.Answer[1].(*dns.TXT).Txt[0], "(+4 more listings)") {
		t.Errorf("answer %v", r.Answer)
	}
}
