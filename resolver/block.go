package resolver

import (
	"context"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// Blocklist says whether a name is blocked. lists.Live and lists.Matcher
// satisfy it. Lookup takes a name in any case, with or without the trailing
// dot, and walks its suffixes itself, so a listed name blocks its subtree.
// The Hit is filled whenever a listing decided, blocked or allowed.
// Lookup must not keep name (or a substring of it) after it returns: the
// fast path passes a view of a buffer it reuses for the next query.
type Blocklist interface {
	Lookup(name string) (lists.Hit, bool)
}

// Block answers listed names with the block policy. It checks the query
// name before anything else is asked, and the CNAME and DNAME targets in the
// answer the rest of the chain gives, so a harmless name that aliases a listed
// one is blocked as well (the EDE then names the listed target). A query name
// that an allow entry matched is never blocked, not even by its CNAMEs.
type Block struct {
	list   Blocklist
	policy *atomic.Pointer[preparedPolicy]
	next   Handler
}

// ServeDNS blocks or passes the query on.
func (b *Block) ServeDNS(ctx context.Context, req *Request) Response {
	hit, blocked := b.list.Lookup(req.Name)
	if blocked {
		return blockResponse(req, &b.policy.Load().Policy, hit, dns.Fqdn(hit.Name))
	}
	resp := b.next.ServeDNS(ctx, req)
	if hit.Name != "" && hit.Action == lists.Allow {
		if resp.Outcome == OutcomeForwarded || resp.Outcome == OutcomeCached {
			resp.Outcome = OutcomeAllowed
		}
		return resp
	}
	if resp.Msg == nil {
		return resp
	}
	for _, rr := range resp.Msg.Answer {
		var target string
		switch rr := rr.(type) {
		case *dns.CNAME:
			target = rr.Target
		case *dns.DNAME:
			target = rr.Target
		default:
			continue
		}
		if thit, blocked := b.list.Lookup(target); blocked {
			return blockResponse(req, &b.policy.Load().Policy, thit, req.Msg.Question[0].Name)
		}
	}
	return resp
}
