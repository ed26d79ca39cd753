package rpz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/internal/listen"
	"github.com/scamblock/scamblock/lists"
)

// Config configures a Server. The zero value of each field gives the
// default in brackets.
type Config struct {
	// Listen is the address for TCP (transfers, SOA) and UDP (SOA, the
	// refresh check secondaries make) ["127.0.0.1:5353"]. Port 0 picks one.
	Listen string
	// Zone describes origin, SOA and TTLs.
	Zone ZoneOptions
	// AllowTransfer are the clients allowed to query and transfer the zone
	// [loopback: 127.0.0.0/8, ::1]. Empty but non-nil: nobody.
	AllowTransfer []netip.Prefix
	// Notify are the secondaries ("host:port") sent a NOTIFY (RFC 1996,
	// UDP) whenever the zone changes and when Run starts.
	Notify []string
	// NotifyRetries is how many times a NOTIFY is sent before giving up
	// on a secondary [5]; NotifyTimeout is the wait for the first answer,
	// doubled on each retry [1s].
	NotifyRetries int
	NotifyTimeout time.Duration
	// TSIG, when set, signs NOTIFYs and is required on AXFR and IXFR
	// (unsigned SOA queries are still answered).
	TSIG *TSIGKey
	// JournalDeltas is how many updates IXFR can bridge [16];
	// JournalRecords caps the records all kept deltas hold [4,000,000].
	// Clients with an older serial get the whole zone.
	JournalDeltas  int
	JournalRecords int
	// EnvelopeRecords is the most records in one transfer message [500];
	// messages are also kept under 32 KiB.
	EnvelopeRecords int
	// LastSerial is the serial served before a restart, if the caller
	// keeps it (Zone().Serial() after each Update). Every snapshot gets
	// max(previous+1, Unix time), so serials keep increasing across
	// restarts without it as long as the clock does not go back.
	LastSerial uint32
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives transfer and NOTIFY events [slog.Default()].
	Logger *slog.Logger
}

// TSIGKey is a transaction signature key (RFC 8945), as in BIND's
// `key "name" { algorithm hmac-sha256; secret "base64"; };`.
type TSIGKey struct {
	Name      string // key name, e.g. "scamblock-xfr"
	Algorithm string // [hmac-sha256]
	Secret    string // base64
}

// Server serves the policy zone to RPZ secondaries: SOA queries, AXFR,
// IXFR from a journal of recent deltas, NOTIFY on change, an ACL and
// optional TSIG. Build it with NewServer, feed it with Update, serve with
// Run.
type Server struct {
	cfg Config
	log *slog.Logger

	state atomic.Pointer[state]
	upd   sync.Mutex // serializes Update

	ready        chan struct{}
	mu           sync.Mutex // guards the fields below
	addr         net.Addr
	ran          bool
	runCtx       context.Context // set while Run runs: NOTIFYs live inside it
	cancelNotify context.CancelFunc
	notifying    sync.WaitGroup

	refusals *RefusalLog // refused transfers, logged at WARN, rate-limited
}

// state is what one query reads: the current zone and the deltas leading
// to it. Replaced whole by Update.
type state struct {
	zone    *Zone
	journal journal
}

