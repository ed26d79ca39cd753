package resolver

// udp.go: UDP sockets and their read loops. Each listen address gets
// Config.UDPSockets sockets bound to the same address with SO_REUSEPORT
// (Linux), among which the kernel spreads the datagrams (at random, see
// spreadEvenly), and each socket has its own read loop with its own buffers. On Linux a loop reads and writes up to
// udpBatch datagrams per system call (recvmmsg/sendmmsg, udp_linux.go):
// at loopback rates the system calls, not the answers, are the cost.
// Fast-path answers (blocked names, fresh cache hits) are written on the
// loop itself; every other query is copied out and handled on its own
// goroutine, bounded by MaxInFlight, which writes its answer itself.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scamblock/scamblock/internal/listen"
)

// udpLoop is what a read loop needs from the server.
type udpLoop struct {
	s        *Server
	ctx      context.Context
	c        *net.UDPConn
	inflight *sync.WaitGroup
	stopping *atomic.Bool
	names    nameBuf   // the fast path's name buffer, this loop's own
	miss     wireQuery // a query the fast path left for the miss path (miss.go)
}

// readFailed handles a read error: it reports whether the loop must end
// (shutting down, or the socket is closed); otherwise it logs and pauses a
// little so a persistent error does not spin.
func (l *udpLoop) readFailed(err error) bool {
	if l.stopping.Load() || errors.Is(err, net.ErrClosed) {
		return true
	}
	l.s.log.Debug("udp read", "err", err)
	time.Sleep(time.Millisecond) // e.g. ICMP errors surfacing as read errors: do not spin
	return false
}

// slow hands a query that the fast path declined to a goroutine of its own.
// pkt is copied (the loop reuses its buffer). When MaxInFlight queries are
// already being handled, flush is called (answers the loop holds go out)
// and the loop waits for a slot.
func (l *udpLoop) slow(pkt []byte, from netip.AddrPort, flush func()) {
	s := l.s
	select {
	case s.sem <- struct{}{}:
	default:
		if flush != nil {
			flush()
		}
		s.sem <- struct{}{}
	}
	buf := s.readBufs.get()
	n := copy(*buf, pkt)
	l.inflight.Add(1)
	go func() {
		defer func() { <-s.sem; l.inflight.Done(); s.readBufs.put(buf) }()
		out := s.packBufs.get()
		defer s.packBufs.put(out)
		if ans := s.handleMsg(l.ctx, (*buf)[:n], from.Addr(), false, *out); ans != nil {
			l.c.WriteToUDPAddrPort(ans, from)
		}
	}()
}

// tryMiss sends the query the fast path just left in l.miss, if any,
// upstream on the fast miss path; false: the general path must answer.
func (l *udpLoop) tryMiss(from netip.AddrPort) bool {
	if l.miss.raw == nil {
		return false
	}
	ok := l.startMiss(&l.miss, from)
	l.miss = wireQuery{}
	return ok
}

// servePlain is the portable read loop: one datagram per system call.
func (l *udpLoop) servePlain() {
	s := l.s
	buf := make([]byte, udpReadLen)
	out := make([]byte, packBufLen)
	for {
		n, from, err := l.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.readFailed(err) {
				return
			}
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		s.metrics.transport[transportUDP].Inc()
		if s.fast != nil {
			if ans, ok := s.fast.answerBuf(buf[:n], from.Addr(), false, out, &l.names, &l.miss); ok {
				if ans != nil {
					l.c.WriteToUDPAddrPort(ans, from)
				}
				continue
			}
		}
		if l.tryMiss(from) {
			continue
		}
		l.slow(buf[:n], from, nil)
	}
}

// listenUDP binds the UDP sockets of one listen address: n sockets sharing
// the address with SO_REUSEPORT where the platform has it, else one.
// On Linux each datagram goes to a socket of the group picked at random
// (spreadEvenly), not by a hash of the client's address. Before the group
// is bound, one socket without SO_REUSEPORT checks that
// the address is free, so a second server (which could otherwise join the
// group and take a share of the queries) fails with "address in use".
func (s *Server) listenUDP(addr string) ([]*net.UDPConn, error) {
	n := s.cfg.UDPSockets
	if !reusePortSupported {
		n = 1
	}
	probe, err := listen.UDP(context.Background(), addr, nil) // udp4 or udp6 (IPV6_V6ONLY): see internal/listen
	if err != nil {
		return nil, err
	}
	if n == 1 {
		s.setReadBuffer(probe)
		return []*net.UDPConn{probe}, nil
	}
	host, _, _ := net.SplitHostPort(addr)
	bound := net.JoinHostPort(host, strconv.Itoa(probe.LocalAddr().(*net.UDPAddr).Port)) // the same host: the same network
	probe.Close()
	var conns []*net.UDPConn
	for range n {
		c, err := listen.UDP(context.Background(), bound, reusePort)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		s.setReadBuffer(c)
		conns = append(conns, c)
	}
	if err := spreadEvenly(conns[0], n); err != nil {
		s.log.Debug("udp: cannot spread datagrams evenly; the kernel hashes clients to sockets", "err", err)
	}
	return conns, nil
}

// setReadBuffer asks for UDPReadBuffer bytes of socket receive buffer (the
// kernel caps it at net.core.rmem_max), so bursts and pauses (a list
// reload, a GC) are queued rather than dropped.
func (s *Server) setReadBuffer(c *net.UDPConn) {
	if s.cfg.UDPReadBuffer > 0 {
		if err := c.SetReadBuffer(s.cfg.UDPReadBuffer); err != nil {
			s.log.Debug("udp: cannot set the receive buffer size", "bytes", s.cfg.UDPReadBuffer, "err", err)
		}
	}
}

// zoneOf names an IPv6 scope (interface index) the way net accepts it.
func zoneOf(scope uint32) string {
	if scope == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(scope), 10)
}
