package parse

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/internal/feedstest"

	"github.com/scamblock/scamblock/lists"
)

func feedDir(tb testing.TB) string { return feedstest.Dir(tb) }

// parseFile detects the format of a real feed file and parses it with the
// options its name implies.
func parseFile(tb testing.TB, path string) (Format, Report, map[string]int) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := Detect(path, b[:min(len(b), 4096)])
	if err != nil {
		tb.Fatalf("Detect: %v", err)
	}
	kinds := map[string]int{}
	rep, err := Parse(f, bytes.NewReader(b), OptionsFor(path), func(e lists.Entry) {
		kinds[e.Kind.String()+"/"+e.Action.String()]++
	})
	if err != nil {
		tb.Fatalf("Parse(%s): %v", f, err)
	}
	return f, rep, kinds
}

type rj = map[lists.Reason]int
type kd = map[string]int

// realFeeds holds, for every file under the shared feed folder, the format
// Detect must find and the exact result. The numbers were derived from
// SOURCES.md and checked with an independent Python script (json/yaml
// modules, the system public-suffix list for TLDs), not copied from this
// package's output; comments explain where they differ from SOURCES.md.
var realFeeds = []struct {
	path     string
	format   Format
	accepted int
	kinds    kd
	rejected rj
}{
	// SOURCES: 8,527 in each; "0.0.0.0 domain" / "||domain^" after a header.
	{"blocklistproject-scam/scam.txt", FormatHosts, 8527, kd{"domain/block": 8527}, nil},
	{"blocklistproject-scam/adguard/scam-ags.txt", FormatAdblock, 8527, kd{"domain/block": 8527}, nil},
	// 17 records: 16 import (16 twitter.com/... URLs, 14 ETH addresses); the
	// record at line 35 is indented wrongly and is the one syntax reject.
	{"cryptoscamdb-blacklist/uris.yaml", FormatCryptoScamDB, 30, kd{"url/block": 16, "address/block": 14}, rj{ReasonSyntax: 1}},
	// 9,889 records: 9,842 hosts + 41 host/path URLs + 6 rejects = 9,889.
	// 130 hosts have a TLD unknown to x/net's PSL (counted, kept): 88 typos
	// ("myetherwallet.comt") plus 42 records of a typo-squat enumeration on
	// TLDs that have since been retired (.abarth, .active, .xperia ...).
	// 5,841 address refs = 5,840 + 1 "1PSH... (btc)" not-an-address.
	{"cryptoscamdb-blacklist/urls.yaml", FormatCryptoScamDB, 15723,
		kd{"domain/block": 9842, "url/block": 41, "address/block": 5840},
		rj{lists.ReasonIPAddress: 3, lists.ReasonSoftHyphen: 2, ReasonNotHost: 1, ReasonNotAddress: 1}},
	// 23,903 entries, 264 of them ".html" names: syntactically names, so
	// accepted and counted as unknown-tld (realFeedsUnknownTLD).
	{"decripto-crypto-scam-blacklist/domini_scam.txt", FormatDomains, 23903, kd{"domain/block": 23903}, nil},
	{"forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv", FormatCSV, 7780, kd{"address/block": 7780}, nil},
	{"forta-labelled-datasets/labels/1/phishing_scams.csv", FormatCSV, 6726, kd{"address/block": 6726}, nil},
	{"hagezi-fake/adblock/fake.txt", FormatAdblock, 10001, kd{"domain/block": 10001}, nil},
	// 20,002 records: "domain CNAME ." (exact) and "*.domain CNAME ." (subtree).
	{"hagezi-fake/rpz/fake.txt", FormatRPZ, 20002, kd{"domain/block": 20002}, nil},
	{"hagezi-fake/wildcard/fake.txt", FormatWildcard, 10001, kd{"domain/block": 10001}, nil},
	// 58,004, one of them "||assistance-mon-compte.awxcrm^" (unknown TLD, kept).
	{"hagezi-tif/adblock/tif.normal.txt", FormatAdblock, 58004, kd{"domain/block": 58004}, nil},
	{"jarelllama-scam-blocklist/adblock/scams_light.txt", FormatAdblock, 18254, kd{"domain/block": 18254}, nil},
	{"jarelllama-scam-blocklist/wildcard_domains/scams_light.txt", FormatWildcard, 18254, kd{"domain/block": 18254}, nil},
	// blacklist 59,507 = 59,487 + 20 rejects (9 IPs, 7 single labels, 4 with
	// a trailing comma); 27 of the 59,487 have unknown TLDs such as ".claim";
	// whitelist 499, one of them "metamate.crypto" (unknown TLD); fuzzylist 8.
	{"metamask-eth-phishing-detect/config.json", FormatMetaMask, 59994,
		kd{"domain/block": 59487, "domain/allow": 499, "lookalike/block": 8},
		rj{lists.ReasonIPAddress: 9, lists.ReasonSingleLabel: 7, lists.ReasonInvalidChar: 4}},
	// 1,072 lines = 1,071 hosts + localhost rejected as local-name.
	{"metamask-eth-phishing-detect/hosts.txt", FormatHosts, 1071, kd{"domain/block": 1071}, rj{ReasonLocalName: 1}},
	// 132 keys, 279 address refs (124 keys are hosts and become Links).
	{"polkadot-js-phishing/address.json", FormatPolkadotAddress, 279, kd{"address/block": 279}, nil},
	// allow 29; deny 54,863 = 54,859 (one "comimport-wallet.html") + 4 IPs; denySub 2.
	{"polkadot-js-phishing/all.json", FormatPolkadot, 54890,
		kd{"domain/allow": 29, "domain/block": 54859, "url/block": 2},
		rj{lists.ReasonIPAddress: 4}},
	{"scamsniffer-scam-database/address.json", FormatAddressJSON, 2530, kd{"address/block": 2530}, nil},
	// 2,577 keys = 2,576 hosts + the "" key; all 3,021 address refs import.
	{"scamsniffer-scam-database/combined.json", FormatScamSnifferCombined, 5597,
		kd{"domain/block": 2576, "address/block": 3021}, rj{lists.ReasonEmpty: 1}},
	// 165,446 = 165,443 + 3 single labels ("chromewebdata", "ad", an extension id).
	{"scamsniffer-scam-database/domains.json", FormatScamSnifferDomains, 165443, kd{"domain/block": 165443}, rj{lists.ReasonSingleLabel: 3}},
	// total_count says 1,089; the array holds 1,080.
	{"spmedia-crypto-scam-feed/detected_urls.json", FormatSpmediaJSON, 1080, kd{"domain/block": 1080}, nil},
	// 1,431 lines = 5 comments + 3 blank lines + 1,423 hosts.
	{"spmedia-crypto-scam-feed/detected_urls.txt", FormatDomains, 1423, kd{"domain/block": 1423}, nil},
}

