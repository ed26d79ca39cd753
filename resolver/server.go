package resolver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scamblock/scamblock/internal/listen"
	"github.com/scamblock/scamblock/querylog"
	"github.com/scamblock/scamblock/ratelimit"
)

// Config is everything the server needs; the zero value of each field means
// its default (in brackets).
type Config struct {
	Listen    []string // host:port to serve UDP and TCP on ["127.0.0.1:5335"]; port 0 picks one
	Upstreams []string // see ParseUpstream; at least one
	Policy    Policy   // how blocked names are answered [nxdomain, 300s]

	ACL  []netip.Prefix // clients served [DefaultACL()]; others get REFUSED + EDE 18 (empty, non-nil: nobody)
	Deny []netip.Prefix // clients refused even inside ACL (deny wins) [none]

	CacheSize   int           // max entries [10000]; negative disables the cache
	CacheMinTTL time.Duration // TTLs below are raised to this [0]
	CacheMaxTTL time.Duration // TTLs above are lowered to this [24h]
	NegativeTTL time.Duration // max time NXDOMAIN/NODATA are cached [1h]
	StaleAge    time.Duration // serve expired entries this long while upstreams fail [24h]; negative disables
	StaleWait   time.Duration // with an expired entry at hand, answer it stale after this long [1.8s]; negative: wait for upstreams

	UpstreamTimeout time.Duration // one attempt at one upstream [1.5s]
	ResolveTimeout  time.Duration // all attempts for one query [3s]
	UpstreamTLS     *tls.Config   // base TLS config for tls:// upstreams (RootCAs) [system roots]

	MaxUDPSize    uint16        // largest UDP answer, also advertised in our OPT [1232]
	UDPSockets    int           // UDP sockets per listen address (SO_REUSEPORT, Linux), each with its own read loop [GOMAXPROCS]
	UDPReadBuffer int           // receive buffer per UDP socket in bytes, capped by net.core.rmem_max [4 MiB]; negative: the OS default
	TCPIdle       time.Duration // idle time before a client TCP connection is closed [10s]
	MaxInFlight   int           // queries handled at once; beyond it UDP reads wait [4096]
	MaxTCPConns   int           // client TCP connections open at once; a new one replaces the least active of the heaviest client [1000]
	DrainTimeout  time.Duration // on shutdown, wait this long for in-flight queries [3s]

	// Client TCP bounds (see tcp.go).
	MaxTCPConnsPerClient int           // connections per client prefix; a new one replaces its oldest idle one, else is refused [max(MaxTCPConns/10, 1)]
	TCPClientPrefix4     int           // IPv4 prefix length that makes one client [32]
	TCPClientPrefix6     int           // IPv6 prefix length that makes one client [56]
	TCPPipeline          int           // queries in flight (read, answer not yet written) per connection [16]
	TCPConnBuffer        int           // queued answer bytes beyond which a connection is not read; also its kernel send buffer (SO_SNDBUF) [64 KiB]
	TCPMemory            int64         // queued answer bytes of all connections; beyond it the one queuing most is closed [32 MiB]
	TCPWriteTimeout      time.Duration // a write not done in this time closes the connection [3s]

	RateLimit    float64 // UDP queries per second per client prefix (package ratelimit); 0 = unlimited
	RateBurst    int     // [max(RateLimit, 20)]
	RateV4Prefix int     // IPv4 clients share a bucket per /RateV4Prefix [24]
	RateV6Prefix int     // IPv6 clients share a bucket per /RateV6Prefix [56]
	RateSlip     int     // every RateSlip-th limited UDP query gets an empty TC=1 answer, the rest are dropped [2]; negative: drop all

	Logger   *slog.Logger          // [slog.Default()]
	QueryLog *querylog.Logger      // one JSON line per query (querylog.go) [nil: off]
	Metrics  prometheus.Registerer // nil: metrics are kept but not registered

	Notify NotifyHandler // receives NOTIFY messages (see notify.go) [nil: NOTIMP]

	// Encrypted transports (dot.go, doh.go) and their discovery (ddr.go).
	DoTListen []string    // host:port to serve DNS over TLS on (RFC 7858) [none]
	DoHListen []string    // host:port to serve DNS over HTTPS on (RFC 8484, /dns-query) [none]
	TLS       *tls.Config // server certificate for DoT and DoH; required with either
	TLSName   string      // the name in the certificate that DDR tells clients to verify [""]
}

