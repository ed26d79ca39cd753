// Package config is scamblock's one settings model: every setting is one
// field of Config, and its struct tags say everything else about it: the
// YAML key (yaml), the flag (flag, on which commands: scope), the
// SCAMBLOCK_* environment variable (derived from the flag, plus env for
// extra names), the text shown in --help and in docs/configuration.md
// (help, meta) and the check its value must pass (check).
//
// Build lays the sources over Default(): the --config YAML file, then the
// environment, then the flags. Every value, whatever its source, is decoded
// by the same code (a YAML scalar decoded into the field) and passes the same
// check, and an error names the setting as its source spells it:
// "scamblock.yaml:7: server.block_mode: ...", "SCAMBLOCK_BLOCK_MODE: ...",
// "--block-mode: ...". See README.md for how to add a setting.
package config

import (
	"reflect"
	"slices"
	"time"
)

// Config is the whole configuration.
type Config struct {
	Server Server `yaml:"server"`
	// DefaultFeeds says whether the built-in feed set is used; feed
	// definitions with a built-in name change that feed (see Feed).
	DefaultFeeds bool `yaml:"default_feeds" flag:"no-default-feeds" negate:"true" scope:"lists" help:"do not use the built-in set of public scam feeds (YAML: default_feeds: false); a follower (--follow) leaves them out unless this is set"`
	// Feeds are the file's feeds, in file order, then those of --feed.
	Feeds []Feed `yaml:"feeds" flag:"feed" meta:"PATH" scope:"lists" help:"also load the list at PATH or URL (NAME=PATH names it); a directory loads every file under it; repeatable; format detected; added after the file's feeds"`
	// Guard says how popular sites are kept from being blocked whole.
	Guard Guard `yaml:"guard"`

	// origin records where each setting got its value ("scamblock.yaml:7",
	// "--block-mode", "SCAMBLOCK_BLOCK_MODE"), for Validate's messages.
	origin map[string]string
}

// Server is the `server:` section.
type Server struct {
	DNSListen   List      `yaml:"dns_listen" flag:"dns-listen" meta:"HOST:PORT" check:"listen" help:"serve DNS over UDP and TCP on HOST:PORT; repeatable"`
	Upstreams   List      `yaml:"upstreams" flag:"upstream" meta:"URL" check:"upstream" help:"forward to URL: udp://IP:PORT, tcp://IP:PORT or tls://NAME@IP:PORT (DNS over TLS); repeatable; the fastest healthy one first, failover on timeout"`
	BlockMode   string    `yaml:"block_mode" flag:"block-mode" meta:"MODE" check:"blockmode" help:"answer blocked names with MODE: nxdomain, nodata, null (0.0.0.0 and ::), refused or ip:<v4>[,<v6>] (quote it in YAML)"`
	BlockTTL    TTL       `yaml:"block_ttl" flag:"block-ttl" meta:"DURATION" help:"TTL of block answers and of their SOA (negative caching), a DURATION or a number of seconds"`
	Allow       List      `yaml:"allow" flag:"allow" meta:"NAME" check:"name" scope:"lists" help:"never block NAME or its subdomains; repeatable; always wins"`
	DataDir     string    `yaml:"data_dir" flag:"data-dir" meta:"DIR" env:"STATE_DIRECTORY" check:"nonempty" scope:"data" help:"state DIR: feed caches and the researcher store (systemd's STATE_DIRECTORY is read too)"`
	HTTPListen  string    `yaml:"http_listen" flag:"http-listen" meta:"HOST:PORT" check:"listen,optional" help:"serve the HTTP API and /metrics on HOST:PORT; \"\" turns it off"`
	CacheSize   int       `yaml:"cache_size" flag:"cache-size" meta:"N" help:"DNS cache entries; negative turns the cache off"`
	LogLevel    string    `yaml:"log_level" flag:"log-level" meta:"LEVEL" check:"loglevel" scope:"lists" help:"log LEVEL: debug, info, warn or error"`
	HashBLZone  string    `yaml:"hashbl_zone" flag:"hashbl-zone" meta:"ZONE" check:"zone,optional" help:"answer HashBL wallet and domain lookups under ZONE (e.g. hashbl.scamblock.local); \"\" = off"`
	Snapshot    bool      `yaml:"snapshot" flag:"no-snapshot" negate:"true" help:"do not keep the compiled lists in DIR/lists.snapshot: a restart then parses and compiles every feed before it blocks (YAML: snapshot: false)"`
	FeedMaxSize Size      `yaml:"feed_max_size" flag:"feed-max-size" meta:"BYTES" scope:"lists" help:"largest feed file or download in BYTES, decompressed, for feeds without their own max_size, e.g. 64MiB or 2GiB (raise it for a local list of millions of names)"`
	FeedStale   Staleness `yaml:"feed_stale_after" flag:"feed-stale-after" meta:"DURATION" scope:"lists" help:"warn (log, scamblock feeds, /v1/feeds, /metrics) when a downloaded feed's content has not changed for DURATION, for feeds without their own stale_after (the built-in feeds have theirs); never = no warning"`
	MemoryLimit Size      `yaml:"memory_limit" flag:"memory-limit" meta:"BYTES" help:"soft memory limit of the Go runtime in BYTES, e.g. 512MiB or 1GiB; 0 = automatic: GOMEMLIMIT if set, else 90% of the cgroup memory limit, else none; read at start"`
	RPZ         RPZ       `yaml:",inline"`
	Follow      Follow    `yaml:",inline"`
	Access      Access    `yaml:",inline"` // allow_net, deny_net, rate_limit* (ops.go)
	QueryLog    QueryLog  `yaml:",inline"` // query_log* (ops.go)
	TCP         TCP       `yaml:",inline"`
	Web         Web       `yaml:",inline"`
	Encrypted   Encrypted `yaml:",inline"` // dot_listen, doh_listen, tls_*, acme_* (encrypted.go)
}

