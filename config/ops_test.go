package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestAccessSettingsFromEverySource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scamblock.yaml")
	if err := os.WriteFile(path, []byte("server:\n  allow_net: [203.0.113.0/24, \"2001:db8:100::/40\"]\n  rate_limit: 50\n  rate_limit_slip: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SCAMBLOCK_DENY_NET": "203.0.113.66/32,2001:db8:100::/48", "SCAMBLOCK_RATE_LIMIT_V6_PREFIX": "48"}
	c, err := Build(Sources{File: path, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Flags: map[string][]string{"rate-limit-v4-prefix": {"28"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := Access{AllowNet: List{"203.0.113.0/24", "2001:db8:100::/40"}, DenyNet: List{"203.0.113.66/32", "2001:db8:100::/48"},
		RateLimit: 50, RateLimitV4Prefix: 28, RateLimitV6Prefix: 48, RateLimitSlip: 3}
	if !reflect.DeepEqual(c.Server.Access, want) {
		t.Errorf("access\n got %+v\nwant %+v", c.Server.Access, want)
	}
	c, err = Build(Sources{File: path, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Flags: map[string][]string{"allow-net": {"198.51.100.0/22"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Server.Access.AllowNet, List{"198.51.100.0/22"}) {
		t.Errorf("--allow-net does not replace the file's list: %v", c.Server.Access.AllowNet)
	}
}

func TestOpsSettingsOutOfRangeAreNamed(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"allow-net", "203.0.113.0/33", "--allow-net"},
		{"deny-net", "customers", "--deny-net"},
		{"allow-net", "", "--allow-net: none given"},
		{"rate-limit", "-1", "--rate-limit: -1 is negative"},
		{"query-log-sample", "0", "--query-log-sample: 0: give 1"},
		{"query-log-max-size", "1KiB", "--query-log-max-size: 1KiB is too small"},
		{"query-log-max-files", "-1", "--query-log-max-files: -1 is negative"},
		{"rate-limit-v4-prefix", "33", "--rate-limit-v4-prefix: 33 is not a prefix length"},
		{"rate-limit-v6-prefix", "0", "--rate-limit-v6-prefix: 0 is not a prefix length"},
		{"rate-limit-slip", "-2", "--rate-limit-slip: -2 is negative"},
	} {
		_, err := Build(Sources{Env: func(string) (string, bool) { return "", false }, Flags: map[string][]string{tc.flag: {tc.value}}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--%s %s: error %v, want it to say %q", tc.flag, tc.value, err, tc.want)
		}
	}
}

func TestDefaultACLIsPrivateOnly(t *testing.T) {
	acl, err := Prefixes(Default().Server.Access.AllowNet)
	if err != nil {
		t.Fatal(err)
	}
	if len(acl) != len(defaultACL) || !slices.Contains(acl, netip.MustParsePrefix("100.64.0.0/10")) {
		t.Errorf("default allow_net = %v", acl)
	}
}

func TestQueryLogSettingsFromEverySource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scamblock.yaml")
	if err := os.WriteFile(path, []byte("server:\n  query_log: /var/log/scamblock/queries.jsonl\n  query_log_sample: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SCAMBLOCK_QUERY_LOG_FULL_IP": "true", "SCAMBLOCK_QUERY_LOG_MAX_SIZE": "10MiB"}
	c, err := Build(Sources{File: path, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Flags: map[string][]string{"query-log-max-files": {"9"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := QueryLog{Path: "/var/log/scamblock/queries.jsonl", FullIP: true, Sample: 10, MaxSize: 10 << 20, MaxFiles: 9}
	if c.Server.QueryLog != want {
		t.Errorf("query log\n got %+v\nwant %+v", c.Server.QueryLog, want)
	}
}
