// Package spec holds the textual forms of the resolver's settings, the
// block mode and the upstream URL, with their parsers. It is a leaf (no
// scamblock imports) so that package config can check these values with
// the very parser the resolver uses, without importing the resolver.
package spec

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// BlockKind is the kind of answer a blocked name gets.
type BlockKind uint8

const (
	BlockNXDomain BlockKind = iota // NXDOMAIN + SOA (the default)
	BlockNoData                    // NOERROR, no records, SOA
	BlockNull                      // A 0.0.0.0, AAAA ::, other types NODATA
	BlockRefused                   // REFUSED, no SOA
	BlockIP                        // A V4, AAAA V6 (NODATA when V6 is unset), other types NODATA
)

// BlockMode says how a blocked name is answered. The zero value is
// NXDOMAIN. V4 and V6 are used by BlockIP only.
type BlockMode struct {
	Kind BlockKind
	V4   netip.Addr
	V6   netip.Addr
}

// Validate reports a mode that cannot be answered.
func (m BlockMode) Validate() error {
	switch m.Kind {
	case BlockNXDomain, BlockNoData, BlockNull, BlockRefused:
		return nil
	case BlockIP:
		if !m.V4.Is4() {
			return fmt.Errorf("block mode ip: %q is not an IPv4 address; %s", m.V4, blockModeHelp)
		}
		if m.V6.IsValid() && (!m.V6.Is6() || m.V6.Is4In6()) {
			return fmt.Errorf("block mode ip: %q is not an IPv6 address; %s", m.V6, blockModeHelp)
		}
		return nil
	}
	return fmt.Errorf("block mode: unknown kind %d; %s", m.Kind, blockModeHelp)
}

const blockModeHelp = "want nxdomain, nodata, null, refused or ip:<IPv4>[,<IPv6>] (e.g. ip:192.0.2.1,2001:db8::1)"

// ParseBlockMode parses the --block-mode flag:
// nxdomain | nodata | null | refused | ip:<v4>[,<v6>].
func ParseBlockMode(s string) (BlockMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "nxdomain":
		return BlockMode{Kind: BlockNXDomain}, nil
	case "nodata":
		return BlockMode{Kind: BlockNoData}, nil
	case "null", "zero", "0.0.0.0":
		return BlockMode{Kind: BlockNull}, nil
	case "refused":
		return BlockMode{Kind: BlockRefused}, nil
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "ip:")
	if !ok {
		return BlockMode{}, fmt.Errorf("block mode %q: unknown; %s", s, blockModeHelp)
	}
	v4s, v6s, hasV6 := strings.Cut(rest, ",")
	v4, err := netip.ParseAddr(strings.TrimSpace(v4s))
	if err != nil || !v4.Is4() {
		return BlockMode{}, fmt.Errorf("block mode %q: %q is not an IPv4 address; %s", s, v4s, blockModeHelp)
	}
	var v6 netip.Addr
	if hasV6 {
		v6, err = netip.ParseAddr(strings.TrimSpace(v6s))
		if err != nil || !v6.Is6() || v6.Is4In6() {
			return BlockMode{}, fmt.Errorf("block mode %q: %q is not an IPv6 address; %s", s, v6s, blockModeHelp)
		}
	}
	return BlockMode{Kind: BlockIP, V4: v4, V6: v6}, nil
}

// String returns the mode in the form ParseBlockMode reads.
func (m BlockMode) String() string {
	switch m.Kind {
	case BlockNoData:
		return "nodata"
	case BlockNull:
		return "null"
	case BlockRefused:
		return "refused"
	case BlockIP:
		if m.V6.IsValid() {
			return "ip:" + m.V4.String() + "," + m.V6.String()
		}
		return "ip:" + m.V4.String()
	}
	return "nxdomain"
}

// Upstream is one resolver scamblock forwards to.
type Upstream struct {
	Proto      string         // "udp", "tcp" or "tls" (DNS over TLS, RFC 7858)
	Addr       netip.AddrPort // an IP address: no name lookups on the way to the resolver
	ServerName string         // for tls: the name its certificate must show (also the SNI)
}

// String returns the upstream in the form ParseUpstream reads.
func (u Upstream) String() string {
	if u.Proto == "tls" {
		return "tls://" + u.ServerName + "@" + u.Addr.String()
	}
	return u.Proto + "://" + u.Addr.String()
}

const upstreamHelp = `want udp://IP:PORT, tcp://IP:PORT or tls://NAME@IP:PORT (e.g. "udp://127.0.0.1:53", "tls://dns.quad9.net@9.9.9.9:853", "tcp://[2620:fe::fe]:53")`

// ParseUpstream parses an --upstream value: "udp://IP:PORT", "tcp://IP:PORT"
// or "tls://NAME@IP:PORT". The port may be left out (53, or 853 for tls).
// The address must be an IP address; NAME is what the TLS certificate is
// verified against.
func ParseUpstream(s string) (Upstream, error) {
	in := strings.TrimSpace(s)
	proto, rest, ok := strings.Cut(in, "://")
	if !ok {
		return Upstream{}, fmt.Errorf("upstream %q: no scheme; %s", s, upstreamHelp)
	}
	u := Upstream{Proto: strings.ToLower(proto)}
	port := uint16(53)
	switch u.Proto {
	case "udp", "tcp":
	case "tls":
		port = 853
		name, addr, ok := strings.Cut(rest, "@")
		if !ok || name == "" {
			return Upstream{}, fmt.Errorf("upstream %q: tls needs the name to verify the certificate against; %s", s, upstreamHelp)
		}
		if _, ok := dns.IsDomainName(name); !ok || strings.ContainsAny(name, "/:[]") {
			return Upstream{}, fmt.Errorf("upstream %q: %q is not a host name; %s", s, name, upstreamHelp)
		}
		u.ServerName = strings.TrimSuffix(name, ".")
		rest = addr
	default:
		return Upstream{}, fmt.Errorf("upstream %q: unknown scheme %q; %s", s, proto, upstreamHelp)
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return Upstream{}, fmt.Errorf("upstream %q: no address; %s", s, upstreamHelp)
	}
	if ap, err := netip.ParseAddrPort(rest); err == nil {
		if ap.Port() == 0 {
			return Upstream{}, fmt.Errorf("upstream %q: port 0; %s", s, upstreamHelp)
		}
		u.Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		return u, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		u.Addr = netip.AddrPortFrom(a.Unmap(), port)
		return u, nil
	}
	if h, p, err := net.SplitHostPort(rest); err == nil {
		if _, err := netip.ParseAddr(h); err != nil {
			return Upstream{}, fmt.Errorf("upstream %q: %q is not an IP address (upstreams are given by address so that reaching them needs no DNS); %s", s, h, upstreamHelp)
		}
		return Upstream{}, fmt.Errorf("upstream %q: bad port %q; %s", s, p, upstreamHelp)
	}
	return Upstream{}, fmt.Errorf("upstream %q: %q is not an IP address (upstreams are given by address so that reaching them needs no DNS); %s", s, rest, upstreamHelp)
}
