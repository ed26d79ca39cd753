package config

import (
	"fmt"
	"net/netip"
)

// Access says who the DNS server answers and how fast (the server
// section's allow_net and deny_net keys).
type Access struct {
	AllowNet List `yaml:"allow_net" flag:"allow-net" meta:"CIDR" check:"cidr" help:"answer DNS clients in CIDR; repeatable; replaces the default (loopback, RFC 1918, 100.64.0.0/10, 169.254.0.0/16, fc00::/7, fe80::/10); others get REFUSED with EDE 18 (Prohibited)"`
	DenyNet  List `yaml:"deny_net" flag:"deny-net" meta:"CIDR" check:"cidr" help:"refuse DNS clients in CIDR even where allow_net covers them (deny wins); repeatable"`
}

// DefaultACL is the default allow_net: loopback, RFC 1918, RFC 6598 shared
// address space (CGNAT), link-local, IPv6 unique-local and link-local.
// resolver.DefaultACL is the same list (a test checks).
var defaultACL = []string{
	"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
	"::1/128", "fc00::/7", "fe80::/10",
}

func defaultAccess() Access {
	return Access{AllowNet: List(append([]string(nil), defaultACL...))}
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
	return errs
}