// realFeedsUnknownTLD is, per file, how many accepted names have a TLD
// x/net's Public Suffix List does not know: kept and counted, not dropped.
var realFeedsUnknownTLD = map[string]int{
	"cryptoscamdb-blacklist/urls.yaml":               140, // 130 once rejected + 10 whose url was skipped for the name
	"decripto-crypto-scam-blacklist/domini_scam.txt": 264,
	"hagezi-tif/adblock/tif.normal.txt":              1,
	"metamask-eth-phishing-detect/config.json":       28,
	"polkadot-js-phishing/all.json":                  1,
}

// archiveCounts are the ScamSniffer daily deltas: domains and addresses.
var archiveCounts = map[string][2]int{
	"2022-05-31": {4, 3}, "2022-06-01": {7, 7}, "2022-06-02": {4, 4}, "2022-06-03": {5, 7},
	"2022-06-04": {5, 6}, "2022-06-05": {5, 6}, "2022-06-06": {1, 1},
	"2026-08-02": {141, 0}, "2026-08-03": {214, 0}, "2026-08-04": {201, 0}, "2026-08-05": {111, 0},
	"2026-08-06": {116, 0}, "2026-08-07": {119, 0}, "2026-08-08": {163, 0}, "2026-08-09": {115, 0},
	"2026-08-10": {232, 0}, "2026-08-11": {98, 0}, "2026-08-12": {136, 0}, "2026-08-13": {137, 0},
	"2026-08-14": {163, 0}, "2026-08-15": {105, 0},
}

// ofacCounts are the OFAC lists per asset (SOURCES: 599 in 17 lists); the
// .txt and the .json of an asset hold the same addresses.
var ofacCounts = map[string]int{
	"XBT": 387, "ETH": 150, "USDT": 25, "LTC": 8, "BCH": 7, "DASH": 3, "XMR": 3, "ZEC": 3,
	"TRX": 4, "USDC": 2, "ARB": 1, "BSC": 1, "BSV": 1, "BTG": 1, "ETC": 1, "XRP": 1, "XVG": 1,
}

func TestRealFeedsExactCounts(t *testing.T) {
	root := feedDir(t)
	covered := map[string]bool{}
	for _, tc := range realFeeds {
		covered[tc.path] = true
		t.Run(tc.path, func(t *testing.T) {
			f, rep, kinds := parseFile(t, filepath.Join(root, tc.path))
			if f != tc.format {
				t.Errorf("Detect = %s, want %s", f, tc.format)
			}
			checkReport(t, rep, kinds, tc.accepted, tc.kinds, tc.rejected)
			if rep.UnknownTLD != realFeedsUnknownTLD[tc.path] || rep.SpecialUse != 0 {
				t.Errorf("unknown-tld %d, special-use %d; want %d, 0", rep.UnknownTLD, rep.SpecialUse, realFeedsUnknownTLD[tc.path])
			}
		})
	}
	for day, c := range archiveCounts {
		path := "scamsniffer-scam-database/archive/" + day + ".json"
		covered[path] = true
		t.Run(path, func(t *testing.T) {
			f, rep, kinds := parseFile(t, filepath.Join(root, path))
			if f != FormatScamSnifferArchive {
				t.Errorf("Detect = %s, want %s", f, FormatScamSnifferArchive)
			}
			want := kd{"domain/block": c[0]}
			if c[1] > 0 {
				want["address/block"] = c[1]
			}
			checkReport(t, rep, kinds, c[0]+c[1], want, nil)
		})
	}
	total := 0
	for asset, n := range ofacCounts {
		total += n
		for ext, format := range map[string]Format{".txt": FormatAddressList, ".json": FormatAddressJSON} {
			path := "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_" + asset + ext
			covered[path] = true
			t.Run(path, func(t *testing.T) {
				full := filepath.Join(root, path)
				f, rep, kinds := parseFile(t, full)
				if f != format {
					t.Errorf("Detect = %s, want %s", f, format)
				}
				checkReport(t, rep, kinds, n, kd{"address/block": n}, nil)
				b, _ := os.ReadFile(full)
				Parse(f, bytes.NewReader(b), OptionsFor(full), func(e lists.Entry) {
					if e.Category != "sanctioned" || e.Chain != ChainFromName(full) || e.Chain == "" {
						t.Fatalf("entry %+v: want category sanctioned, chain %q", e, ChainFromName(full))
					}
				})
			})
		}
	}
	if total != 599 {
		t.Errorf("OFAC total %d, SOURCES.md says 599", total)
	}
	// Every data file must be in the table.
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel != "SOURCES.md" && rel != "SHA256SUMS" && !covered[rel] {
			t.Errorf("feed file %s has no expected counts in this test", rel)
		}
		return nil
	})
}

