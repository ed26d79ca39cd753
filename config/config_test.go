package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fullConfig = `# scamblock example
server:
  dns_listen: ["127.0.0.1:5335", "[::1]:5335"]
  upstreams:
    - tls://dns.quad9.net@9.9.9.9:853
    - udp://127.0.0.1:53
  block_mode: "ip:0.0.0.0,::"
  block_ttl: 60
  allow: [example.org]
  data_dir: /var/lib/scamblock
  http_listen: 127.0.0.1:9000
  cache_size: 50_000
  tcp_max_conns: 500
  tcp_write_timeout: 2s
  log_level: DEBUG
  hashbl_zone: hashbl.example.net
default_feeds: false
feeds:
  - name: local
    url: /etc/scamblock/mine.txt
    format: domains
    interval: 1d
    max_size: 10MiB
    shrink_guard: 25%
    category: scam
    trusted: true
  - url: https://lists.example.net/wallets.csv
    format: csv
    column: address
    chain: eth
    enabled: no
    url_blocks_host: true
    licence: MIT
    stale_after: never
`

func TestLoadFullConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scamblock.yaml")
	if err := os.WriteFile(path, []byte(fullConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	wantServer := Server{
		DNSListen:   List{"127.0.0.1:5335", "[::1]:5335"},
		Upstreams:   List{"tls://dns.quad9.net@9.9.9.9:853", "udp://127.0.0.1:53"},
		BlockMode:   "ip:0.0.0.0,::",
		BlockTTL:    TTL(time.Minute),
		Allow:       List{"example.org"},
		DataDir:     "/var/lib/scamblock",
		HTTPListen:  "127.0.0.1:9000",
		CacheSize:   50000,
		LogLevel:    "debug",
		HashBLZone:  "hashbl.example.net",
		Snapshot:    true,
		FeedMaxSize: 64 << 20,
		FeedStale:   Staleness(7 * 24 * time.Hour),
		RPZ:         RPZ{Zone: "rpz.scamblock."},
		Follow:      Follow{TSIGAlgorithm: "hmac-sha256"},
		Access:      defaultAccess(),
		QueryLog:    defaultQueryLog(),
		TCP:         TCP{MaxConns: 500, Memory: 32 << 20, WriteTimeout: Duration(2 * time.Second)},
		Web:         Default().Server.Web,
	}
	if !reflect.DeepEqual(c.Server, wantServer) {
		t.Errorf("server\n got %+v\nwant %+v", c.Server, wantServer)
	}
	wantFeeds := []Feed{
		{
			Name: "local", URL: "/etc/scamblock/mine.txt", Format: "domains",
			Interval: Duration(24 * time.Hour), MaxSize: 10 << 20, ShrinkGuard: 0.25, Enabled: true, Trusted: true,
			Category: "scam", Source: path + ":19",
			Keys: []string{"name", "url", "format", "interval", "max_size", "shrink_guard", "category", "trusted", "enabled"},
		},
		{
			URL: "https://lists.example.net/wallets.csv", Format: "csv", Licence: "MIT",
			Column: "address", Chain: "eth", URLBlocksHost: true, StaleAfter: NeverStale, Source: path + ":27",
			Keys: []string{"url", "format", "column", "chain", "enabled", "url_blocks_host", "licence", "stale_after"},
		},
	}
	if !reflect.DeepEqual(c.Feeds, wantFeeds) {
		t.Errorf("feeds\n got %+v\nwant %+v", c.Feeds, wantFeeds)
	}
	if c.DefaultFeeds {
		t.Error("default_feeds: false ignored")
	}
	if got := c.where("server.block_mode"); got != path+":7: server.block_mode" {
		t.Errorf("where(server.block_mode) = %q", got)
	}
}

func TestLoadKeepsDefaultsForMissingKeys(t *testing.T) {
	for _, text := range []string{"", "# only a comment\n", "server:\n  log_level: warn\n"} {
		c, err := Parse("x.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		want := Default().Server
		if strings.Contains(text, "warn") {
			want.LogLevel = "warn"
		}
		if !reflect.DeepEqual(c.Server, want) || !c.DefaultFeeds {
			t.Errorf("%q: got %+v", text, c.Server)
		}
	}
}

// A definition named like a built-in feed keeps the keys it gives, so that
// package feeds changes only those of the built-in one (feeds.Resolve).
func TestFeedDefinitionsRecordTheirKeys(t *testing.T) {
	c, err := Parse("x.yaml", []byte("feeds:\n  - name: metamask\n    enabled: false\n  - url: mine.txt\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Feeds) != 2 {
		t.Fatalf("%d feeds", len(c.Feeds))
	}
	mm, own := c.Feeds[0], c.Feeds[1]
	if mm.Enabled || !reflect.DeepEqual(mm.Keys, []string{"name", "enabled"}) || mm.Source != "x.yaml:2" {
		t.Errorf("metamask override: %+v", mm)
	}
	if !own.Enabled || !reflect.DeepEqual(own.Keys, []string{"url", "enabled"}) {
		t.Errorf("own feed %+v", own)
	}
	base := Feed{Name: "metamask", URL: "https://example.net/config.json", Format: "metamask", Enabled: true, Category: "phishing"}
	got := mm.Over(base)
	if got.Enabled || got.URL != base.URL || got.Format != "metamask" || got.Category != "phishing" || got.Keys != nil || got.Source != "x.yaml:2" {
		t.Errorf("Over: %+v", got)
	}
}

func TestLoadErrorsSayFileLineAndFix(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		want       string
	}{
		{"unknown top-level key", "server:\n  log_level: info\nfeedz: []\n", 3, `unknown key "feedz" in the top level (did you mean "feeds"?)`},
		{"unknown server key", "server:\n  dns_listn: [\"127.0.0.1:53\"]\n", 2, `did you mean "dns_listen"?`},
		{"unknown feed key", "feeds:\n  - url: a.txt\n    intervall: 1h\n", 3, `unknown key "intervall" in feeds[0]`},
		{"bad YAML", "server:\n  dns_listen: [\"a\"\n", 1, "not valid YAML"},
		{"unquoted colon", "server:\n  block_mode: ip:0.0.0.0,::\n", 2, "needs quotes"},
		{"tab indentation", "server:\n\tlog_level: info\n", 2, "not valid YAML"},
		{"bad block mode", "server:\n  block_mode: sinkhole\n", 2, "server.block_mode: block mode \"sinkhole\": unknown; want nxdomain, nodata, null, refused or ip:"},
		{"bad block IP", "server:\n  block_mode: ip:1.2.3\n", 2, `"1.2.3" is not an IPv4 address`},
		{"two IPv4 block addresses", "server:\n  block_mode: \"ip:192.0.2.1,192.0.2.2\"\n", 2, `"192.0.2.2" is not an IPv6 address`},
		{"listen without port", "server:\n  dns_listen: [127.0.0.1]\n", 2, "is not HOST:PORT"},
		{"upstream without scheme", "server:\n  upstreams:\n    - 9.9.9.9\n", 3, "no scheme; want udp://"},
		{"bad log level", "server:\n  log_level: loud\n", 2, "use debug, info, warn or error"},
		{"bad ttl", "server:\n  block_ttl: soon\n", 2, `give a duration such as "300s"`},
		{"cache size not a number", "server:\n  cache_size: big\n", 2, "whole number"},
		{"feeds not a list", "feeds:\n  url: a.txt\n", 2, "feeds must be a list"},
		{"empty feed url", "feeds:\n  - name: mine\n    url: \"\"\n", 3, "feeds[0].url: is empty"},
		{"bad max size", "feeds:\n  - url: a.txt\n    max_size: lots\n", 3, `"64MiB"`},
		{"shrink guard over 1", "feeds:\n  - url: a.txt\n    shrink_guard: 1.5\n", 3, "between 0 and 1"},
		{"bad enabled", "feeds:\n  - url: a.txt\n    enabled: maybe\n", 3, "use true or false"},
		{"unsupported scheme", "feeds:\n  - url: ftp://x.example/a.txt\n", 2, "not supported"},
		{"duplicate feed", "feeds:\n  - url: a.txt\n  - url: a.txt\n", 3, "already defined at line 2"},
		{"duplicate key", "server:\n  log_level: info\n  log_level: debug\n", 3, `key "log_level" appears twice in server (first at line 2)`},
		{"server is a list", "server:\n  - a\n", 2, "server must be a mapping"},
		{"two documents", "server: {}\n---\nfeeds: []\n", 2, "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("scamblock.yaml", []byte(tt.text))
			if err == nil {
				t.Fatal("accepted")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (line %d), want line %d and %q", err, ce.Line, tt.line, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "scamblock.yaml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Parse("c.yaml", []byte("server:\n  log_level: loud\n  cache_size: x\nfeeds:\n  - url: ''\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"c.yaml:2:", "c.yaml:3:", "c.yaml:5:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want ErrNotExist", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "512 KiB": 512 << 10, "10MB": 10e6, "1GiB": 1 << 30, "1048576": 1 << 20, "2M": 2 << 20, "1.5MiB": 3 << 19} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "lots", "MiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in      string
		seconds bool
		want    time.Duration
	}{{"6h", false, 6 * time.Hour}, {"1d", false, 24 * time.Hour}, {"300", true, 300 * time.Second}, {"1h30m", false, 90 * time.Minute}} {
		if got, err := ParseDuration(tt.in, tt.seconds); err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseDuration("300", false); err == nil {
		t.Error("bare number accepted as an interval")
	}
}

func TestRPZKeys(t *testing.T) {
	c, err := Parse("rpz.yaml", []byte("server:\n  rpz_listen: 127.0.0.1:5354\n  rpz_zone: rpz.example.\n  rpz_allow_transfer: [192.0.2.0/24]\n  rpz_notify: [\"192.0.2.53:53\"]\n  rpz_tsig_name: xfr-key\n  rpz_tsig_secret: c2VjcmV0\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := RPZ{Listen: "127.0.0.1:5354", Zone: "rpz.example.", AllowTransfer: []string{"192.0.2.0/24"}, Notify: []string{"192.0.2.53:53"}, TSIGName: "xfr-key", TSIGSecret: "c2VjcmV0"}
	if !reflect.DeepEqual(c.Server.RPZ, want) {
		t.Fatalf("got %+v, want %+v", c.Server.RPZ, want)
	}
	_, err = Parse("rpz.yaml", []byte("server:\n  rpz_allow_transfer: [\"everyone\"]\n"))
	if err == nil || !strings.Contains(err.Error(), "rpz.yaml:2") || !strings.Contains(err.Error(), "CIDR") {
		t.Fatalf("a bad prefix should be reported with its line: %v", err)
	}
}

// TestFollowerLeavesOutTheBuiltInFeeds: a follower loads the built-in
// feeds only when default_feeds is set by a source; without --follow the
// setting alone decides.
func TestFollowerLeavesOutTheBuiltInFeeds(t *testing.T) {
	follow := "server:\n  follow: 192.0.2.10:53\n  follow_zone: rpz.example\n"
	tests := []struct {
		name, file string
		env        map[string]string
		want       bool
	}{
		{"no follower: built-in feeds by default", "server:\n  log_level: info\n", nil, true},
		{"follower: none by default", follow, nil, false},
		{"follower asking for them in the file", follow + "default_feeds: true\n", nil, true},
		{"follower asking for them in the environment", follow, map[string]string{"SCAMBLOCK_NO_DEFAULT_FEEDS": "false"}, true},
		{"follower refusing them explicitly", follow + "default_feeds: false\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "scamblock.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Build(Sources{File: path, Env: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.UsesDefaultFeeds(); got != tt.want {
				t.Fatalf("UsesDefaultFeeds() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStaleness: feed_stale_after and a feed's stale_after take a duration
// or never (a dormant feed); anything else is refused with the fix.
func TestStaleness(t *testing.T) {
	c, err := Parse("x.yaml", []byte("server:\n  feed_stale_after: never\nfeeds:\n  - url: /x.txt\n    stale_after: 36h\n  - url: /y.txt\n    stale_after: 3d\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.FeedStale != NeverStale || c.Feeds[0].StaleAfter != Staleness(36*time.Hour) || c.Feeds[1].StaleAfter != Staleness(72*time.Hour) {
		t.Errorf("feed_stale_after %v, stale_after %v and %v", c.Server.FeedStale, c.Feeds[0].StaleAfter, c.Feeds[1].StaleAfter)
	}
	if s := c.Feeds[1].StaleAfter.String(); s != "3d" {
		t.Errorf("3d prints as %q", s)
	}
	_, err = Parse("x.yaml", []byte("feeds:\n  - url: /x.txt\n    stale_after: soon\n"))
	if err == nil || !strings.Contains(err.Error(), "never") {
		t.Errorf("stale_after: soon: %v, want an error that offers never", err)
	}
}
