package wallet

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/internal/feedstest"

	"go.yaml.in/yaml/v3"

	"github.com/scamblock/scamblock/lists"
)

func feedsDir(t testing.TB) string { return feedstest.Dir(t) }

// item is one address as a feed lists it, with the chain the feed names.
type item struct {
	hint, value string
	line        int
	links       []string
}

func readLines(t testing.TB, path, hint string) []item {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []item
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if v := strings.TrimSpace(sc.Text()); v != "" {
			out = append(out, item{hint: hint, value: v, line: n})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readJSONArray(t testing.TB, path, hint string) []item {
	var vals []string
	readJSON(t, path, &vals)
	out := make([]item, len(vals))
	for i, v := range vals {
		out[i] = item{hint: hint, value: v}
	}
	return out
}

// readJSONMap reads {"site": ["addr", ...]} (scamsniffer combined.json,
// polkadot address.json) in sorted key order.
func readJSONMap(t testing.TB, path, hint string) []item {
	var m map[string][]string
	readJSON(t, path, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []item
	for _, k := range keys {
		for _, v := range m[k] {
			out = append(out, item{hint: hint, value: v, links: []string{k}})
		}
	}
	return out
}

func readCSVColumn0(t testing.TB, path, hint string) []item {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []item
	for i, r := range recs[1:] { // header row
		out = append(out, item{hint: hint, value: r[0], line: i + 2})
	}
	return out
}

// readCryptoScamDB reads the "addresses" maps of urls.yaml.
func readCryptoScamDB(t testing.TB, path string) []item {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		Name      string              `yaml:"name"`
		Addresses map[string][]string `yaml:"addresses"`
	}
	if err := yaml.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	var out []item
	for _, r := range recs {
		tickers := make([]string, 0, len(r.Addresses))
		for k := range r.Addresses {
			tickers = append(tickers, k)
		}
		sort.Strings(tickers)
		for _, k := range tickers {
			for _, v := range r.Addresses[k] {
				out = append(out, item{hint: k, value: v, links: []string{r.Name}})
			}
		}
	}
	return out
}

// readCryptoScamDBLines reads the address maps of uris.yaml, which is not
// valid YAML (a record at line 35 is indented wrongly): "addresses:", then
// "TICKER:" lines, then `- "address"` items, until any other line.
func readCryptoScamDBLines(t testing.TB, path string) []item {
	t.Helper()
	var out []item
	inAddresses, ticker := false, ""
	for _, it := range readLines(t, path, "") {
		s := it.value
		switch {
		case s == "addresses:":
			inAddresses, ticker = true, ""
		case !inAddresses:
		case strings.HasSuffix(s, ":") && strings.ToUpper(s) == s && !strings.ContainsAny(s, " -"):
			ticker = strings.TrimSuffix(s, ":")
		case strings.HasPrefix(s, `- "`) && strings.HasSuffix(s, `"`) && ticker != "":
			out = append(out, item{hint: ticker, value: s[3 : len(s)-1], line: it.line})
		default:
			inAddresses = false
		}
	}
	return out
}

// outcome counts what ParseHint made of a feed.
type outcome struct {
	valid     int                  // accepted
	validated int                  // accepted with a verified checksum
	rejected  map[lists.Reason]int // rejected, by reason
	unique    int                  // distinct canonical forms accepted
}

func run(items []item) (outcome, []string) {
	o := outcome{rejected: map[lists.Reason]int{}}
	seen := map[string]bool{}
	var rejects []string
	for _, it := range items {
		a, err := ParseHint(it.hint, it.value)
		if err != nil {
			o.rejected[lists.ReasonOf(err)]++
			rejects = append(rejects, it.hint+" "+err.Error())
			continue
		}
		o.valid++
		if a.Validated {
			o.validated++
		}
		if !seen[a.Canonical] {
			seen[a.Canonical] = true
			o.unique++
		}
	}
	return o, rejects
}

func ofacItems(t testing.TB, dir, asset, ext string) []item {
	p := filepath.Join(dir, "ofac-sanctioned-addresses-0xb10c", "sanctioned_addresses_"+asset+"."+ext)
	if ext == "json" {
		return readJSONArray(t, p, asset)
	}
	return readLines(t, p, asset)
}

func scamsnifferArchive(t testing.TB, dir string) []item {
	paths, err := filepath.Glob(filepath.Join(dir, "scamsniffer-scam-database", "archive", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no archive files: %v", err)
	}
	var out []item
	for _, p := range paths {
		var day struct {
			Address []string `json:"address"`
		}
		readJSON(t, p, &day)
		for _, v := range day.Address {
			out = append(out, item{hint: "eth", value: v})
		}
	}
	return out
}

type rejects = map[lists.Reason]int

// The expected numbers were derived independently of this package by a
// Python script (base58/bech32/cashaddr/SS58/EIP-55 written from the specs,
// Keccak from pycryptodome, BLAKE2b from hashlib) over the same files.
func TestFeedAddressesHaveExactOutcomes(t *testing.T) {
	dir := feedsDir(t)
	ofac := func(asset string, valid, validated int, rej rejects) struct {
		name  string
		items func() []item
		want  outcome
	} {
		return struct {
			name  string
			items func() []item
			want  outcome
		}{"ofac " + asset, func() []item { return ofacItems(t, dir, asset, "txt") },
			outcome{valid: valid, validated: validated, rejected: rej, unique: valid}}
	}
	cases := []struct {
		name  string
		items func() []item
		want  outcome
	}{
		ofac("ARB", 1, 0, nil), // lower-case EVM: no checksum to verify
		ofac("BCH", 7, 7, nil), // 1 legacy base58 (re-read as BCH) + 6 cashaddr without prefix
		ofac("BSC", 1, 0, nil),
		ofac("BSV", 1, 1, nil), // Bitcoin's version byte, re-read as BSV
		ofac("BTG", 1, 1, nil), // version 0x26 "G"
		ofac("DASH", 3, 3, nil),
		ofac("ETC", 1, 0, nil),
		ofac("ETH", 150, 114, nil), // 114 EIP-55 mixed case, 36 lower case
		ofac("LTC", 8, 8, nil),
		ofac("TRX", 4, 4, nil),
		ofac("USDC", 2, 1, nil),
		// USDT: 8 EVM (3 checksummed) + 7 Bitcoin (Omni) + 10 TRON, all valid.
		ofac("USDT", 25, 20, nil),
		// XBT: one TRON address (TUCsTq7T...) is listed as Bitcoin.
		ofac("XBT", 386, 386, rejects{ReasonWrongChain: 1}),
		// XMR: two addresses (shape only: Monero's checksum is not verified)
		// and 64 hex digits that are not an address at all.
		ofac("XMR", 2, 0, rejects{ReasonTxHash: 1}),
		ofac("XRP", 1, 1, nil),
		ofac("XVG", 1, 1, nil), // Dogecoin's version byte 0x1e, re-read as Verge
		ofac("ZEC", 3, 3, nil), // t1 transparent addresses, two-byte version
		{"scamsniffer address.json", func() []item {
			return readJSONArray(t, filepath.Join(dir, "scamsniffer-scam-database", "address.json"), "eth")
		}, outcome{valid: 2530, validated: 0, unique: 2530}}, // all lower case
		{"scamsniffer combined.json", func() []item {
			return readJSONMap(t, filepath.Join(dir, "scamsniffer-scam-database", "combined.json"), "eth")
		}, outcome{valid: 3021, validated: 0, unique: 590}},
		{"scamsniffer archive", func() []item { return scamsnifferArchive(t, dir) },
			outcome{valid: 34, validated: 0, unique: 17}},
		{"polkadot address.json", func() []item {
			return readJSONMap(t, filepath.Join(dir, "polkadot-js-phishing", "address.json"), "dot")
		}, outcome{valid: 279, validated: 279, unique: 251}},
		// Forta: the same two rows in both files carry an EIP-55 form with
		// one letter in the wrong case (0xA0DF9CA5...DDE22C... and
		// 0xf299f6B0...a29c6): rejected as bad-checksum, not trusted.
		{"forta phishing_scams.csv", func() []item {
			return readCSVColumn0(t, filepath.Join(dir, "forta-labelled-datasets", "labels", "1", "phishing_scams.csv"), "eth")
		}, outcome{valid: 6724, validated: 755, unique: 6205, rejected: rejects{ReasonBadChecksum: 2}}},
		{"forta etherscan_malicious_labels.csv", func() []item {
			return readCSVColumn0(t, filepath.Join(dir, "forta-labelled-datasets", "labels", "1", "etherscan_malicious_labels.csv"), "eth")
		}, outcome{valid: 7778, validated: 780, unique: 7259, rejected: rejects{ReasonBadChecksum: 2}}},
		// CryptoScamDB: 5,841 refs. Rejected: 21 "ETH" addresses with 41 hex
		// digits and one with 38 (bad-length), a 35-character "BTC" address
		// (bad-length: 26 bytes), 3 "UNKNOWN" 0x+64-hex transaction hashes,
		// a Bitcoin address under ETH, a Dogecoin address under BTC and a
		// Bitcoin P2SH address under XRP (wrong-chain), one EIP-55 typo,
		// a "BTC" address with an 'O' and a "BCH" cashaddr with '1','b','i','o'
		// (bad-encoding), and "1PSH... (btc)" (unknown-format).
		{"cryptoscamdb urls.yaml", func() []item {
			return readCryptoScamDB(t, filepath.Join(dir, "cryptoscamdb-blacklist", "urls.yaml"))
		}, outcome{valid: 5808, validated: 5341, unique: 4416, rejected: rejects{
			ReasonBadLength: 23, ReasonTxHash: 3, ReasonWrongChain: 3, ReasonBadChecksum: 1,
			ReasonBadEncoding: 2, ReasonUnknownFormat: 1}}},
		// uris.yaml: 15 ETH refs (14 distinct), 9 in EIP-55 form, all valid.
		{"cryptoscamdb uris.yaml", func() []item {
			return readCryptoScamDBLines(t, filepath.Join(dir, "cryptoscamdb-blacklist", "uris.yaml"))
		}, outcome{valid: 15, validated: 9, unique: 14}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, rej := run(c.items())
			if c.want.rejected == nil {
				c.want.rejected = rejects{}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v\nrejects:\n%s", got, c.want, strings.Join(rej, "\n"))
			}
		})
	}
}

func TestOFACJSONMatchesText(t *testing.T) {
	dir := feedsDir(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "ofac-sanctioned-addresses-0xb10c", "*.txt"))
	if len(paths) != 17 {
		t.Fatalf("%d OFAC .txt lists, want 17", len(paths))
	}
	for _, p := range paths {
		asset := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "sanctioned_addresses_"), ".txt")
		txt, _ := run(ofacItems(t, dir, asset, "txt"))
		js, _ := run(ofacItems(t, dir, asset, "json"))
		if !reflect.DeepEqual(txt, js) {
			t.Errorf("%s: txt %+v, json %+v", asset, txt, js)
		}
	}
}

