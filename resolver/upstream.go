package resolver

// upstream.go: how one query reaches one upstream and its answer comes back.
//
// Every transport keeps a table of pending queries (waiter, keyed by message
// ID per socket or connection) and one reader goroutine per socket or
// connection that matches each reply to its waiter. A reply that does not
// parse, or does not match a pending ID and its question, is ignored and the
// wait goes on (RFC 5452 section 9.1): one bad or spoofed datagram cannot end
// a resolution. Time-outs come from one sweeper goroutine per Forward that
// fails waiters past their deadline; no query has a goroutine or a timer of
// its own in the transport.

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/resolver/spec"
)

// Upstream is one resolver scamblock forwards to; it and ParseUpstream live
// in resolver/spec so that config can check an upstream without importing
// the resolver.
type Upstream = spec.Upstream

// ParseUpstream parses an --upstream value; see spec.ParseUpstream.
func ParseUpstream(s string) (Upstream, error) { return spec.ParseUpstream(s) }

// upstreamUDPSize is the EDNS0 buffer size sent upstream (DNS flag day 2020).
const upstreamUDPSize = 1232

var (
	errUpstreamTimeout = timeoutError{}
	errConnClosed      = errors.New("upstream connection closed")
)

// timeoutError is a net.Error that says it timed out (isTimeout).
type timeoutError struct{}

func (timeoutError) Error() string   { return "upstream did not answer in time" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// isTimeout reports whether err is a time-out rather than a refusal or reset.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// upstreamConn sends queries to one upstream: over UDP (a pool of connected
// sockets, see udpPool) with a truncated answer retried over TCP, or over
// TCP or TLS (pipelined connections, see streamPool).
type upstreamConn struct {
	up     Upstream
	name   string      // up.String(), made once (the query log names the upstream of every miss)
	udp    *udpPool    // nil for tcp:// and tls://
	stream *streamPool // TCP or TLS
}

func newUpstreamConn(up Upstream, base *tls.Config, sw *sweeper) *upstreamConn {
	c := &upstreamConn{up: up, name: up.String()}
	addr := up.Addr.String()
	switch up.Proto {
	case "udp":
		c.udp = newUDPPool(net.UDPAddrFromAddrPort(up.Addr), sw)
		c.stream = newStreamPool(addr, nil, sw)
	case "tcp":
		c.stream = newStreamPool(addr, nil, sw)
	case "tls":
		var cfg *tls.Config
		if base != nil {
			cfg = base.Clone()
		} else {
			cfg = &tls.Config{}
		}
		cfg.ServerName = up.ServerName
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		c.stream = newStreamPool(addr, cfg, sw)
	}
	return c
}

// exchange sends q and returns the answer, or an error at deadline. Over UDP
// a truncated answer is asked again over TCP. ctx only cuts the wait short
// (shutdown).
func (c *upstreamConn) exchange(ctx context.Context, q *query, deadline time.Time) (*dns.Msg, error) {
	if c.udp != nil {
		r, err := c.udp.exchange(ctx, q, deadline)
		if err != nil || !r.Truncated {
			return r, err
		}
	}
	return c.stream.exchange(ctx, q, deadline)
}

func (c *upstreamConn) close() {
	if c.udp != nil {
		c.udp.close()
	}
	c.stream.close()
}

// query is one question to ask upstream: RD set, CD as the client's, an
// OPT with our buffer size and the client's DO bit.
type query struct {
	name          string // lower case, fully qualified
	qtype, qclass uint16
	cd, do        bool
	msg           *dns.Msg // built on first use when the name needs miekg/dns to pack it
}

// appendWire appends q as a DNS message with id to b.
func (q *query) appendWire(b []byte, id uint16) ([]byte, error) {
	start := len(b)
	flags := uint16(0x0100) // RD
	if q.cd {
		flags |= 0x0010
	}
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 1) // QD 1, AN 0, NS 0, AR 1
	var ok bool
	if b, ok = appendName(b, q.name); !ok {
		// Escapes (\. \032) in the name: let miekg/dns pack it.
		if q.msg == nil {
			m := new(dns.Msg)
			m.RecursionDesired, m.CheckingDisabled = true, q.cd
			m.Question = []dns.Question{{Name: q.name, Qtype: q.qtype, Qclass: q.qclass}}
			m.SetEdns0(upstreamUDPSize, q.do)
			q.msg = m
		}
		q.msg.Id = id
		packed, err := q.msg.PackBuffer(b[start:cap(b)])
		if err != nil {
			return b[:start], err
		}
		return append(b[:start], packed...), nil
	}
	b = binary.BigEndian.AppendUint16(b, q.qtype)
	b = binary.BigEndian.AppendUint16(b, q.qclass)
	var ednsFlags byte
	if q.do {
		ednsFlags = 0x80
	}
	return append(b, 0, 0, 41, upstreamUDPSize>>8, upstreamUDPSize&0xFF, 0, 0, ednsFlags, 0, 0, 0), nil
}

