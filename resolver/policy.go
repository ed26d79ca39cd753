package resolver

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// DefaultBlockTTL is the TTL of block answers and the negative-caching time
// (SOA minimum, RFC 2308) they ask clients for.
const DefaultBlockTTL = 300 * time.Second

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

// Policy is what the server does with a blocked name. It is swapped as a
// whole with Server.SetPolicy on reload.
type Policy struct {
	Mode BlockMode
	TTL  time.Duration // answer TTL and SOA minimum; 0 means DefaultBlockTTL
}

func (p Policy) withDefaults() (Policy, error) {
	if err := p.Mode.Validate(); err != nil {
		return p, err
	}
	if p.TTL == 0 {
		p.TTL = DefaultBlockTTL
	}
	if p.TTL < 0 || p.TTL > 7*24*time.Hour {
		return p, fmt.Errorf("block TTL %v: want between 1s and 168h (e.g. 5m)", p.TTL)
	}
	if p.TTL < time.Second {
		p.TTL = time.Second
	}
	return p, nil
}