// Follow configures the follower (the `follow*` keys of the server
// section): the blocklist is also loaded from a primary's RPZ zone by
// AXFR and kept current by IXFR on NOTIFY and on the SOA timers.
type Follow struct {
	Primary       string `yaml:"follow" flag:"follow" meta:"HOST:PORT" check:"hostport,optional" help:"follow the RPZ zone of the primary at HOST:PORT (another scamblock's --rpz-listen, BIND, ...) by AXFR/IXFR; NOTIFYs are heard on --dns-listen; needs follow_zone; \"\" = off"`
	Zone          string `yaml:"follow_zone" flag:"follow-zone" meta:"ZONE" check:"zone,optional" help:"name of the policy ZONE to follow, e.g. rpz.scamblock"`
	TSIGName      string `yaml:"follow_tsig_name" flag:"follow-tsig-name" meta:"NAME" check:"zone,optional" help:"TSIG key NAME that signs the transfers from the primary; needs follow_tsig_secret"`
	TSIGSecret    string `yaml:"follow_tsig_secret" flag:"follow-tsig-secret" meta:"SECRET" check:"base64,optional" help:"TSIG key SECRET (base64); prefer the environment or the file: flags show in ps"`
	TSIGAlgorithm string `yaml:"follow_tsig_algorithm" flag:"follow-tsig-algorithm" meta:"ALG" check:"tsigalg,optional" help:"TSIG algorithm ALG: hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224 or hmac-sha1; \"\" = hmac-sha256"`
}

// TCP bounds what client TCP connections may hold (the `tcp_*` keys of the
// server section); see resolver/tcp.go.
type TCP struct {
	MaxConns          int      `yaml:"tcp_max_conns" flag:"tcp-max-conns" meta:"N" help:"N client TCP connections open at once; when full, a new one replaces the least active connection of the client holding the most"`
	MaxConnsPerClient int      `yaml:"tcp_max_conns_per_client" flag:"tcp-max-conns-per-client" meta:"N" help:"N client TCP connections per client (IPv4 address, IPv6 /56); a new one replaces the client's oldest idle one, else is refused; 0 = tcp_max_conns/10"`
	Memory            Size     `yaml:"tcp_memory" flag:"tcp-memory" meta:"BYTES" help:"BYTES of answers queued for all client TCP connections (slow readers); beyond it the connection queuing most is closed"`
	WriteTimeout      Duration `yaml:"tcp_write_timeout" flag:"tcp-write-timeout" meta:"DURATION" help:"a TCP answer not written within DURATION closes the connection (the client does not read)"`
}

