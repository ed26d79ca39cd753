package resolver

// dot.go serves DNS over TLS (RFC 7858): a TLS listener whose connections
// are served exactly like client TCP connections (tcp.go): RFC 7766
// pipelining with out-of-order answers, the idle timeout (which also bounds
// a handshake that never comes: the first read waits at most TCPIdle), and
// the same connection caps, shared with plain TCP.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/scamblock/scamblock/internal/listen"
)

// encrypted holds the DoT and DoH listeners of one Run.
type encrypted struct {
	dot []net.Listener // raw TCP; wrapped in TLS when served
	doh []net.Listener
	web []*http.Server
}

// bindEncrypted opens the DoT and DoH listeners; none without Config.TLS.
func (s *Server) bindEncrypted() (*encrypted, error) {
	e := &encrypted{}
	open := func(addrs []string, what string, into *[]net.Listener) error {
		for _, addr := range addrs {
			l, err := listen.TCP(context.Background(), addr)
			if err != nil {
				return fmt.Errorf("listening for %s on %s: %w", what, addr, err)
			}
			s.listenerReadBuffer(l)
			*into = append(*into, l)
		}
		return nil
	}
	err := open(s.cfg.DoTListen, "DNS over TLS", &e.dot)
	if err == nil {
		err = open(s.cfg.DoHListen, "DNS over HTTPS", &e.doh)
	}
	if err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *encrypted) addrs() []net.Addr {
	var out []net.Addr
	for _, l := range append(append([]net.Listener(nil), e.dot...), e.doh...) {
		out = append(out, l.Addr())
	}
	return out
}

// ddr describes the bound listeners for DDR answers.
func (e *encrypted) ddr(name string) DDR {
	d := DDR{Name: name}
	for _, l := range e.dot {
		d.DoT = append(d.DoT, l.Addr().String())
	}
	for _, l := range e.doh {
		d.DoH = append(d.DoH, l.Addr().String())
	}
	return d
}

// serveEncrypted starts the accept loops; they end when stop is called.
func (s *Server) serveEncrypted(ctx context.Context, e *encrypted, loops, inflight *sync.WaitGroup, stopping *atomic.Bool) {
	for _, l := range e.dot {
		tl := tls.NewListener(l, s.dotTLS())
		loops.Go(func() { s.acceptStream(ctx, tl, transportDoT, inflight, stopping) })
	}
	for _, l := range e.doh {
		srv := s.dohServer(ctx)
		e.web = append(e.web, srv)
		loops.Go(func() {
			if err := srv.ServeTLS(l, "", ""); err != nil && err != http.ErrServerClosed {
				s.log.Error("DNS over HTTPS listener stopped", "addr", l.Addr().String(), "err", err)
			}
		})
	}
}

// stop closes the listeners; DoH connections finish their requests within
// the drain time (ctx).
func (e *encrypted) stop(ctx context.Context) {
	for _, l := range e.dot {
		l.Close()
	}
	for _, srv := range e.web {
		srv.Shutdown(ctx)
	}
}

func (e *encrypted) close() {
	for _, l := range append(append([]net.Listener(nil), e.dot...), e.doh...) {
		l.Close()
	}
}

// dotTLS is Config.TLS offering the "dot" ALPN protocol (RFC 7858 has
// none; "dot" is registered by RFC 8310's successors and used by DDR).
func (s *Server) dotTLS() *tls.Config {
	c := s.cfg.TLS.Clone()
	c.NextProtos = append([]string{"dot"}, c.NextProtos...)
	return c
}
