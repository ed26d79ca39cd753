// Package config reads scamblock's YAML configuration file: a server
// section and a list of feeds. It only reads and checks the file; the CLI
// layers flags and SCAMBLOCK_* environment variables on top (see README.md
// for the precedence) and hands the result to the packages that use it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/feeds/parse"
)

// Config is the whole configuration file.
type Config struct {
	Server Server
	// DefaultFeeds says whether the built-in feed set (feeds.DefaultFeeds)
	// is used; entries of Feeds with the same name override a built-in one.
	DefaultFeeds bool
	// Feeds are the feeds the file lists, in file order.
	Feeds []feeds.Feed

	path  string
	lines map[string]int // "server.block_mode", "feeds[2].url" → line
}

// Server is the `server:` section.
type Server struct {
	DNSListen  []string      // host:port for UDP and TCP
	Upstreams  []string      // udp://IP:PORT, tcp://IP:PORT, tls://NAME@IP:PORT
	BlockMode  string        // nxdomain|nodata|null|refused|ip:<v4>[,<v6>]
	BlockTTL   time.Duration // negative TTL of block answers
	Allow      []string      // names never blocked
	DataDir    string        // state: feed caches, the researcher store
	HTTPListen string        // API and GET /v1/feeds
	CacheSize  int           // DNS cache entries
	LogLevel   string        // debug|info|warn|error
	HashBLZone string        // zone for HashBL wallet lookups; "" = off
	RPZ        RPZ           // the RPZ zone served to BIND/Unbound secondaries
}

// RPZ configures the Response Policy Zone served by zone transfer
// (the `rpz_*` keys of the server section).
type RPZ struct {
	Listen        string   // TCP host:port for AXFR/IXFR; "" = off
	Zone          string   // origin, default rpz.scamblock.
	AllowTransfer []string // CIDRs allowed to transfer; empty = loopback only
	Notify        []string // secondaries (host:port) told of changes
	TSIGName      string   // TSIG key name (hmac-sha256); "" = no TSIG
	TSIGSecret    string   // base64 secret of the TSIG key
}

// Default returns the configuration used when there is no file.
func Default() *Config {
	return &Config{
		Server: Server{
			DNSListen:  []string{"127.0.0.1:5335"},
			Upstreams:  []string{"tls://dns.quad9.net@9.9.9.9:853", "tls://cloudflare-dns.com@1.1.1.1:853"},
			BlockMode:  "nxdomain",
			BlockTTL:   300 * time.Second,
			DataDir:    "scamblock-data",
			HTTPListen: "127.0.0.1:8335",
			CacheSize:  10000,
			LogLevel:   "info",
		},
		DefaultFeeds: true,
		lines:        map[string]int{},
	}
}

// Path is the file the configuration was read from ("" for Default).
func (c *Config) Path() string { return c.path }

// Where returns "file:line" of a key ("server.block_mode", "feeds[0].url"),
// for messages about values that are checked later (e.g. an upstream the
// resolver cannot parse); just the file name when the key was not in it.
func (c *Config) Where(key string) string {
	if line, ok := c.lines[key]; ok && c.path != "" {
		return fmt.Sprintf("%s:%d", c.path, line)
	}
	return c.path
}

// ResolveFeeds returns the feeds to run: the built-in set when DefaultFeeds
// is on, with file entries of the same name laid over them, then the other
// file entries, in file order.
func (c *Config) ResolveFeeds() []feeds.Feed {
	var out []feeds.Feed
	own := make(map[string]bool, len(c.Feeds))
	for _, f := range c.Feeds {
		own[f.DisplayName()] = true
	}
	if c.DefaultFeeds {
		for _, d := range feeds.DefaultFeeds() {
			if !own[d.Name] {
				out = append(out, d)
			}
		}
	}
	return append(out, c.Feeds...)
}

// Error is a problem in the configuration file, located by line.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Load reads and checks the YAML file at path. Every problem found is
// reported (joined), each as an *Error with the file and line, what was
// wrong and how to fix it. Keys the file does not set keep Default().
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load on bytes already read; path is used in messages.
func Parse(path string, data []byte) (*Config, error) {
	c := Default()
	c.path = path
	d := &decoder{path: path, cfg: c}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // empty file: defaults
			return c, nil
		}
		return nil, d.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{path, extra.Line, "more than one YAML document (---); put everything in one"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return c, nil
	}
	d.top(root)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return c, nil
}

