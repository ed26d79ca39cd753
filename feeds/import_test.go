package feeds

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

func TestImportSharedFileByPath(t *testing.T) {
	dir := sharedFeeds(t)
	tests := []struct {
		name       string
		file       string
		format     parse.Format // "" = detect
		wantFormat parse.Format
		minEntries int
	}{
		{"MetaMask hosts file is detected as hosts", "metamask-eth-phishing-detect/hosts.txt", "", parse.FormatHosts, 1000},
		{"blocklistproject hosts", "blocklistproject-scam/scam.txt", "", parse.FormatHosts, 8000},
		{"hagezi adblock is detected from its path", "hagezi-fake/adblock/fake.txt", "", parse.FormatAdblock, 10000},
		{"MetaMask config.json", "metamask-eth-phishing-detect/config.json", "", parse.FormatMetaMask, 59000},
		{"explicit format overrides detection", "spmedia-crypto-scam-feed/detected_urls.txt", parse.FormatDomains, parse.FormatDomains, 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importSource(context.Background(), filepath.Join(dir, tt.file), tt.format, parse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != tt.wantFormat || res.Report.Format != tt.wantFormat {
				t.Errorf("format %q (report %q), want %q", res.Format, res.Report.Format, tt.wantFormat)
			}
			if res.Set == nil || res.Set.Len() < tt.minEntries || res.Report.Accepted < tt.minEntries {
				t.Errorf("%d entries (%d accepted), want at least %d", res.Set.Len(), res.Report.Accepted, tt.minEntries)
			}
			if res.SHA256 == "" || res.Size == 0 {
				t.Errorf("no checksum or size: %+v", res)
			}
		})
	}
}

// A file served over HTTP (gzip-encoded) imports exactly like the same file
// read from disk, and a file:// URL likewise.
func TestImportHTTPAndFileURLMatchPath(t *testing.T) {
	dir := sharedFeeds(t)
	path := filepath.Join(dir, "blocklistproject-scam", "scam.txt")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := newFeedServer(t, nil)
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBytes(t, body))
	})
	ctx := context.Background()
	byPath, err := importSource(ctx, path, "", parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{srv.URL + "/blocklistproject/scam.txt", (&url.URL{Scheme: "file", Path: path}).String()} {
		got, err := importSource(ctx, src, parse.FormatHosts, parse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Set.Len() != byPath.Set.Len() || got.SHA256 != byPath.SHA256 || got.Report.TotalRejected() != byPath.Report.TotalRejected() {
			t.Errorf("%s: %d entries sha %s, by path %d sha %s", src, got.Set.Len(), got.SHA256, byPath.Set.Len(), byPath.SHA256)
		}
	}
}

func TestImportErrorsSayWhatToDo(t *testing.T) {
	_, err := importSource(context.Background(), filepath.Join(t.TempDir(), "missing.txt"), "", parse.Options{})
	if err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("error %v does not name the file", err)
	}
	odd := filepath.Join(t.TempDir(), "odd.bin")
	os.WriteFile(odd, []byte("{\"something\": 1}\n"), 0o644)
	_, err = importSource(context.Background(), odd, "", parse.Options{})
	if err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("undetectable format: error %v", err)
	}
}

