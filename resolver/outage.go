package resolver

import (
	"log/slog"
	"strings"
	"sync/atomic"
)

// outage says in the log, once, that no upstream answers (a first start
// without network, a link down), and once that one answers again. Clients
// see it as SERVFAIL with EDE 22 or 23 meanwhile; without this line an
// operator would see nothing. It costs one atomic load per answered query.
type outage struct{ on atomic.Bool }

func (o *outage) begin(log *slog.Logger, ups []*upstreamState, err error) {
	if !o.on.CompareAndSwap(false, true) {
		return
	}
	names := make([]string, len(ups))
	for i, u := range ups {
		names[i] = u.conn.up.String()
	}
	log.Warn("no upstream resolver is reachable: clients get SERVFAIL (EDE 22/23) until one answers; check the network and --upstream (logged again when one answers)",
		"upstreams", strings.Join(names, " "), "err", err)
}

func (o *outage) over(log *slog.Logger) {
	if o.on.Load() && o.on.CompareAndSwap(true, false) {
		log.Info("an upstream resolver answers again")
	}
}
