package parse

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// benchFeeds are one real file per parser family.
var benchFeeds = []string{
	"metamask-eth-phishing-detect/hosts.txt",
	"blocklistproject-scam/scam.txt",
	"decripto-crypto-scam-blacklist/domini_scam.txt",
	"spmedia-crypto-scam-feed/detected_urls.txt",
	"hagezi-fake/wildcard/fake.txt",
	"hagezi-tif/adblock/tif.normal.txt",
	"hagezi-fake/rpz/fake.txt",
	"metamask-eth-phishing-detect/config.json",
	"polkadot-js-phishing/all.json",
	"polkadot-js-phishing/address.json",
	"scamsniffer-scam-database/domains.json",
	"scamsniffer-scam-database/combined.json",
	"scamsniffer-scam-database/address.json",
	"scamsniffer-scam-database/archive/2026-08-10.json",
	"spmedia-crypto-scam-feed/detected_urls.json",
	"cryptoscamdb-blacklist/urls.yaml",
	"forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv",
	"ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_XBT.txt",
	"ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_XBT.json",
}

func BenchmarkParse(b *testing.B) {
	root := feedDir(b)
	for _, rel := range benchFeeds {
		path := filepath.Join(root, rel)
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := Detect(path, data[:min(len(data), 4096)])
		if err != nil {
			b.Fatal(err)
		}
		opts := OptionsFor(path)
		b.Run(rel, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var rep Report
			for b.Loop() {
				rep, err = Parse(f, bytes.NewReader(data), opts, func(lists.Entry) {})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rep.Accepted)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkParseAll parses every shared feed file once per iteration (the
// parse share of the "import all shared feeds" target in issue 4).
func BenchmarkParseAll(b *testing.B) {
	root := feedDir(b)
	type file struct {
		path string
		data []byte
		f    Format
	}
	var files []file
	var size int64
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.md" || d.Name() == "SHA256SUMS" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := Detect(path, data[:min(len(data), 4096)])
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, file{path, data, f})
		size += int64(len(data))
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	entries := 0
	for b.Loop() {
		entries = 0
		for _, fl := range files {
			rep, err := Parse(fl.f, bytes.NewReader(fl.data), OptionsFor(fl.path), nil)
			if err != nil {
				b.Fatal(err)
			}
			entries += rep.Accepted
		}
	}
	b.ReportMetric(float64(entries), "entries")
}