func checkReport(t *testing.T, rep Report, kinds map[string]int, accepted int, wantKinds kd, wantRej rj) {
	t.Helper()
	if rep.Accepted != accepted {
		t.Errorf("accepted %d, want %d", rep.Accepted, accepted)
	}
	if !equalMaps(kinds, wantKinds) {
		t.Errorf("entries by kind/action %v, want %v", kinds, wantKinds)
	}
	if !equalMaps(rep.Rejected, wantRej) {
		t.Errorf("rejected %v, want %v; examples %v", rep.Rejected, wantRej, rep.Examples)
	}
}

func equalMaps[K comparable](a, b map[K]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// collect parses src in format f and returns the entries.
func collect(t *testing.T, f Format, src string, opts Options) ([]lists.Entry, Report) {
	t.Helper()
	var out []lists.Entry
	rep, err := Parse(f, strings.NewReader(src), opts, func(e lists.Entry) { out = append(out, e) })
	if err != nil {
		t.Fatalf("Parse(%s): %v", f, err)
	}
	if rep.Accepted != len(out) {
		t.Fatalf("Accepted %d but %d entries emitted", rep.Accepted, len(out))
	}
	return out, rep
}

func values(es []lists.Entry) []string {
	var v []string
	for _, e := range es {
		v = append(v, e.Kind.String()+":"+e.Value)
	}
	return v
}

func TestRealFeedTraps(t *testing.T) {
	root := feedDir(t)
	t.Run("coinbase.com in decripto is emitted: guarding is not the parser's job", func(t *testing.T) {
		found := 0
		fh, err := os.Open(filepath.Join(root, "decripto-crypto-scam-blacklist/domini_scam.txt"))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		Parse(FormatDomains, fh, Options{}, func(e lists.Entry) {
			if e.Value == "coinbase.com" && e.Line == 5485 && e.Kind == lists.KindDomain {
				found++
			}
		})
		if found != 1 {
			t.Errorf("coinbase.com at line 5485 emitted %d times, want 1", found)
		}
	})
	t.Run("spmedia txt: mixed CRLF, mixed case, no final newline", func(t *testing.T) {
		b, _ := os.ReadFile(filepath.Join(root, "spmedia-crypto-scam-feed/detected_urls.txt"))
		if b[len(b)-1] == '\n' || !bytes.Contains(b, []byte("\r\n")) {
			t.Fatal("file no longer has the traps this test is about")
		}
		var es []lists.Entry
		Parse(FormatDomains, bytes.NewReader(b), Options{}, func(e lists.Entry) { es = append(es, e) })
		last := es[len(es)-1]
		if last.Value != "cpacapital.io" || last.Line != 1431 {
			t.Errorf("last entry %q line %d, want cpacapital.io line 1431", last.Value, last.Line)
		}
		for _, e := range es {
			if strings.ContainsAny(e.Value, "\r ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Fatalf("entry %q keeps a CR or upper case", e.Value)
			}
			if e.Value == "coinbene.io" && e.Line != 17 {
				t.Errorf("CoinBene.io at line %d", e.Line)
			}
		}
	})
	t.Run("polkadot all.json: TAB indentation, allow is exact, denySub is a URL with its line", func(t *testing.T) {
		fh, _ := os.Open(filepath.Join(root, "polkadot-js-phishing/all.json"))
		defer fh.Close()
		got := map[string]lists.Entry{}
		Parse(FormatPolkadot, fh, Options{}, func(e lists.Entry) { got[e.Value] = e })
		if e := got["vercel.app"]; e.Action != lists.Allow || !e.Exact {
			t.Errorf("vercel.app = %+v, want an exact Allow", e)
		}
		if e := got["fleek.co"]; e.Action != lists.Allow || !e.Exact || e.Line != 3 {
			t.Errorf("*.fleek.co = %+v, want an exact Allow of fleek.co at line 3", e)
		}
		if e := got["twitter.com/AcalaNetworks"]; e.Kind != lists.KindURL || e.Line != 54899 {
			t.Errorf("denySub = %+v, want KindURL at line 54899", e)
		}
		if _, ok := got["twitter.com"]; ok {
			t.Error("twitter.com emitted from a denySub URL")
		}
		if e := got["000000000000000000000deadburn.pages.dev"]; e.Action != lists.Block || e.Line != 35 {
			t.Errorf("deny entry = %+v, want Block at line 35", e)
		}
	})
	t.Run("scamsniffer combined: host and its addresses linked", func(t *testing.T) {
		fh, _ := os.Open(filepath.Join(root, "scamsniffer-scam-database/combined.json"))
		defer fh.Close()
		var es []lists.Entry
		Parse(FormatScamSnifferCombined, fh, Options{}, func(e lists.Entry) { es = append(es, e) })
		want := []string{"domain:degenalgo.art", "address:0x3da02e1f29bcbed185eca0d3299efd46e6e7e155", "address:0x398e98b7c19db2f5df086eb4f83624146aa1ab53"}
		if got := values(es[:3]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("first entries %v, want %v", got, want)
		}
		if es[1].Chain != "eth" || len(es[1].Links) != 1 || es[1].Links[0] != "degenalgo.art" || es[1].Line != 3 {
			t.Errorf("address entry %+v", es[1])
		}
	})
	t.Run("cryptoscamdb uris.yaml: bad record reported with its line, the others import", func(t *testing.T) {
		fh, _ := os.Open(filepath.Join(root, "cryptoscamdb-blacklist/uris.yaml"))
		defer fh.Close()
		var es []lists.Entry
		rep, err := Parse(FormatCryptoScamDB, fh, Options{}, func(e lists.Entry) { es = append(es, e) })
		if err != nil {
			t.Fatal(err)
		}
		ex := rep.Examples[ReasonSyntax]
		if len(ex) != 1 || ex[0].Line != 35 || !strings.Contains(ex[0].Input, "twitter.com/VitalikButeriin") {
			t.Fatalf("syntax rejects %v, want the record at line 35", ex)
		}
		// The record before the bad one (lines 26-34) and the one after it import.
		var seen []string
		for _, e := range es {
			if e.Value == "twitter.com/Aurora__dao/status/960683836463075328" || e.Value == "twitter.com/VitalikBulerin" {
				seen = append(seen, e.Value)
				if e.Category != "scamming" {
					t.Errorf("%s category %q, want scamming", e.Value, e.Category)
				}
			}
			if e.Kind == lists.KindAddress && e.Value == "0x08389B19ad52f0d983609ab785b3a43A0E90355F" {
				if e.Chain != "eth" || e.Line != 9 || len(e.Links) != 1 || e.Links[0] != "twitter.com" {
					t.Errorf("address entry %+v", e)
				}
			}
		}
		if len(seen) != 2 {
			t.Errorf("neighbours of the bad record: got %v", seen)
		}
	})
	t.Run("metamask: fuzzylist are lookalikes with the file's tolerance", func(t *testing.T) {
		fh, _ := os.Open(filepath.Join(root, "metamask-eth-phishing-detect/config.json"))
		defer fh.Close()
		n := 0
		Parse(FormatMetaMask, fh, Options{}, func(e lists.Entry) {
			if e.Kind == lists.KindLookalike {
				n++
				if e.Tolerance != 1 || e.Action != lists.Block {
					t.Errorf("lookalike %+v", e)
				}
			}
			if e.Value == "cryptocities.world" && (e.Action != lists.Allow || e.Line != 15) {
				t.Errorf("whitelist entry %+v", e)
			}
		})
		if n != 8 {
			t.Errorf("%d lookalikes, want 8", n)
		}
	})
	t.Run("forta CSV: category from the tag column, line numbers", func(t *testing.T) {
		fh, _ := os.Open(filepath.Join(root, "forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv"))
		defer fh.Close()
		cats := map[string]int{}
		path := "forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv"
		Parse(FormatCSV, fh, OptionsFor(path), func(e lists.Entry) {
			cats[e.Category]++
			if e.Value == "0xc5d88efc558762a53b5e9924c1e7ab995281c2f6" && e.Line != 4368 {
				t.Errorf("quoted-field row at line %d, want 4368", e.Line)
			}
		})
		// data_source: 7,568 + the 2 rows with quoted commas = 7,570 phish-hack.
		want := map[string]int{"phishing": 7570, "exploit": 139, "heist": 71}
		if !equalMaps(cats, want) {
			t.Errorf("categories %v, want %v", cats, want)
		}
	})
}

func TestTraps(t *testing.T) {
	t.Run("URL with a path is a URL entry and does not emit its host", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "https://sites.google.com/view/evil?x=1#f\nhttps://evil.com/\n", Options{})
		got := strings.Join(values(es), " ")
		if got != "url:sites.google.com/view/evil domain:evil.com" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("URL with a path also emits its host with URLBlocksHost", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "https://Evil.Com/login/\n", Options{URLBlocksHost: true})
		got := strings.Join(values(es), " ")
		if got != "url:evil.com/login domain:evil.com" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("CRLF lines, BOM and no final newline", func(t *testing.T) {
		es, rep := collect(t, FormatDomains, "\xef\xbb\xbfa.com\r\nb.com\r\n\r\nc.com", Options{})
		if got := strings.Join(values(es), " "); got != "domain:a.com domain:b.com domain:c.com" {
			t.Errorf("got %s", got)
		}
		if es[2].Line != 4 || rep.Lines != 4 {
			t.Errorf("last line %d, report lines %d, want 4", es[2].Line, rep.Lines)
		}
	})
	t.Run("TAB-indented JSON keeps line numbers", func(t *testing.T) {
		es, _ := collect(t, FormatPolkadot, "{\n\t\"allow\": [\n\t\t\"vercel.app\"\n\t],\n\t\"deny\": [\n\t\t\"a.com\",\n\t\t\"b.com\"\n\t]\n}", Options{})
		if len(es) != 3 || es[0].Line != 3 || es[1].Line != 6 || es[2].Line != 7 {
			t.Errorf("entries %+v", es)
		}
	})
	t.Run("[Adblock Plus] header and ! comments are skipped", func(t *testing.T) {
		es, rep := collect(t, FormatAdblock, "[Adblock Plus]\n! Title: x\n!\n||evil.com^\n", Options{})
		if len(es) != 1 || es[0].Value != "evil.com" || es[0].Line != 4 || rep.TotalRejected() != 0 {
			t.Errorf("entries %+v, rejects %v", es, rep.Rejected)
		}
	})
	t.Run("@@ exceptions are Allow entries", func(t *testing.T) {
		es, _ := collect(t, FormatAdblock, "||evil.com^\n@@||good.evil.com^\n@@||ok.com^$important\n", Options{})
		if len(es) != 3 || es[1].Action != lists.Allow || es[1].Value != "good.evil.com" || es[2].Action != lists.Allow || es[0].Action != lists.Block {
			t.Errorf("entries %+v", es)
		}
	})
	t.Run("coinbase.com is emitted: guarding is not the parser's job", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "coinbase.com\n", Options{})
		if len(es) != 1 || es[0].Value != "coinbase.com" {
			t.Errorf("entries %+v", es)
		}
	})
	t.Run("duplicates are emitted; dedup is the matcher's job", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "a.com\na.com\nA.COM.\n", Options{})
		if len(es) != 3 {
			t.Errorf("entries %+v", es)
		}
	})
	t.Run("a line longer than MaxLineBytes is a reject, not fatal", func(t *testing.T) {
		src := "a.com\n" + strings.Repeat("x", MaxLineBytes+10) + "\nb.com\n"
		es, rep := collect(t, FormatDomains, src, Options{})
		if len(es) != 2 || rep.Rejected[ReasonTooLongLine] != 1 || es[1].Line != 3 {
			t.Errorf("entries %+v rejects %v", es, rep.Rejected)
		}
	})
}

