package api

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/scamblock/scamblock/ratelimit"
)

// newLimiter returns the public endpoints' limiter: package ratelimit, the
// one the DNS server uses (a token bucket per client prefix, /24 and /56
// unless Options say otherwise, memory bounded).
func newLimiter(o Options, r float64, burst int) *ratelimit.Limiter {
	return ratelimit.New(ratelimit.Config{Rate: r, Burst: burst, V4Prefix: o.ClientV4Prefix, V6Prefix: o.ClientV6Prefix})
}

// clientAddr is the client's address as the connection shows it (proxy
// headers are not trusted); ok is false when it cannot be read.
func clientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap(), true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return ip.Unmap(), err == nil
}

// clientKey is the client's address for the access log.
func clientKey(r *http.Request) string {
	if ip, ok := clientAddr(r); ok {
		return ip.String()
	}
	return r.RemoteAddr
}
