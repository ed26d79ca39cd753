package config

import (
	"fmt"
	"net/netip"
)

// Access says who the DNS server answers and how fast (the server
// section's allow_net, deny_net and rate_limit* keys).
type Access struct {
	AllowNet List `yaml:"allow_net" flag:"allow-net" meta:"CIDR" check:"cidr" help:"answer DNS clients in CIDR; repeatable; replaces the default (loopback, RFC 1918, 100.64.0.0/10, 169.254.0.0/16, fc00::/7, fe80::/10); others get REFUSED with EDE 18 (Prohibited)"`
	DenyNet  List `yaml:"deny_net" flag:"deny-net" meta:"CIDR" check:"cidr" help:"refuse DNS clients in CIDR even where allow_net covers them (deny wins); repeatable"`

	RateLimit         int `yaml:"rate_limit" flag:"rate-limit" meta:"QPS" help:"answer at most QPS UDP queries a second from one client prefix (token bucket, burst QPS); over it a query is dropped, except every rate_limit_slip-th, answered empty with TC=1 (TCP is not limited); 0 = no limit"`
	RateLimitV4Prefix int `yaml:"rate_limit_v4_prefix" flag:"rate-limit-v4-prefix" meta:"BITS" help:"IPv4 clients share a rate limit per /BITS prefix (1-32), in DNS and the HTTP API"`
	RateLimitV6Prefix int `yaml:"rate_limit_v6_prefix" flag:"rate-limit-v6-prefix" meta:"BITS" help:"IPv6 clients share a rate limit per /BITS prefix (1-128), in DNS and the HTTP API"`
	RateLimitSlip     int `yaml:"rate_limit_slip" flag:"rate-limit-slip" meta:"N" help:"send every Nth rate-limited UDP answer as an empty TC=1 answer (a real client retries over TCP) and drop the others; 1 = all, 0 = drop all"`
}

// QueryLog configures the query log (the server section's query_log* keys).
type QueryLog struct {
	Path     string `yaml:"query_log" flag:"query-log" meta:"PATH" help:"write one JSON line per query to PATH (- = standard output), rotated by size; \"\" = off"`
	FullIP   bool   `yaml:"query_log_full_ip" flag:"query-log-full-ip" help:"log the client's full address instead of its /24 (IPv4) or /56 (IPv6)"`
	Sample   int    `yaml:"query_log_sample" flag:"query-log-sample" meta:"N" help:"log one query in N (1 = every query)"`
	MaxSize  Size   `yaml:"query_log_max_size" flag:"query-log-max-size" meta:"BYTES" help:"rotate the query log file when it reaches BYTES (at least 1MiB)"`
	MaxFiles int    `yaml:"query_log_max_files" flag:"query-log-max-files" meta:"N" help:"keep N rotated query log files besides the current one"`
}

// DefaultACL is the default allow_net: loopback, RFC 1918, RFC 6598 shared
// address space (CGNAT), link-local, IPv6 unique-local and link-local.
// resolver.DefaultACL is the same list (a test checks).
var defaultACL = []string{
	"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
	"::1/128", "fc00::/7", "fe80::/10",
}

func defaultAccess() Access {
	return Access{AllowNet: List(append([]string(nil), defaultACL...)), RateLimitV4Prefix: 24, RateLimitV6Prefix: 56, RateLimitSlip: 2}
}

func defaultQueryLog() QueryLog {
	return QueryLog{Sample: 1, MaxSize: 100 << 20, MaxFiles: 5}
}

// Prefixes parses a list of CIDR prefixes (checked already by the cidr
// check), masked to their prefix length.
func Prefixes(l List) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(l))
	for _, s := range l {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// validateOps checks the ranges of the access and query-log settings.
func (c *Config) validateOps() []error {
	var errs []error
	a := c.Server.Access
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{c.where(key)}, args...)...))
	}
	if len(a.AllowNet) == 0 {
		bad("server.allow_net", "none given, so no client would be answered; give the networks to serve, e.g. 192.168.0.0/16 (the default is the private ranges)")
	}
	if q := c.Server.QueryLog; q.Sample < 1 {
		bad("server.query_log_sample", "%d: give 1 (every query) or more (one in N)", q.Sample)
	}
	if q := c.Server.QueryLog; q.MaxSize < 1<<20 {
		bad("server.query_log_max_size", "%s is too small; give at least 1MiB, e.g. 100MiB", q.MaxSize)
	}
	if q := c.Server.QueryLog; q.MaxFiles < 0 {
		bad("server.query_log_max_files", "%d is negative; give 0 or more, e.g. 5", q.MaxFiles)
	}
	if a.RateLimit < 0 {
		bad("server.rate_limit", "%d is negative; give 0 (no limit) or queries a second, e.g. 50", a.RateLimit)
	}
	if a.RateLimitV4Prefix < 1 || a.RateLimitV4Prefix > 32 {
		bad("server.rate_limit_v4_prefix", "%d is not a prefix length from 1 to 32; e.g. 24", a.RateLimitV4Prefix)
	}
	if a.RateLimitV6Prefix < 1 || a.RateLimitV6Prefix > 128 {
		bad("server.rate_limit_v6_prefix", "%d is not a prefix length from 1 to 128; e.g. 56", a.RateLimitV6Prefix)
	}
	if a.RateLimitSlip < 0 {
		bad("server.rate_limit_slip", "%d is negative; give 0 (drop every limited answer), 1 (truncate all) or N, e.g. 2", a.RateLimitSlip)
	}
	return errs
}