func TestHosts(t *testing.T) {
	src := "# comment\n127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n0.0.0.0 0.0.0.0\n255.255.255.255 broadcasthost\n" +
		"0.0.0.0\ta.com b.com # two on a line\n\t0.0.0.0 c.com#not-a-comment\n0.0.0.0 192.168.1.1\n0.0.0.0 intranet\nnot-an-ip x.com\n"
	es, rep := collect(t, FormatHosts, src, Options{Category: "scam"})
	if got := strings.Join(values(es), " "); got != "domain:a.com domain:b.com domain:c.com" {
		t.Errorf("entries %s", got)
	}
	if es[0].Category != "scam" || es[0].Line != 6 {
		t.Errorf("entry %+v", es[0])
	}
	want := rj{ReasonLocalName: 5, lists.ReasonIPAddress: 1, lists.ReasonSingleLabel: 1, ReasonSyntax: 1}
	if !equalMaps(rep.Rejected, want) {
		t.Errorf("rejects %v, want %v: %v", rep.Rejected, want, rep.Examples)
	}
}

func TestDomainRejects(t *testing.T) {
	tests := []struct {
		name, in string
		reason   lists.Reason
	}{
		{"IP address", "192.0.2.1", lists.ReasonIPAddress},
		{"IP in a URL", "http://192.0.2.1/x", lists.ReasonIPAddress},
		{"single label", "intranet", lists.ReasonSingleLabel},
		{"bare TLD", "com", lists.ReasonSingleLabel},
		{"invalid label", "-bad.com", lists.ReasonInvalidLabel},
		{"soft hyphen", "wallets\u00adconnect.com", lists.ReasonSoftHyphen},
		{"all-digit TLD", "evil.123", lists.ReasonInvalidLabel},
		{"e-mail address", "victim@mail.com", ReasonNotHost},
		{"unsupported scheme", "javascript://alert", ReasonNotHost},
		{"space inside", "a example.com", ReasonSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is rejected as "+string(tc.reason), func(t *testing.T) {
			es, rep := collect(t, FormatDomains, tc.in, Options{})
			if len(es) != 0 || rep.Rejected[tc.reason] != 1 {
				t.Errorf("entries %v, rejects %v", es, rep.Examples)
			}
			if ex := rep.Examples[tc.reason]; len(ex) != 1 || ex[0].Line != 1 {
				t.Errorf("examples %v", ex)
			}
		})
	}
	t.Run("unicode becomes punycode", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "bücher.com.com\n*.münchen.de\n", Options{})
		if got := strings.Join(values(es), " "); got != "domain:xn--bcher-kva.com.com domain:xn--mnchen-3ya.de" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("ports, userinfo, query and fragment are dropped", func(t *testing.T) {
		es, _ := collect(t, FormatDomains, "https://user:pw@evil.com:8443/a/b/?q=1#x\nhttp://evil.com:80\n", Options{})
		if got := strings.Join(values(es), " "); got != "url:evil.com/a/b domain:evil.com" {
			t.Errorf("got %s", got)
		}
	})
}

