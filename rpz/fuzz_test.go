package rpz

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// recorder is a dns.ResponseWriter that keeps what the handler writes.
type recorder struct {
	remote net.Addr
	msgs   []*dns.Msg
}

func (r *recorder) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr        { return r.remote }
func (r *recorder) WriteMsg(m *dns.Msg) error   { r.msgs = append(r.msgs, m); return nil }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}

// FuzzServeDNS feeds arbitrary messages (the bytes a client sends) to the
// handler over "TCP" and "UDP": it must answer every query without
// panicking, and every answer must pack.
func FuzzServeDNS(f *testing.F) {
	s, err := NewServer(Config{Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Update(interopMatcher()); err != nil {
		f.Fatal(err)
	}
	seed := func(m *dns.Msg) {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(b, false)
	}
	q := new(dns.Msg)
	seed(q.SetAxfr("rpz.scamblock."))
	q = new(dns.Msg)
	seed(q.SetIxfr("rpz.scamblock.", 1, "ns.", "host."))
	q = new(dns.Msg)
	q.SetQuestion("rpz.scamblock.", dns.TypeIXFR)
	q.Ns = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "rpz.scamblock.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(1, 2, 3, 4)}}
	seed(q)
	q = new(dns.Msg)
	seed(q.SetQuestion("rpz.scamblock.", dns.TypeSOA))
	q = new(dns.Msg)
	seed(q.SetNotify("rpz.scamblock."))
	q = new(dns.Msg)
	seed(q.SetQuestion("evil.example.rpz.scamblock.", dns.TypeA))

	f.Fuzz(func(t *testing.T, data []byte, tcp bool) {
		m := new(dns.Msg)
		if err := m.Unpack(data); err != nil {
			return
		}
		w := &recorder{remote: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}}
		if tcp {
			w.remote = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
		}
		s.ServeDNS(w, m)
		if len(w.msgs) == 0 {
			t.Fatalf("no answer to %v", m)
		}
		for _, r := range w.msgs {
			if _, err := r.Pack(); err != nil {
				t.Fatalf("answer does not pack: %v\n%v", err, r)
			}
		}
	})
}
