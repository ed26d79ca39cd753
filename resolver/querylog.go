package resolver

import (
	"net/netip"
	"time"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/querylog"
)

// logName is the query log's word for o: the metrics label, except
// "rate-limited".
func logName(o Outcome) string {
	if o == OutcomeRateLimited {
		return "rate-limited"
	}
	return o.String()
}

// logQuery hands one answered (or dropped: rcode -1) query to the query
// log, when it is on and this query is sampled. name has no trailing dot;
// hit is the listing that blocked it, upstream the one that answered.
// The entry is copied into the log's queue: nothing here waits.
func (s *Server) logQuery(client netip.Addr, name string, qtype uint16, o Outcome, rcode int, hit lists.Hit, upstream string, start time.Time) {
	if s.qlog == nil || !s.qlog.Sampled() {
		return
	}
	now := time.Now()
	e := querylog.Entry{Time: now, Client: client, Qtype: qtype, Outcome: logName(o), Rcode: rcode, Upstream: upstream}
	if o == OutcomeBlocked {
		e.List, e.Source = hit.Name, hit.Source
	}
	if !start.IsZero() {
		e.Latency = now.Sub(start)
	}
	e.SetName(name)
	s.qlog.Log(&e)
}
