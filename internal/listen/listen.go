// Package listen opens listening sockets so that an IPv4 and an IPv6
// wildcard can share one port: an IPv4 address listens on tcp4/udp4, an
// IPv6 address on tcp6/udp6 with IPV6_V6ONLY set, and only a host name or
// an empty host gets Go's dual-stack socket. With a plain "tcp" listen on
// 0.0.0.0:53, Go opens a dual-stack [::] socket, and a second listen on
// [::]:53 fails with "address already in use" (issue 11.1).
package listen

import (
	"context"
	"net"
	"net/netip"
	"syscall"
)

// Network returns base ("tcp" or "udp") with the family addr's host asks
// for: base+"4" for an IPv4 literal, base+"6" for an IPv6 literal, base
// itself for a host name or an empty host (every address, dual stack).
func Network(base, addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return base
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return base
	case ip.Is4():
		return base + "4"
	default: // IPv6, including IPv4-mapped: the caller asked for an IPv6 socket
		return base + "6"
	}
}

// Config returns a net.ListenConfig whose Control sets IPV6_V6ONLY on IPv6
// sockets (Go sets it for "tcp6"/"udp6" too; this keeps it explicit) and
// then runs control, when not nil.
func Config(control func(network, address string, c syscall.RawConn) error) net.ListenConfig {
	return net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		if network == "tcp6" || network == "udp6" {
			if err := v6Only(c); err != nil {
				return err
			}
		}
		if control != nil {
			return control(network, address, c)
		}
		return nil
	}}
}

// TCP listens on addr (see Network).
func TCP(ctx context.Context, addr string) (net.Listener, error) {
	lc := Config(nil)
	return lc.Listen(ctx, Network("tcp", addr), addr)
}

// UDP listens on addr (see Network); control, when not nil, runs on the
// socket before it is bound (e.g. to set SO_REUSEPORT).
func UDP(ctx context.Context, addr string, control func(network, address string, c syscall.RawConn) error) (*net.UDPConn, error) {
	lc := Config(control)
	pc, err := lc.ListenPacket(ctx, Network("udp", addr), addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}