func TestAdblockRules(t *testing.T) {
	src := strings.Join([]string{
		"||evil.com^",
		"||*.wild.com^",
		"||ads.com^$third-party",
		"example.org##.banner",
		"||evil.com/path^",
		"/ads[0-9]+/",
		"||ad*.com^",
		"bare.com",
		"0.0.0.0 hosts.com",
		"@@||allowed.com^|",
		"# hash comment",
	}, "\n")
	es, rep := collect(t, FormatAdblock, src, Options{})
	if got := strings.Join(values(es), " "); got != "domain:evil.com domain:wild.com domain:bare.com domain:hosts.com domain:allowed.com" {
		t.Errorf("got %s", got)
	}
	if rep.Rejected[ReasonUnsupported] != 5 || len(rep.Rejected) != 1 {
		t.Errorf("rejects %v, want 5 unsupported-rule: %v", rep.Rejected, rep.Examples)
	}
}

func TestRPZ(t *testing.T) {
	src := `$TTL 300
$ORIGIN rpz.com.
@ IN SOA localhost. root.localhost. ( 1 43200
        3600 259200 300 )
  NS  localhost.
; comment
evil.com            CNAME .
*.evil.com          CNAME .
good.evil.com  300 IN  CNAME rpz-passthru.
drop.com        CNAME rpz-drop.
nodata.com      CNAME *.
redirect.com    A 0.0.0.0
32.1.2.0.192.rpz-ip CNAME .
ns.rpz-nsdname      CNAME .
tcp.com         CNAME rpz-tcp-only.
txt.com         TXT "x"
abs.com.rpz.com. CNAME .
other.zone.         CNAME .
`
	es, rep := collect(t, FormatRPZ, src, Options{})
	got := []string{}
	for _, e := range es {
		s := e.Value + "/" + e.Action.String()
		if e.Exact {
			s += "/exact"
		}
		got = append(got, s)
	}
	want := "evil.com/block/exact evil.com/block good.evil.com/allow/exact drop.com/block/exact nodata.com/block/exact redirect.com/block/exact abs.com/block/exact"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if es[0].Line != 7 {
		t.Errorf("first entry line %d, want 7", es[0].Line)
	}
	if !equalMaps(rep.Rejected, rj{ReasonUnsupported: 4, ReasonSyntax: 1}) {
		t.Errorf("rejects %v: %v", rep.Rejected, rep.Examples)
	}
}

