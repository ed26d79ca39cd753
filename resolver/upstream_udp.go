package resolver

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// udpPool sends queries to one UDP upstream over a few connected sockets,
// each with its own pending table and reader goroutine. A connected socket
// only receives datagrams from the upstream's address and port (the kernel
// drops the rest), and each has a random source port from the kernel's
// ephemeral range; a socket is replaced by a fresh one (a new random port)
// after udpSockUses queries or udpSockAge, so that a port an observer has
// learnt is soon worthless. With a random 16-bit ID per query and the
// question checked on every reply (RFC 5452), a spoofer has to guess port
// and ID within the round trip.
type udpPool struct {
	addr *net.UDPAddr
	sw   *sweeper

	mu     sync.Mutex
	socks  [udpPoolSize]*udpSock
	old    []*udpSock // replaced, still waiting for answers
	closed bool
	next   atomic.Uint32
}

const (
	udpPoolSize  = 4
	udpSockUses  = 128
	udpSockAge   = 2 * time.Second
	udpReplySize = 65535 // largest reply read (bigger ones are truncated by the sender anyway)
)

type udpSock struct {
	conn    *net.UDPConn
	pending pendingTable
	uses    atomic.Int32
	born    time.Time
	retired time.Time // when it was replaced (guarded by the pool's mu)
}

// udpRetireGrace is how long a replaced socket stays open at least: a
// query that picked it just before it was replaced may not have
// registered yet.
const udpRetireGrace = 100 * time.Millisecond

func newUDPPool(addr *net.UDPAddr, sw *sweeper) *udpPool {
	p := &udpPool{addr: addr, sw: sw}
	sw.add(p.sweep)
	return p
}

// socket returns a socket to send on, replacing a worn one.
func (p *udpPool) socket(now time.Time) (*udpSock, error) {
	i := p.next.Add(1) % udpPoolSize
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, net.ErrClosed
	}
	s := p.socks[i]
	if s != nil && s.uses.Add(1) <= udpSockUses && now.Sub(s.born) < udpSockAge && !s.pending.isClosed() {
		return s, nil
	}
	ns, err := p.dial(now)
	if err != nil {
		return nil, err
	}
	if s != nil {
		s.retired = now
		p.old = append(p.old, s)
	}
	p.socks[i] = ns
	ns.uses.Add(1)
	return ns, nil
}

// dial opens a connected socket and starts its reader.
func (p *udpPool) dial(now time.Time) (*udpSock, error) {
	c, err := net.DialUDP("udp", nil, p.addr)
	if err != nil {
		return nil, err
	}
	s := &udpSock{conn: c, born: now, pending: pendingTable{m: make(map[uint16]*waiter)}}
	go s.read()
	p.sw.start()
	return s, nil
}

// exchange sends q on one of the pool's sockets and waits for the answer.
func (p *udpPool) exchange(ctx context.Context, q *query, deadline time.Time) (*dns.Msg, error) {
	s, err := p.socket(time.Now())
	if err != nil {
		return nil, err
	}
	w, id, err := s.pending.add(q, deadline, nil)
	if err != nil {
		return nil, err
	}
	if err := s.write(q, id); err != nil {
		s.pending.finish(w, result{err: err}, nil)
	}
	return s.pending.wait(ctx, w)
}

// send sends m's query on one of the pool's sockets; its answer, or a
// failure, goes to m.done from the socket's reader or the sweeper. An error
// means m.done will not be called.
func (p *udpPool) send(m *missQuery, deadline time.Time) error {
	s, err := p.socket(time.Now())
	if err != nil {
		return err
	}
	q := &m.up // m may be answered and recycled once add returns: only q and id are used
	w, id, err := s.pending.add(q, deadline, m)
	if err != nil {
		return err
	}
	if err := s.write(q, id); err != nil && s.pending.take(w, id) {
		return err
	}
	return nil
}

// write sends q with id.
func (s *udpSock) write(q *query, id uint16) error {
	buf := queryBufs.Get().(*[]byte)
	b, err := q.appendWire((*buf)[:0], id)
	if err == nil {
		_, err = s.conn.Write(b)
	}
	*buf = b[:0]
	queryBufs.Put(buf)
	return err
}

var queryBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// read matches replies to waiters until the socket is closed. What does not
// match a waiter's ID and question, or does not parse, is dropped.
func (s *udpSock) read() {
	buf := make([]byte, udpReplySize)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				s.pending.failAll(net.ErrClosed)
				return
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				// ICMP port unreachable for an earlier datagram: the
				// upstream is down for every query on this socket.
				s.pending.failAll(err)
				return
			}
			continue
		}
		if n < headerLen {
			continue
		}
		s.pending.deliver(buf[:n])
	}
}

// sweep fails queries past their deadline and closes replaced sockets that
// have nothing pending (their readers then end).
func (p *udpPool) sweep(now time.Time) {
	p.mu.Lock()
	socks := p.socks
	old := append([]*udpSock(nil), p.old...)
	var retired []time.Time
	for _, s := range old {
		retired = append(retired, s.retired)
	}
	p.mu.Unlock()
	for _, s := range socks {
		if s != nil {
			s.pending.expire(now)
		}
	}
	var done []*udpSock
	for i, s := range old {
		if s.pending.expire(now) == 0 && now.Sub(retired[i]) > udpRetireGrace {
			done = append(done, s)
		}
	}
	if len(done) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range done {
		for i, o := range p.old {
			if o == s {
				p.old = append(p.old[:i], p.old[i+1:]...)
				break
			}
		}
		s.conn.Close()
	}
}

func (p *udpPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for i, s := range p.socks {
		if s != nil {
			s.conn.Close()
			p.socks[i] = nil
		}
	}
	for _, s := range p.old {
		s.conn.Close()
	}
	p.old = nil
}
