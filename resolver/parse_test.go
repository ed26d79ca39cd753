package resolver

import (
	"strings"
	"testing"
)

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no upstreams", Config{}, "no upstream resolvers configured"},
		{"bad upstream", Config{Upstreams: []string{"udp://nowhere"}}, "is not an IP address"},
		{"bad listen address", Config{Upstreams: []string{"udp://127.0.0.1:53"}, Listen: []string{"5335"}}, "want host:port"},
		{"ip mode without an address", Config{Upstreams: []string{"udp://127.0.0.1:53"}, Policy: Policy{Mode: BlockMode{Kind: BlockIP}}}, "is not an IPv4 address"},
		{"negative block TTL", Config{Upstreams: []string{"udp://127.0.0.1:53"}, Policy: Policy{TTL: -1}}, "block TTL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, testList())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