func TestDefaultFeeds(t *testing.T) {
	feeds := DefaultFeeds()
	if len(feeds) < 20 {
		t.Fatalf("%d default feeds", len(feeds))
	}
	names := map[string]bool{}
	valid := map[parse.Format]bool{}
	for _, f := range parse.Formats() {
		valid[f] = true
	}
	for _, f := range feeds {
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
		if names[f.Name] {
			t.Errorf("name %q twice", f.Name)
		}
		names[f.Name] = true
		if !strings.HasPrefix(f.URL, "https://") {
			t.Errorf("%s: URL %s is not https", f.Name, f.URL)
		}
		if strings.Contains(f.URL, "blocklistproject/Lists/master/") {
			t.Errorf("%s: blocklistproject deleted its master branch; raw URLs on it 404", f.Name)
		}
		if !valid[f.Format] {
			t.Errorf("%s: format %q is not one parse knows", f.Name, f.Format)
		}
		if f.Licence == "" || f.Homepage == "" {
			t.Errorf("%s: no licence or homepage", f.Name)
		}
		if f.StaleAfter == 0 {
			t.Errorf("%s: no staleness expectation (StaleAfter; NeverStale for a dormant feed)", f.Name)
		}
		if d := f.WithDefaults(); d.Interval != DefaultInterval || d.ShrinkGuard != DefaultShrinkGuard || d.MaxBytes != DefaultMaxBytes {
			t.Errorf("%s: defaults %v %v %v", f.Name, d.Interval, d.ShrinkGuard, d.MaxBytes)
		}
	}
	for _, want := range []string{"metamask", "scamsniffer-domains", "polkadot", "cryptoscamdb", "hagezi-fake", "blocklistproject-scam", "jarelllama-scams", "spmedia", "ofac-xbt", "ofac-sol", "ofac-sdn", "forta-phishing-scams"} {
		if !names[want] {
			t.Errorf("default feed %q missing", want)
		}
	}
	if _, err := NewUpdater(feeds, UpdaterOptions{}); err != nil {
		t.Error(err)
	}
	// The feeds that stopped changing upstream years ago (SOURCES.md's
	// commit dates) are marked dormant, not warned about forever.
	byName := map[string]Feed{}
	for _, f := range feeds {
		byName[f.Name] = f
	}
	for _, name := range []string{"cryptoscamdb", "forta-phishing-scams", "forta-etherscan-malicious", "scamsniffer-addresses", "scamsniffer-combined"} {
		if byName[name].StaleAfter != NeverStale {
			t.Errorf("%s: stale_after %v, want never (dormant upstream)", name, byName[name].StaleAfter)
		}
	}
	// 0xB10C's nightly workflow (.github/workflows/generate-lists.yml on
	// its main branch) writes these 18 assets' lists.
	for _, asset := range strings.Fields("XBT ETH XMR LTC ZEC DASH BTG ETC BSV BCH XVG USDC USDT XRP TRX ARB BSC SOL") {
		f, ok := byName["ofac-"+strings.ToLower(asset)]
		if !ok || !strings.HasSuffix(f.URL, "/lists/sanctioned_addresses_"+asset+".txt") {
			t.Errorf("ofac-%s: %q, want the lists branch's sanctioned_addresses_%s.txt", strings.ToLower(asset), f.URL, asset)
		}
	}
}

// The default feeds' formats parse the shared copies of the same files.
func TestDefaultFeedFormatsMatchSharedFiles(t *testing.T) {
	dir := sharedFeeds(t)
	byName := map[string]Feed{}
	for _, f := range DefaultFeeds() {
		byName[f.Name] = f
	}
	for name, file := range map[string]string{
		"metamask":              "metamask-eth-phishing-detect/config.json",
		"scamsniffer-domains":   "scamsniffer-scam-database/domains.json",
		"scamsniffer-combined":  "scamsniffer-scam-database/combined.json",
		"polkadot":              "polkadot-js-phishing/all.json",
		"cryptoscamdb":          "cryptoscamdb-blacklist/urls.yaml",
		"hagezi-tif":            "hagezi-tif/adblock/tif.normal.txt",
		"jarelllama-scams":      "jarelllama-scam-blocklist/adblock/scams_light.txt",
		"forta-phishing-scams":  "forta-labelled-datasets/labels/1/phishing_scams.csv",
		"ofac-eth":              "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_ETH.txt",
		"blocklistproject-scam": "blocklistproject-scam/scam.txt",
	} {
		t.Run(name, func(t *testing.T) {
			f := byName[name]
			f.URL = filepath.Join(dir, file)
			res, err := Import(context.Background(), NewFetcher(nil), f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Set.Len() == 0 {
				t.Errorf("no entries (report %+v)", res.Report)
			}
			if res.Set.Source() != name {
				t.Errorf("set source %q", res.Set.Source())
			}
			var kinds = map[lists.Kind]int{}
			res.Set.Entries(func(e lists.Entry) bool { kinds[e.Kind]++; return true })
			t.Logf("%d entries %v, rejected %v", res.Set.Len(), kinds, res.Report.Rejected)
		})
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct{ name, wantPrefix string }{
		{"metamask", "metamask-"},
		{"https://raw.githubusercontent.com/a/b/main/x.txt", "https___raw.githubusercontent.com_a_b_main_x.txt-"},
		{"../../etc/passwd", "etc_passwd-"},
		{"ÜBER list", "_ber_list-"},
		{"", "feed-"},
	}
	for _, tt := range tests {
		got := SafeName(tt.name)
		if !strings.HasPrefix(got, strings.Trim(tt.wantPrefix, "_")) || strings.ContainsAny(got, `/\ `) || len(got) > 64+9 {
			t.Errorf("SafeName(%q) = %q, want prefix %q", tt.name, got, tt.wantPrefix)
		}
	}
	if SafeName("A") == SafeName("a") {
		t.Error("names that differ in case share a cache file")
	}
}

// importSource imports one file or URL as `scamblock import` does.
func importSource(ctx context.Context, src string, format parse.Format, opts parse.Options) (Result, error) {
	return Import(ctx, NewFetcher(nil), Feed{URL: src, Format: format, Options: opts}, nil)
}