// Server is a blocking, caching, forwarding DNS server.
type Server struct {
	cfg      Config
	chain    Handler
	policy   atomic.Pointer[preparedPolicy]
	cache    *Cache
	acl      *ACL
	limit    *RateLimit // nil when off
	forward  *Forward
	metrics  *metrics
	log      *slog.Logger
	qlog     *querylog.Logger // nil: off
	maxUDP   uint16
	readBufs *bufPool
	packBufs *bufPool
	sem      chan struct{}
	tcpSem   chan struct{} // TCP queries being resolved: their own share, so TCP abuse cannot stall UDP reads
	fast     *fastPath     // nil: every query takes the chain
	tcp      *tcpConns
	plainUDP bool        // run the portable UDP loop (servePlain) on Linux too; its test sets it
	ddr      *ddrAnswers // resolver.arpa (DDR)

	ready   chan struct{}
	serving atomic.Bool
	mu      sync.Mutex
	addrs   []net.Addr
	running bool
}

// New checks cfg and builds the handler chain. bl is consulted on every
// query (swap its contents atomically to reload); zones answer before it.
func New(cfg Config, bl Blocklist, zones ...LocalZone) (*Server, error) {
	if bl == nil {
		return nil, errors.New("resolver: no blocklist given")
	}
	cfg = withDefaults(cfg)
	pol, err := cfg.Policy.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(cfg.Upstreams) == 0 {
		return nil, errors.New("no upstream resolvers configured; give at least one, e.g. tls://dns.quad9.net@9.9.9.9:853")
	}
	var ups []Upstream
	for _, s := range cfg.Upstreams {
		u, err := ParseUpstream(s)
		if err != nil {
			return nil, err
		}
		ups = append(ups, u)
	}
	for _, l := range append(append(append([]string(nil), cfg.Listen...), cfg.DoTListen...), cfg.DoHListen...) {
		if _, _, err := net.SplitHostPort(l); err != nil {
			return nil, fmt.Errorf("listen address %q: %w (want host:port, e.g. 127.0.0.1:5335 or [::1]:53)", l, err)
		}
	}
	if (len(cfg.DoTListen) > 0 || len(cfg.DoHListen) > 0) && cfg.TLS == nil {
		return nil, errors.New("DNS over TLS and HTTPS need a certificate: give --tls-cert and --tls-key, or --acme-domain")
	}
	// resolver.arpa is always answered here (DDR, RFC 9462), never forwarded.
	ddr := &ddrAnswers{}
	zones = append([]LocalZone{ddr}, zones...)
	s := &Server{
		cfg: cfg, log: cfg.Logger, qlog: cfg.QueryLog, maxUDP: cfg.MaxUDPSize,
		readBufs: newBufPool(udpReadLen), packBufs: newBufPool(packBufLen),
		sem: make(chan struct{}, cfg.MaxInFlight), tcpSem: make(chan struct{}, max(cfg.MaxInFlight/4, 16)), ready: make(chan struct{}),
	}
	s.ddr = ddr
	s.policy.Store(prepare(pol))
	s.chain = s.buildChain(ups, bl, zones)
	s.fast = s.prepareFastPath(bl, zones)
	s.metrics, err = newMetrics(cfg.Metrics, ups, s.cacheLen)
	if err != nil {
		return nil, err
	}
	s.forward.metrics = s.metrics
	s.acl.metrics = s.metrics
	s.tcp = newTCPConns(cfg, s.metrics.tcpClosed)
	s.metrics.tcpConns, s.metrics.tcpQueued = s.tcp.count, s.tcp.queued.Load
	if s.limit != nil {
		s.limit.metrics = s.metrics
	}
	return s, nil
}

