package resolver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
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

// upstreamConn sends queries to one upstream. TCP and TLS connections are
// kept open and reused (RFC 7766, RFC 7858); UDP uses a fresh socket (random
// source port) per query.
type upstreamConn struct {
	up     Upstream
	addr   string
	udp    *dns.Client
	stream *dns.Client    // tcp or tcp-tls
	idle   chan *dns.Conn // idle stream connections
}

const maxIdleConns = 8

func newUpstreamConn(up Upstream, base *tls.Config) *upstreamConn {
	c := &upstreamConn{up: up, addr: up.Addr.String(), idle: make(chan *dns.Conn, maxIdleConns)}
	switch up.Proto {
	case "udp":
		c.udp = &dns.Client{Net: "udp", UDPSize: upstreamUDPSize}
		c.stream = &dns.Client{Net: "tcp"}
	case "tcp":
		c.stream = &dns.Client{Net: "tcp"}
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
		c.stream = &dns.Client{Net: "tcp-tls", TLSConfig: cfg}
	}
	return c
}

// exchange sends q and returns the answer. Over UDP a truncated answer is
// retried over TCP. The deadline comes from ctx.
func (c *upstreamConn) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	if c.udp != nil {
		r, _, err := c.udp.ExchangeContext(ctx, q, c.addr)
		if err != nil {
			return nil, err
		}
		if !r.Truncated {
			return r, nil
		}
	}
	return c.exchangeStream(ctx, q)
}

func (c *upstreamConn) exchangeStream(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	for {
		var conn *dns.Conn
		reused := false
		select {
		case conn = <-c.idle:
			reused = true
		default:
			var err error
			conn, err = c.stream.DialContext(ctx, c.addr)
			if err != nil {
				return nil, err
			}
		}
		r, _, err := c.stream.ExchangeWithConnContext(ctx, q, conn)
		if err != nil {
			conn.Close()
			// A pooled connection the server has since closed fails at once:
			// try again on a fresh one while time is left.
			if reused && ctx.Err() == nil {
				continue
			}
			return nil, err
		}
		conn.SetDeadline(time.Time{})
		select {
		case c.idle <- conn:
		default:
			conn.Close()
		}
		return r, nil
	}
}

// close closes idle connections.
func (c *upstreamConn) close() {
	for {
		select {
		case conn := <-c.idle:
			conn.Close()
		default:
			return
		}
	}
}

// upstreamUDPSize is the EDNS0 buffer size sent upstream (DNS flag day 2020).
const upstreamUDPSize = 1232

// isTimeout reports whether err is a time-out rather than a refusal or reset.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
