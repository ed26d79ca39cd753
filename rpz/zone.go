package rpz

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// Policy targets (draft-vixie-dnsop-dns-rpz §3): "CNAME ." answers
// NXDOMAIN, "CNAME rpz-passthru." leaves the name alone.
const (
	targetNXDOMAIN = "."
	targetPassthru = "rpz-passthru."
)

// ZoneOptions describe the zone around the policy records. The zero value
// gives the defaults in brackets.
type ZoneOptions struct {
	Origin  string // zone name ["rpz.scamblock."]
	NS      string // the one NS target, any name; RPZ consumers never use it ["localhost."]
	Mbox    string // SOA RNAME ["hostmaster." + Origin]
	TTL     uint32 // TTL of the policy records ["300"]
	Refresh uint32 // SOA refresh: how often secondaries poll without NOTIFY [3600]
	Retry   uint32 // SOA retry [300]
	Expire  uint32 // SOA expire: secondaries drop the zone after this without contact [1209600]
	Minimum uint32 // SOA minimum / negative TTL [300]
}

func (o ZoneOptions) withDefaults() (ZoneOptions, error) {
	if o.Origin == "" {
		o.Origin = "rpz.scamblock."
	}
	o.Origin = dns.CanonicalName(o.Origin)
	if _, ok := dns.IsDomainName(o.Origin); !ok || o.Origin == "." {
		return o, fmt.Errorf("rpz: origin %q is not a domain name: use e.g. rpz.scamblock", o.Origin)
	}
	if o.NS == "" {
		o.NS = "localhost."
	}
	o.NS = dns.Fqdn(o.NS)
	if o.Mbox == "" {
		o.Mbox = "hostmaster." + o.Origin
	}
	o.Mbox = dns.Fqdn(o.Mbox)
	def := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.TTL, 300)
	def(&o.Refresh, 3600)
	def(&o.Retry, 300)
	def(&o.Expire, 1209600)
	def(&o.Minimum, 300)
	return o, nil
}

// node flags: which policy records a name owns.
const (
	hasExact   uint8 = 1 << iota // NAME.origin CNAME ...
	exactAllow                   // ... rpz-passthru. (else ".")
	hasWild                      // *.NAME.origin CNAME ...
	wildAllow                    // ... rpz-passthru. (else ".")
)

// node is one owner name of the zone (relative to the origin) and the
// policy records it owns. name is a substring of a lists.Set's arena: a
// node costs 24 bytes besides the name the Set already holds.
type node struct {
	name  string
	flags uint8
}

func (n node) records() int {
	return int(n.flags&hasExact) + int(n.flags&hasWild)>>2
}

// Zone is an immutable snapshot of the policy zone: SOA, NS and, for every
// name the matcher decides, the records that make an RPZ consumer decide
// the same way. Build one with NewZone; read it from any goroutine.
//
// Owner names are kept sorted (byte order), so snapshots diff by a merge.
type Zone struct {
	opts    ZoneOptions
	serial  uint32
	nodes   []node
	records int // policy records (not SOA, NS)
	stats   ZoneStats
	// src keeps the Sets the node names point into reachable (a
	// snapshot's mapping is released only when none of them is).
	src *lists.Matcher
}

// ZoneStats say what NewZone did.
type ZoneStats struct {
	Listed  int           // names the matcher decides for themselves (blocked or allowed)
	Nodes   int           // owner names in the zone
	Records int           // policy records (CNAME), SOA and NS not counted
	Skipped int           // names left out: too long under the origin, or not writable as a zone name
	Took    time.Duration // build time
}

// probeLabel starts a name below a node that no feed can list (host names
// never hold a NUL byte), so Lookup answers for the node's subtree.
const probeLabel = "\x00."