// NewServer checks cfg. The server has no zone until the first Update:
// before that it answers SERVFAIL, so secondaries keep the copy they have
// instead of transferring an empty zone while the lists load.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:5353"
	}
	if cfg.AllowTransfer == nil {
		cfg.AllowTransfer = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if cfg.NotifyRetries <= 0 {
		cfg.NotifyRetries = 5
	}
	if cfg.NotifyTimeout <= 0 {
		cfg.NotifyTimeout = time.Second
	}
	if cfg.JournalDeltas == 0 {
		cfg.JournalDeltas = 16
	}
	if cfg.JournalRecords == 0 {
		cfg.JournalRecords = 4_000_000
	}
	if cfg.EnvelopeRecords <= 0 {
		cfg.EnvelopeRecords = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, n := range cfg.Notify {
		if _, _, err := net.SplitHostPort(n); err != nil {
			return nil, fmt.Errorf("rpz: notify target %q: %w (use host:port, e.g. 127.0.0.1:53)", n, err)
		}
	}
	if k := cfg.TSIG; k != nil {
		kk := *k
		if kk.Name == "" || kk.Secret == "" {
			return nil, errors.New("rpz: TSIG key needs a name and a base64 secret")
		}
		kk.Name = dns.CanonicalName(kk.Name)
		if kk.Algorithm == "" {
			kk.Algorithm = dns.HmacSHA256
		}
		kk.Algorithm = dns.CanonicalName(kk.Algorithm)
		switch kk.Algorithm {
		case dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512, dns.HmacSHA224, dns.HmacSHA1:
		default:
			return nil, fmt.Errorf("rpz: TSIG algorithm %q not supported: use hmac-sha256", k.Algorithm)
		}
		cfg.TSIG = &kk
	}
	zo, err := cfg.Zone.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.Zone = zo
	log := cfg.Logger.With("component", "rpz")
	return &Server{cfg: cfg, log: log, ready: make(chan struct{}), refusals: NewRefusalLog(log, cfg.Now, "rpz transfer refused")}, nil
}

// Zone returns the snapshot being served (nil before the first Update).
func (s *Server) Zone() *Zone {
	if st := s.state.Load(); st != nil {
		return st.zone
	}
	return nil
}

// UpdateResult says what an Update did.
type UpdateResult struct {
	Serial  uint32        // serial now served
	Changed bool          // false: same records, serial kept, no NOTIFY
	Deleted int           // records deleted (IXFR)
	Added   int           // records added (IXFR)
	Records int           // policy records in the zone
	Build   time.Duration // snapshot build + diff time
}

// Update builds the snapshot of m, diffs it against the current one, and
// when anything changed serves it under a new serial, journals the delta
// for IXFR and NOTIFYs the secondaries. Call it from the list path (it
// takes ~1 s for 1M names); queries keep reading the old snapshot until it
// is swapped in. Updates are serialized.
func (s *Server) Update(m *lists.Matcher) (UpdateResult, error) {
	s.upd.Lock()
	defer s.upd.Unlock()
	start := time.Now()
	old := s.state.Load()
	prev := s.cfg.LastSerial
	if old != nil {
		prev = old.zone.serial
	}
	serial := prev + 1
	if now := uint32(s.cfg.Now().Unix()); serialLess(serial, now) {
		serial = now
	}
	z, err := NewZone(m, serial, s.cfg.Zone)
	if err != nil {
		return UpdateResult{}, err
	}
	if old == nil {
		s.state.Store(&state{zone: z})
		s.log.Info("rpz zone loaded", "serial", serial, "records", z.records, "took", time.Since(start))
		s.notifyAll(serial)
		return UpdateResult{Serial: serial, Changed: true, Added: z.records, Records: z.records, Build: time.Since(start)}, nil
	}
	d := diffZones(old.zone, z)
	res := UpdateResult{Records: z.records, Build: time.Since(start)}
	for _, n := range d.del {
		res.Deleted += n.records()
	}
	res.Added = d.records - res.Deleted
	if d.records == 0 {
		res.Serial = old.zone.serial
		return res, nil
	}
	res.Serial, res.Changed = serial, true
	s.state.Store(&state{zone: z, journal: old.journal.with(d, z.records, s.cfg.JournalDeltas, s.cfg.JournalRecords)})
	s.log.Info("rpz zone updated", "serial", serial, "records", z.records, "added", res.Added, "deleted", res.Deleted, "took", res.Build)
	s.notifyAll(serial)
	return res, nil
}

// serialLess compares serials as RFC 1982 says.
func serialLess(a, b uint32) bool { return a != b && int32(b-a) > 0 }

// Ready is closed once Run has bound its sockets (or failed to).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound TCP address (the UDP socket has the same port) once
// Ready is closed; nil before.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run serves until ctx is cancelled; then it stops the listeners, cancels
// NOTIFYs in flight and returns nil. It returns an error when the sockets
// cannot be bound. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return errors.New("rpz: Run called twice")
	}
	s.ran = true
	s.mu.Unlock()

	// tcp4/udp4 or tcp6/udp6 with IPV6_V6ONLY (internal/listen), so that
	// 0.0.0.0 and [::] can share a port; UDP takes the port TCP got.
	tl, err := listen.TCP(ctx, s.cfg.Listen)
	if err != nil {
		close(s.ready)
		return fmt.Errorf("rpz: listen on tcp %s: %w", s.cfg.Listen, err)
	}
	host, _, _ := net.SplitHostPort(s.cfg.Listen)
	uaddr := net.JoinHostPort(host, strconv.Itoa(tl.Addr().(*net.TCPAddr).Port))
	ul, err := listen.UDP(ctx, uaddr, nil)
	if err != nil {
		tl.Close()
		close(s.ready)
		return fmt.Errorf("rpz: listen on udp %s: %w", uaddr, err)
	}
	var secret map[string]string
	if k := s.cfg.TSIG; k != nil {
		secret = map[string]string{k.Name: k.Secret}
	}
	tcp := &dns.Server{Listener: tl, Handler: s, TsigSecret: secret, WriteTimeout: 10 * time.Second}
	udp := &dns.Server{PacketConn: ul, Handler: s, TsigSecret: secret}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	s.addr = tl.Addr()
	s.runCtx = runCtx
	s.mu.Unlock()
	close(s.ready)

	errc := make(chan error, 2)
	go func() { errc <- tcp.ActivateAndServe() }()
	go func() { errc <- udp.ActivateAndServe() }()
	if z := s.Zone(); z != nil {
		s.log.Info("rpz server listening", "addr", tl.Addr().String(), "zone", z.opts.Origin, "serial", z.serial)
		s.notifyAll(z.serial) // like BIND's notify on load
	} else {
		s.log.Info("rpz server listening; no zone until the first Update", "addr", tl.Addr().String(), "zone", s.cfg.Zone.Origin)
	}

	var serveErr error
	running := 2
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		running--
	}
	stop()
	s.mu.Lock()
	s.runCtx = nil
	s.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	tcp.ShutdownContext(sctx)
	udp.ShutdownContext(sctx)
	// A server not yet started when ctx ended ignores Shutdown: closing its
	// socket ends it, and Run waits for both, leaving no goroutine behind.
	tl.Close()
	ul.Close()
	for ; running > 0; running-- {
		<-errc
	}
	s.notifying.Wait()
	if serveErr != nil && ctx.Err() == nil {
		return fmt.Errorf("rpz: serve: %w", serveErr)
	}
	s.log.Info("rpz server stopped")
	return nil
}

