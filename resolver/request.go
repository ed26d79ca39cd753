package resolver

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
)

// Request is one client query as the handler chain sees it. The server fills
// it once per packet; stages read it and must not modify Msg.
type Request struct {
	Msg    *dns.Msg   // the query as received (its question in the client's letter case)
	Name   string     // the question name in lower case, fully qualified ("a.example.")
	Qtype  uint16     // the question type
	Qclass uint16     // the question class
	Client netip.Addr // the client's address (IPv4-mapped addresses unmapped)
	TCP    bool       // the query came over TCP
	EDNS   bool       // the client sent an OPT record
	DO     bool       // the client set the DNSSEC OK bit
}

// Response is what a stage answers: a message whose ID, question and OPT
// record the server rewrites for the client (see finalize in packet.go), the
// outcome counted in metrics, and an optional Extended DNS Error (RFC 8914)
// that is sent only when the client used EDNS0.
type Response struct {
	Msg     *dns.Msg
	Outcome Outcome
	EDE     *dns.EDNS0_EDE

	Hit      lists.Hit // the listing that blocked it (query log)
	Upstream string    // the upstream that answered it (query log)
}

// Handler is one stage of the chain. Every stage answers: a stage that does
// not decide calls the next one.
type Handler interface {
	ServeDNS(ctx context.Context, req *Request) Response
}

// Outcome says how a query was answered; it is a metrics label, so the set is
// small and fixed.
type Outcome uint8

const (
	OutcomeForwarded   Outcome = iota // answered by an upstream
	OutcomeCached                     // answered from the cache
	OutcomeStale                      // answered from an expired cache entry (RFC 8767)
	OutcomeBlocked                    // answered with the block policy
	OutcomeAllowed                    // an allow entry matched; answered normally
	OutcomeLocal                      // answered by a local zone
	OutcomeServfail                   // no upstream answered
	OutcomeRefused                    // refused by the ACL or as unsupported
	OutcomeRateLimited                // dropped by the per-client rate limit
	OutcomeFormerr                    // malformed query, or a meta type that cannot be asked (FORMERR, BADVERS)
	OutcomeNotImp                     // an opcode other than QUERY, or a zone transfer (NOTIMP)
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	"forwarded", "cached", "stale", "blocked", "allowed", "local",
	"servfail", "refused", "ratelimited", "formerr", "notimp",
}

func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}
