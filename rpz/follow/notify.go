package follow

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/rpz"
)

// ErrNotPrimary is returned by Notify for a sender that is not the primary.
var ErrNotPrimary = errors.New("NOTIFY not from the primary")

// Notify handles a NOTIFY (RFC 1996) from address from announcing serial:
// when from is the primary and serial is newer than the copy's, the
// follower checks the primary at once (a burst of NOTIFYs makes one check,
// and checks are at least Config.NotifyInterval apart). It never blocks.
func (f *Follower) Notify(from netip.Addr, serial uint32) error {
	return f.notify(from, serial, true)
}

func (f *Follower) notify(from netip.Addr, serial uint32, known bool) error {
	if !f.isPrimary(from) {
		f.mu.Lock()
		f.st.NotifiesRefused++
		f.mu.Unlock()
		f.refusals.Warn("from", from.String(), "why", "not the primary")
		return fmt.Errorf("%w (%s): %s", ErrNotPrimary, f.cfg.Primary, from)
	}
	f.mu.Lock()
	f.st.Notifies++
	f.mu.Unlock()
	if cur := f.cur.Load(); known && cur != nil && !serialLess(cur.serial(), serial) {
		f.log.Debug("follow: NOTIFY for a serial we have", "serial", serial)
		return nil
	}
	f.log.Debug("follow: NOTIFY", "serial", serial, "known", known)
	select {
	case f.trigger <- struct{}{}:
	default: // a check is already pending: it will see this serial too
	}
	return nil
}

func (f *Follower) isPrimary(a netip.Addr) bool {
	p := f.primary.Load()
	return p != nil && slices.Contains(*p, a.Unmap())
}

// ServeNotify answers a DNS message in wire form that arrived at a DNS
// listener from address from, if it is a NOTIFY: ok is false for anything
// else (the listener answers it as usual). The answer is NOERROR for a
// NOTIFY of the followed zone from the primary, REFUSED for another zone
// or sender, NOTAUTH with the RFC 8945 TSIG error record (BADKEY, BADSIG
// unsigned; BADTIME signed) for a bad TSIG signature; signed NOTIFYs get signed
// answers. Unsigned NOTIFYs from the primary are accepted even with a key
// configured, as BIND does: a NOTIFY only starts a check, and the check
// itself is signed.
func (f *Follower) ServeNotify(raw []byte, from netip.Addr) (reply []byte, ok bool) {
	var m dns.Msg
	if err := m.Unpack(raw); err != nil || m.Response || m.Opcode != dns.OpcodeNotify {
		return nil, false
	}
	r := new(dns.Msg)
	r.SetReply(&m)
	r.Authoritative = true
	var key *dns.TSIG
	var tsigErr *dns.TSIG // the RFC 8945 error record for a signed NOTIFY that did not verify
	answer := func(rcode int) ([]byte, bool) {
		r.Rcode = rcode
		if tsigErr != nil {
			r.Extra = append(r.Extra, tsigErr)
			if tsigErr.Error == dns.RcodeBadTime { // signed; BADKEY and BADSIG go out unsigned
				if out, _, err := dns.TsigGenerate(r, f.cfg.TSIG.Secret, m.IsTsig().MAC, false); err == nil {
					return out, true
				}
				r.Extra = r.Extra[:len(r.Extra)-1]
			}
		}
		if key != nil {
			r.SetTsig(key.Hdr.Name, key.Algorithm, 300, f.cfg.Now().Unix())
			out, _, err := dns.TsigGenerate(r, f.cfg.TSIG.Secret, key.MAC, false)
			if err == nil {
				return out, true
			}
			r.Extra = nil
		}
		out, err := r.Pack()
		if err != nil {
			return nil, false
		}
		return out, true
	}
	if len(m.Question) != 1 || dns.CanonicalName(m.Question[0].Name) != f.cfg.Zone || m.Question[0].Qtype != dns.TypeSOA {
		return answer(dns.RcodeRefused)
	}
	if t := m.IsTsig(); t != nil {
		k := f.cfg.TSIG
		if k == nil || dns.CanonicalName(t.Hdr.Name) != k.Name {
			f.refuse(from, "signed with an unknown TSIG key "+t.Hdr.Name)
			tsigErr = rpz.TSIGErrorRecord(t, dns.RcodeBadKey, f.cfg.Now())
			return answer(dns.RcodeNotAuth)
		}
		if err := dns.TsigVerify(slices.Clone(raw), k.Secret, "", false); err != nil {
			f.refuse(from, "TSIG: "+err.Error())
			code, _ := rpz.TSIGError(err, true)
			tsigErr = rpz.TSIGErrorRecord(t, code, f.cfg.Now())
			return answer(dns.RcodeNotAuth)
		}
		key = t
	}
	var serial uint32
	known := false
	for _, rr := range m.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			serial, known = soa.Serial, true
		}
	}
	if err := f.notify(from, serial, known); err != nil {
		return answer(dns.RcodeRefused)
	}
	return answer(dns.RcodeSuccess)
}

func (f *Follower) refuse(from netip.Addr, why string) {
	f.mu.Lock()
	f.st.NotifiesRefused++
	f.mu.Unlock()
	f.refusals.Warn("from", from.String(), "why", why)
}
