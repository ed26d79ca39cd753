package resolver

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"
)

// DefaultACL returns the networks served when Config.ACL is nil: loopback,
// RFC 1918, RFC 6598 shared address space (CGNAT), link-local, and IPv6
// unique-local and link-local. Everyone else is refused, so a scamblock
// reachable from the internet is never an open resolver by default.
func DefaultACL() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("fe80::/10"),
	}
}

// ACL refuses clients outside the allowed networks, or inside a denied one
// (deny wins), with REFUSED and EDE 18 (Prohibited), counted in
// scamblock_dns_acl_refused_total.
type ACL struct {
	allowed []netip.Prefix
	denied  []netip.Prefix
	next    Handler
	metrics *metrics // set once New has built them
}

// ServeDNS refuses or passes the query on.
func (a *ACL) ServeDNS(ctx context.Context, req *Request) Response {
	if !a.permits(req.Client) {
		a.metrics.aclRefused.Inc()
		return Response{Msg: reply(dns.RcodeRefused), Outcome: OutcomeRefused,
			EDE: &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeProhibited, ExtraText: "client not in the access list"}}
	}
	return a.next.ServeDNS(ctx, req)
}

func (a *ACL) permits(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.denied {
		if p.Contains(ip) {
			return false
		}
	}
	for _, p := range a.allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
