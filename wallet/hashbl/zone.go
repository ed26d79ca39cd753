// Package hashbl serves listed wallet addresses (and listed domains) as a
// HashBL DNS zone, the way mail filters query wallet blocklists:
// SpamAssassin's HashBL plugin (check_hashbl_bodyre), Spamhaus HBL, SURBL
// HashBL, Abusix's wallet zone. See README.md for label forms and codes.
package hashbl

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/wallet"
)

// Addresses finds the listed address a HashBL label stands for:
// *wallet.Index, or *wallet.Live for an index its owner swaps.
type Addresses interface {
	LookupLabel(label string) (wallet.Record, bool)
}

// Blocklist answers domain lookups (<domain>.<zone>): the compiled
// lists.Matcher or whatever holds the current one.
type Blocklist interface {
	Lookup(name string) (lists.Hit, bool)
}

// Config configures a Zone.
type Config struct {
	Zone       string    // the zone name, e.g. "hashbl.scamblock.local" (--hashbl-zone)
	Addresses  Addresses // nil: no address answers
	Domains    Blocklist // nil: no domain answers
	TTL        uint32    // of positive answers; 0 means 300
	NegTTL     uint32    // SOA TTL and MINIMUM (negative caching); 0 means 60
	NS         string    // the name server in SOA MNAME and the apex NS; "" means "localhost."
	Hostmaster string    // SOA RNAME; "" means "hostmaster.<zone>"
	Serial     uint32    // SOA serial; 0 means 1
	MaxTXT     int       // TXT records per answer (one per listing); 0 means 4
}

// Zone answers queries inside one HashBL zone. It is immutable and safe
// for concurrent use; the data it reads comes through Addresses and
// Domains, which their owners may swap underneath.
type Zone struct {
	origin string // lower case, fully qualified
	cfg    Config
}

// New checks cfg and returns its Zone.
func New(cfg Config) (*Zone, error) {
	name := strings.ToLower(dns.Fqdn(strings.TrimSpace(cfg.Zone)))
	if name == "." {
		return nil, fmt.Errorf("hashbl: empty zone name: give --hashbl-zone a name such as hashbl.scamblock.local")
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, fmt.Errorf("hashbl: %q is not a valid zone name", cfg.Zone)
	}
	if cfg.TTL == 0 {
		cfg.TTL = 300
	}
	if cfg.NegTTL == 0 {
		cfg.NegTTL = 60
	}
	if cfg.NS == "" {
		cfg.NS = "localhost."
	}
	cfg.NS = dns.Fqdn(cfg.NS)
	if cfg.Hostmaster == "" {
		cfg.Hostmaster = "hostmaster." + name
	}
	cfg.Hostmaster = dns.Fqdn(cfg.Hostmaster)
	if cfg.Serial == 0 {
		cfg.Serial = 1
	}
	if cfg.MaxTXT <= 0 {
		cfg.MaxTXT = 4
	}
	return &Zone{origin: name, cfg: cfg}, nil
}

// Name is the zone's fully qualified, lower-case name.
func (z *Zone) Name() string { return z.origin }

// Origins names the zone for the resolver's fast path (resolver.LocalZone's
// optional method): queries outside it never reach Answer.
func (z *Zone) Origins() []string { return []string{z.origin} }

// Answer answers req when its question is inside the zone; the bool is
// false (and the message nil) otherwise, so the caller goes on to the next
// stage. Answers are authoritative: a listed name has A (127.0.x.y, see
// Code) and TXT records, other types get NODATA; an unlisted name is
// NXDOMAIN; both negative forms carry the zone's SOA. The apex has SOA
// and NS.
func (z *Zone) Answer(req *dns.Msg) (*dns.Msg, bool) {
	if req == nil || req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		return nil, false
	}
	q := req.Question[0]
	name := q.Name
	if hasUpper(name) {
		name = strings.ToLower(name)
	}
	inside := name == z.origin ||
		len(name) > len(z.origin) && name[len(name)-len(z.origin)-1] == '.' && name[len(name)-len(z.origin):] == z.origin
	if !inside {
		return nil, false
	}
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true // the zone sits on a recursive resolver's listener
	if opt := req.IsEdns0(); opt != nil {
		resp.SetEdns0(1232, false)
	}
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		resp.Rcode = dns.RcodeRefused
		return resp, true
	}
	if name == z.origin {
		z.apex(resp, q)
		return resp, true
	}
	rel := name[:len(name)-len(z.origin)-1]
	codes, texts, ok := z.lookup(rel, q.Qtype)
	if !ok {
		resp.Rcode = dns.RcodeNameError
		resp.Ns = []dns.RR{z.soa()}
		return resp, true
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: z.cfg.TTL}
	}
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		for _, c := range codes {
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.IP(c.AsSlice())})
		}
	}
	if q.Qtype == dns.TypeTXT || q.Qtype == dns.TypeANY {
		for _, t := range texts {
			resp.Answer = append(resp.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{t}})
		}
	}
	if len(resp.Answer) == 0 {
		resp.Ns = []dns.RR{z.soa()} // NODATA
	}
	return resp, true
}

