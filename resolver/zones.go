package resolver

import (
	"context"

	"github.com/miekg/dns"
)

// LocalZone answers the names it is authoritative for (the HashBL wallet
// zone, later RPZ) before the blocklist and the upstreams. Answer must not
// modify req and returns false for names outside the zone. It returns a
// new message each time: the server sets the reply's ID, question, flags and
// OPT record on it (so a zone need only fill the rcode, AA and the sections),
// truncates it for UDP, and adds no EDE.
//
// A LocalZone may also have a method Origins() []string naming the zones it
// answers for ("hashbl.example."). Block answers for names outside them
// then take the wire-level fast path (fastpath.go); with a LocalZone that
// lacks it, every query is unpacked and goes through the chain.
type LocalZone interface {
	Answer(req *dns.Msg) (*dns.Msg, bool)
}

// zoneOrigins is the optional interface described at LocalZone.
type zoneOrigins interface {
	Origins() []string
}

// Zones asks each local zone in turn; the first that answers wins.
type Zones struct {
	zones []LocalZone
	next  Handler
}

// ServeDNS answers from a local zone or passes the query on.
func (z *Zones) ServeDNS(ctx context.Context, req *Request) Response {
	for _, zone := range z.zones {
		if m, ok := zone.Answer(req.Msg); ok && m != nil {
			return Response{Msg: m, Outcome: OutcomeLocal}
		}
	}
	return z.next.ServeDNS(ctx, req)
}
