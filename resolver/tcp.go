package resolver

// tcp.go serves client TCP connections (RFC 7766): accept, a read loop per
// connection with pipelined queries answered out of order, and the set of
// open connections.
//
// What one client can hold is bounded (see Config):
//
//   - a connection has at most TCPPipeline queries between "read" and
//     "answer written or dropped"; it stops reading while more than
//     TCPConnBuffer answer bytes wait to be written, and its kernel send
//     buffer is TCPConnBuffer too (left alone, Linux grows it up to
//     net.ipv4.tcp_wmem's maximum, 4 MiB: a client that never reads had
//     ~1 MiB of answers built and queued there, per connection); the
//     queries it sends beyond what is read wait in a receive buffer of
//     tcpReadBuffer (set on the listener), not the kernel's 128 KiB+;
//   - a write that fails or does not finish within TCPWriteTimeout closes
//     the connection: nothing more is read or answered on it, what it had
//     queued is dropped;
//   - all connections together queue at most TCPMemory answer bytes: past
//     it the connection with the most queued bytes is closed;
//   - a client (its address within a /TCPClientPrefix4 or /TCPClientPrefix6)
//     holds at most MaxTCPConnsPerClient connections: a new one replaces its
//     least recently active idle one, or is refused when none is idle;
//   - at MaxTCPConns, a new connection replaces the least recently active
//     connection (idle ones first) of the client holding the most, as
//     Unbound and Knot do, so one client cannot lock the others out.

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

func (s *Server) acceptTCP(ctx context.Context, l net.Listener, inflight *sync.WaitGroup, stopping *atomic.Bool) {
	s.acceptStream(ctx, l, transportTCP, inflight, stopping)
}

