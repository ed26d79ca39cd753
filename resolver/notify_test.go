package resolver

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// notifyRecorder answers NOTIFYs for one zone and remembers who sent them.
type notifyRecorder struct {
	mu   sync.Mutex
	from []netip.Addr
}

func (n *notifyRecorder) ServeNotify(raw []byte, from netip.Addr) ([]byte, bool) {
	var m dns.Msg
	if err := m.Unpack(raw); err != nil || m.Question[0].Name != "rpz.example." {
		return nil, false
	}
	n.mu.Lock()
	n.from = append(n.from, from)
	n.mu.Unlock()
	r := new(dns.Msg)
	r.SetReply(&m)
	r.Authoritative = true
	out, err := r.Pack()
	return out, err == nil
}

func TestNotifyReachesTheHandlerOverUDPAndTCP(t *testing.T) {
	rec := &notifyRecorder{}
	// A client ACL that excludes the sender: NOTIFY is the handler's to check.
	ts := startServer(t, Config{Notify: rec, ACL: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, testList())
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetNotify("rpz.example.")
			r := ts.exchange(t, network, m)
			if r.Rcode != dns.RcodeSuccess || r.Opcode != dns.OpcodeNotify || !r.Authoritative {
				t.Fatalf("answer %s opcode %d AA %v, want NOERROR NOTIFY AA", dns.RcodeToString[r.Rcode], r.Opcode, r.Authoritative)
			}
			// A NOTIFY the handler does not take is NOTIMP, as before.
			m.SetNotify("other.example.")
			if r := ts.exchange(t, network, m); r.Rcode != dns.RcodeNotImplemented {
				t.Errorf("other zone: %s, want NOTIMP", dns.RcodeToString[r.Rcode])
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.from) != 2 || rec.from[0] != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("handler saw senders %v, want 127.0.0.1 twice", rec.from)
	}
}

func TestNotifyWithoutHandlerIsNotImplemented(t *testing.T) {
	ts := startServer(t, Config{}, testList())
	m := new(dns.Msg)
	m.SetNotify("rpz.example.")
	if r := ts.exchange(t, "udp", m); r.Rcode != dns.RcodeNotImplemented {
		t.Errorf("%s, want NOTIMP", dns.RcodeToString[r.Rcode])
	}
}
