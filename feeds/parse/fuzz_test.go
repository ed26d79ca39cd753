package parse

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/scamblock/scamblock/internal/feedstest"

	"github.com/scamblock/scamblock/lists"
)

// seedFromFeeds adds the first bytes of the real files matching glob (when
// the shared folder exists) to the fuzz corpus.
func seedFromFeeds(f *testing.F, add func([]byte), globs ...string) {
	root := feedstest.Root()
	if root == "" {
		return
	}
	for _, g := range globs {
		paths, _ := filepath.Glob(filepath.Join(root, g))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err == nil {
				add(b[:min(len(b), 2048)])
			}
		}
	}
}

// checkParse runs Parse and checks the invariants every parser keeps.
func checkParse(t *testing.T, f Format, data []byte, opts Options) {
	n := 0
	rep, _ := Parse(f, bytes.NewReader(data), opts, func(e lists.Entry) {
		n++
		if e.Value == "" {
			t.Fatalf("%s: entry with an empty value: %+v", f, e)
		}
		if e.Kind == lists.KindDomain && strings.ContainsAny(e.Value, "/ \r\n\t*") {
			t.Fatalf("%s: domain entry %q is not a host", f, e.Value)
		}
		if e.Line < 1 {
			t.Fatalf("%s: entry %+v without a line", f, e)
		}
	})
	if rep.Accepted != n {
		t.Fatalf("%s: Accepted %d, emitted %d", f, rep.Accepted, n)
	}
	for reason, ex := range rep.Examples {
		if len(ex) > ExamplesPerReason || rep.Rejected[reason] < len(ex) {
			t.Fatalf("%s: %d examples for %d rejects", f, len(ex), rep.Rejected[reason])
		}
	}
}

var lineFormats = []Format{FormatDomains, FormatHosts, FormatWildcard, FormatAdblock, FormatRPZ, FormatDnsmasq, FormatUnbound, FormatAddressList}

func FuzzLineFormats(f *testing.F) {
	for _, s := range []string{
		"0.0.0.0 a.com b.com # c\n127.0.0.1 localhost\r\n",
		"[Adblock Plus]\n! x\n||a.com^$important\n@@||b.com^\n##.x\n",
		"$TTL 300\n@ SOA a. b. ( 1 2\n 3 4 5 )\n NS x.\na.com CNAME .\n*.a.com CNAME rpz-passthru.\n",
		"address=/a.com/b.com/0.0.0.0\nserver=/c.com/#\n",
		"server:\nlocal-zone: \"a.com\" always_nxdomain\nlocal-data: \"b.com A 0.0.0.0\"\n",
		"https://user@a.com:8080/p/?q#f\n*.b.com\nbücher.de\nx\u00ad.com\n",
	} {
		f.Add([]byte(s), byte(0))
	}
	seedFromFeeds(f, func(b []byte) { f.Add(b, byte(0)) }, "*/*.txt", "*/*/*.txt", "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_XBT.txt")
	f.Fuzz(func(t *testing.T, data []byte, which byte) {
		for i, fm := range lineFormats {
			if which != 0 && int(which)%len(lineFormats) != i {
				continue
			}
			checkParse(t, fm, data, Options{URLBlocksHost: which%2 == 1})
			if Splittable(fm) {
				checkPieces(t, fm, data, which)
			}
		}
	})
}

// checkPieces: data cut at a line end (which picks it) parses in pieces
// to the same report and entries as at once.
func checkPieces(t *testing.T, fm Format, data []byte, which byte) {
	ends := lineEnds(data)
	if len(ends) == 0 {
		return
	}
	cut := ends[int(which)%len(ends)]
	wantRep, want := parseWhole(t, fm, data, Options{})
	gotRep, got := parseCut(t, fm, data, Options{}, []int{cut})
	if !reflect.DeepEqual(gotRep, wantRep) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s cut at %d: report %+v\nwant %+v", fm, cut, gotRep, wantRep)
	}
}

var jsonFormats = []Format{FormatMetaMask, FormatPolkadot, FormatPolkadotAddress, FormatScamSnifferDomains, FormatScamSnifferCombined, FormatScamSnifferArchive, FormatSpmediaJSON, FormatAddressJSON}

