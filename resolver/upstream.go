package resolver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Upstream is one resolver scamblock forwards to.
type Upstream struct {
	Proto      string         // "udp", "tcp" or "tls" (DNS over TLS, RFC 7858)
	Addr       netip.AddrPort // an IP address: no name lookups on the way to the resolver
	ServerName string         // for tls: the name its certificate must show (also the SNI)
}

// String returns the upstream in the form ParseUpstream reads.
func (u Upstream) String() string {
	if u.Proto == "tls" {
		return "tls://" + u.ServerName + "@" + u.Addr.String()
	}
	return u.Proto + "://" + u.Addr.String()
}

const upstreamHelp = `want udp://IP:PORT, tcp://IP:PORT or tls://NAME@IP:PORT (e.g. "udp://127.0.0.1:53", "tls://dns.quad9.net@9.9.9.9:853", "tcp://[2620:fe::fe]:53")`

// ParseUpstream parses an --upstream value: "udp://IP:PORT", "tcp://IP:PORT"
// or "tls://NAME@IP:PORT". The port may be left out (53, or 853 for tls).
// The address must be an IP address; NAME is what the TLS certificate is
// verified against.
func ParseUpstream(s string) (Upstream, error) {
	in := strings.TrimSpace(s)
	proto, rest, ok := strings.Cut(in, "://")
	if !ok {
		return Upstream{}, fmt.Errorf("upstream %q: no scheme; %s", s, upstreamHelp)
	}
	u := Upstream{Proto: strings.ToLower(proto)}
	port := uint16(53)
	switch u.Proto {
	case "udp", "tcp":
	case "tls":
		port = 853
		name, addr, ok := strings.Cut(rest, "@")
		if !ok || name == "" {
			return Upstream{}, fmt.Errorf("upstream %q: tls needs the name to verify the certificate against; %s", s, upstreamHelp)
		}
		if _, ok := dns.IsDomainName(name); !ok || strings.ContainsAny(name, "/:[]") {
			return Upstream{}, fmt.Errorf("upstream %q: %q is not a host name; %s", s, name, upstreamHelp)
		}
		u.ServerName = strings.TrimSuffix(name, ".")
		rest = addr
	default:
		return Upstream{}, fmt.Errorf("upstream %q: unknown scheme %q; %s", s, proto, upstreamHelp)
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return Upstream{}, fmt.Errorf("upstream %q: no address; %s", s, upstreamHelp)
	}
	if ap, err := netip.ParseAddrPort(rest); err == nil {
		if ap.Port() == 0 {
			return Upstream{}, fmt.Errorf("upstream %q: port 0; %s", s, upstreamHelp)
		}
		u.Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		return u, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		u.Addr = netip.AddrPortFrom(a.Unmap(), port)
		return u, nil
	}
	if h, p, err := net.SplitHostPort(rest); err == nil {
		if _, err := netip.ParseAddr(h); err != nil {
			return Upstream{}, fmt.Errorf("upstream %q: %q is not an IP address (upstreams are given by address so that reaching them needs no DNS); %s", s, h, upstreamHelp)
		}
		return Upstream{}, fmt.Errorf("upstream %q: bad port %q; %s", s, p, upstreamHelp)
	}
	return Upstream{}, fmt.Errorf("upstream %q: %q is not an IP address (upstreams are given by address so that reaching them needs no DNS); %s", s, rest, upstreamHelp)
}

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