type decoder struct {
	path string
	cfg  *Config
	errs []error
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{d.path, line, fmt.Sprintf(format, args...)})
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into an *Error.
func (d *decoder) yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if strings.Contains(msg, "mapping values are not allowed") {
		msg += ` (a value that contains ": " or ends in ":" needs quotes, e.g. block_mode: "ip:0.0.0.0,::")`
	}
	if strings.Contains(msg, "found character that cannot start any token") {
		msg += " (indent with spaces, not tabs)"
	}
	return &Error{d.path, line, "not valid YAML: " + msg}
}

// mapping calls fn for each key of a mapping node; unknown keys are errors
// that list the known ones.
func (d *decoder) mapping(n *yaml.Node, where string, known []string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping of keys (%s), not %s", where, strings.Join(known, ", "), kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !slices.Contains(known, key) {
			hint := ""
			if s := closest(key, known); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(k, "unknown key %q in %s%s; known keys: %s", key, where, hint, strings.Join(known, ", "))
			continue
		}
		if seen[key] {
			d.errorf(k, "key %q appears twice in %s; keep one", key, where)
			continue
		}
		seen[key] = true
		fn(key, k, v)
	}
}

var (
	topKeys    = []string{"server", "default_feeds", "feeds"}
	serverKeys = []string{"dns_listen", "upstreams", "block_mode", "block_ttl", "allow", "data_dir", "http_listen", "cache_size", "log_level", "hashbl_zone",
		"rpz_listen", "rpz_zone", "rpz_allow_transfer", "rpz_notify", "rpz_tsig_name", "rpz_tsig_secret"}
	feedKeys = []string{"name", "url", "format", "interval", "max_size", "shrink_guard", "enabled", "column", "url_blocks_host", "category", "chain", "licence", "homepage", "trusted"}
)

func (d *decoder) top(n *yaml.Node) {
	d.mapping(n, "the top level", topKeys, func(key string, k, v *yaml.Node) {
		d.cfg.lines[key] = k.Line
		switch key {
		case "server":
			d.server(v)
		case "default_feeds":
			d.boolean(v, "default_feeds", &d.cfg.DefaultFeeds)
		case "feeds":
			d.feeds(v)
		}
	})
}

func (d *decoder) server(n *yaml.Node) {
	s := &d.cfg.Server
	d.mapping(n, "server", serverKeys, func(key string, k, v *yaml.Node) {
		d.cfg.lines["server."+key] = k.Line
		switch key {
		case "dns_listen":
			if d.stringList(v, key, &s.DNSListen) {
				for i, a := range s.DNSListen {
					if _, _, err := net.SplitHostPort(a); err != nil {
						d.errorf(itemNode(v, i), "dns_listen %q is not host:port (e.g. 127.0.0.1:5335 or [::1]:53)", a)
					}
				}
			}
		case "upstreams":
			if d.stringList(v, key, &s.Upstreams) {
				for i, u := range s.Upstreams {
					if !strings.HasPrefix(u, "udp://") && !strings.HasPrefix(u, "tcp://") && !strings.HasPrefix(u, "tls://") {
						d.errorf(itemNode(v, i), "upstream %q needs a scheme: udp://IP:PORT, tcp://IP:PORT or tls://NAME@IP:PORT", u)
					}
				}
			}
		case "block_mode":
			if d.str(v, key, &s.BlockMode) {
				if err := checkBlockMode(s.BlockMode); err != nil {
					d.errorf(v, "block_mode %q: %v", s.BlockMode, err)
				}
			}
		case "block_ttl":
			d.duration(v, key, &s.BlockTTL, true)
		case "allow":
			d.stringList(v, key, &s.Allow)
		case "data_dir":
			if d.str(v, key, &s.DataDir) && s.DataDir == "" {
				d.errorf(v, "data_dir is empty; give a directory (default scamblock-data)")
			}
		case "http_listen":
			if d.str(v, key, &s.HTTPListen) && s.HTTPListen != "" {
				if _, _, err := net.SplitHostPort(s.HTTPListen); err != nil {
					d.errorf(v, "http_listen %q is not host:port (e.g. 127.0.0.1:8335); leave it empty to turn the HTTP listener off", s.HTTPListen)
				}
			}
		case "cache_size":
			d.integer(v, key, &s.CacheSize)
		case "log_level":
			if d.str(v, key, &s.LogLevel) {
				s.LogLevel = strings.ToLower(s.LogLevel)
				if !slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel) {
					d.errorf(v, "log_level %q: use debug, info, warn or error", s.LogLevel)
				}
			}
		case "hashbl_zone":
			d.str(v, key, &s.HashBLZone)
		case "rpz_listen":
			if d.str(v, key, &s.RPZ.Listen) && s.RPZ.Listen != "" {
				if _, _, err := net.SplitHostPort(s.RPZ.Listen); err != nil {
					d.errorf(v, "rpz_listen %q is not host:port (e.g. 127.0.0.1:5354); leave it empty to serve no RPZ zone", s.RPZ.Listen)
				}
			}
		case "rpz_zone":
			d.str(v, key, &s.RPZ.Zone)
		case "rpz_allow_transfer":
			if d.stringList(v, key, &s.RPZ.AllowTransfer) {
				for i, p := range s.RPZ.AllowTransfer {
					if _, err := netip.ParsePrefix(p); err != nil {
						d.errorf(itemNode(v, i), "rpz_allow_transfer %q is not a CIDR prefix (e.g. 192.0.2.0/24)", p)
					}
				}
			}
		case "rpz_notify":
			d.stringList(v, key, &s.RPZ.Notify)
		case "rpz_tsig_name":
			d.str(v, key, &s.RPZ.TSIGName)
		case "rpz_tsig_secret":
			d.str(v, key, &s.RPZ.TSIGSecret)
		}
	})
}

