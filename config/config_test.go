package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/feeds/parse"
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
		DNSListen:  []string{"127.0.0.1:5335", "[::1]:5335"},
		Upstreams:  []string{"tls://dns.quad9.net@9.9.9.9:853", "udp://127.0.0.1:53"},
		BlockMode:  "ip:0.0.0.0,::",
		BlockTTL:   time.Minute,
		Allow:      []string{"example.org"},
		DataDir:    "/var/lib/scamblock",
		HTTPListen: "127.0.0.1:9000",
		CacheSize:  50000,
		LogLevel:   "debug",
		HashBLZone: "hashbl.example.net",
	}
	if !reflect.DeepEqual(c.Server, wantServer) {
		t.Errorf("server\n got %+v\nwant %+v", c.Server, wantServer)
	}
	wantFeeds := []feeds.Feed{
		{
			Name: "local", URL: "/etc/scamblock/mine.txt", Format: parse.FormatDomains,
			Interval: 24 * time.Hour, MaxBytes: 10 << 20, ShrinkGuard: 0.25, Enabled: true, Trusted: true,
			Options: parse.Options{Category: "scam"},
		},
		{
			URL: "https://lists.example.net/wallets.csv", Format: parse.FormatCSV, Licence: "MIT",
			Options: parse.Options{Column: "address", Chain: "eth", URLBlocksHost: true},
		},
	}
	if !reflect.DeepEqual(c.Feeds, wantFeeds) {
		t.Errorf("feeds\n got %+v\nwant %+v", c.Feeds, wantFeeds)
	}
	if c.DefaultFeeds {
		t.Error("default_feeds: false ignored")
	}
	if got := c.Where("server.block_mode"); got != path+":7" {
		t.Errorf("Where(server.block_mode) = %q", got)
	}
	if got := c.Where("feeds[1].column"); got != path+":27" {
		t.Errorf("Where(feeds[1].column) = %q", got)
	}
	if len(c.ResolveFeeds()) != 2 {
		t.Errorf("ResolveFeeds without defaults: %d feeds", len(c.ResolveFeeds()))
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

func TestDefaultFeedsCanBeOverriddenByName(t *testing.T) {
	c, err := Parse("x.yaml", []byte("feeds:\n  - name: metamask\n    enabled: false\n  - url: mine.txt\n"))
	if err != nil {
		t.Fatal(err)
	}
	all := c.ResolveFeeds()
	if len(all) != len(feeds.DefaultFeeds())+1 {
		t.Fatalf("%d feeds, want the defaults plus one", len(all))
	}
	for _, f := range all {
		if f.Name == "metamask" && (f.Enabled || !strings.Contains(f.URL, "eth-phishing-detect")) {
			t.Errorf("metamask override: %+v", f)
		}
	}
	if last := all[len(all)-1]; last.URL != "mine.txt" || !last.Enabled {
		t.Errorf("own feed %+v", last)
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
		{"bad block mode", "server:\n  block_mode: sinkhole\n", 2, "use nxdomain, nodata, null, refused or ip:"},
		{"bad block IP", "server:\n  block_mode: ip:1.2.3\n", 2, `"1.2.3" is not an IP address`},
		{"listen without port", "server:\n  dns_listen: [127.0.0.1]\n", 2, "is not host:port"},
		{"upstream without scheme", "server:\n  upstreams:\n    - 9.9.9.9\n", 3, "needs a scheme"},
		{"bad log level", "server:\n  log_level: loud\n", 2, "use debug, info, warn or error"},
		{"bad ttl", "server:\n  block_ttl: soon\n", 2, `give a duration such as "300s"`},
		{"cache size not a number", "server:\n  cache_size: big\n", 2, "whole number"},
		{"feeds not a list", "feeds:\n  url: a.txt\n", 2, "feeds must be a list"},
		{"feed without url", "feeds:\n  - name: mine\n", 2, "has no url"},
		{"bad format", "feeds:\n  - url: a.txt\n    format: excel\n", 3, "excel"},
		{"bad max size", "feeds:\n  - url: a.txt\n    max_size: lots\n", 3, `"64MiB"`},
		{"shrink guard over 1", "feeds:\n  - url: a.txt\n    shrink_guard: 1.5\n", 3, "between 0 and 1"},
		{"bad enabled", "feeds:\n  - url: a.txt\n    enabled: maybe\n", 3, "use true or false"},
		{"unsupported scheme", "feeds:\n  - url: ftp://x.example/a.txt\n", 2, "not supported"},
		{"duplicate feed", "feeds:\n  - url: a.txt\n  - url: a.txt\n", 3, "already defined at line 2"},
		{"duplicate key", "server:\n  log_level: info\n  log_level: debug\n", 3, "appears twice"},
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