// appendName appends name (dotted, fully qualified) in wire form; false
// when it has escapes or bad labels.
func appendName(b []byte, name string) ([]byte, bool) {
	if name == "." {
		return append(b, 0), true
	}
	start := len(b)
	for len(name) > 0 {
		i := 0
		for i < len(name) && name[i] != '.' {
			if name[i] == '\\' {
				return b[:start], false
			}
			i++
		}
		if i == 0 || i > 63 || i == len(name) {
			return b[:start], false // empty label, too long, or not fully qualified
		}
		b = append(b, byte(i))
		b = append(b, name[:i]...)
		name = name[i+1:]
	}
	if len(b)-start+1 > 255 {
		return b[:start], false
	}
	return append(b, 0), true
}

// replyMatches reports whether the raw reply b answers q: a response with
// one question equal to q's (names compared case-insensitively).
func replyMatches(b []byte, q *query) bool {
	if len(b) < headerLen || b[2]&0x80 == 0 || binary.BigEndian.Uint16(b[4:]) != 1 {
		return false
	}
	off := headerLen
	name := q.name
	if name == "." {
		name = ""
	}
	for {
		if off >= len(b) {
			return false
		}
		l := int(b[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(b) || len(name) < l+1 || name[l] != '.' {
			return false
		}
		for i := range l {
			if lower(b[off+i]) != lower(name[i]) {
				return false
			}
		}
		off += l
		name = name[l+1:]
	}
	return name == "" && off+4 <= len(b) &&
		binary.BigEndian.Uint16(b[off:]) == q.qtype && binary.BigEndian.Uint16(b[off+2:]) == q.qclass
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// acceptReply unpacks a reply that matched its question. It returns nil for
// what must be ignored: a message that does not parse, or a FORMERR (an
// off-path sender who guessed the port and ID must not end the wait with
// it; a real FORMERR from the upstream then counts as a time-out).
func acceptReply(b []byte) *dns.Msg {
	if b[3]&0x0F == dns.RcodeFormatError {
		return nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return nil
	}
	return m
}

// waiter is one query waiting for its answer in a pending table.
type waiter struct {
	q        *query
	id       uint16
	deadline time.Time
	ch       chan result // capacity 1: exactly one result is sent, by whoever removes the waiter
	miss     *missQuery  // non-nil: nobody waits on ch; whoever removes the waiter calls miss.done (miss.go)
}

type result struct {
	msg *dns.Msg
	err error
}

var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan result, 1)} }}

// pendingTable is the set of queries waiting on one socket or connection,
// by message ID.
type pendingTable struct {
	mu     sync.Mutex
	m      map[uint16]*waiter
	closed error // non-nil: nothing more is accepted
}

// add registers a waiter for q under a random ID that is not in use.
// With miss set, the answer goes to miss.done instead of the waiter's channel.
// It returns the ID too: once registered, an asynchronous waiter may be
// answered (and recycled) by another goroutine at any time.
func (t *pendingTable) add(q *query, deadline time.Time, miss *missQuery) (*waiter, uint16, error) {
	w := waiters.Get().(*waiter)
	w.q, w.deadline, w.miss = q, deadline, miss
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed != nil {
		w.q, w.miss = nil, nil
		waiters.Put(w)
		return nil, 0, t.closed
	}
	for {
		w.id = uint16(rand.Uint32()) // runtime ChaCha8, seeded from the OS: unpredictable
		if _, used := t.m[w.id]; !used {
			break
		}
	}
	t.m[w.id] = w
	return w, w.id, nil
}

// deliver hands the reply b to the waiter registered under b's ID if b
// answers its question and parses (a fast-miss waiter gets the raw bytes,
// valid during the call only); false when it was ignored. The question is
// compared under the lock: a waiter whose query gave up meanwhile is
// recycled (its query pointer cleared, or another query's), and may be
// registered again, even under the same ID.
func (t *pendingTable) deliver(b []byte) bool {
	id := binary.BigEndian.Uint16(b)
	t.mu.Lock()
	w := t.m[id]
	if w == nil || !replyMatches(b, w.q) {
		t.mu.Unlock()
		return false
	}
	async := w.miss != nil
	t.mu.Unlock()
	var r result
	var raw []byte
	if async {
		if !wireReplyOK(b) {
			return false
		}
		raw = b
	} else if r.msg = acceptReply(b); r.msg == nil {
		return false
	}
	t.mu.Lock()
	if t.m[id] != w || !replyMatches(b, w.q) || (w.miss != nil) != async {
		t.mu.Unlock()
		return false
	}
	return t.removeLocked(w, r, raw)
}