func withDefaults(c Config) Config {
	if len(c.Listen) == 0 {
		c.Listen = []string{"127.0.0.1:5335"}
	}
	if c.ACL == nil {
		c.ACL = DefaultACL()
	}
	if c.CacheSize == 0 {
		c.CacheSize = 10000
	}
	if c.CacheMaxTTL == 0 {
		c.CacheMaxTTL = 24 * time.Hour
	}
	if c.NegativeTTL == 0 {
		c.NegativeTTL = time.Hour
	}
	if c.StaleAge == 0 {
		c.StaleAge = 24 * time.Hour
	}
	if c.StaleAge < 0 {
		c.StaleAge = 0
	}
	if c.StaleWait == 0 {
		c.StaleWait = 1800 * time.Millisecond
	}
	if c.StaleWait < 0 {
		c.StaleWait = 0
	}
	if c.UpstreamTimeout == 0 {
		c.UpstreamTimeout = 1500 * time.Millisecond
	}
	if c.ResolveTimeout == 0 {
		c.ResolveTimeout = 3 * time.Second
	}
	if c.MaxUDPSize == 0 {
		c.MaxUDPSize = 1232
	}
	c.MaxUDPSize = max(c.MaxUDPSize, 512)
	if c.UDPSockets <= 0 {
		c.UDPSockets = runtime.GOMAXPROCS(0)
	}
	if c.UDPReadBuffer == 0 {
		c.UDPReadBuffer = 4 << 20
	}
	if c.TCPIdle == 0 {
		c.TCPIdle = 10 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4096
	}
	if c.MaxTCPConns <= 0 {
		c.MaxTCPConns = 1000
	}
	if c.MaxTCPConnsPerClient <= 0 {
		c.MaxTCPConnsPerClient = max(c.MaxTCPConns/10, 1)
	}
	if c.TCPClientPrefix4 <= 0 || c.TCPClientPrefix4 > 32 {
		c.TCPClientPrefix4 = 32
	}
	if c.TCPClientPrefix6 <= 0 || c.TCPClientPrefix6 > 128 {
		c.TCPClientPrefix6 = 56
	}
	if c.TCPPipeline <= 0 {
		c.TCPPipeline = 16
	}
	if c.TCPConnBuffer <= 0 {
		c.TCPConnBuffer = 64 << 10
	}
	if c.TCPMemory <= 0 {
		c.TCPMemory = 32 << 20
	}
	if c.TCPWriteTimeout <= 0 {
		c.TCPWriteTimeout = 3 * time.Second
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 3 * time.Second
	}
	if c.RateSlip == 0 {
		c.RateSlip = 2
	}
	if c.RateBurst <= 0 {
		c.RateBurst = max(int(c.RateLimit), 20)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// buildChain assembles the handler chain, in query order:
//
//	rate limit (optional) → ACL → local zones → blocklist (query name, then
//	CNAME targets of the answer) → cache (+ serve-stale) → upstreams
func (s *Server) buildChain(ups []Upstream, bl Blocklist, zones []LocalZone) Handler {
	cfg := s.cfg
	s.forward = &Forward{tryTimeout: cfg.UpstreamTimeout, totalTimeout: cfg.ResolveTimeout, log: s.log, sweeper: newSweeper(),
		misses: missTable{m: make(map[cacheKey]*missQuery)}}
	for _, u := range ups {
		s.forward.ups = append(s.forward.ups, &upstreamState{conn: newUpstreamConn(u, cfg.UpstreamTLS, s.forward.sweeper)})
	}
	var h Handler = s.forward
	if cfg.CacheSize > 0 {
		s.cache = newCache(h, cfg.CacheSize, cfg.CacheMinTTL, cfg.CacheMaxTTL, cfg.NegativeTTL, cfg.StaleAge)
		s.cache.staleWait = cfg.StaleWait
		h = s.cache
	}
	h = &Block{list: bl, policy: &s.policy, next: h}
	if len(zones) > 0 {
		h = &Zones{zones: zones, next: h}
	}
	s.acl = &ACL{allowed: cfg.ACL, denied: cfg.Deny, next: h}
	h = s.acl
	if cfg.RateLimit > 0 {
		lim := ratelimit.New(ratelimit.Config{Rate: cfg.RateLimit, Burst: cfg.RateBurst, V4Prefix: cfg.RateV4Prefix, V6Prefix: cfg.RateV6Prefix})
		s.limit = &RateLimit{lim: lim, slip: uint64(max(cfg.RateSlip, 0)), next: h}
		h = s.limit
	}
	return h
}

func (s *Server) cacheLen() int {
	if s.cache == nil {
		return 0
	}
	return s.cache.Len()
}

// SetPolicy swaps the block policy; queries in flight finish with the old
// one, the next query sees the new one.
func (s *Server) SetPolicy(p Policy) error {
	p, err := p.withDefaults()
	if err != nil {
		return err
	}
	s.policy.Store(prepare(p))
	return nil
}

// Policy returns the block policy in force.
func (s *Server) Policy() Policy { return s.policy.Load().Policy }

// Serving reports whether Run has bound its sockets and is reading
// queries (false before, after a bind failure and from shutdown on).
func (s *Server) Serving() bool { return s.serving.Load() }

// LastUpstreamAnswer returns when an upstream last answered a query (zero:
// never), for readiness checks.
func (s *Server) LastUpstreamAnswer() time.Time {
	if ns := s.metrics.upstreamOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Ready is closed once Run has bound its sockets (or failed to).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addrs returns the bound addresses (UDP and TCP for each listen address)
// once Ready is closed; nil before.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Run serves until ctx is cancelled, then stops reading new queries, waits
// up to DrainTimeout for queries in flight to be answered, and returns nil.
// It returns an error when a socket cannot be bound. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("resolver: Run called twice")
	}
	s.running = true
	s.mu.Unlock()

	groups, tcps, err := s.bind()
	enc := &encrypted{}
	if err == nil {
		if enc, err = s.bindEncrypted(); err != nil {
			enc = &encrypted{}
			for _, g := range groups {
				for _, c := range g {
					c.Close()
				}
			}
			for _, l := range tcps {
				l.Close()
			}
			groups, tcps = nil, nil
		}
	}
	var udps []*net.UDPConn
	s.mu.Lock()
	for _, g := range groups {
		s.addrs = append(s.addrs, g[0].LocalAddr()) // the sockets of a group share it
		udps = append(udps, g...)
	}
	for _, l := range tcps {
		s.addrs = append(s.addrs, l.Addr())
	}
	s.addrs = append(s.addrs, enc.addrs()...)
	s.ddr.set(enc.ddr(s.cfg.TLSName))
	s.mu.Unlock()
	close(s.ready)
	if err != nil {
		return err
	}
	s.log.Info("dns server listening", "addrs", fmt.Sprint(s.Addrs()), "policy", s.Policy().Mode.String())

	// Queries get a context that outlives ctx by the drain time.
	qctx, cancelQueries := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelQueries()

	var inflight sync.WaitGroup
	var loops sync.WaitGroup
	var stopping atomic.Bool
	for _, c := range udps {
		l := &udpLoop{s: s, ctx: qctx, c: c, inflight: &inflight, stopping: &stopping}
		loops.Go(l.serve)
	}
	for _, l := range tcps {
		loops.Go(func() { s.acceptTCP(qctx, l, &inflight, &stopping) })
	}
	s.serveEncrypted(qctx, enc, &loops, &inflight, &stopping)

	s.serving.Store(true)
	<-ctx.Done()
	s.serving.Store(false)
	stopping.Store(true)
	now := time.Now()
	for _, c := range udps {
		c.SetReadDeadline(now) // stop reading; keep the socket to answer what is in flight
	}
	for _, l := range tcps {
		l.Close()
	}
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancelDrain()
	enc.stop(drainCtx)
	s.tcp.stopReading()
	loops.Wait()

	done := make(chan struct{})
	go func() { inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.DrainTimeout):
		s.log.Warn("shutdown: gave up waiting for queries in flight", "after", s.cfg.DrainTimeout)
	}
	cancelQueries()
	for _, c := range udps {
		c.Close()
	}
	s.tcp.closeAll()
	s.forward.close()
	s.log.Info("dns server stopped")
	return nil
}

