package resolver

import (
	"net/url"
	"testing"

	"github.com/miekg/dns"
)

// unpackedMinTTL is what minTTL reads from the wire, from the unpacked
// message: the smallest TTL in the answer and authority sections (0 if none).
func unpackedMinTTL(m *dns.Msg) uint32 {
	found, ttl := false, uint32(0)
	for _, rr := range append(append([]dns.RR(nil), m.Answer...), m.Ns...) {
		if t := rr.Header().Ttl; !found || t < ttl {
			found, ttl = true, t
		}
	}
	return ttl
}

// TestMinTTL checks the Cache-Control lifetime read from the packed
// answer against the unpacked message: compressed names, the authority
// section, the OPT record (whose TTL field holds flags) left out.
func TestMinTTL(t *testing.T) {
	msg := func(qname string, answer, ns, extra []string, edns bool) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(qname, dns.TypeA)
		m.Response = true
		for _, s := range answer {
			m.Answer = append(m.Answer, rr(t, s))
		}
		for _, s := range ns {
			m.Ns = append(m.Ns, rr(t, s))
		}
		for _, s := range extra {
			m.Extra = append(m.Extra, rr(t, s))
		}
		if edns {
			m.SetEdns0(1232, true) // DO: 0x8000 in the OPT's TTL field
		}
		return m
	}
	for _, c := range []struct {
		name string
		m    *dns.Msg
		want uint32
		ok   bool
	}{
		{"one A", msg("a.test.", []string{"a.test. 300 IN A 192.0.2.1"}, nil, nil, false), 300, true},
		{"chain, smallest last", msg("alias.test.", []string{"alias.test. 3600 IN CNAME www.evil.example.", "www.evil.example. 60 IN A 192.0.2.66"}, nil, nil, true), 60, true},
		{"NXDOMAIN with SOA", msg("x.test.", nil, []string{"test. 900 IN SOA ns.test. admin.test. 1 7200 3600 1209600 900"}, nil, true), 900, true},
		{"additional ignored", msg("a.test.", []string{"a.test. 300 IN A 192.0.2.1"}, nil, []string{"ns.test. 5 IN A 192.0.2.53"}, true), 300, true},
		{"zero TTL", msg("a.test.", []string{"a.test. 0 IN A 192.0.2.1", "a.test. 300 IN A 192.0.2.2"}, nil, nil, false), 0, true},
		{"no records", msg("a.test.", nil, nil, nil, true), 0, false},
	} {
		for _, compress := range []bool{false, true} {
			c.m.Compress = compress
			b, err := c.m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			got, ok := minTTL(b)
			if got != c.want || ok != c.ok || got != unpackedMinTTL(c.m) {
				t.Errorf("%s (compressed %v): minTTL %d %v, want %d %v", c.name, compress, got, ok, c.want, c.ok)
			}
			if _, ok := minTTL(b[:len(b)-1]); ok {
				t.Errorf("%s: a cut message has a TTL", c.name)
			}
		}
	}
}

// TestDNSParam checks the in-place read of the dns parameter against
// url.Values.Get.
func TestDNSParam(t *testing.T) {
	for _, raw := range []string{
		"", "dns=AAABAAAB", "x=1&dns=AAAB", "dns=a&dns=b", "dns", "dns=", "dnsx=1&dns=q", "&&dns=q&",
		"dns=a%2Bb", "dns=a+b", "x=1;dns=q", "dn%73=q", "dns=q=r", "x=&dns=q",
	} {
		q, _ := url.ParseQuery(raw)
		if got, want := dnsParam(raw), q.Get("dns"); got != want {
			t.Errorf("dnsParam(%q) = %q, url.Values.Get says %q", raw, got, want)
		}
	}
}