// ServeDNS answers one query. It implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	st := s.state.Load()
	rp := s.responder(w, r)
	reply, client, signed, isXfr := rp.reply, rp.client, rp.signed, rp.isXfr
	tcp := isTCP(w.RemoteAddr())
	send, fail, refuse := rp.send, rp.fail, rp.refuse
	if !s.allowed(client) {
		refuse(dns.RcodeRefused, "client not in the transfer ACL")
		return
	}
	if rp.tsigCode != 0 {
		refuse(dns.RcodeNotAuth, "TSIG "+dns.RcodeToString[int(rp.tsigCode)]+": "+rp.tsigWhy)
		return
	}
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 {
		fail(dns.RcodeNotImplemented, "")
		return
	}
	q := r.Question[0]
	if dns.CanonicalName(q.Name) != s.cfg.Zone.Origin || q.Qclass != dns.ClassINET {
		fail(dns.RcodeRefused, "not the zone "+s.cfg.Zone.Origin)
		return
	}
	if st == nil {
		fail(dns.RcodeServerFailure, "no zone before the first Update")
		return
	}
	z := st.zone
	if isXfr && s.cfg.TSIG != nil && signed == nil {
		refuse(dns.RcodeRefused, "transfer without TSIG")
		return
	}
	reply.Authoritative = true

	switch q.Qtype {
	case dns.TypeSOA:
		reply.Answer = append(reply.Answer, z.SOA())
		reply.Ns = append(reply.Ns, z.NS())
	case dns.TypeNS:
		reply.Answer = append(reply.Answer, z.NS())
	case dns.TypeAXFR:
		if !tcp {
			fail(dns.RcodeRefused, "AXFR over UDP")
			return
		}
		s.log.Info("rpz transfer", "client", client.String(), "type", "AXFR", "serial", z.serial)
		s.transfer(w, r, st, nil)
		return
	case dns.TypeIXFR:
		var have uint32
		known := false
		if len(r.Ns) == 1 {
			if soa, ok := r.Ns[0].(*dns.SOA); ok {
				have, known = soa.Serial, true
			}
		}
		if !known {
			fail(dns.RcodeFormatError, "IXFR without the client's SOA")
			return
		}
		if !serialLess(have, z.serial) || !tcp {
			// Up to date (or ahead), or over UDP: the current SOA alone
			// (RFC 1995 §2: the client then asks again over TCP).
			reply.Answer = append(reply.Answer, z.SOA())
			break
		}
		deltas, ok := st.journal.since(have)
		kind := "IXFR"
		if !ok {
			kind = "IXFR as AXFR"
		}
		s.log.Info("rpz transfer", "client", client.String(), "type", kind, "from", have, "serial", z.serial)
		s.transfer(w, r, st, deltas)
		return
	default:
		reply.Ns = append(reply.Ns, z.SOA()) // NODATA
	}
	send()
}

