package spec

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseUpstream(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Upstream
		wantErr string // substring of the error
	}{
		{"udp with port", "udp://127.0.0.1:5353", Upstream{Proto: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:5353")}, ""},
		{"udp without port defaults to 53", "udp://9.9.9.9", Upstream{Proto: "udp", Addr: netip.MustParseAddrPort("9.9.9.9:53")}, ""},
		{"tcp IPv6 with port", "tcp://[2620:fe::fe]:53", Upstream{Proto: "tcp", Addr: netip.MustParseAddrPort("[2620:fe::fe]:53")}, ""},
		{"tcp IPv6 in brackets without port", "tcp://[::1]", Upstream{Proto: "tcp", Addr: netip.MustParseAddrPort("[::1]:53")}, ""},
		{"tls with name and port", "tls://dns.quad9.net@9.9.9.9:853", Upstream{Proto: "tls", Addr: netip.MustParseAddrPort("9.9.9.9:853"), ServerName: "dns.quad9.net"}, ""},
		{"tls without port defaults to 853", "tls://cloudflare-dns.com@1.1.1.1", Upstream{Proto: "tls", Addr: netip.MustParseAddrPort("1.1.1.1:853"), ServerName: "cloudflare-dns.com"}, ""},
		{"scheme is case-insensitive", "UDP://127.0.0.1:53", Upstream{Proto: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:53")}, ""},
		{"missing scheme is an error with an example", "127.0.0.1:53", Upstream{}, "no scheme; want udp://IP:PORT"},
		{"https is not supported", "https://1.1.1.1/dns-query", Upstream{}, `unknown scheme "https"`},
		{"tls without a name is an error", "tls://9.9.9.9:853", Upstream{}, "tls needs the name"},
		{"host names are refused", "udp://dns.google:53", Upstream{}, "is not an IP address"},
		{"bad port", "udp://127.0.0.1:99999", Upstream{}, "bad port"},
		{"port 0", "udp://127.0.0.1:0", Upstream{}, "port 0"},
		{"empty address", "tcp://", Upstream{}, "no address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUpstream(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if back, err := ParseUpstream(got.String()); err != nil || back != got {
				t.Errorf("String() %q does not round-trip: %+v %v", got.String(), back, err)
			}
		})
	}
}

func TestParseBlockMode(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String() of the result
		wantErr string
	}{
		{"", "nxdomain", ""},
		{"nxdomain", "nxdomain", ""},
		{"NODATA", "nodata", ""},
		{"null", "null", ""},
		{"refused", "refused", ""},
		{"ip:192.0.2.1", "ip:192.0.2.1", ""},
		{"ip:192.0.2.1,2001:db8::1", "ip:192.0.2.1,2001:db8::1", ""},
		{"ip:2001:db8::1", "", "is not an IPv4 address"},
		{"ip:192.0.2.1,192.0.2.2", "", "is not an IPv6 address"},
		{"ip:", "", "is not an IPv4 address"},
		{"blackhole", "", "unknown; want nxdomain, nodata, null, refused or ip:"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBlockMode(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