// NewZone builds the snapshot of m's decisions with the given serial.
//
// The records follow the matcher, not the feeds: every name m decides for
// itself gets NAME CNAME . (blocked) or NAME CNAME rpz-passthru. (allowed),
// and *.NAME the same for its subtree unless the entry is exact-only.
// Because RPZ consumers look names up with DNS wildcard rules (a name that
// exists in the zone, even as an empty non-terminal, hides the wildcards
// above it), every name between a deciding name and a more specific listed
// one also gets the records it inherits: with evil.example blocked and
// ok.x.evil.example exact-allowed, the zone also holds x.evil.example and
// *.x.evil.example CNAME ., and *.ok.x.evil.example CNAME . — so
// a.ok.x.evil.example stays blocked, as Matcher.Lookup says.
//
// Guarded entries, names under a --allow name, URL indicators that do not
// block their host, addresses and look-alike targets are not in the zone:
// RPZ cannot express look-alikes (edit distance); they stay in the
// resolver. m may be nil (an empty zone).
func NewZone(m *lists.Matcher, serial uint32, opts ZoneOptions) (*Zone, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	z := &Zone{opts: opts, serial: serial, src: m}
	b := &zoneBuilder{m: m, tldDecides: map[string]bool{}}
	names := candidateNames(m)
	// Owner wire length must stay ≤ 255 octets with "*." in front.
	maxLen := 255 - 2 - (len(opts.Origin) + 1) - 1

	nodes := make([]node, 0, len(names))
	// between are unlisted parents of listed names that inherit a
	// decision from further up. They exist in the zone (as empty
	// non-terminals), which hides the wildcards above them, so they need
	// the records they inherit. A parent that nothing above decides for
	// ends the walk: none further up does; a listed parent is a name of
	// its own.
	var between []string
	for _, n := range names {
		hit, _ := m.Lookup(n)
		if hit.Source == "" || hit.Name != n {
			continue // not decided at n itself: guarded, dropped, a URL host, ...
		}
		if len(n) > maxLen || !writable(n) {
			z.stats.Skipped++
			continue
		}
		z.stats.Listed++
		nodes = append(nodes, b.nodeOf(hit, n))
		for p := parent(n); p != "" && b.inherits(p); p = parent(p) {
			between = append(between, p)
		}
	}
	slices.Sort(between)
	between = slices.Compact(between)
	extra := make([]node, 0, len(between))
	for _, p := range between {
		hit, _ := m.Lookup(p)
		extra = append(extra, b.nodeOf(hit, p))
	}
	if len(extra) > 0 {
		nodes = mergeNodes(nodes, extra)
	}
	for _, n := range nodes {
		z.records += n.records()
	}
	z.nodes = slices.Clip(nodes)
	z.stats.Nodes = len(z.nodes)
	z.stats.Records = z.records
	z.stats.Took = time.Since(start)
	return z, nil
}

