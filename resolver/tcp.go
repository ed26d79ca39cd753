package resolver

// tcp.go serves client TCP connections (RFC 7766): accept, per-connection
// read loop with pipelined queries answered out of order, and the set of
// open connections used at shutdown.

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

func (s *Server) acceptTCP(ctx context.Context, l net.Listener, inflight *sync.WaitGroup, stopping *atomic.Bool, conns *connSet) {
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
		if ok, closing := conns.add(c); !ok {
			c.Close()
			if closing {
				return
			}
			s.log.Debug("tcp: too many connections; closed a new one", "max", s.cfg.MaxTCPConns)
			continue
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer conns.remove(c)
			s.serveTCPConn(ctx, c, stopping)
		}()
	}
}

// maxTCPPipeline bounds the queries one TCP connection has in flight (RFC 7766 pipelining).
const maxTCPPipeline = 16

// serveTCPConn reads length-prefixed queries (RFC 7766) and answers each as
// soon as it is ready, possibly out of order. It returns after the idle time,
// when the client closes, or on shutdown once its answers are written.
func (s *Server) serveTCPConn(ctx context.Context, c net.Conn, stopping *atomic.Bool) {
	defer c.Close()
	var wmu sync.Mutex
	var pending sync.WaitGroup
	pipe := make(chan struct{}, maxTCPPipeline)
	defer pending.Wait()
	var lenBuf [2]byte
	client := netip.Addr{}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		client = ta.AddrPort().Addr()
	}
	for !stopping.Load() {
		c.SetReadDeadline(time.Now().Add(s.cfg.TCPIdle))
		if _, err := io.ReadFull(c, lenBuf[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:]))
		if n < headerLen {
			return
		}
		q := make([]byte, n)
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		pipe <- struct{}{}
		pending.Go(func() {
			defer func() { <-pipe }()
			out := s.packBufs.get()
			defer s.packBufs.put(out)
			ans := s.handle(ctx, q, client, true, (*out)[2:])
			if ans == nil {
				return
			}
			frame := (*out)[:0]
			if &ans[0] != &(*out)[2] { // packed into a new, larger buffer
				frame = make([]byte, 0, len(ans)+2)
			}
			frame = binary.BigEndian.AppendUint16(frame, uint16(len(ans)))
			if &ans[0] != &(*out)[2] {
				frame = append(frame, ans...)
			} else {
				frame = frame[:len(ans)+2]
			}
			wmu.Lock()
			defer wmu.Unlock()
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write(frame)
		})
	}
}

// connSet tracks open client TCP connections for shutdown.
type connSet struct {
	mu     sync.Mutex
	m      map[net.Conn]struct{}
	max    int
	closed bool
}

// add registers c; ok is false when c must be closed: at the limit, or
// (closing) because the server is shutting down.
func (cs *connSet) add(c net.Conn) (ok, closing bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return false, true
	}
	if len(cs.m) >= cs.max {
		return false, false
	}
	cs.m[c] = struct{}{}
	return true, false
}

func (cs *connSet) remove(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, c)
}

// stopReading makes every connection's pending read return now; answers in
// flight are still written.
func (cs *connSet) stopReading() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for c := range cs.m {
		c.SetReadDeadline(time.Now())
	}
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.m {
		c.Close()
	}
}