func TestDnsmasqAndUnbound(t *testing.T) {
	es, rep := collect(t, FormatDnsmasq, "address=/evil.com/0.0.0.0\naddress=/a.com/b.com/\nlocal=/c.com/\nserver=/d.com/\nserver=/ok.com/#\nserver=/fwd.com/1.1.1.1\naddress=/#/0.0.0.0\ncache-size=100\n", Options{})
	if got := strings.Join(values(es), " "); got != "domain:evil.com domain:a.com domain:b.com domain:c.com domain:d.com domain:ok.com" {
		t.Errorf("dnsmasq got %s", got)
	}
	if es[5].Action != lists.Allow || rep.Rejected[ReasonUnsupported] != 3 {
		t.Errorf("dnsmasq %+v %v", es[5], rep.Rejected)
	}
	es, rep = collect(t, FormatUnbound, "server:\n  local-zone: \"evil.com\" always_nxdomain\n  local-zone: \"ok.com.\" transparent\n  local-zone: \"x.com\" redirect # comment\n  local-data: \"d.com A 0.0.0.0\"\n  local-zone: \"y.com\" nosuchtype\n  include: x.conf\n", Options{})
	if got := strings.Join(values(es), " "); got != "domain:evil.com domain:ok.com domain:x.com domain:d.com" {
		t.Errorf("unbound got %s", got)
	}
	if es[1].Action != lists.Allow || !es[3].Exact || rep.Rejected[ReasonUnsupported] != 2 {
		t.Errorf("unbound %+v %v", es, rep.Rejected)
	}
}

func TestJSONShapeErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		src  string
	}{
		{"metamask config that is an array", FormatMetaMask, `["a.com"]`},
		{"truncated domains array", FormatScamSnifferDomains, "[\n\"a.com\",\n\"b.ex"},
		{"trailing garbage", FormatAddressJSON, `["0x00"] x`},
		{"spmedia without detected_urls", FormatSpmediaJSON, `{"metadata": {}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			_, err := Parse(tc.f, strings.NewReader(tc.src), Options{}, func(lists.Entry) {})
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
	t.Run("non-string elements are rejects with their line", func(t *testing.T) {
		es, rep := collect(t, FormatScamSnifferDomains, "[\n\"a.com\",\n{\"x\": [1]},\n 3,\n\"b.com\"]", Options{})
		if len(es) != 2 || rep.Rejected[ReasonSyntax] != 2 || rep.Examples[ReasonSyntax][1].Line != 4 {
			t.Errorf("entries %v rejects %v", es, rep.Examples)
		}
	})
	t.Run("an unknown archive key is reported, not read as additions", func(t *testing.T) {
		es, rep := collect(t, FormatScamSnifferArchive, `{"domains": ["a.com"], "removed": ["b.com"]}`, Options{})
		if len(es) != 1 || rep.Rejected[ReasonUnsupported] != 1 {
			t.Errorf("entries %v rejects %v", es, rep.Examples)
		}
	})
}

func TestCSVColumn(t *testing.T) {
	src := "id,URL,tag\n1,https://evil.com/x,phishing\n2,,scam\n3,0xabc,drainer\n"
	es, rep := collect(t, FormatCSV, src, Options{Column: "url"})
	if got := strings.Join(values(es), " "); got != "url:evil.com/x address:0xabc" {
		t.Errorf("got %s", got)
	}
	if es[1].Category != "drainer" || es[1].Line != 4 || rep.Rejected[lists.ReasonEmpty] != 1 {
		t.Errorf("entries %+v rejects %v", es, rep.Rejected)
	}
	if es2, _ := collect(t, FormatCSV, src, Options{Column: "2"}); len(es2) != 2 {
		t.Errorf("column by index: %v", es2)
	}
	_, err := Parse(FormatCSV, strings.NewReader(src), Options{Column: "nope"}, func(lists.Entry) {})
	if err == nil || !strings.Contains(err.Error(), "URL") {
		t.Errorf("missing column error %v, want it to list the columns", err)
	}
}

func TestParseFormatAndFormats(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(strings.ToUpper(string(f)))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := ParseFormat("hostz")
	if err == nil || !strings.Contains(err.Error(), "adblock") {
		t.Errorf("unknown format error %v, want it to list valid names", err)
	}
	if _, err := Parse("hostz", strings.NewReader(""), Options{}, func(lists.Entry) {}); err == nil {
		t.Error("Parse accepted an unknown format")
	}
}

func TestDetectByContent(t *testing.T) {
	tests := []struct {
		name, file, head string
		want             Format
	}{
		{"adblock header", "list.txt", "[Adblock Plus]\n! Title\n||a.com^\n", FormatAdblock},
		{"adblock rules after ! comments", "list.txt", "! Title\n!\n||a.com^\n", FormatAdblock},
		{"rpz $TTL", "zone", "$TTL 300\n@ SOA a. b. 1 2 3 4 5\n", FormatRPZ},
		{"unbound", "x.conf", "server:\nlocal-zone: \"a.com\" always_nxdomain\n", FormatUnbound},
		{"dnsmasq", "x.conf", "address=/a.com/0.0.0.0\n", FormatDnsmasq},
		{"hosts", "hosts", "# c\n0.0.0.0 a.com\n", FormatHosts},
		{"wildcard", "w.txt", "# c\n*.a.com\n", FormatWildcard},
		{"plain domains", "d.txt", "# c\na.com\nb.com\n", FormatDomains},
		{"address lines", "a.txt", "0x52908400098527886E0F7030069857D2E4169EE7\n", FormatAddressList},
		{"metamask json", "feed", "{\n  \"version\": 2,\n  \"tolerance\": 1", FormatMetaMask},
		{"metamask blacklist first", "feed", "{\"blacklist\": [", FormatMetaMask},
		{"polkadot json", "feed", "{\n\t\"allow\": [", FormatPolkadot},
		{"polkadot deny first", "feed", "{\"deny\": [", FormatPolkadot},
		{"address array", "feed", "[\n  \"0x9d488e334bb32fb3f397c768ce54c50a506e6e0a\"", FormatAddressJSON},
		{"host array", "feed", "[\n  \"a.com\"", FormatScamSnifferDomains},
		{"combined", "feed", "{\n  \"a.com\": [\n    \"0x9d48", FormatScamSnifferCombined},
		{"ss58 map", "feed", "{\n\t\"a.com\": [\n\t\t\"155dDX3r", FormatPolkadotAddress},
		{"archive", "feed", "{\n  \"domains\": [", FormatScamSnifferArchive},
		{"spmedia json", "feed", "{\n  \"metadata\": {", FormatSpmediaJSON},
		{"yaml", "feed", "---\n- name: a.com\n", FormatCryptoScamDB},
		{"by URL: metamask config", "https://raw.githubusercontent.com/MetaMask/eth-phishing-detect/main/src/config.json", "", FormatMetaMask},
		{"by URL: ofac", "https://x.com/lists/sanctioned_addresses_XBT.txt?raw=1", "", FormatAddressList},
		{"by URL: csv", "https://x.com/a.csv", "", FormatCSV},
		{"by name: rpz", "/data/rpz/fake.txt", "", FormatRPZ},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(tc.file, []byte(tc.head))
			if err != nil || got != tc.want {
				t.Errorf("Detect = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("unknown content is a clear error", func(t *testing.T) {
		_, err := Detect("feed", []byte("{\"x\": 1}"))
		if err == nil || !strings.Contains(err.Error(), "set the format") {
			t.Errorf("err %v", err)
		}
		_, err = Detect("feed", nil)
		if err == nil {
			t.Error("empty input detected as something")
		}
	})
}

func TestChainFromName(t *testing.T) {
	for name, want := range map[string]string{
		"sanctioned_addresses_XBT.txt": "btc", "/x/sanctioned_addresses_ETH.json": "eth",
		"sanctioned_addresses_TRX.txt": "trx", "sanctioned_addresses_LTC.txt": "ltc",
		"sanctioned_addresses_USDT.json": "usdt", "domains.json": "",
	} {
		if got := ChainFromName(name); got != want {
			t.Errorf("ChainFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestOptionsFor(t *testing.T) {
	tests := map[string]Options{
		"/x/sanctioned_addresses_XBT.txt":                     {Chain: "btc", Category: "sanctioned"},
		"https://h/labels/1/etherscan_malicious_labels.csv":   {Column: "banned_address", Chain: "eth"},
		"forta/phishing_scams.csv":                            {Column: "address", Chain: "eth"},
		"scamsniffer-scam-database/address.json":              {Chain: "eth"},
		"polkadot-js-phishing/address.json":                   {},
		"https://raw.githubusercontent.com/a/b/main/all.json": {},
	}
	for name, want := range tests {
		if got := OptionsFor(name); got != want {
			t.Errorf("OptionsFor(%q) = %+v, want %+v", name, got, want)
		}
	}
}

func TestReadError(t *testing.T) {
	_, err := Parse(FormatDomains, errReader{}, Options{}, func(lists.Entry) {})
	if !errors.Is(err, errBoom) {
		t.Errorf("err %v, want the reader's error", err)
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

// TestYAMLBatchesMatchRecordByRecord checks, on the real CryptoScamDB
// files, that decoding the records in batches gives exactly what decoding
// each record on its own gives: the same entries, lines and rejects.
func TestYAMLBatchesMatchRecordByRecord(t *testing.T) {
	root := feedDir(t)
	for _, name := range []string{"urls.yaml", "uris.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "cryptoscamdb-blacklist", name))
		if err != nil {
			t.Fatal(err)
		}
		batched, batchedRep := parseYAMLBatches(t, data, recordBatch)
		single, singleRep := parseYAMLBatches(t, data, 1)
		if !reflect.DeepEqual(batched, single) || !reflect.DeepEqual(batchedRep, singleRep) {
			t.Errorf("%s: batches of %d give %d entries %+v, record by record %d entries %+v", name, recordBatch, len(batched), batchedRep, len(single), singleRep)
		}
		if len(batched) == 0 {
			t.Errorf("%s: no entries", name)
		}
	}
}

func TestSpecialUseAndUnknownTLDAreCounted(t *testing.T) {
	in := "printer.lan\nnas.home.arpa\nscam.newgtldxyz\nevil.com\n"
	t.Run("a local file keeps special-use names and counts them", func(t *testing.T) {
		es, rep := collect(t, FormatDomains, in, Options{})
		if len(es) != 4 || rep.SpecialUse != 2 || rep.UnknownTLD != 1 || rep.TotalRejected() != 0 {
			t.Fatalf("entries %v, special-use %d, unknown-tld %d, rejects %v", values(es), rep.SpecialUse, rep.UnknownTLD, rep.Rejected)
		}
	})
	t.Run("a downloaded feed rejects special-use names as special-use", func(t *testing.T) {
		es, rep := collect(t, FormatDomains, in, Options{Downloaded: true})
		if len(es) != 2 || rep.Rejected[lists.ReasonSpecialUse] != 2 || rep.UnknownTLD != 1 {
			t.Fatalf("entries %v, rejects %v, unknown-tld %d", values(es), rep.Rejected, rep.UnknownTLD)
		}
		if ex := rep.Examples[lists.ReasonSpecialUse]; len(ex) != 2 || ex[0].Line != 1 || !strings.Contains(ex[1].Detail, "RFC 8375") {
			t.Fatalf("examples %v", ex)
		}
	})
}

// parseYAMLBatches parses a CryptoScamDB document size records at a time.
func parseYAMLBatches(tb testing.TB, data []byte, size int) ([]lists.Entry, Report) {
	tb.Helper()
	var out []lists.Entry
	p := &parser{rep: &Report{}, emit: func(e lists.Entry) { out = append(out, e) }}
	if err := p.yamlBatches(bytes.NewReader(data), size); err != nil {
		tb.Fatal(err)
	}
	return out, *p.rep
}

func TestDetectContentBeatsThePath(t *testing.T) {
	tests := []struct {
		name, path, head string
		want             Format
	}{
		{"a plain domain list under rpz/ is a domain list", "/srv/lists/rpz/mine.txt", "evil.com\nscam.net\n", FormatDomains},
		{"a plain domain list named x.rpz is a domain list", "lists/block.rpz", "evil.com\n", FormatDomains},
		{"an adblock list under a hosts-looking path is adblock", "/x/dnsmasq/list.txt", "||evil.com^\n", FormatAdblock},
		{"a zone under rpz/ is RPZ", "/x/rpz/z.txt", "$TTL 300\nevil.com CNAME .\n", FormatRPZ},
		{"a plain list under wildcard/ is a wildcard list", "/x/wildcard_domains/list.txt", "evil.com\n", FormatWildcard},
		{"a .csv name reads CSV", "labels.csv", "address,tag\n0xabc,phish\n", FormatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Detect(tt.path, []byte(tt.head)); got != tt.want {
				t.Fatalf("Detect(%q) = %q (%v), want %q", tt.path, got, err, tt.want)
			}
		})
	}
	// The real hagezi wildcard list saved under an rpz/ folder.
	b, err := os.ReadFile(filepath.Join(feedDir(t), "hagezi-fake/wildcard/fake.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Detect("/srv/rpz/fake.txt", b[:4096]); got != FormatWildcard {
		t.Fatalf("real wildcard list under rpz/: %q", got)
	}
}