// acceptStream serves the connections of l (plain TCP, or DoT through a TLS
// listener) as transport tr.
func (s *Server) acceptStream(ctx context.Context, l net.Listener, tr transport, inflight *sync.WaitGroup, stopping *atomic.Bool) {
	for {
		c, err := l.Accept()
		if err != nil {
			if stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("tcp accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		limitSendBuffer(c, s.cfg.TCPConnBuffer)
		tc := s.tcp.newConn(c)
		tc.tr = tr
		if ok, closing := s.tcp.admit(tc); !ok {
			c.Close()
			if closing {
				return
			}
			continue
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer s.tcp.remove(tc)
			s.serveTCPConn(ctx, tc, stopping)
		}()
	}
}

// tcpReadBuffer is the receive buffer of client TCP connections (Linux
// doubles it): the server reads at most TCPPipeline queries ahead, so
// more only holds a pipelining client's backlog in the kernel.
const tcpReadBuffer = 16 << 10

// listenerReadBuffer gives l's connections a receive buffer of
// tcpReadBuffer; a failure only costs memory, so it is logged.
func (s *Server) listenerReadBuffer(l net.Listener) {
	if err := limitReadBuffer(l, tcpReadBuffer); err != nil {
		s.log.Debug("tcp: cannot set the receive buffer size", "addr", l.Addr(), "err", err)
	}
}

// limitSendBuffer fixes the kernel's send buffer of c (a TCP or TLS over
// TCP connection) at n bytes, so answers a client does not read stay
// within the connection's bounds instead of the kernel's.
func limitSendBuffer(c net.Conn, n int) {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	if t, ok := c.(*net.TCPConn); ok {
		t.SetWriteBuffer(n)
	}
}

// serveTCPConn reads length-prefixed queries (RFC 7766) and answers each as
// soon as it is ready, possibly out of order. It returns after the idle time,
// when the client closes, when a write fails or times out, or on shutdown
// once its answers are written.
func (s *Server) serveTCPConn(ctx context.Context, tc *tcpConn, stopping *atomic.Bool) {
	var pending sync.WaitGroup
	defer func() {
		pending.Wait()
		tc.kill("")
	}()
	var lenBuf [2]byte
	for !stopping.Load() {
		if !tc.waitRoom(s.cfg.TCPConnBuffer) {
			return
		}
		tc.c.SetReadDeadline(time.Now().Add(s.cfg.TCPIdle))
		q, err := readFrame(tc.c, lenBuf[:])
		if err != nil {
			tc.release(1)
			return
		}
		tc.touch()
		s.metrics.transport[tc.tr].Inc()
		if frame, ok := s.tcpFastAnswer(q, tc.client); ok { // blocked or cached: no goroutine
			if frame == nil {
				tc.release(1)
			} else {
				tc.enqueue(frame)
			}
			continue
		}
		select { // TCP queries being resolved stay within MaxInFlight/4 (UDP keeps its own slots)
		case s.tcpSem <- struct{}{}:
		case <-tc.done:
			tc.release(1)
			return
		}
		pending.Go(func() {
			out := s.packBufs.get()
			ans := s.handleMsg(ctx, q, tc.client, true, (*out)[2:])
			<-s.tcpSem
			if ans == nil {
				s.packBufs.put(out)
				tc.release(1)
				return
			}
			frame := appendFrame(ans)
			s.packBufs.put(out)
			tc.enqueue(frame)
		})
	}
}

// tcpFastAnswer answers q from the fast path (blocked names, cache hits)
// as a length-prefixed frame; ok is false when the fast path declines. A
// nil frame with ok means the query is dropped.
func (s *Server) tcpFastAnswer(q []byte, client netip.Addr) (frame []byte, ok bool) {
	if s.fast == nil {
		return nil, false
	}
	out := s.packBufs.get()
	defer s.packBufs.put(out)
	ans, ok := s.fast.answer(q, client, true, (*out)[2:])
	if !ok || ans == nil {
		return nil, ok
	}
	return appendFrame(ans), true
}

// appendFrame returns ans with its two-byte length in front (RFC 1035 4.2.2).
func appendFrame(ans []byte) []byte {
	frame := make([]byte, len(ans)+2)
	binary.BigEndian.PutUint16(frame, uint16(len(ans)))
	copy(frame[2:], ans)
	return frame
}

// readFrame reads one length-prefixed message.
func readFrame(c net.Conn, lenBuf []byte) ([]byte, error) {
	if _, err := io.ReadFull(c, lenBuf); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(lenBuf))
	if n < headerLen {
		return nil, errors.New("message shorter than a DNS header")
	}
	q := make([]byte, n)
	if _, err := io.ReadFull(c, q); err != nil {
		return nil, err
	}
	return q, nil
}

// tcpConn is one client TCP connection. Answers are queued; the goroutine
// that finds nobody writing becomes the writer and drains the queue, so an
// idle connection costs one goroutine and a slow one at most two plus the
// queries being resolved.
type tcpConn struct {
	c      net.Conn
	tr     transport // tcp or dot
	set    *tcpConns
	client netip.Addr
	key    netip.Prefix  // the client's prefix, for per-client limits
	slots  chan struct{} // one per query read and not yet written or dropped
	room   chan struct{} // a token when queued bytes fell
	done   chan struct{} // closed by kill
	once   sync.Once
	active atomic.Int64 // unix nanoseconds of the last query read or answer written

	mu      sync.Mutex
	queue   [][]byte
	queued  int // bytes in queue and being written
	writing bool
	dead    bool
}

// waitRoom takes a pipeline slot and waits until the queue is at most limit
// bytes; false when the connection was closed meanwhile.
func (tc *tcpConn) waitRoom(limit int) bool {
	select {
	case tc.slots <- struct{}{}:
	case <-tc.done:
		return false
	}
	for {
		tc.mu.Lock()
		q, dead := tc.queued, tc.dead
		tc.mu.Unlock()
		if dead {
			tc.release(1)
			return false
		}
		if q <= limit {
			return true
		}
		select {
		case <-tc.room:
		case <-tc.done:
			tc.release(1)
			return false
		}
	}
}

func (tc *tcpConn) release(n int) {
	for range n {
		<-tc.slots
	}
}

func (tc *tcpConn) touch() { tc.active.Store(time.Now().UnixNano()) }

// idle reports whether nothing is in flight or queued on tc.
func (tc *tcpConn) idle() bool { return len(tc.slots) == 0 }

// enqueue queues one answer frame and, when nobody is writing, writes the
// queue out.
func (tc *tcpConn) enqueue(frame []byte) {
	tc.mu.Lock()
	if tc.dead {
		tc.mu.Unlock()
		tc.release(1)
		return
	}
	tc.queue = append(tc.queue, frame)
	tc.queued += len(frame)
	tc.set.queued.Add(int64(len(frame)))
	writer := !tc.writing
	tc.writing = true
	tc.mu.Unlock()
	tc.set.keepBudget()
	if writer {
		tc.flush()
	}
}

// flush writes the queue until it is empty or the connection dies. A write
// that fails or times out kills the connection.
func (tc *tcpConn) flush() {
	tc.mu.Lock()
	for len(tc.queue) > 0 && !tc.dead {
		batch := tc.queue
		tc.queue = nil
		tc.mu.Unlock()
		n := 0
		for _, b := range batch {
			n += len(b)
		}
		tc.c.SetWriteDeadline(time.Now().Add(tc.set.writeTimeout))
		bufs := net.Buffers(batch)
		_, err := bufs.WriteTo(tc.c)
		if err != nil {
			reason := "write_failed"
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				reason = "write_timeout"
			}
			tc.kill(reason)
		} else {
			tc.touch()
		}
		tc.mu.Lock()
		tc.queued -= n
		tc.set.queued.Add(-int64(n))
		tc.release(len(batch))
		select {
		case tc.room <- struct{}{}:
		default:
		}
	}
	if tc.dead {
		tc.dropLocked()
	}
	tc.writing = false
	tc.mu.Unlock()
}

// dropLocked forgets the queue of a dead connection (tc.mu held).
func (tc *tcpConn) dropLocked() {
	tc.set.queued.Add(-int64(tc.queued))
	tc.queued = 0
	tc.release(len(tc.queue))
	tc.queue = nil
}