// finish removes w and gives it r, if w is still registered: on its
// channel, or by calling w.miss.done (after the lock is released; then w
// goes back to the pool, and raw must stay valid until finish returns).
func (t *pendingTable) finish(w *waiter, r result, raw []byte) bool {
	t.mu.Lock()
	if t.m[w.id] != w {
		t.mu.Unlock()
		return false
	}
	return t.removeLocked(w, r, raw)
}

// removeLocked removes w (registered, t.mu held) and gives it r as finish
// does; it releases t.mu.
func (t *pendingTable) removeLocked(w *waiter, r result, raw []byte) bool {
	delete(t.m, w.id)
	if w.miss == nil {
		w.ch <- r
		t.mu.Unlock()
		return true
	}
	t.mu.Unlock()
	missDone(w, raw, r.err)
	return true
}

// missDone hands an answer (raw) or an error to an asynchronous waiter and
// recycles the waiter.
func missDone(w *waiter, raw []byte, err error) {
	m := w.miss
	w.q, w.miss = nil, nil
	waiters.Put(w)
	m.done(raw, err)
}

// failAll closes the table with err and fails every waiter with it.
func (t *pendingTable) failAll(err error) {
	t.removeIf(func(*waiter) bool { return true }, err, true)
}

// expire fails the waiters whose deadline is before now; it returns how
// many are left.
func (t *pendingTable) expire(now time.Time) int {
	return t.removeIf(func(w *waiter) bool { return now.After(w.deadline) }, errUpstreamTimeout, false)
}

// removeIf fails the waiters that match with err (closing the table when
// told to) and returns how many are left.
func (t *pendingTable) removeIf(match func(*waiter) bool, err error, close bool) int {
	var async []*waiter
	t.mu.Lock()
	if close && t.closed == nil {
		t.closed = err
	}
	for id, w := range t.m {
		if !match(w) {
			continue
		}
		delete(t.m, id)
		if w.miss != nil {
			async = append(async, w)
		} else {
			w.ch <- result{err: err}
		}
	}
	left := len(t.m)
	t.mu.Unlock()
	for _, w := range async {
		missDone(w, nil, err)
	}
	return left
}

func (t *pendingTable) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed != nil
}

func (t *pendingTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// wait waits for w's result; ctx ends it early. w goes back to the pool.
func (t *pendingTable) wait(ctx context.Context, w *waiter) (*dns.Msg, error) {
	var r result
	select {
	case r = <-w.ch:
	case <-ctx.Done():
		t.finish(w, result{err: ctx.Err()}, nil) // unless a result was sent meanwhile
		r = <-w.ch
	}
	w.q = nil
	waiters.Put(w)
	return r.msg, r.err
}

// sweeper is the one goroutine that fails pending queries at their
// deadline and closes idle upstream connections, every sweepEvery.
// It starts with the first query and ends with close.
type sweeper struct {
	mu      sync.Mutex
	tasks   []func(now time.Time)
	started bool
	stopped bool
	stop    chan struct{}
	done    chan struct{}
}

const sweepEvery = 10 * time.Millisecond

func newSweeper() *sweeper {
	return &sweeper{stop: make(chan struct{}), done: make(chan struct{})}
}

// add registers f to be called on every sweep.
func (s *sweeper) add(f func(now time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks = append(s.tasks, f)
}

// start starts the sweeper unless it runs or was closed; cheap when it runs.
func (s *sweeper) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	go s.run()
}

func (s *sweeper) run() {
	defer close(s.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.mu.Lock()
			tasks := s.tasks
			s.mu.Unlock()
			for _, f := range tasks {
				f(now)
			}
		}
	}
}

func (s *sweeper) close() {
	s.mu.Lock()
	started := s.started
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.mu.Unlock()
	if started {
		<-s.done
	}
}

// take removes w, registered under id, without giving it anything; false
// when it was gone.
func (t *pendingTable) take(w *waiter, id uint16) bool {
	t.mu.Lock()
	if t.m[id] != w {
		t.mu.Unlock()
		return false
	}
	delete(t.m, id)
	t.mu.Unlock()
	w.q, w.miss = nil, nil
	waiters.Put(w)
	return true
}