// candidateNames are every name an entry of m could list, sorted, once.
func candidateNames(m *lists.Matcher) []string {
	total := 0
	for _, s := range m.Sets() {
		total += s.Len()
	}
	names := make([]string, 0, total)
	for _, s := range m.Sets() {
		s.Entries(func(e lists.Entry) bool {
			switch e.Kind {
			case lists.KindDomain:
				names = append(names, e.Value)
			case lists.KindURL:
				if h, _, _ := strings.Cut(e.Value, "/"); h != "" {
					names = append(names, h)
				}
			}
			return true
		})
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// zoneBuilder asks the matcher what the zone's nodes say.
type zoneBuilder struct {
	m          *lists.Matcher
	probe      []byte
	tldDecides map[string]bool // most parents are top-level domains: what they say
}

// decision returns the flags of the record hit asks for at name (its
// wildcard when below): only decisions by name or one of its parents
// count, not look-alikes.
func decision(hit lists.Hit, name string, below bool) (flags uint8) {
	if hit.Source == "" || !covers(hit.Name, name) {
		return 0
	}
	flags = hasExact
	if hit.Action == lists.Allow {
		flags |= exactAllow
	}
	if below {
		flags <<= 2 // hasWild, wildAllow
	}
	return flags
}

// lookupBelow asks the matcher about a name just below name.
func (b *zoneBuilder) lookupBelow(name string) lists.Hit {
	if len(name)+len(probeLabel) > 253 {
		return lists.Hit{} // no child of name can exist
	}
	b.probe = append(append(b.probe[:0], probeLabel...), name...)
	hit, _ := b.m.Lookup(unsafe.String(unsafe.SliceData(b.probe), len(b.probe))) // Lookup keeps no reference
	return hit
}

func (b *zoneBuilder) nodeOf(hit lists.Hit, name string) node {
	f := decision(hit, name, false)
	if hit.Name == name && !hit.Exact {
		// An entry for name itself that covers its subdomains is the
		// most specific listing for them too: no second lookup.
		return node{name: name, flags: f | f<<2}
	}
	return node{name: name, flags: f | decision(b.lookupBelow(name), name, true)}
}

// inherits says whether the unlisted parent p takes a decision from
// further up.
func (b *zoneBuilder) inherits(p string) bool {
	single := strings.IndexByte(p, '.') < 0
	if single {
		if v, ok := b.tldDecides[p]; ok {
			return v
		}
	}
	ph, _ := b.m.Lookup(p)
	v := ph.Source != "" && covers(ph.Name, p) && ph.Name != p
	if single {
		b.tldDecides[p] = v
	}
	return v
}

// parent returns name without its first label ("" for a single label).
func parent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// mergeNodes merges two sorted node lists with distinct names.
func mergeNodes(a, b []node) []node {
	out := make([]node, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].name < b[j].name {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// covers reports whether name is a or lies under a.
func covers(a, name string) bool {
	if len(name) == len(a) {
		return name == a
	}
	return len(name) > len(a) && name[len(name)-len(a)-1] == '.' && name[len(name)-len(a):] == a
}

// writable reports whether name can be written as is in a zone (host-name
// bytes only, no empty label).
func writable(name string) bool {
	if name == "" || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Serial is the SOA serial of this snapshot.
func (z *Zone) Serial() uint32 { return z.serial }

// Origin is the zone name (lower case, trailing dot).
func (z *Zone) Origin() string { return z.opts.Origin }

// Len is the number of policy records (SOA and NS not counted).
func (z *Zone) Len() int { return z.records }

// Stats says what NewZone did.
func (z *Zone) Stats() ZoneStats { return z.stats }

// SOA returns the zone's SOA record (a new value each call).
func (z *Zone) SOA() *dns.SOA {
	return soa(z.opts, z.serial)
}

func soa(o ZoneOptions, serial uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: o.Origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: o.Minimum},
		Ns:      o.NS,
		Mbox:    o.Mbox,
		Serial:  serial,
		Refresh: o.Refresh,
		Retry:   o.Retry,
		Expire:  o.Expire,
		Minttl:  o.Minimum,
	}
}

// NS returns the zone's NS record.
func (z *Zone) NS() *dns.NS {
	return &dns.NS{Hdr: dns.RR_Header{Name: z.opts.Origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: z.opts.Minimum}, Ns: z.opts.NS}
}

// Records calls fn with the zone's records in transfer order — SOA, NS,
// then the policy records — creating each one as it goes (a 1M-name zone
// is never held as dns.RR values). It stops when fn returns false. The
// closing SOA of a transfer is not included.
func (z *Zone) Records(fn func(dns.RR) bool) {
	if !fn(z.SOA()) || !fn(z.NS()) {
		return
	}
	for _, n := range z.nodes {
		if !z.emit(n.name, n.flags, fn) {
			return
		}
	}
}

// emit calls fn for the records flags names at name.
func (z *Zone) emit(name string, flags uint8, fn func(dns.RR) bool) bool {
	if flags&hasExact != 0 && !fn(z.cname(name, false, flags&exactAllow != 0)) {
		return false
	}
	if flags&hasWild != 0 && !fn(z.cname(name, true, flags&wildAllow != 0)) {
		return false
	}
	return true
}

func (z *Zone) cname(name string, wild, allow bool) *dns.CNAME {
	owner := name + "." + z.opts.Origin
	if wild {
		owner = "*." + owner
	}
	target := targetNXDOMAIN
	if allow {
		target = targetPassthru
	}
	return &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: z.opts.TTL}, Target: target}
}

// WriteTo writes the zone in master-file format (RFC 1035 §5), one record
// a line, for files and debugging.
func (z *Zone) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	buf := make([]byte, 0, 64<<10)
	flush := func() {
		if err == nil && len(buf) > 0 {
			var k int
			k, err = w.Write(buf)
			n += int64(k)
		}
		buf = buf[:0]
	}
	z.Records(func(rr dns.RR) bool {
		buf = append(buf, rr.String()...)
		buf = append(buf, '\n')
		if len(buf) > 60<<10 {
			flush()
		}
		return err == nil
	})
	flush()
	if err != nil {
		return n, fmt.Errorf("rpz: write zone %s: %w", z.opts.Origin, err)
	}
	return n, nil
}
