package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// setting returns the model's setting with key.
func setting(t *testing.T, key string) Setting {
	t.Helper()
	for _, s := range Settings() {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no setting %q", key)
	return Setting{}
}

// yamlFile writes key: value pairs (as typed, unquoted; "" quoted) into a
// file, nesting "server.x" under server:.
func yamlFile(t *testing.T, kv map[string]string) string {
	t.Helper()
	var top, server []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range kv {
			if !yield(k) {
				return
			}
		}
	}) {
		v := kv[k]
		if v == "" {
			v = `""`
		}
		if rest, ok := strings.CutPrefix(k, "server."); ok {
			server = append(server, "  "+rest+": "+v)
		} else {
			top = append(top, k+": "+v)
		}
	}
	text := strings.Join(top, "\n") + "\n"
	if len(server) > 0 {
		text = "server:\n" + strings.Join(server, "\n") + "\n" + text
	}
	path := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envOf(t *testing.T, kv map[string]string) func(string) (string, bool) {
	env := map[string]string{}
	for k, v := range kv {
		s := setting(t, k)
		if nv, ok := map[string]string{"true": "false", "false": "true"}[v]; ok && s.Negate {
			v = nv // SCAMBLOCK_NO_DEFAULT_FEEDS=true is default_feeds: false
		}
		env[s.Env[0]] = v
	}
	return func(name string) (string, bool) { v, ok := env[name]; return v, ok }
}

func flagsOf(t *testing.T, kv map[string]string) map[string][]string {
	flags := map[string][]string{}
	for k, v := range kv {
		s := setting(t, k)
		switch {
		case s.Negate:
			if nv, ok := map[string]string{"true": "false", "false": "true"}[v]; ok {
				v = nv // --no-default-feeds=true is default_feeds: false
			}
		case s.Kind == KindList:
			flags[s.Flag] = strings.Split(v, ",")
			continue
		}
		flags[s.Flag] = []string{v}
	}
	return flags
}