// Per-ticker outcomes of CryptoScamDB, from the same Python derivation.
func TestCryptoScamDBByTicker(t *testing.T) {
	dir := feedsDir(t)
	got := map[string]map[string]int{}
	for _, it := range readCryptoScamDB(t, filepath.Join(dir, "cryptoscamdb-blacklist", "urls.yaml")) {
		k := "ok"
		if _, err := ParseHint(it.hint, it.value); err != nil {
			k = string(lists.ReasonOf(err))
		}
		if got[it.hint] == nil {
			got[it.hint] = map[string]int{}
		}
		got[it.hint][k]++
	}
	want := map[string]map[string]int{
		"ADA": {"ok": 17}, "BCH": {"ok": 63, "bad-encoding": 1}, "BNB": {"ok": 9}, "BSC": {"ok": 1},
		"BTC":  {"ok": 1360, "bad-length": 1, "bad-encoding": 1, "unknown-format": 1, "wrong-chain": 1},
		"DASH": {"ok": 1}, "DOGE": {"ok": 34}, "DOT": {"ok": 9},
		"ETH": {"ok": 3980, "wrong-chain": 1, "bad-length": 22, "bad-checksum": 1},
		"LTC": {"ok": 69}, "NEO": {"ok": 25}, "SOL": {"ok": 1}, "TRX": {"ok": 40},
		"UNKNOWN": {"transaction-hash": 3, "ok": 4}, "USDT": {"ok": 2}, "VET": {"ok": 2},
		"WAVES": {"ok": 1}, "XLM": {"ok": 5}, "XMR": {"ok": 6}, "XRP": {"ok": 172, "wrong-chain": 1},
		"ZEC": {"ok": 2}, "ZIL": {"ok": 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