// RPZ configures the Response Policy Zone served by zone transfer (the
// `rpz_*` keys of the server section).
type RPZ struct {
	Listen        string `yaml:"rpz_listen" flag:"rpz-listen" meta:"HOST:PORT" check:"listen,optional" help:"serve the blocklist as an RPZ zone by AXFR/IXFR on HOST:PORT (TCP and UDP) for BIND/Unbound secondaries; \"\" = off"`
	Zone          string `yaml:"rpz_zone" flag:"rpz-zone" meta:"ZONE" check:"zone,optional" help:"origin of the RPZ ZONE; \"\" = rpz.scamblock."`
	AllowTransfer List   `yaml:"rpz_allow_transfer" flag:"rpz-allow-transfer" meta:"CIDR" check:"cidr" help:"CIDR allowed to transfer the RPZ zone; repeatable; empty = loopback only"`
	Notify        List   `yaml:"rpz_notify" flag:"rpz-notify" meta:"HOST:PORT" check:"hostport" help:"secondary HOST:PORT sent a NOTIFY when the zone changes; repeatable"`
	TSIGName      string `yaml:"rpz_tsig_name" flag:"rpz-tsig-name" meta:"NAME" check:"zone,optional" help:"TSIG key NAME (hmac-sha256) required for transfers; needs rpz_tsig_secret"`
	TSIGSecret    string `yaml:"rpz_tsig_secret" flag:"rpz-tsig-secret" meta:"SECRET" check:"base64,optional" help:"TSIG key SECRET (base64); prefer the environment or the file: flags show in ps"`
}

// Guard is the `guard:` section: the popularity ranking whose names no
// single feed blocks whole, and the consensus that does.
type Guard struct {
	Ranking         string   `yaml:"ranking" flag:"ranking" meta:"URL" check:"feedurl,optional" scope:"lists" help:"fetch the popularity ranking from URL (http(s), file:// or a path; \"rank,domain\" lines as Tranco's top-1m.csv, plain or zipped, or one name a line in rank order) like a feed: refreshed every ranking_interval, the last good copy cached; until a copy was fetched, and with \"\", the embedded Tranco top 10,000 snapshot guards"`
	RankingInterval Duration `yaml:"ranking_interval" flag:"ranking-interval" meta:"DURATION" scope:"lists" help:"fetch the ranking every DURATION (Tranco publishes a list a day)"`
	RankingSize     int      `yaml:"ranking_size" flag:"ranking-size" meta:"N" scope:"lists" help:"guard the top N names of the ranking (and their www. names); 0 = none"`
	Consensus       int      `yaml:"consensus" flag:"consensus" meta:"N" scope:"lists" help:"block a ranked name whole only when N independent feeds (publishers) list it, or a reviewer approved a submission for it"`
}