// kill closes the connection: the reader stops, queued answers are dropped.
// reason, when not empty, is counted in the metrics.
func (tc *tcpConn) kill(reason string) {
	first := false
	tc.once.Do(func() {
		first = true
		close(tc.done)
		tc.c.Close()
	})
	tc.mu.Lock()
	tc.dead = true
	if !tc.writing {
		tc.dropLocked()
	}
	tc.mu.Unlock()
	if first && reason != "" {
		tc.set.closed(reason)
	}
}

// tcpConns is the set of open client TCP connections, with the limits of
// the connection count and of the bytes queued for them.
type tcpConns struct {
	max, perClient int
	bits4, bits6   int
	writeTimeout   time.Duration
	pipeline       int
	budget         int64
	queued         atomic.Int64
	closed         func(reason string) // counts a connection closed by a limit

	mu       sync.Mutex
	stopping bool
	byClient map[netip.Prefix]map[*tcpConn]struct{}
	n        int
}

func newTCPConns(cfg Config, closed func(reason string)) *tcpConns {
	return &tcpConns{
		max: cfg.MaxTCPConns, perClient: cfg.MaxTCPConnsPerClient,
		bits4: cfg.TCPClientPrefix4, bits6: cfg.TCPClientPrefix6,
		writeTimeout: cfg.TCPWriteTimeout, pipeline: cfg.TCPPipeline, budget: int64(cfg.TCPMemory),
		closed:   closed,
		byClient: map[netip.Prefix]map[*tcpConn]struct{}{},
	}
}

func (cs *tcpConns) newConn(c net.Conn) *tcpConn {
	tc := &tcpConn{c: c, set: cs, slots: make(chan struct{}, cs.pipeline),
		room: make(chan struct{}, 1), done: make(chan struct{})}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		tc.client = ta.AddrPort().Addr().Unmap()
	}
	bits := cs.bits6
	if tc.client.Is4() {
		bits = cs.bits4
	}
	tc.key, _ = tc.client.Prefix(bits)
	tc.touch()
	return tc
}

// admit registers tc, making room when a limit is reached (see the top of
// the file). ok is false when tc must be closed: its client is at its share
// with no idle connection, or (closing) the server is shutting down.
func (cs *tcpConns) admit(tc *tcpConn) (ok, closing bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.stopping {
		return false, true
	}
	mine := cs.byClient[tc.key]
	switch {
	case len(mine) >= cs.perClient:
		v := leastActive(mine, true)
		if v == nil {
			cs.closed("client_limit")
			return false, false
		}
		cs.evictLocked(v, "client_limit")
	case cs.n >= cs.max:
		var heaviest map[*tcpConn]struct{}
		for _, m := range cs.byClient {
			if len(m) > len(heaviest) {
				heaviest = m
			}
		}
		cs.evictLocked(leastActive(heaviest, false), "connection_limit")
	}
	if mine = cs.byClient[tc.key]; mine == nil {
		mine = map[*tcpConn]struct{}{}
		cs.byClient[tc.key] = mine
	}
	mine[tc] = struct{}{}
	cs.n++
	return true, false
}

// leastActive returns the connection of m with the oldest activity, idle
// ones first; with idleOnly, nil when none is idle.
func leastActive(m map[*tcpConn]struct{}, idleOnly bool) *tcpConn {
	var best *tcpConn
	bestIdle := false
	for tc := range m {
		idle := tc.idle()
		if idleOnly && !idle {
			continue
		}
		if best == nil || (idle && !bestIdle) || (idle == bestIdle && tc.active.Load() < best.active.Load()) {
			best, bestIdle = tc, idle
		}
	}
	return best
}

func (cs *tcpConns) evictLocked(tc *tcpConn, reason string) {
	if tc == nil {
		return
	}
	cs.removeLocked(tc)
	tc.kill(reason)
}

func (cs *tcpConns) remove(tc *tcpConn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.removeLocked(tc)
}

func (cs *tcpConns) removeLocked(tc *tcpConn) {
	m := cs.byClient[tc.key]
	if _, ok := m[tc]; !ok {
		return
	}
	delete(m, tc)
	cs.n--
	if len(m) == 0 {
		delete(cs.byClient, tc.key)
	}
}

// keepBudget closes the connection with the most queued bytes while all
// connections together queue more than the budget.
func (cs *tcpConns) keepBudget() {
	if cs.queued.Load() <= cs.budget {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var worst *tcpConn
	most := 0
	for _, m := range cs.byClient {
		for tc := range m {
			tc.mu.Lock()
			q, dead := tc.queued, tc.dead
			tc.mu.Unlock()
			if !dead && q > most {
				worst, most = tc, q
			}
		}
	}
	cs.evictLocked(worst, "memory_budget")
}

// count returns the open connections.
func (cs *tcpConns) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.n
}

// stopReading makes every connection's pending read return now; answers in
// flight are still written. New connections are refused from now on.
func (cs *tcpConns) stopReading() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.stopping = true
	for _, m := range cs.byClient {
		for tc := range m {
			tc.c.SetReadDeadline(time.Now())
		}
	}
}

func (cs *tcpConns) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, m := range cs.byClient {
		for tc := range m {
			tc.kill("")
		}
	}
}
