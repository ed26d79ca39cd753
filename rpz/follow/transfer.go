package follow

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// serialLess compares SOA serials as RFC 1982 says: a is older than b.
func serialLess(a, b uint32) bool { return a != b && int32(b-a) > 0 }

// querySOA asks the primary for the zone's SOA: over UDP, again over TCP
// when the answer is truncated. With a key the query is signed and the
// answer must be signed with it.
func (f *Follower) querySOA(ctx context.Context) (*dns.SOA, error) {
	m := new(dns.Msg)
	m.SetQuestion(f.cfg.Zone, dns.TypeSOA)
	m.RecursionDesired = false
	var resp *dns.Msg
	var err error
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: f.cfg.QueryTimeout}
		if k := f.cfg.TSIG; k != nil {
			c.TsigSecret = map[string]string{k.Name: k.Secret}
			m.SetTsig(k.Name, k.Algorithm, 300, f.cfg.Now().Unix())
		}
		resp, _, err = c.ExchangeContext(ctx, m, f.cfg.Primary)
		if err != nil && errors.Is(err, dns.ErrAuth) && resp != nil {
			// A NOTAUTH reply: miekg/dns verifies no TSIG on one.
			return nil, fmt.Errorf("SOA query: primary answered %s: it does not accept the TSIG key", rcodeText(resp))
		}
		if err != nil {
			return nil, fmt.Errorf("SOA query over %s: %w", network, err)
		}
		if !resp.Truncated {
			break
		}
		m = m.Copy()
		m.Extra = nil // a new TSIG for the TCP query
	}
	if err := f.checkSigned(resp); err != nil {
		return nil, fmt.Errorf("SOA query: %w", err)
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("SOA query: primary answered %s", rcodeText(resp))
	}
	if !resp.Authoritative {
		return nil, fmt.Errorf("SOA query: the answer is not authoritative: is %s a primary for %s?", f.cfg.Primary, f.cfg.Zone)
	}
	for _, rr := range resp.Answer {
		if soa, ok := rr.(*dns.SOA); ok && dns.CanonicalName(soa.Hdr.Name) == f.cfg.Zone {
			return soa, nil
		}
	}
	return nil, fmt.Errorf("SOA query: no SOA for %s in the answer", f.cfg.Zone)
}

// checkSigned requires a signed answer when the follower has a key (the
// client verifies a signature that is there, but accepts none at all).
func (f *Follower) checkSigned(resp *dns.Msg) error {
	if f.cfg.TSIG == nil || resp.IsTsig() != nil {
		return nil
	}
	if resp.Rcode == dns.RcodeNotAuth || resp.Rcode == dns.RcodeRefused {
		return fmt.Errorf("primary answered %s to a query signed with key %q: check --follow-tsig-name and --follow-tsig-secret", rcodeText(resp), f.cfg.TSIG.Name)
	}
	return errors.New("the answer is not signed with the TSIG key")
}

func rcodeText(m *dns.Msg) string {
	s, ok := dns.RcodeToString[m.Rcode]
	if !ok {
		s = fmt.Sprintf("rcode %d", m.Rcode)
	}
	if t := m.IsTsig(); t != nil && t.Error != 0 { // RFC 8945: the TSIG error (BADKEY, BADSIG, BADTIME)
		s += " (TSIG " + dns.RcodeToString[int(t.Error)] + ")"
	}
	return s
}

