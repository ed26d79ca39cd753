package resolver

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// outageQuiet is how long after an outage ended a new one is not logged:
// an upstream that flaps (a starved machine, a lossy link) would otherwise
// write a WARN and an INFO line for every failed query between answers.
const outageQuiet = time.Minute

// outage says in the log, once, that no upstream answers (a first start
// without network, a link down), and once that one answers again. Clients
// see it as SERVFAIL with EDE 22 or 23 meanwhile; without this line an
// operator would see nothing. Outages that start within outageQuiet of the
// last one's end are counted and named in the next line logged, not logged
// each. It costs one atomic load per answered query.
type outage struct {
	on         atomic.Bool
	quiet      atomic.Bool  // this outage is not logged (a flap)
	ended      atomic.Int64 // when the last outage ended, Unix ns; 0: none yet
	suppressed atomic.Int64 // outages not logged since the last WARN
}

func (o *outage) begin(log *slog.Logger, ups []*upstreamState, err error) {
	if !o.on.CompareAndSwap(false, true) {
		return
	}
	if e := o.ended.Load(); e != 0 && time.Since(time.Unix(0, e)) < outageQuiet {
		o.quiet.Store(true)
		o.suppressed.Add(1)
		return
	}
	o.quiet.Store(false)
	names := make([]string, len(ups))
	for i, u := range ups {
		names[i] = u.conn.up.String()
	}
	log.Warn("no upstream resolver is reachable: clients get SERVFAIL (EDE 22/23) until one answers; check the network and --upstream (logged again when one answers)",
		"upstreams", strings.Join(names, " "), "err", err, "short_outages_not_logged", o.suppressed.Swap(0))
}

func (o *outage) over(log *slog.Logger) {
	if o.on.Load() && o.on.CompareAndSwap(true, false) {
		o.ended.Store(time.Now().UnixNano())
		if !o.quiet.Load() {
			log.Info("an upstream resolver answers again")
		}
	}
}