func checkBlockMode(m string) error {
	switch m {
	case "nxdomain", "nodata", "null", "refused":
		return nil
	}
	if ips, ok := strings.CutPrefix(m, "ip:"); ok {
		for _, ip := range strings.Split(ips, ",") {
			if net.ParseIP(strings.TrimSpace(ip)) == nil {
				return fmt.Errorf("%q is not an IP address", ip)
			}
		}
		return nil
	}
	return errors.New("use nxdomain, nodata, null, refused or ip:<v4>[,<v6>]")
}

func (d *decoder) feeds(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "feeds must be a list of feeds (each starting with \"- url: ...\"), not %s", kindName(n))
		return
	}
	defaults := map[string]feeds.Feed{}
	for _, f := range feeds.DefaultFeeds() {
		defaults[f.Name] = f
	}
	names := map[string]int{}
	for i, item := range n.Content {
		where := fmt.Sprintf("feeds[%d]", i)
		var f feeds.Feed
		f.Enabled = true // a listed feed is meant to be used
		set := map[string]bool{}
		// A feed named like a built-in one starts from it: "- name: metamask
		// enabled: false" turns that one off.
		if nameNode := lookup(item, "name"); nameNode != nil {
			if def, ok := defaults[nameNode.Value]; ok {
				f = def
				f.Enabled = true
			}
		}
		errsBefore := len(d.errs)
		d.mapping(item, where, feedKeys, func(key string, k, v *yaml.Node) {
			d.cfg.lines[where+"."+key] = k.Line
			set[key] = true
			o := &f.Options
			switch key {
			case "name":
				d.str(v, key, &f.Name)
			case "url":
				d.str(v, key, &f.URL)
			case "format":
				var s string
				if d.str(v, key, &s) {
					if s == "" || s == "auto" {
						f.Format = ""
					} else if ft, err := parse.ParseFormat(s); err != nil {
						d.errorf(v, "%v", err)
					} else {
						f.Format = ft
					}
				}
			case "interval":
				d.duration(v, key, &f.Interval, false)
			case "max_size":
				var s string
				if d.str(v, key, &s) {
					if size, err := ParseSize(s); err != nil {
						d.errorf(v, "max_size %q: %v", s, err)
					} else {
						f.MaxBytes = size
					}
				}
			case "shrink_guard":
				d.share(v, key, &f.ShrinkGuard)
			case "enabled":
				d.boolean(v, key, &f.Enabled)
			case "column":
				d.str(v, key, &o.Column)
			case "url_blocks_host":
				d.boolean(v, key, &o.URLBlocksHost)
			case "category":
				d.str(v, key, &o.Category)
			case "chain":
				d.str(v, key, &o.Chain)
			case "licence":
				d.str(v, key, &f.Licence)
			case "homepage":
				d.str(v, key, &f.Homepage)
			case "trusted":
				d.boolean(v, key, &f.Trusted)
			}
		})
		if len(d.errs) > errsBefore || item.Kind != yaml.MappingNode {
			continue
		}
		if f.URL == "" {
			d.errorf(item, "%s has no url: give an http(s):// URL, a file:// URL or a file path (only built-in feeds, named by name:, may leave it out)", where)
			continue
		}
		if err := f.Validate(); err != nil {
			d.errorf(item, "%v", err)
			continue
		}
		name := f.DisplayName()
		if prev, dup := names[name]; dup {
			d.errorf(item, "feed %q is already defined at line %d; give one of them another name", name, prev)
			continue
		}
		names[name] = item.Line
		d.cfg.Feeds = append(d.cfg.Feeds, f)
	}
}