func (z *Zone) apex(resp *dns.Msg, q dns.Question) {
	switch q.Qtype {
	case dns.TypeSOA:
		resp.Answer = []dns.RR{z.soa()}
	case dns.TypeNS:
		resp.Answer = []dns.RR{z.ns()}
	case dns.TypeANY:
		resp.Answer = []dns.RR{z.soa(), z.ns()}
	default:
		resp.Ns = []dns.RR{z.soa()}
	}
}

func (z *Zone) soa() dns.RR {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: z.origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: z.cfg.NegTTL},
		Ns:      z.cfg.NS,
		Mbox:    z.cfg.Hostmaster,
		Serial:  z.cfg.Serial,
		Refresh: 3600, Retry: 600, Expire: 86400,
		Minttl: z.cfg.NegTTL,
	}
}

func (z *Zone) ns() dns.RR {
	return &dns.NS{Hdr: dns.RR_Header{Name: z.origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: z.cfg.TTL}, Ns: z.cfg.NS}
}

// lookup resolves the part of the name below the zone: one label is tried
// as an address label first; anything unanswered goes to the domain
// blocklist.
// Only what qtype asks for is built.
func (z *Zone) lookup(rel string, qtype uint16) (codes []netip.Addr, texts []string, found bool) {
	wantA := qtype == dns.TypeA || qtype == dns.TypeANY
	wantTXT := qtype == dns.TypeTXT || qtype == dns.TypeANY
	if z.cfg.Addresses != nil && strings.IndexByte(rel, '.') < 0 {
		if r, ok := z.cfg.Addresses.LookupLabel(rel); ok && len(r.Listings) > 0 {
			if wantA {
				codes = addressCodes(r)
			}
			if wantTXT {
				texts = z.addressTexts(r)
			}
			return codes, texts, true
		}
	}
	if z.cfg.Domains != nil {
		if h, ok := z.cfg.Domains.Lookup(rel); ok && h.Action == lists.Block {
			if wantA {
				codes = []netip.Addr{Code(KindDomain, h.Category)}
			}
			if wantTXT {
				texts = []string{domainText(h)}
			}
			return codes, texts, true
		}
	}
	return nil, nil, false
}

func addressCodes(r wallet.Record) []netip.Addr {
	out := make([]netip.Addr, 0, 2)
	for _, l := range r.Listings {
		c := Code(KindAddress, l.Category)
		dup := false
		for _, o := range out {
			dup = dup || o == c
		}
		if !dup {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

func (z *Zone) addressTexts(r wallet.Record) []string {
	var out []string
	for i, l := range r.Listings {
		if i == z.cfg.MaxTXT {
			break
		}
		var b strings.Builder
		b.WriteString("scamblock: ")
		b.WriteString(categoryName(l.Category))
		b.WriteString(" ")
		b.WriteString(r.Address.Chain)
		b.WriteString(" address listed by ")
		b.WriteString(l.Source)
		if l.Line > 0 {
			b.WriteString(" line ")
			b.WriteString(strconv.Itoa(l.Line))
		}
		if len(l.Links) > 0 {
			b.WriteString("; used by ")
			b.WriteString(strings.Join(l.Links, ", "))
		}
		out = append(out, clip(b.String()))
	}
	if n := len(r.Listings) - len(out); n > 0 {
		out[len(out)-1] = clip(out[len(out)-1] + fmt.Sprintf(" (+%d more listings)", n))
	}
	return out
}

func domainText(h lists.Hit) string {
	s := "scamblock: " + categoryName(h.Category) + " domain " + h.Name + " listed by " + h.Source
	if h.Line > 0 {
		s += " line " + strconv.Itoa(h.Line)
	}
	return clip(s)
}

// clip keeps a TXT string within 255 bytes.
func clip(s string) string {
	if len(s) <= 255 {
		return s
	}
	return s[:252] + "..."
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
