package resolver

import "net/netip"

// NotifyHandler receives the DNS NOTIFY messages (RFC 1996) that arrive on
// the resolver's listeners: a zone follower (package rpz/follow) hears its
// primary's NOTIFY on port 53, as every DNS secondary does. It gets the
// message as received and returns the answer in wire form, or ok false
// to let the resolver refuse it as usual (NOTIMP). NOTIFYs are handled
// before the client ACL and the rate limiter: the handler checks the
// sender itself.
type NotifyHandler interface {
	ServeNotify(raw []byte, from netip.Addr) (reply []byte, ok bool)
}

// notify hands a NOTIFY to the configured handler; the answer is copied
// into out. NOTIFYs are not queries: the follower counts them in its own
// metrics.
func (s *Server) notify(raw []byte, client netip.Addr, out []byte) ([]byte, bool) {
	if s.cfg.Notify == nil {
		return nil, false
	}
	ans, ok := s.cfg.Notify.ServeNotify(raw, client.Unmap())
	if !ok {
		return nil, false
	}
	return append(out[:0], ans...), true
}
