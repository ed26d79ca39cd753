package resolver

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// streamPool sends queries to one TCP or TLS upstream over a few long-lived
// connections, pipelined (RFC 7766 section 6.2.1.1, RFC 7858 section 3.4):
// each query is written with its own random ID and the connection's reader
// goroutine hands each answer, in whatever order it comes, to its waiter.
// A new connection is opened only when every open one has
// streamPipeline queries in flight (at most maxStreamConns); concurrent
// queries wait for one dial instead of each paying a TLS handshake. A
// connection idle for streamIdle is closed by the sweeper; one the server
// closed is dropped and its queries asked again on a fresh one.
type streamPool struct {
	addr   string
	tlsCfg *tls.Config // nil: plain TCP
	sw     *sweeper

	mu      sync.Mutex
	conns   []*streamConn
	dialing chan struct{} // closed when the dial in progress ends; nil: none
	closed  bool
}

const (
	maxStreamConns = 4
	streamPipeline = 64
	streamIdle     = 10 * time.Second
)

type streamConn struct {
	c        net.Conn
	wmu      sync.Mutex
	pending  pendingTable
	lastUsed atomic.Int64 // UnixNano of the last query written
}

func newStreamPool(addr string, tlsCfg *tls.Config, sw *sweeper) *streamPool {
	p := &streamPool{addr: addr, tlsCfg: tlsCfg, sw: sw}
	sw.add(p.sweep)
	return p
}

// exchange sends q over a pooled connection and waits for the answer. A
// reused connection that turns out closed is replaced once.
func (p *streamPool) exchange(ctx context.Context, q *query, deadline time.Time) (*dns.Msg, error) {
	for attempt := 0; ; attempt++ {
		sc, fresh, err := p.conn(ctx, deadline)
		if err != nil {
			return nil, err
		}
		m, err := sc.exchange(ctx, q, deadline)
		if err != nil && errors.Is(err, errConnClosed) && !fresh && attempt == 0 && time.Now().Before(deadline) {
			continue
		}
		return m, err
	}
}

func (sc *streamConn) exchange(ctx context.Context, q *query, deadline time.Time) (*dns.Msg, error) {
	w, id, err := sc.pending.add(q, deadline, nil)
	if err != nil {
		return nil, err
	}
	buf := queryBufs.Get().(*[]byte)
	b, err := q.appendWire(append((*buf)[:0], 0, 0), id)
	if err == nil {
		binary.BigEndian.PutUint16(b, uint16(len(b)-2))
		sc.lastUsed.Store(time.Now().UnixNano())
		sc.wmu.Lock()
		sc.c.SetWriteDeadline(deadline)
		_, err = sc.c.Write(b)
		sc.wmu.Unlock()
	}
	*buf = b[:0]
	queryBufs.Put(buf)
	if err != nil {
		sc.c.Close() // a partly written frame leaves the stream unusable; the reader ends
		sc.pending.finish(w, result{err: errConnClosed}, nil)
	}
	return sc.pending.wait(ctx, w)
}

// conn returns the open connection with the fewest queries in flight, or a
// new one (fresh) when all are busy or none is open.
func (p *streamPool) conn(ctx context.Context, deadline time.Time) (sc *streamConn, fresh bool, err error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, net.ErrClosed
		}
		var best *streamConn
		bestLoad := 0
		for _, c := range p.conns {
			if c.pending.isClosed() {
				continue
			}
			if n := c.pending.len(); best == nil || n < bestLoad {
				best, bestLoad = c, n
			}
		}
		if best != nil && (bestLoad < streamPipeline || len(p.conns) >= maxStreamConns || p.dialing != nil) {
			p.mu.Unlock()
			return best, false, nil
		}
		if wait := p.dialing; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, false, ctx.Err()
			case <-time.After(time.Until(deadline)): // rare: waiting for someone else's dial
				return nil, false, errUpstreamTimeout
			}
		}
		done := make(chan struct{})
		p.dialing = done
		p.mu.Unlock()
		sc, err := p.dial(ctx, deadline)
		p.mu.Lock()
		p.dialing = nil
		close(done)
		if err == nil {
			if p.closed {
				sc.c.Close()
				err = net.ErrClosed
			} else {
				p.conns = append(p.conns, sc)
			}
		}
		p.mu.Unlock()
		return sc, true, err
	}
}

func (p *streamPool) dial(ctx context.Context, deadline time.Time) (*streamConn, error) {
	d := net.Dialer{Deadline: deadline}
	var c net.Conn
	var err error
	if p.tlsCfg != nil {
		c, err = (&tls.Dialer{NetDialer: &d, Config: p.tlsCfg}).DialContext(ctx, "tcp", p.addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, err
	}
	sc := &streamConn{c: c, pending: pendingTable{m: make(map[uint16]*waiter)}}
	sc.lastUsed.Store(time.Now().UnixNano())
	go sc.read()
	p.sw.start()
	return sc, nil
}

// read hands each length-prefixed answer to its waiter until the
// connection ends; then every waiter left fails with errConnClosed.
func (sc *streamConn) read() {
	defer sc.c.Close()
	defer sc.pending.failAll(errConnClosed)
	var lenBuf [2]byte
	buf := make([]byte, 0, 4096)
	for {
		if _, err := io.ReadFull(sc.c, lenBuf[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:]))
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		b := buf[:n]
		if _, err := io.ReadFull(sc.c, b); err != nil {
			return
		}
		if n < headerLen {
			continue
		}
		sc.pending.deliver(b)
	}
}

// sweep fails queries past their deadline, closes connections idle for
// streamIdle and forgets closed ones.
func (p *streamPool) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := p.conns[:0]
	for _, c := range p.conns {
		left := c.pending.expire(now)
		if c.pending.isClosed() {
			continue
		}
		if left == 0 && now.UnixNano()-c.lastUsed.Load() > int64(streamIdle) {
			c.c.Close() // the reader ends and fails nothing (none pending)
			continue
		}
		keep = append(keep, c)
	}
	clear(p.conns[len(keep):])
	p.conns = keep
}

func (p *streamPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.conns {
		c.c.Close()
	}
	p.conns = nil
}
