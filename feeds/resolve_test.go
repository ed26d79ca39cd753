package feeds

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds/parse"
)

func definitions(t *testing.T, yaml string) []config.Feed {
	t.Helper()
	c, err := config.Parse("scamblock.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c.Feeds
}

// TestResolveChangesBuiltinFeedsByName: a definition named like a built-in
// feed changes only the keys it gives; other definitions follow the
// built-in set, in file order.
func TestResolveChangesBuiltinFeedsByName(t *testing.T) {
	defs := definitions(t, "feeds:\n  - name: metamask\n    enabled: false\n  - url: mine.txt\n  - name: decripto\n")
	all, err := Resolve(defs, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(DefaultFeeds())+1 {
		t.Fatalf("%d feeds, want the defaults plus one", len(all))
	}
	byName := map[string]Feed{}
	for _, f := range all {
		byName[f.DisplayName()] = f
	}
	mm := byName["metamask"]
	if mm.Enabled || !strings.Contains(mm.URL, "eth-phishing-detect") || mm.Format != parse.FormatMetaMask || mm.Options.Category != "phishing" {
		t.Errorf("metamask override: %+v", mm)
	}
	if !byName["decripto"].Enabled {
		t.Error("listing decripto (off by default) by name should turn it on")
	}
	if mine := all[len(all)-2]; mine.URL != "mine.txt" || !mine.Enabled || all[len(all)-1].Name != "decripto" {
		t.Errorf("the file's own feeds should follow the built-in set in file order: %+v", all[len(all)-2:])
	}

	// Without the built-in set, a definition still starts from the built-in
	// feed it names.
	own, err := Resolve(definitions(t, "default_feeds: false\nfeeds:\n  - name: metamask\n    url: /srv/metamask.json\n"), false)
	if err != nil || len(own) != 1 || own[0].Format != parse.FormatMetaMask || own[0].URL != "/srv/metamask.json" || !own[0].Enabled {
		t.Fatalf("%+v %v", own, err)
	}
}

func TestResolveReadsEveryKey(t *testing.T) {
	defs := definitions(t, "feeds:\n  - name: local\n    url: /etc/scamblock/mine.csv\n    format: csv\n    interval: 1d\n    max_size: 10MiB\n"+
		"    shrink_guard: 25%\n    column: address\n    url_blocks_host: true\n    category: scam\n    chain: eth\n    trusted: true\n    licence: MIT\n    homepage: https://example.net/\n")
	got, err := Resolve(defs, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{
		Name: "local", URL: "/etc/scamblock/mine.csv", Format: parse.FormatCSV,
		Options:  parse.Options{Column: "address", URLBlocksHost: true, Category: "scam", Chain: "eth"},
		Interval: 24 * time.Hour, MaxBytes: 10 << 20, ShrinkGuard: 0.25, Trusted: true, Enabled: true,
		Licence: "MIT", Homepage: "https://example.net/",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// Definition is the inverse for every built-in feed.
	for _, f := range DefaultFeeds() {
		back, err := fromDefinition(Definition(f))
		if err != nil || !reflect.DeepEqual(back, f) {
			t.Errorf("%s does not round-trip: %+v %v", f.Name, back, err)
		}
	}
}

// TestResolveErrorsSayWhere: what only package feeds can check (the format
// name, a definition without a url) is reported at the definition's line.
func TestResolveErrorsSayWhere(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"feeds:\n  - url: a.txt\n    format: excel\n", `scamblock.yaml:2: feed "a.txt": `},
		{"feeds:\n  - name: mine\n", `scamblock.yaml:2: feed "mine" has no url`},
	} {
		_, err := Resolve(definitions(t, tt.yaml), true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
	if _, err := Resolve([]config.Feed{{URL: "a.txt", Format: "excel", Source: "--feed"}}, false); err == nil || !strings.Contains(err.Error(), "excel") {
		t.Errorf("bad format: %v", err)
	}
	// A complete definition made in code (no Keys) is taken as written,
	// even under a built-in feed's name.
	got, err := Resolve([]config.Feed{{Name: "metamask", URL: "/tmp/hosts.txt", Enabled: true}}, false)
	if err != nil || got[0].Format != "" || got[0].URL != "/tmp/hosts.txt" {
		t.Errorf("%+v %v", got, err)
	}
}
