package resolver

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the resolver's Prometheus series. Labels are bounded: query
// type (a fixed set, else "other"), outcome, upstream (from the config) and
// result. Never the query name. Counters are resolved once, so counting a
// query does not allocate.
type metrics struct {
	queries  [len(metricQtypes) + 1][numOutcomes]prometheus.Counter
	upstream map[Upstream][2]prometheus.Observer // [ok, error]
	// transport counts queries received by transport (udp, tcp, dot, doh).
	transport [numTransports]prometheus.Counter

	aclRefused  prometheus.Counter     // clients outside the ACL (or inside a denied network)
	tcpClosedBy *prometheus.CounterVec // client TCP connections closed by a limit, by reason
	tcpConns    func() int             // open client TCP connections (set by New)
	tcpQueued   func() int64           // answer bytes queued for them (set by New)
	upstreamOK  atomic.Int64           // when an upstream last answered (Unix ns; 0: never), for readiness
	rateLimited [2]prometheus.Counter  // [dropped, truncated (slip)]
}

var metricQtypes = [...]uint16{
	dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX, dns.TypeTXT, dns.TypeNS,
	dns.TypeSOA, dns.TypePTR, dns.TypeSRV, dns.TypeHTTPS, dns.TypeSVCB, dns.TypeANY,
	dns.TypeDS, dns.TypeDNSKEY, dns.TypeCAA, dns.TypeNAPTR,
}

func qtypeIndex(t uint16) int {
	for i, q := range metricQtypes {
		if q == t {
			return i
		}
	}
	return len(metricQtypes)
}

func newMetrics(reg prometheus.Registerer, ups []Upstream, cacheLen func() int) (*metrics, error) {
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "queries_total",
		Help: "DNS queries answered, by query type and outcome.",
	}, []string{"qtype", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "upstream_duration_seconds",
		Help:    "Time for an upstream to answer one query, by upstream and result.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"upstream", "result"})
	cacheSize := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "cache_entries",
		Help: "Entries in the answer cache.",
	}, func() float64 { return float64(cacheLen()) })

	aclRefused := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "acl_refused_total",
		Help: "Queries refused (REFUSED, EDE 18) because the client is outside allow_net or inside deny_net.",
	})

	rateLimited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "ratelimited_total",
		Help: "UDP queries over the per-client-prefix rate limit, by action: dropped, or truncated (an empty TC=1 answer, the slip).",
	}, []string{"action"})
	m := &metrics{upstream: make(map[Upstream][2]prometheus.Observer, len(ups)), aclRefused: aclRefused,
		rateLimited: [2]prometheus.Counter{rateLimited.WithLabelValues("dropped"), rateLimited.WithLabelValues("truncated")}}
	m.tcpClosedBy = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "tcp_closed_total",
		Help: "Client TCP connections closed or refused by a limit, by reason (client_limit, connection_limit, memory_budget, write_timeout, write_failed).",
	}, []string{"reason"})
	tcpConns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "tcp_connections",
		Help: "Client TCP connections open.",
	}, func() float64 { return float64(m.tcpConns()) })
	tcpQueued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "tcp_queued_bytes",
		Help: "Answer bytes queued for client TCP connections.",
	}, func() float64 { return float64(m.tcpQueued()) })
	for i := range m.queries {
		qt := "other"
		if i < len(metricQtypes) {
			qt = dns.TypeToString[metricQtypes[i]]
		}
		for o := range Outcome(numOutcomes) {
			m.queries[i][o] = queries.WithLabelValues(qt, o.String())
		}
	}
	byTransport := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "scamblock", Subsystem: "dns", Name: "transport_queries_total",
		Help: "DNS messages received, by transport: udp, tcp, dot (DNS over TLS) and doh (DNS over HTTPS).",
	}, []string{"transport"})
	for t := range transport(numTransports) {
		m.transport[t] = byTransport.WithLabelValues(t.String())
	}
	for _, u := range ups {
		m.upstream[u] = [2]prometheus.Observer{
			latency.WithLabelValues(u.String(), "ok"), latency.WithLabelValues(u.String(), "error")}
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{queries, byTransport, latency, cacheSize, aclRefused, m.tcpClosedBy, tcpConns, tcpQueued, rateLimited} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if errors.As(err, &are) {
					return nil, fmt.Errorf("registering resolver metrics: %w (one Registerer per Server)", err)
				}
				return nil, fmt.Errorf("registering resolver metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) query(qtype uint16, o Outcome) {
	m.queries[qtypeIndex(qtype)][o].Inc()
}

func (m *metrics) upstreamDone(u Upstream, rtt time.Duration, err error) {
	obs, ok := m.upstream[u]
	if !ok {
		return
	}
	i := 0
	if err != nil {
		i = 1
	} else {
		m.upstreamOK.Store(time.Now().UnixNano())
	}
	obs[i].Observe(rtt.Seconds())
}

func (m *metrics) tcpClosed(reason string) { m.tcpClosedBy.WithLabelValues(reason).Inc() }