// stream runs one AXFR or IXFR request with dns.Transfer and hands every
// record to fn in order. The connection is closed when ctx ends.
func (f *Follower) stream(ctx context.Context, m *dns.Msg, fn func(dns.RR) error) error {
	d := net.Dialer{Timeout: f.cfg.QueryTimeout}
	conn, err := d.DialContext(ctx, "tcp", f.cfg.Primary)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	t := &dns.Transfer{Conn: &dns.Conn{Conn: conn}, ReadTimeout: f.cfg.ReadTimeout, WriteTimeout: f.cfg.QueryTimeout}
	if k := f.cfg.TSIG; k != nil {
		t.TsigSecret = map[string]string{k.Name: k.Secret}
		m.SetTsig(k.Name, k.Algorithm, 300, f.cfg.Now().Unix())
	}
	ch, err := t.In(m, f.cfg.Primary)
	if err != nil {
		conn.Close()
		return err
	}
	var ferr error
	for env := range ch { // drained to the end: Transfer closes the connection, then ch
		switch {
		case ferr != nil:
		case env.Error != nil:
			ferr = transferError(env.Error, f.cfg.TSIG != nil)
		default:
			for _, rr := range env.RR {
				if ferr = fn(rr); ferr != nil {
					conn.Close() // stop reading; the loop drains what is left
					break
				}
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return ferr
}

// transferError says what a failed transfer message means.
func transferError(err error, signed bool) error {
	switch {
	case errors.Is(err, dns.ErrAuth): // a NOTAUTH reply carrying a TSIG error record (RFC 8945 §5.3.2)
		return errors.New("primary answered NOTAUTH: it does not accept the TSIG key")
	case errors.Is(err, dns.ErrNoSig) || errors.Is(err, dns.ErrSig) || errors.Is(err, dns.ErrKey):
		return fmt.Errorf("TSIG: %w (the primary refused the key or did not sign: check --follow-tsig-name and --follow-tsig-secret)", err)
	}
	var rcode int
	if _, serr := fmt.Sscanf(err.Error(), "dns: bad xfr rcode: %d", &rcode); serr == nil {
		name := dns.RcodeToString[rcode]
		switch {
		case rcode == dns.RcodeNotAuth && signed:
			return errors.New("primary answered NOTAUTH: it does not accept the TSIG key")
		case rcode == dns.RcodeNotAuth || rcode == dns.RcodeRefused:
			return fmt.Errorf("primary answered %s: is this follower allowed to transfer the zone (ACL, TSIG key)?", name)
		}
		return fmt.Errorf("primary answered %s", name)
	}
	return err
}

// axfr transfers the whole zone.
func (f *Follower) axfr(ctx context.Context) (*zone, error) {
	m := new(dns.Msg)
	m.SetAxfr(f.cfg.Zone)
	b := newZoneBuilder(f.cfg.Zone, &rdataTable{}, f.cfg.MaxRecords)
	var end *dns.SOA
	err := f.stream(ctx, m, func(rr dns.RR) error {
		if end != nil {
			return errors.New("records after the closing SOA")
		}
		soa, isSOA := rr.(*dns.SOA)
		switch {
		case b.soa == nil && !isSOA:
			return errors.New("the transfer does not start with the SOA")
		case b.soa == nil:
			return b.setSOA(soa)
		case isSOA:
			end = soa
			return nil
		}
		return b.add(rr)
	})
	if err != nil {
		return nil, fmt.Errorf("AXFR: %w", err)
	}
	if b.soa == nil || end == nil {
		return nil, errors.New("AXFR: the transfer ended before the closing SOA")
	}
	if end.Serial != b.soa.Serial {
		return nil, fmt.Errorf("AXFR: opening SOA serial %d, closing %d", b.soa.Serial, end.Serial)
	}
	if b.ignored > 0 {
		f.log.Warn("follow: records outside the zone or without data ignored", "count", b.ignored)
	}
	return b.build(), nil
}

// ixfrResult is what an IXFR answered.
type ixfrResult int

const (
	ixfrUpToDate  ixfrResult = iota // the SOA alone, not newer than ours
	ixfrApplied                     // deltas: the new zone is returned
	ixfrWholeZone                   // a whole zone (AXFR-style): the new zone is returned
	ixfrSOAOnly                     // the SOA alone, newer: the primary will not send deltas
)

// ixfr asks for the changes since the copy's serial (RFC 1995) and
// returns the new zone: from the deltas, or from a whole zone sent
// AXFR-style.
func (f *Follower) ixfr(ctx context.Context, cur *zone) (*zone, ixfrResult, error) {
	m := new(dns.Msg)
	m.SetIxfr(f.cfg.Zone, cur.serial(), cur.soa.Ns, cur.soa.Mbox)
	r := newIXFRReader(cur, f.cfg.MaxRecords)
	err := f.stream(ctx, m, r.next)
	if r.state == ixfrFirst && err == nil {
		return nil, 0, errors.New("IXFR: empty answer")
	}
	if r.state == ixfrSecond && r.soa != nil {
		// One SOA and nothing else (the stream may end in an error: a
		// primary that keeps the connection open after it).
		if !serialLess(cur.serial(), r.soa.Serial) {
			return nil, ixfrUpToDate, nil
		}
		return nil, ixfrSOAOnly, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("IXFR: %w", err)
	}
	z, err := r.result()
	if err != nil {
		return nil, 0, fmt.Errorf("IXFR: %w", err)
	}
	if r.full != nil {
		return z, ixfrWholeZone, nil
	}
	return z, ixfrApplied, nil
}

// ixfrReader reads an IXFR answer record by record (RFC 1995 §4):
//
//	SOA(new)  SOA(ours) deleted… SOA(next) added…  [SOA(next) deleted… SOA(…) added…]…  SOA(new)
//
// or, when the second record is not our SOA, a whole zone between two
// SOA(new) as in AXFR.
type ixfrReader struct {
	state ixfrState
	soa   *dns.SOA // the opening SOA: the version being sent
	cur   *zone
	from  uint32 // serial the current delta starts from
	patch *patch
	full  *zoneBuilder
	max   int
	done  bool
}

type ixfrState int

const (
	ixfrFirst  ixfrState = iota // before the opening SOA
	ixfrSecond                  // after it
	ixfrDelete                  // inside a delta's deletions
	ixfrAdd                     // inside a delta's additions
	ixfrWhole                   // a whole zone (AXFR-style)
)

func newIXFRReader(cur *zone, max int) *ixfrReader {
	return &ixfrReader{cur: cur, max: max}
}

func (r *ixfrReader) next(rr dns.RR) error {
	if r.done {
		return errors.New("records after the closing SOA")
	}
	soa, isSOA := rr.(*dns.SOA)
	if isSOA && dns.CanonicalName(soa.Hdr.Name) != r.cur.origin {
		return fmt.Errorf("SOA of %s inside the transfer of %s", soa.Hdr.Name, r.cur.origin)
	}
	switch r.state {
	case ixfrFirst:
		if !isSOA {
			return errors.New("the answer does not start with the SOA")
		}
		r.soa, r.state = soa, ixfrSecond
		return nil
	case ixfrSecond:
		if isSOA && soa.Serial == r.cur.serial() && soa.Serial != r.soa.Serial {
			r.patch = newPatch(r.cur, r.max)
			r.from, r.state = soa.Serial, ixfrDelete
			return nil
		}
		if isSOA { // SOA(new) twice: an empty zone sent AXFR-style
			r.full = newZoneBuilder(r.cur.origin, &rdataTable{}, r.max)
			r.full.soa = r.soa
			r.done = true
			return nil
		}
		r.full = newZoneBuilder(r.cur.origin, &rdataTable{}, r.max)
		r.full.soa = r.soa
		r.state = ixfrWhole
		return r.full.add(rr)
	case ixfrWhole:
		if isSOA {
			if soa.Serial != r.soa.Serial {
				return fmt.Errorf("whole zone: opening SOA serial %d, closing %d", r.soa.Serial, soa.Serial)
			}
			r.done = true
			return nil
		}
		return r.full.add(rr)
	case ixfrDelete:
		if isSOA {
			if !serialLess(r.from, soa.Serial) {
				return fmt.Errorf("delta from serial %d to %d goes backwards", r.from, soa.Serial)
			}
			r.from, r.state = soa.Serial, ixfrAdd
			return nil
		}
		return r.patch.del(rr)
	case ixfrAdd:
		if !isSOA {
			return r.patch.add(rr)
		}
		if soa.Serial == r.soa.Serial && r.from == r.soa.Serial {
			r.done = true // the closing SOA
			return nil
		}
		if soa.Serial != r.from {
			return fmt.Errorf("delta starts at serial %d, the previous one ended at %d", soa.Serial, r.from)
		}
		r.state = ixfrDelete
		return nil
	}
	return nil
}

// result returns the zone the answer leads to.
func (r *ixfrReader) result() (*zone, error) {
	if !r.done {
		return nil, errors.New("the answer ended before the closing SOA")
	}
	if r.full != nil {
		return r.full.build(), nil
	}
	return r.patch.build(r.soa), nil
}
