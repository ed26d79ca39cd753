package wallet

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

func addr(v, chain, category string, line int, links ...string) lists.Entry {
	return lists.Entry{Value: v, Kind: lists.KindAddress, Chain: chain, Category: category, Line: line, Links: links}
}

func testIndex(t testing.TB) *Index {
	t.Helper()
	b := NewBuilder()
	for _, e := range []struct {
		src string
		e   lists.Entry
	}{
		{"ofac", addr("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ETH", "sanctioned", 3)},
		{"scamsniffer", addr("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "eth", "drainer", 0, "evil.example")},
		{"ofac", addr("12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", "XBT", "sanctioned", 1)},
		{"ofac", addr("qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", "BCH", "sanctioned", 2)},
		{"cryptoscamdb", addr("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "BTC", "phishing", 7)},
	} {
		if err := b.Add(e.src, e.e); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func TestBuilderRejectsWhatParseHintRejects(t *testing.T) {
	b := NewBuilder()
	err := b.Add("ofac", addr("TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", "XBT", "sanctioned", 9))
	if lists.ReasonOf(err) != ReasonWrongChain {
		t.Errorf("got %v, want wrong-chain", err)
	}
	err = b.Add("x", lists.Entry{Value: "evil.example", Kind: lists.KindDomain})
	if lists.ReasonOf(err) != ReasonUnknownFormat {
		t.Errorf("domain entry: got %v", err)
	}
	if ix := b.Build(); ix.Len() != 0 || ix.Listings() != 0 {
		t.Errorf("rejected entries were indexed: %d", ix.Len())
	}
}

func TestIndexLookupMatchesAnySpelling(t *testing.T) {
	ix := testIndex(t)
	if ix.Len() != 4 || ix.Listings() != 5 {
		t.Fatalf("Len %d Listings %d, want 4 and 5", ix.Len(), ix.Listings())
	}
	cases := []struct {
		name, in  string
		listings  int
		canonical string
	}{
		{"EVM in lower case finds both listings", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", 2, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"EVM in EIP-55 form", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 2, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"EVM in upper case", "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", 2, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"cashaddr with prefix finds the prefixless listing", "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", 1, "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{"bech32 in lower case finds the upper-case listing", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 1, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"EVM without 0x", "5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", 2, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"base58 as is", " 12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9 ", 1, "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := ix.Lookup(c.in)
			if !ok || len(r.Listings) != c.listings || r.Address.Canonical != c.canonical {
				t.Errorf("Lookup(%q) = %+v, %v", c.in, r, ok)
			}
		})
	}
	if _, ok := ix.Lookup("0xde709f2102306220921060314715629080e2fb77"); ok {
		t.Error("unlisted address found")
	}
	if _, ok := ix.Lookup("12sjrrhofesednrhtgwvvrqjfth8fztdx9"); ok {
		t.Error("base58 is case-sensitive: a lower-cased form is another string")
	}
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestIndexLookupLabelAnswersEveryHashBLForm(t *testing.T) {
	ix := testIndex(t)
	eth := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	btc := "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"
	cases := []struct{ name, label, want string }{
		{"sha1 of the EIP-55 form (SpamAssassin option case)", sha1hex(eth), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"sha1 of the lower-cased form (SpamAssassin default)", sha1hex(strings.ToLower(eth)), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"md5 of the lower-cased form", Label(HashMD5, strings.ToLower(eth)), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"sha256 base32 of the lower-cased form", Label(HashSHA256, strings.ToLower(eth)), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"the address itself", strings.ToLower(eth), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"the address itself, any case", eth, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"sha1 of base58 as written", sha1hex(btc), btc},
		{"sha1 of base58 lower-cased (SpamAssassin default)", sha1hex(strings.ToLower(btc)), btc},
		{"sha1 hex in upper case", strings.ToUpper(sha1hex(btc)), btc},
		{"base58 itself, lower-cased by DNS", strings.ToLower(btc), btc},
		{"sha1 of cashaddr without prefix", sha1hex("qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"), "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{"sha1 of cashaddr with prefix", sha1hex("bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"), "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{"sha1 of bech32 upper case as listed", sha1hex("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"), "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := ix.LookupLabel(c.label)
			if !ok || r.Address.Canonical != c.want {
				t.Errorf("LookupLabel(%q) = %+v, %v; want %s", c.label, r.Address, ok, c.want)
			}
		})
	}
	for _, miss := range []string{sha1hex("0xde709f2102306220921060314715629080e2fb77"), "", "x", "evil"} {
		if _, ok := ix.LookupLabel(miss); ok {
			t.Errorf("LookupLabel(%q) found something", miss)
		}
	}
}

func TestLabelMatchesSpamAssassinHashes(t *testing.T) {
	// Computed with SpamAssassin 4.0.1's own code:
	// perl -MMail::SpamAssassin::Util=base32_encode -MDigest::SHA=sha256 \
	//   -e 'print lc(base32_encode(sha256("abc")))'
	cases := []struct {
		h         Hash
		in, label string
	}{
		{HashSHA256, "abc", "xj4bnp4pahh6uqkbidpf3lrceoyagyndsylxvhfucd7wd4qacwwq"},
		{HashSHA256, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "w526qkcntvble2yxrmot5wafbxcmdlyiguiahwbjrbvhj7eobh6a"},
		{HashSHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{HashMD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{HashRaw, "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", "12sjrrhofesednrhtgwvvrqjfth8fztdx9"},
	}
	for _, c := range cases {
		if got := Label(c.h, c.in); got != c.label {
			t.Errorf("Label(%s, %q) = %q, want %q", c.h, c.in, got, c.label)
		}
	}
}

func TestLiveSwapsIndexes(t *testing.T) {
	var l Live
	if _, ok := l.Lookup("12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"); ok {
		t.Fatal("zero Live found something")
	}
	l.Replace(testIndex(t))
	if _, ok := l.Lookup("12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"); !ok {
		t.Fatal("Live after Replace missed a listed address")
	}
	if _, ok := l.LookupLabel(sha1hex("12sjrrhofesednrhtgwvvrqjfth8fztdx9")); !ok {
		t.Fatal("Live label lookup missed")
	}
	l.Replace(NewBuilder().Build())
	if _, ok := l.Lookup("12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9"); ok {
		t.Fatal("Live still answers from the old index")
	}
}

type sourced struct {
	src, category string
	items         []item
}

// feedItems reads every address file in the shared feeds.
func feedItems(tb testing.TB) []sourced {
	dir := feedsDir(tb)
	var out []sourced
	ofac, _ := filepath.Glob(filepath.Join(dir, "ofac-sanctioned-addresses-0xb10c", "*.txt"))
	for _, p := range ofac {
		asset := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "sanctioned_addresses_"), ".txt")
		out = append(out, sourced{"ofac-" + asset, "sanctioned", readLines(tb, p, asset)})
	}
	return append(out,
		sourced{"scamsniffer", "drainer", readJSONArray(tb, filepath.Join(dir, "scamsniffer-scam-database", "address.json"), "eth")},
		sourced{"scamsniffer-combined", "phishing", readJSONMap(tb, filepath.Join(dir, "scamsniffer-scam-database", "combined.json"), "eth")},
		sourced{"polkadot-js", "phishing", readJSONMap(tb, filepath.Join(dir, "polkadot-js-phishing", "address.json"), "dot")},
		sourced{"forta-phishing", "phishing", readCSVColumn0(tb, filepath.Join(dir, "forta-labelled-datasets", "labels", "1", "phishing_scams.csv"), "eth")},
		sourced{"forta-etherscan", "phishing", readCSVColumn0(tb, filepath.Join(dir, "forta-labelled-datasets", "labels", "1", "etherscan_malicious_labels.csv"), "eth")},
		sourced{"cryptoscamdb", "scam", readCryptoScamDB(tb, filepath.Join(dir, "cryptoscamdb-blacklist", "urls.yaml"))},
	)
}

func buildIndex(all []sourced) (*Index, int) {
	b := NewBuilder()
	rejected := 0
	for _, s := range all {
		for _, it := range s.items {
			e := lists.Entry{Value: it.value, Kind: lists.KindAddress, Chain: it.hint, Category: s.category, Line: it.line, Links: it.links}
			if err := b.Add(s.src, e); err != nil {
				rejected++
			}
		}
	}
	return b.Build(), rejected
}

// feedIndex builds an index of every address file in the shared feeds.
func feedIndex(tb testing.TB) (*Index, int) { return buildIndex(feedItems(tb)) }

func TestFeedIndexSizes(t *testing.T) {
	ix, rejected := feedIndex(t)
	// 599 OFAC + 2,530 + 3,021 + 279 + 6,726 + 7,780 + 5,841 = 26,776 refs;
	// 2 + 4 + 33 rejected (see TestFeedAddressesHaveExactOutcomes).
	if ix.Listings() != 26776-39 || rejected != 39 {
		t.Errorf("listings %d rejected %d", ix.Listings(), rejected)
	}
	t.Logf("%d addresses, %d listings, %d HashBL labels", ix.Len(), ix.Listings(), ix.Labels())
}

// BenchmarkIndexBuildFeeds measures Add (ParseHint) and Build (labels)
// over every feed address, files already read; heap-bytes is what the
// finished Index keeps alive.
func BenchmarkIndexBuildFeeds(b *testing.B) {
	all := feedItems(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buildIndex(all)
	}
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, _ := buildIndex(all)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "heap-bytes")
	b.ReportMetric(float64(ix.Labels()), "labels")
	runtime.KeepAlive(ix)
}

func BenchmarkLookupLabel(b *testing.B) {
	ix, _ := feedIndex(b)
	label := sha1hex("0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c")
	if _, ok := ix.LookupLabel(label); !ok {
		b.Fatal("OFAC ARB address not found")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.LookupLabel(label)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoA"} {
		b.Run(fmt.Sprintf("%.6s", s), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Parse(s)
			}
		})
	}
}