// TestEverySourceGivesTheSameVerdict: one validator per value. The same
// text in the file, in the environment and as a flag is accepted (in the
// same canonical form) or refused (for the same reason) alike, and the
// error names the setting as that source spells it.
func TestEverySourceGivesTheSameVerdict(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // the stored value (fmt.Sprint) when ok, else a part of the error
		ok         bool
		with       map[string]string // other settings the case needs, in the same source
	}{
		{"server.block_mode", "NXDOMAIN", "nxdomain", true, nil},
		{"server.block_mode", "ip:192.0.2.1,2001:db8::1", "ip:192.0.2.1,2001:db8::1", true, nil},
		{"server.block_mode", "ip:192.0.2.1,192.0.2.2", `"192.0.2.2" is not an IPv6 address`, false, nil},
		{"server.block_mode", "null", "null", true, nil},
		{"server.block_mode", "sinkhole", "unknown; want nxdomain, nodata, null, refused or ip:", false, nil},
		{"server.dns_listen", "127.0.0.1:53,[::1]:53", "127.0.0.1:53,[::1]:53", true, nil},
		{"server.dns_listen", "127.0.0.1", "is not HOST:PORT", false, nil},
		{"server.dns_listen", "127.0.0.1:99999", "port \"99999\" is not a number from 0 to 65535", false, nil},
		{"server.upstreams", "udp://127.0.0.1:53", "udp://127.0.0.1:53", true, nil},
		{"server.upstreams", "9.9.9.9", "no scheme; want udp://IP:PORT", false, nil},
		{"server.upstreams", "udp://dns.google:53", "is not an IP address", false, nil},
		{"server.block_ttl", "300", "5m0s", true, nil},
		{"server.block_ttl", "1d", "24h0m0s", true, nil},
		{"server.block_ttl", "soon", `give a duration such as "300s"`, false, nil},
		{"server.block_ttl", "-5", "must not be negative", false, nil},
		{"server.block_ttl", "30d", "give at most 168h", false, nil},
		{"server.allow", "example.org", "example.org", true, nil},
		{"server.allow", "", "", true, nil},
		{"server.allow", "https://example.org/x", "is a URL; give the host name alone", false, nil},
		{"server.data_dir", "/var/lib/scamblock", "/var/lib/scamblock", true, nil},
		{"server.data_dir", "", "is empty", false, nil},
		{"server.http_listen", "", "", true, nil},
		{"server.http_listen", "localhost", "is not HOST:PORT", false, nil},
		{"server.cache_size", "50_000", "50000", true, nil},
		{"server.cache_size", "-1", "-1", true, nil},
		{"server.cache_size", "big", "give a whole number", false, nil},
		{"server.log_level", "WARN", "warn", true, nil},
		{"server.log_level", "loud", "use debug, info, warn or error", false, nil},
		{"server.hashbl_zone", "hashbl.example.net", "hashbl.example.net", true, nil},
		{"server.hashbl_zone", "not a zone", "is not a domain name", false, nil},
		{"server.memory_limit", "512MiB", "512MiB", true, nil},
		{"server.memory_limit", "0", "0", true, nil},
		{"server.memory_limit", "lots", `give a positive size such as "64MiB"`, false, nil},
		{"server.memory_limit", "-1GiB", "give a positive size", false, nil},
		{"server.rpz_listen", "127.0.0.1:5354", "127.0.0.1:5354", true, nil},
		{"server.rpz_listen", "5354", "is not HOST:PORT", false, nil},
		{"server.rpz_zone", "rpz.example.", "rpz.example.", true, nil},
		{"server.rpz_zone", "rpz example", "is not a domain name", false, nil},
		{"server.rpz_allow_transfer", "192.0.2.0/24,2001:db8::/32", "192.0.2.0/24,2001:db8::/32", true, nil},
		{"server.rpz_allow_transfer", "everyone", "is not a CIDR prefix", false, nil},
		{"server.rpz_notify", "192.0.2.53:53", "192.0.2.53:53", true, nil},
		{"server.rpz_notify", "192.0.2.53", "is not HOST:PORT", false, nil},
		{"server.rpz_tsig_name", "xfr-key", "xfr-key", true, map[string]string{"server.rpz_tsig_secret": "c2VjcmV0"}},
		{"server.rpz_tsig_name", "xfr-key", "needs its secret too", false, nil},
		{"server.rpz_tsig_secret", "c2VjcmV0", "c2VjcmV0", true, map[string]string{"server.rpz_tsig_name": "xfr-key"}},
		{"server.rpz_tsig_secret", "not base64!", "not valid base64", false, map[string]string{"server.rpz_tsig_name": "xfr-key"}},
		{"server.follow", "192.0.2.10:53", "192.0.2.10:53", true, map[string]string{"server.follow_zone": "rpz.example"}},
		{"server.follow", "192.0.2.10", "is not HOST:PORT", false, map[string]string{"server.follow_zone": "rpz.example"}},
		{"server.follow", "192.0.2.10:53", "needs the zone's name too", false, nil},
		{"server.follow_zone", "rpz.example", "needs its primary too", false, nil},
		{"server.follow_zone", "rpz example", "is not a domain name", false, map[string]string{"server.follow": "192.0.2.10:53"}},
		{"server.follow_tsig_name", "xfr-key", "xfr-key", true, map[string]string{"server.follow_tsig_secret": "c2VjcmV0", "server.follow": "192.0.2.10:53", "server.follow_zone": "rpz.example"}},
		{"server.follow_tsig_name", "xfr-key", "needs its secret too", false, map[string]string{"server.follow": "192.0.2.10:53", "server.follow_zone": "rpz.example"}},
		{"server.follow_tsig_name", "xfr-key", "needs a primary", false, map[string]string{"server.follow_tsig_secret": "c2VjcmV0"}},
		{"server.follow_tsig_secret", "not base64!", "not valid base64", false, map[string]string{"server.follow_tsig_name": "xfr-key"}},
		{"server.follow_tsig_algorithm", "HMAC-SHA512.", "hmac-sha512", true, nil},
		{"server.follow_tsig_algorithm", "hmac-md5", "is not a TSIG algorithm", false, nil},
		{"default_feeds", "false", "false", true, nil},
		{"default_feeds", "maybe", "use true or false", false, nil},
	}
	for _, tt := range tests {
		s := setting(t, tt.key)
		kv := map[string]string{tt.key: tt.value}
		for k, v := range tt.with {
			kv[k] = v
		}
		sources := []struct {
			name string
			src  Sources
			says string // how the error names the setting
		}{
			{"file", Sources{File: yamlFile(t, kv)}, "cfg.yaml:"},
			{"env", Sources{Env: envOf(t, kv)}, s.Env[0] + ": "},
			{"flag", Sources{Flags: flagsOf(t, kv)}, "--" + s.Flag + ": "},
		}
		for _, src := range sources {
			t.Run(fmt.Sprintf("%s=%s/%s", tt.key, tt.value, src.name), func(t *testing.T) {
				c, err := Build(src.src)
				if !tt.ok {
					if err == nil {
						t.Fatalf("accepted; want an error with %q", tt.want)
					}
					msg := err.Error()
					if !strings.Contains(msg, tt.want) || !strings.Contains(msg, src.says) && !strings.Contains(msg, "needs its") {
						t.Fatalf("error %q; want one naming %q with %q", msg, src.says, tt.want)
					}
					if src.name == "file" && !strings.Contains(msg, tt.key) && !strings.Contains(msg, s.leaf()) {
						t.Fatalf("file error %q does not name %s", msg, tt.key)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(s.field(c, 0).Interface()); got != tt.want {
					t.Fatalf("stored %q, want %q", got, tt.want)
				}
			})
		}
	}
}

// TestPrecedence: flags > environment > file > defaults, setting by
// setting; a list flag replaces the list, --feed adds to the file's feeds.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scamblock.yaml")
	file := "server:\n  block_mode: refused\n  log_level: warn\n  cache_size: 5\n  upstreams: [udp://192.0.2.1:53, udp://192.0.2.2:53]\n" +
		"default_feeds: false\nfeeds:\n  - name: mine\n    url: mine.txt\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SCAMBLOCK_CONFIG": path, "SCAMBLOCK_BLOCK_MODE": "nodata", "SCAMBLOCK_LOG_LEVEL": "error",
		"STATE_DIRECTORY": "/var/lib/scamblock", "SCAMBLOCK_FEED": "env=env.txt",
	}
	c, err := Build(Sources{
		Env:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Flags: map[string][]string{"block-mode": {"null"}, "upstream": {"udp://192.0.2.9:53"}, "feed": {"flag=flag.txt", "other.txt"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server
	got := []any{s.BlockMode, s.LogLevel, s.CacheSize, s.DataDir, s.HTTPListen, s.Upstreams.String(), c.DefaultFeeds}
	want := []any{"null", "error", 5, "/var/lib/scamblock", "127.0.0.1:8335", "udp://192.0.2.9:53", false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	var names, sources []string
	for _, f := range c.Feeds {
		names, sources = append(names, f.DisplayName()), append(sources, f.Source)
	}
	if !slices.Equal(names, []string{"mine", "env", "flag", "other.txt"}) || !slices.Equal(sources, []string{path + ":8", "SCAMBLOCK_FEED", "--feed", "--feed"}) {
		t.Errorf("feeds %v from %v", names, sources)
	}
	for key, where := range map[string]string{
		"server.block_mode": "--block-mode", "server.log_level": "SCAMBLOCK_LOG_LEVEL", "server.cache_size": path + ":4: server.cache_size",
		"server.data_dir": "STATE_DIRECTORY", "server.http_listen": "server.http_listen (--http-listen, SCAMBLOCK_HTTP_LISTEN)",
	} {
		if got := c.where(key); got != where {
			t.Errorf("where(%s) = %q, want %q", key, got, where)
		}
	}

	// SCAMBLOCK_DATA_DIR comes before systemd's STATE_DIRECTORY.
	env["SCAMBLOCK_DATA_DIR"] = "/srv/scamblock"
	if c, err := Build(Sources{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}); err != nil || c.Server.DataDir != "/srv/scamblock" {
		t.Errorf("data dir %q, %v", c.Server.DataDir, err)
	}
}

func TestBuildReportsEveryBadSourceAndUnknownFlags(t *testing.T) {
	env := map[string]string{"SCAMBLOCK_BLOCK_MODE": "sinkhole", "SCAMBLOCK_CACHE_SIZE": "big"}
	_, err := Build(Sources{
		Env:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Flags: map[string][]string{"log-level": {"loud"}, "no-such-flag": {"x"}, "feed": {"ftp://example.net/list.txt"}},
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"SCAMBLOCK_BLOCK_MODE: ", "SCAMBLOCK_CACHE_SIZE: ", "--log-level: ", "--no-such-flag is not a setting", `--feed "ftp://example.net/list.txt": url`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := Build(Sources{File: filepath.Join(t.TempDir(), "none.yaml")}); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Errorf("missing file: %v", err)
	}
}

// TestModel: the struct tags make a consistent model: names are unique,
// every server setting is reachable by flag and environment, and each
// placeholder appears in its help.
func TestModel(t *testing.T) {
	seen := map[string]string{}
	for _, s := range Settings() {
		if s.item {
			if s.Flag != "" || s.Help == "" {
				t.Errorf("%s: a feed key has no flag and must have help", s.Key)
			}
			continue
		}
		if s.Flag == "" || len(s.Env) == 0 {
			t.Errorf("%s has no flag or environment variable", s.Key)
		}
		names := append([]string{"--" + s.Flag, "key " + s.Key}, s.Env...)
		for _, n := range names {
			if prev, dup := seen[n]; dup && n != "key " {
				t.Errorf("%s is used by %s and %s", n, prev, s.Names())
			}
			seen[n] = s.Names()
		}
		if s.Meta != "" && !strings.Contains(s.Help, s.Meta) {
			t.Errorf("%s: help %q does not show the placeholder %s", s.Names(), s.Help, s.Meta)
		}
	}
}

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the model")

// TestReferenceIsCurrent: docs/configuration.md is what the model
// generates. After changing a setting: go test ./config -run Reference -update
// (or go run ./cmd/scamblock config reference > docs/configuration.md).
func TestReferenceIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "configuration.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(b.Bytes())
	if example == nil {
		t.Fatal("the reference has no YAML example")
	}
	if _, err := Parse("example.yaml", example[1]); err != nil {
		t.Errorf("the reference's example does not load: %v", err)
	}
	if !bytes.Equal(committed, b.Bytes()) {
		t.Fatalf("%s differs from the settings model; regenerate it: go test ./config -run Reference -update", path)
	}
	for _, s := range Settings() {
		key := s.Key
		if s.item {
			key = s.leaf()
		}
		for _, name := range append([]string{"`--" + s.Flag, "`" + key + "`"}, s.Env...) {
			if name != "`--" && name != "``" && !strings.Contains(b.String(), name) {
				t.Errorf("the reference does not mention %s", name)
			}
		}
	}
}