// bind opens the UDP sockets (see listenUDP) and a TCP listener on each
// listen address. With port 0 the UDP sockets take the port the kernel gave
// the TCP listener (TCP first: outgoing TCP connections crowd the ephemeral
// ports, UDP sockets rarely do).
func (s *Server) bind() (udps [][]*net.UDPConn, tcps []net.Listener, err error) {
	fail := func(e error) ([][]*net.UDPConn, []net.Listener, error) {
		for _, g := range udps {
			for _, c := range g {
				c.Close()
			}
		}
		for _, l := range tcps {
			l.Close()
		}
		return nil, nil, e
	}
	for _, addr := range s.cfg.Listen {
		host, port, _ := net.SplitHostPort(addr)
		var lastErr error
		for attempt := 0; attempt < 20; attempt++ {
			l, err := listen.TCP(context.Background(), addr) // tcp4, or tcp6 with IPV6_V6ONLY: 0.0.0.0 and [::] share a port
			if err != nil {
				return fail(fmt.Errorf("listening on tcp %s: %w", addr, err))
			}
			s.listenerReadBuffer(l)
			uaddr := addr
			if port == "0" {
				uaddr = net.JoinHostPort(host, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
			}
			g, err := s.listenUDP(uaddr)
			if err != nil {
				l.Close()
				lastErr = fmt.Errorf("listening on udp %s: %w", uaddr, err)
				if port == "0" {
					continue // the kernel's TCP port is taken for UDP: pick another
				}
				return fail(lastErr)
			}
			udps, tcps, lastErr = append(udps, g), append(tcps, l), nil
			break
		}
		if lastErr != nil {
			return fail(lastErr)
		}
	}
	return udps, tcps, nil
}