// replier answers one query: reply, signed when the query's TSIG verified,
// with the RFC 8945 error record when it did not.
type replier struct {
	s        *Server
	w        dns.ResponseWriter
	r, reply *dns.Msg
	client   netip.Addr
	signed   *dns.TSIG // the query's TSIG, nil when unsigned
	tsigCode uint16    // its RFC 8945 error, 0 when it verified
	tsigWhy  string
	isXfr    bool
}

func (s *Server) responder(w dns.ResponseWriter, r *dns.Msg) *replier {
	rp := &replier{s: s, w: w, r: r, reply: new(dns.Msg), client: addrOf(w.RemoteAddr()), signed: r.IsTsig()}
	rp.reply.SetReply(r)
	if rp.signed != nil {
		rp.tsigCode, rp.tsigWhy = TSIGError(w.TsigStatus(), s.cfg.TSIG != nil)
	}
	rp.isXfr = len(r.Question) == 1 && (r.Question[0].Qtype == dns.TypeAXFR || r.Question[0].Qtype == dns.TypeIXFR)
	return rp
}

// send writes the reply, signed when the query verified (the writer
// computes the MAC with the server's key), with the TSIG error when not.
func (rp *replier) send() {
	switch {
	case rp.signed != nil && rp.tsigCode == 0:
		rp.reply.SetTsig(rp.signed.Hdr.Name, rp.signed.Algorithm, rp.signed.Fudge, rp.s.cfg.Now().Unix())
	case rp.signed != nil:
		rp.reply.Extra = append(rp.reply.Extra, TSIGErrorRecord(rp.signed, rp.tsigCode, rp.s.cfg.Now()))
	}
	rp.w.WriteMsg(rp.reply)
}

func (rp *replier) fail(rcode int, why string) {
	rp.reply.Rcode = rcode
	rp.send()
	if why != "" {
		rp.s.log.Debug("rpz query not served", "client", rp.client.String(), "rcode", dns.RcodeToString[rcode], "why", why)
	}
}

// refuse answers a transfer the ACL or TSIG does not allow, with a
// (rate-limited) warning for the operator; other queries as fail.
func (rp *replier) refuse(rcode int, why string) {
	if rp.isXfr { // logged before the reply goes out: a client that saw it can read the log
		rp.s.refusals.Warn("client", rp.client.String(), "type", dns.TypeToString[rp.r.Question[0].Qtype], "reason", why)
	}
	rp.fail(rcode, why)
}