// Feed is one feed definition: plain data that package feeds interprets
// (feeds.Resolve). The keys are documented in docs/configuration.md.
type Feed struct {
	Name          string    `yaml:"name" help:"the feed's name in status, logs and block explanations; a built-in name changes that feed (only the keys given), e.g. enabled: false turns it off" default:"the url"`
	URL           string    `yaml:"url" check:"feedurl" help:"http(s):// URL, file:// URL or file path; only a definition named like a built-in feed may leave it out"`
	Format        string    `yaml:"format" help:"feed format (see feeds/parse); empty or auto: detected from the URL and the content" default:"detected"`
	Interval      Duration  `yaml:"interval" help:"time between fetches (e.g. 6h, 1d); files are read on start and on SIGHUP unless one is given" default:"6h for http(s)"`
	MaxSize       Size      `yaml:"max_size" help:"largest download, decompressed (KiB/MiB/GiB, KB/MB/GB, or bytes)" default:"64MiB"`
	ShrinkGuard   Share     `yaml:"shrink_guard" help:"largest share by which a refresh may shrink the feed (0.5 or 50%); 1 allows any shrink but not an empty copy" default:"50% for http(s), none for files"`
	StaleAfter    Staleness `yaml:"stale_after" help:"call the feed stale (a WARN once per streak; shown by feeds, /v1/feeds, /metrics) when its content has not changed for this long; never for a dormant feed" default:"feed_stale_after (built-in feeds: their own, see feeds/README.md)"`
	Enabled       bool      `yaml:"enabled" help:"fetch and use the feed; a listed feed is enabled unless it says false" default:"true"`
	Column        string    `yaml:"column" help:"CSV: header name or 1-based index of the indicator column"`
	URLBlocksHost bool      `yaml:"url_blocks_host" help:"URL entries (host/path) also block their host (the guard still applies)"`
	Category      string    `yaml:"category" help:"category of entries that carry none (phishing, scam, drainer, sanctioned, ...)"`
	Chain         string    `yaml:"chain" help:"chain of an address list (btc, eth, trx, ...)"`
	Trusted       bool      `yaml:"trusted" help:"skip the guard's platform and popular-site rules (public suffixes stay guarded); for your own list"`
	Licence       string    `yaml:"licence" help:"documentation, shown by scamblock feeds"`
	Homepage      string    `yaml:"homepage" help:"documentation, shown by scamblock feeds"`

	// Source is where the definition was made ("scamblock.yaml:12",
	// "--feed", "SCAMBLOCK_FEED"), for messages about it.
	Source string `yaml:"-"`
	// Keys are the keys the definition sets. A definition with Keys and a
	// built-in feed's name changes only those keys of that feed (Over);
	// nil means a complete definition (one made in code).
	Keys []string `yaml:"-"`
}

// DisplayName is the feed's name, or its URL when it has none.
func (f Feed) DisplayName() string {
	if f.Name != "" {
		return f.Name
	}
	return f.URL
}

// Over returns base with the keys f sets (f.Keys) taken from f: how a
// definition named like a built-in feed changes it. The result is a
// complete definition (Keys nil) with f's Source.
func (f Feed) Over(base Feed) Feed {
	src, dst := reflect.ValueOf(f), reflect.ValueOf(&base).Elem()
	t := src.Type()
	for i := range t.NumField() {
		if key := yamlName(t.Field(i)); key != "" && slices.Contains(f.Keys, key) {
			dst.Field(i).Set(src.Field(i))
		}
	}
	base.Source, base.Keys = f.Source, nil
	return base
}

// Default returns the configuration used where nothing else is given.
func Default() *Config {
	return &Config{
		Server: Server{
			DNSListen:   List{"127.0.0.1:5335"},
			Upstreams:   List{"tls://dns.quad9.net@9.9.9.9:853", "tls://cloudflare-dns.com@1.1.1.1:853"},
			BlockMode:   "nxdomain",
			BlockTTL:    TTL(300 * time.Second),
			DataDir:     "scamblock-data",
			HTTPListen:  "127.0.0.1:8335",
			CacheSize:   10000,
			Snapshot:    true,
			FeedMaxSize: 64 << 20,
			FeedStale:   Staleness(7 * 24 * time.Hour),
			LogLevel:    "info",
			RPZ:         RPZ{Zone: "rpz.scamblock."},
			Follow:      Follow{TSIGAlgorithm: "hmac-sha256"},
			Access:      defaultAccess(),
			QueryLog:    defaultQueryLog(),
			TCP:         TCP{MaxConns: 1000, Memory: 32 << 20, WriteTimeout: Duration(3 * time.Second)},
			Web:         Web{SessionIdle: Duration(30 * time.Minute), SessionMax: Duration(12 * time.Hour)},
		},
		DefaultFeeds: true,
		Guard:        Guard{Ranking: "https://tranco-list.eu/top-1m.csv.zip", RankingInterval: Duration(24 * time.Hour), RankingSize: 10000, Consensus: 2},
	}
}

// newFeed is a feed definition before its keys are read: a listed feed is
// meant to be used.
func newFeed() Feed { return Feed{Enabled: true} }