func FuzzJSONFormats(f *testing.F) {
	for _, s := range []string{
		`{"version":2,"tolerance":1,"fuzzylist":["metamask.io"],"whitelist":["a.com"],"blacklist":["b.com",1,{"x":[]}]}`,
		"{\n\t\"allow\": [\"*.fleek.co\"],\n\t\"deny\": [\"a.com\"],\n\t\"denySub\": [\"twitter.com/x\"]\n}",
		`{"a.com": ["0x00"], "": ["0x01"], "Label text": ["155dDX"]}`,
		`{"domains": ["a.com"], "address": ["0x02"], "x": null}`,
		`{"metadata": {"total_count": 1}, "detected_urls": ["a.com"]}`,
		`["a.com", "0x03", ""]`,
	} {
		f.Add([]byte(s))
	}
	seedFromFeeds(f, func(b []byte) { f.Add(b) }, "*/*.json", "*/archive/2022-06-01.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range jsonFormats {
			checkParse(t, fm, data, Options{})
		}
	})
}

func FuzzCryptoScamDB(f *testing.F) {
	f.Add([]byte("- name: 'it''s'\n  url: \"http://a.com\"\n  description: >-\n    x\n\n    y\n  addresses:\n    BTC:\n      - 1abc\n    ETH:\n    - 0x1\n"))
	f.Add([]byte("---\n- name: a.com\n  url: http://a.com/x\n  category: Phishing\n  addresses:\n    ETH:\n    - \"0x1\"\n  - name: bad\n  url: x\n- name: b.com\n  description: |-\n    text\n"))
	seedFromFeeds(f, func(b []byte) { f.Add(b) }, "cryptoscamdb-blacklist/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, FormatCryptoScamDB, data, Options{})
		// Batches must give what record-by-record decoding gives.
		batched, batchedRep := parseYAMLBatches(t, data, 3)
		single, singleRep := parseYAMLBatches(t, data, 1)
		if !reflect.DeepEqual(batched, single) || !reflect.DeepEqual(batchedRep, singleRep) {
			t.Fatalf("%q: batches %+v %+v, record by record %+v %+v", data, batched, batchedRep, single, singleRep)
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("address,tag\n0x1,phish-hack\n\"a,b\",x\n"), "")
	f.Add([]byte("id,url\n1,https://a.com/x\n2,\n"), "2")
	seedFromFeeds(f, func(b []byte) { f.Add(b, "") }, "forta-labelled-datasets/labels/1/*.csv")
	f.Fuzz(func(t *testing.T, data []byte, column string) {
		checkParse(t, FormatCSV, data, Options{Column: column})
	})
}

func FuzzDetect(f *testing.F) {
	f.Add("feed.txt", []byte("||a.com^\n"))
	f.Add("x/config.json", []byte("{\"blacklist\":["))
	f.Add("", []byte("[\""))
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		fm, err := Detect(name, head)
		if err == nil {
			if _, perr := ParseFormat(string(fm)); perr != nil {
				t.Fatalf("Detect returned unknown format %q", fm)
			}
		}
		_ = ChainFromName(name)
		_ = OptionsFor(name)
	})
}

// FuzzJSONStream checks the token walk behind every JSON format: the line
// of each token is one more than the newlines before it (read one byte at
// a time, so the line counter sees the decoder's smallest reads), and a
// document is accepted exactly when encoding/json finds it valid.
func FuzzJSONStream(f *testing.F) {
	for _, s := range []string{`{"a": [1, -2.5e3, true, false, null, "x\u00e9\n"]}`, `[]`, `{}`, `"s"`, `01`, `[1,]`, `{"a" 1}`, "[\"\xff\"]", `1e400`, `[tru]`, `{"a":1}x`, "[\n\"a\",\r\n\t\"b\"\n]\n", `{"a":1,"a":2}`, `[1] [2]`} {
		f.Add([]byte(s))
	}
	seedFromFeeds(f, func(b []byte) { f.Add(b) }, "*/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		j := newJSONStream(iotest.OneByteReader(bytes.NewReader(data)))
		var err error
		for {
			if _, err = j.token(); err != nil {
				break
			}
			off := j.dec.InputOffset()
			if want := 1 + bytes.Count(data[:off], []byte("\n")); j.line() != want {
				t.Fatalf("%q: token ending at %d on line %d, counted %d", data, off, want, j.line())
			}
			if j.dec.StackDepth() == 0 {
				err = j.end()
				break
			}
		}
		if valid := json.Valid(data); valid != (err == nil) {
			t.Fatalf("%q: encoding/json valid %v, stream error %v", data, valid, err)
		}
	})
}