// transfer streams the zone (deltas == nil) or the deltas to the client in
// messages of at most EnvelopeRecords records and ~32 KiB.
func (s *Server) transfer(w dns.ResponseWriter, r *dns.Msg, st *state, deltas []*delta) {
	z := st.zone
	ch := make(chan *dns.Envelope, 2)
	done := make(chan struct{})
	var outErr error
	go func() {
		defer close(done)
		outErr = new(dns.Transfer).Out(w, r, ch)
	}()
	const maxBytes = 32 << 10
	batch := make([]dns.RR, 0, s.cfg.EnvelopeRecords)
	size, sent := 0, 0
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case ch <- &dns.Envelope{RR: batch}:
		case <-done:
			return false
		}
		sent += len(batch)
		batch = make([]dns.RR, 0, s.cfg.EnvelopeRecords)
		size = 0
		return true
	}
	push := func(rr dns.RR) bool {
		n := dns.Len(rr)
		if len(batch) >= s.cfg.EnvelopeRecords || size+n > maxBytes {
			if !flush() {
				return false
			}
		}
		batch = append(batch, rr)
		size += n
		return true
	}
	start := time.Now()
	ok := push(z.SOA())
	if deltas == nil {
		z.Records(func(rr dns.RR) bool {
			if _, isSOA := rr.(*dns.SOA); isSOA {
				return true // already sent
			}
			ok = push(rr)
			return ok
		})
	} else {
		for _, d := range deltas {
			ok = ok && push(soa(z.opts, d.from))
			for _, n := range d.del {
				ok = ok && z.emit(n.name, n.flags, push)
			}
			ok = ok && push(soa(z.opts, d.to))
			for _, n := range d.add {
				ok = ok && z.emit(n.name, n.flags, push)
			}
		}
	}
	ok = ok && push(z.SOA()) && flush()
	close(ch)
	<-done
	if outErr != nil || !ok {
		s.log.Warn("rpz transfer aborted", "client", w.RemoteAddr().String(), "sent", sent, "err", outErr)
		return
	}
	s.log.Debug("rpz transfer done", "client", w.RemoteAddr().String(), "records", sent, "took", time.Since(start))
}

func (s *Server) allowed(a netip.Addr) bool {
	for _, p := range s.cfg.AllowTransfer {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func addrOf(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}

func isTCP(a net.Addr) bool {
	_, ok := a.(*net.TCPAddr)
	return ok
}

// notifyAll sends NOTIFY for serial to every configured secondary, in the
// background, cancelling the round still running for an older serial.
// Without Run running there is nobody to tell that a zone exists.
func (s *Server) notifyAll(serial uint32) {
	if len(s.cfg.Notify) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runCtx == nil {
		return
	}
	if s.cancelNotify != nil {
		s.cancelNotify()
	}
	ctx, cancel := context.WithCancel(s.runCtx)
	s.cancelNotify = cancel
	for _, target := range s.cfg.Notify {
		s.notifying.Go(func() { s.notify(ctx, target, serial) })
	}
}

// notify tells one secondary that serial is out (RFC 1996): NOTIFY over
// UDP with the new SOA, retried with doubling timeouts until the secondary
// answers or NotifyRetries attempts were made.
func (s *Server) notify(ctx context.Context, target string, serial uint32) {
	c := &dns.Client{Net: "udp"}
	if k := s.cfg.TSIG; k != nil {
		c.TsigSecret = map[string]string{k.Name: k.Secret}
	}
	timeout := s.cfg.NotifyTimeout
	for attempt := 1; attempt <= s.cfg.NotifyRetries; attempt++ {
		m := new(dns.Msg)
		m.SetNotify(s.cfg.Zone.Origin)
		m.Answer = []dns.RR{soa(s.cfg.Zone, serial)}
		if k := s.cfg.TSIG; k != nil {
			m.SetTsig(k.Name, k.Algorithm, 300, s.cfg.Now().Unix())
		}
		c.Timeout = timeout
		resp, _, err := c.ExchangeContext(ctx, m, target)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			lvl := slog.LevelDebug
			if resp.Rcode != dns.RcodeSuccess {
				lvl = slog.LevelWarn
			}
			s.log.Log(ctx, lvl, "rpz notify answered", "secondary", target, "serial", serial, "rcode", dns.RcodeToString[resp.Rcode], "attempt", attempt)
			return
		}
		if attempt < s.cfg.NotifyRetries {
			select {
			case <-ctx.Done():
				return
			case <-time.After(timeout):
			}
			timeout *= 2
		} else {
			s.log.Warn("rpz notify unanswered: the secondary will see the change at its next refresh", "secondary", target, "serial", serial, "attempts", attempt, "err", err)
		}
	}
}