// Scalar helpers: each reports whether it stored a value.

func (d *decoder) scalar(n *yaml.Node, key, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be %s, not %s", key, want, kindName(n))
		return false
	}
	return true
}

func (d *decoder) str(n *yaml.Node, key string, dst *string) bool {
	if !d.scalar(n, key, "a string") {
		return false
	}
	if n.Tag == "!!null" {
		*dst = ""
		return true
	}
	*dst = n.Value
	return true
}

func (d *decoder) boolean(n *yaml.Node, key string, dst *bool) bool {
	if !d.scalar(n, key, "true or false") {
		return false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		*dst = true
	case "false", "no", "off":
		*dst = false
	default:
		d.errorf(n, "%s is %q; use true or false", key, n.Value)
		return false
	}
	return true
}

func (d *decoder) integer(n *yaml.Node, key string, dst *int) bool {
	if !d.scalar(n, key, "a whole number") {
		return false
	}
	v, err := strconv.Atoi(strings.ReplaceAll(n.Value, "_", ""))
	if err != nil {
		d.errorf(n, "%s is %q; give a whole number such as 10000", key, n.Value)
		return false
	}
	*dst = v
	return true
}

// duration reads "6h", "30m", "1d", or (when seconds) a bare number of seconds.
func (d *decoder) duration(n *yaml.Node, key string, dst *time.Duration, seconds bool) bool {
	if !d.scalar(n, key, "a duration") {
		return false
	}
	v, err := ParseDuration(n.Value, seconds)
	if err != nil {
		d.errorf(n, "%s %q: %v", key, n.Value, err)
		return false
	}
	*dst = v
	return true
}

// share reads 0.5 or "50%".
func (d *decoder) share(n *yaml.Node, key string, dst *float64) bool {
	if !d.scalar(n, key, "a share") {
		return false
	}
	s := strings.TrimSpace(n.Value)
	div := 1.0
	if p, ok := strings.CutSuffix(s, "%"); ok {
		s, div = strings.TrimSpace(p), 100
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v/div < 0 || v/div > 1 {
		d.errorf(n, "%s is %q; give a share between 0 and 1 (or 0%%..100%%): 0.5 refuses a refresh that loses more than half the entries", key, n.Value)
		return false
	}
	*dst = v / div
	return true
}

func (d *decoder) stringList(n *yaml.Node, key string, dst *[]string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" { // a single value for a list
		*dst = []string{n.Value}
		return true
	}
	if n.Kind == yaml.ScalarNode {
		*dst = nil
		return true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings, not %s", key, kindName(n))
		return false
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			d.errorf(item, "%s must be a list of strings; this item is %s", key, kindName(item))
			return false
		}
		out = append(out, item.Value)
	}
	*dst = out
	return true
}

func itemNode(list *yaml.Node, i int) *yaml.Node {
	if list.Kind == yaml.SequenceNode && i < len(list.Content) {
		return list.Content[i]
	}
	return list
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// closest returns the known key nearest to key (edit distance ≤ 3), or "".
func closest(key string, known []string) string {
	best, bestD := "", 4
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ParseSize reads a byte size: "64MiB", "512 KiB", "10MB", "1GiB", "1048576".
// KB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, errors.New(`give a positive size such as "64MiB", "500KiB" or "10MB"`)
	}
	return int64(v * float64(mult)), nil
}

// ParseDuration reads a Go duration ("6h", "90m", "1h30m") or days ("1d");
// with seconds, a bare number is seconds ("300").
func ParseDuration(s string, seconds bool) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if seconds {
		if n, err := strconv.Atoi(t); err == nil {
			if n < 0 {
				return 0, errors.New("must not be negative")
			}
			return time.Duration(n) * time.Second, nil
		}
	}
	if days, ok := strings.CutSuffix(t, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(t)
	if err != nil || v < 0 {
		return 0, errors.New(`give a duration such as "300s", "30m", "6h" or "1d"`)
	}
	return v, nil
}
