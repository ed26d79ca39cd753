package follow

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// rdata is one distinct record type and data ("CNAME" "."), stored once
// and referred to by every owner that holds it: an RPZ zone has a million
// owners but a handful of distinct data (". ", "rpz-passthru.", a
// walled-garden address).
type rdata struct {
	typ    string   // "CNAME", "A", "TYPE65534", ...
	text   string   // presentation form of the data, names lower case
	fields []string // text split into fields (the RPZ rules read them)
}

// rdataTable interns rdata. A full transfer starts a new table; IXFRs add
// to the table of the zone they patch. Only the Follower's goroutine adds
// to it; zones keep a view of the slice as it was when they were built
// (entries are only ever appended, never changed), which other goroutines
// may read.
type rdataTable struct {
	list []rdata
	idx  map[string]uint32 // typ + " " + text → index+1
}

// ref returns the reference (index+1) of rr's type and data, adding it.
func (t *rdataTable) ref(rr dns.RR) uint32 {
	typ, text := rdataOf(rr)
	key := typ + " " + text
	if r, ok := t.idx[key]; ok {
		return r
	}
	if t.idx == nil {
		t.idx = make(map[string]uint32)
	}
	t.list = append(t.list, rdata{typ: typ, text: text, fields: strings.Fields(text)})
	r := uint32(len(t.list))
	t.idx[key] = r
	return r
}

// rdataOf returns rr's type and the presentation form of its data: names
// lower-cased (RFC 4343) for CNAME and NS, the address for A and AAAA,
// and for every other type the generic form of RFC 3597 ("\# 4
// c0000201"), which reads back exactly whatever the data (no policy rule
// reads it: those records are counted as unsupported). Data that is empty
// (RDLENGTH 0) gives "".
func rdataOf(rr dns.RR) (typ, text string) {
	switch v := rr.(type) {
	case *dns.CNAME:
		return "CNAME", strings.ToLower(v.Target)
	case *dns.NS:
		return "NS", strings.ToLower(v.Ns)
	case *dns.A:
		if v.A == nil {
			return "A", ""
		}
		return "A", v.A.String()
	case *dns.AAAA:
		if v.AAAA == nil {
			return "AAAA", ""
		}
		return "AAAA", v.AAAA.String()
	}
	h := rr.Header()
	typ = dns.TypeToString[h.Rrtype]
	if typ == "" {
		typ = fmt.Sprintf("TYPE%d", h.Rrtype)
	}
	g := new(dns.RFC3597)
	if err := g.ToRFC3597(rr); err != nil || g.Rdata == "" {
		return typ, ""
	}
	return typ, fmt.Sprintf("\\# %d %s", len(g.Rdata)/2, g.Rdata)
}

// node is one owner name of the zone and its records. Most owners of an
// RPZ hold one record at the name and one at its wildcard (evil.example
// CNAME . and *.evil.example CNAME .): those live in the node; further
// records of the same owner (an A and an AAAA) live in zone.more.
type node struct {
	name  string // owner relative to the origin, without "*." ("" = the apex)
	exact uint32 // rdata ref of a record at name; 0: none
	wild  uint32 // rdata ref of a record at *.name; 0: none
}

// zone is an immutable copy of the followed zone: its SOA and every other
// record (TTLs are not kept: RPZ TTLs do not change scamblock's answers).
// A transfer builds a new one; readers never see one change.
type zone struct {
	origin  string // canonical, with trailing dot
	soa     *dns.SOA
	nodes   []node              // sorted by name (byte order)
	more    map[string][]uint32 // owner ("*.name" for a wildcard) → records beyond the node's
	rd      []rdata             // the rdata table as it was when the zone was built
	table   *rdataTable         // the table itself: IXFRs on this zone add to it (Run's goroutine only)
	records int                 // records other than the SOA
}

func (z *zone) serial() uint32 { return z.soa.Serial }

// moreKey is the key of owner (name, wildcard) in zone.more.
func moreKey(name string, wild bool) string {
	switch {
	case !wild:
		return name
	case name == "":
		return "*"
	}
	return "*." + name
}

// refs calls fn for every record of node n, the exact ones first.
func (z *zone) refs(n node, fn func(wild bool, ref uint32)) {
	for _, wild := range []bool{false, true} {
		first := n.exact
		if wild {
			first = n.wild
		}
		if first == 0 {
			continue
		}
		fn(wild, first)
		if len(z.more) > 0 {
			for _, r := range z.more[moreKey(n.name, wild)] {
				fn(wild, r)
			}
		}
	}
}

// empty reports whether rr has no data (an NS without a target: what the
// wire allows with RDLENGTH 0). It means nothing in a policy zone and
// could not be written back to the copy on disk.
func empty(rr dns.RR) bool {
	_, text := rdataOf(rr)
	return strings.TrimSpace(text) == ""
}

// errOutside marks a record whose owner is not in the zone.
var errOutside = errors.New("owner outside the zone")

// ownerOf splits rr's owner into the name relative to origin (lower case,
// without "*.") and whether it is a wildcard.
func ownerOf(rr dns.RR, origin string) (name string, wild bool, err error) {
	h := rr.Header()
	if h.Class != dns.ClassINET {
		return "", false, fmt.Errorf("%s: class %s, want IN", h.Name, dns.ClassToString[h.Class])
	}
	owner := strings.ToLower(h.Name)
	switch {
	case owner == origin:
		return "", false, nil
	case origin == ".":
		name = strings.TrimSuffix(owner, ".")
	case strings.HasSuffix(owner, "."+origin):
		name = owner[:len(owner)-len(origin)-1]
	default:
		return "", false, errOutside
	}
	if name == "*" {
		return "", true, nil
	}
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		return rest, true, nil
	}
	return name, false, nil
}

// zoneBuilder collects the records of a full transfer (AXFR, an
// AXFR-style IXFR, or the copy on disk) into a zone.
type zoneBuilder struct {
	origin  string
	table   *rdataTable
	soa     *dns.SOA
	items   []item
	ignored int // records outside the zone or without data, ignored
	max     int
}

type item struct {
	name string
	ref  uint32
	wild bool
}

func newZoneBuilder(origin string, table *rdataTable, max int) *zoneBuilder {
	return &zoneBuilder{origin: origin, table: table, max: max}
}

// add takes one record after the opening SOA (which setSOA took).
func (b *zoneBuilder) add(rr dns.RR) error {
	if rr.Header().Rrtype == dns.TypeSOA {
		return fmt.Errorf("second SOA record %s inside the zone", rr.Header().Name)
	}
	name, wild, err := ownerOf(rr, b.origin)
	if errors.Is(err, errOutside) || empty(rr) {
		b.ignored++
		return nil
	}
	if err != nil {
		return err
	}
	if len(b.items) >= b.max {
		return fmt.Errorf("more than %d records: not loading a zone that large", b.max)
	}
	// Owners from a transfer share memory with the whole message's
	// records; a copy keeps just the name alive, one copy for the name
	// and its wildcard (sent one after the other).
	if k := len(b.items) - 1; k >= 0 && b.items[k].name == name {
		name = b.items[k].name
	} else {
		name = strings.Clone(name)
	}
	b.items = append(b.items, item{name: name, ref: b.table.ref(rr), wild: wild})
	return nil
}

func (b *zoneBuilder) setSOA(soa *dns.SOA) error {
	if dns.CanonicalName(soa.Hdr.Name) != b.origin {
		return fmt.Errorf("SOA of %s, want %s", soa.Hdr.Name, b.origin)
	}
	b.soa = soa
	return nil
}

// build sorts and groups the records. Duplicates (the same owner and data
// twice) count once.
func (b *zoneBuilder) build() *zone {
	items := b.items
	b.items = nil
	less := func(a, c item) int {
		if x := strings.Compare(a.name, c.name); x != 0 {
			return x
		}
		if a.wild != c.wild {
			if a.wild {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.ref, c.ref)
	}
	if !slices.IsSortedFunc(items, less) { // a scamblock primary sends them sorted
		slices.SortFunc(items, less)
	}
	items = slices.CompactFunc(items, func(a, c item) bool { return less(a, c) == 0 })
	z := &zone{origin: b.origin, soa: b.soa, rd: b.table.list, table: b.table, records: len(items)}
	names := 0
	for i, it := range items {
		if i == 0 || items[i-1].name != it.name {
			names++
		}
	}
	z.nodes = make([]node, 0, names)
	for _, it := range items {
		k := len(z.nodes) - 1
		if k < 0 || z.nodes[k].name != it.name {
			z.nodes = append(z.nodes, node{name: it.name})
			k++
		}
		n := &z.nodes[k]
		slot := &n.exact
		if it.wild {
			slot = &n.wild
		}
		if *slot == 0 {
			*slot = it.ref
			continue
		}
		if z.more == nil {
			z.more = make(map[string][]uint32)
		}
		key := moreKey(it.name, it.wild)
		z.more[key] = append(z.more[key], it.ref)
	}
	return z
}

// patch applies IXFR deltas (RFC 1995) to a zone without changing it: the
// owners a delta touches are collected with their records, and build
// merges them into a new zone.
type patch struct {
	old     *zone
	table   *rdataTable
	touched map[string]*owned // by node name
	records int
	max     int
}

// owned is the records of one node name while a patch changes them.
type owned struct {
	exact, wild []uint32
}

func newPatch(old *zone, max int) *patch {
	return &patch{old: old, table: old.table, touched: map[string]*owned{}, records: old.records, max: max}
}

// get returns the records of name, starting from the old zone's.
func (p *patch) get(name string) *owned {
	if o, ok := p.touched[name]; ok {
		return o
	}
	o := &owned{}
	if i, ok := slices.BinarySearchFunc(p.old.nodes, name, func(n node, s string) int { return strings.Compare(n.name, s) }); ok {
		p.old.refs(p.old.nodes[i], func(wild bool, r uint32) {
			if wild {
				o.wild = append(o.wild, r)
			} else {
				o.exact = append(o.exact, r)
			}
		})
	}
	p.touched[strings.Clone(name)] = o
	return o
}

// errMissing marks a delete of a record the zone does not hold: the copy
// and the primary disagree, so the follower transfers the whole zone.
var errMissing = errors.New("IXFR deletes a record this copy does not have")

func (p *patch) del(rr dns.RR) error {
	if empty(rr) {
		return nil // never added
	}
	name, wild, err := ownerOf(rr, p.old.origin)
	if err != nil {
		return fmt.Errorf("IXFR delete %s: %w", rr.Header().Name, err)
	}
	o := p.get(name)
	list := &o.exact
	if wild {
		list = &o.wild
	}
	r := p.table.ref(rr)
	i := slices.Index(*list, r)
	if i < 0 {
		return fmt.Errorf("%w: %s", errMissing, strings.TrimSpace(rr.String()))
	}
	*list = slices.Delete(*list, i, i+1)
	p.records--
	return nil
}

func (p *patch) add(rr dns.RR) error {
	if empty(rr) {
		return nil
	}
	name, wild, err := ownerOf(rr, p.old.origin)
	if err != nil {
		return fmt.Errorf("IXFR add %s: %w", rr.Header().Name, err)
	}
	o := p.get(name)
	list := &o.exact
	if wild {
		list = &o.wild
	}
	r := p.table.ref(rr)
	if slices.Contains(*list, r) {
		return nil // already there: adding it again changes nothing
	}
	if p.records >= p.max {
		return fmt.Errorf("more than %d records: not loading a zone that large", p.max)
	}
	*list = append(*list, r)
	p.records++
	return nil
}

// build returns the patched zone with soa.
func (p *patch) build(soa *dns.SOA) *zone {
	old := p.old
	z := &zone{origin: old.origin, soa: soa, rd: p.table.list, table: p.table, records: p.records}
	names := make([]string, 0, len(p.touched))
	for n := range p.touched {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(old.more) > 0 {
		z.more = make(map[string][]uint32, len(old.more))
		for k, v := range old.more {
			z.more[k] = v
		}
	}
	nodes := make([]node, 0, len(old.nodes)+len(names))
	i := 0
	for _, name := range names {
		for i < len(old.nodes) && old.nodes[i].name < name {
			nodes = append(nodes, old.nodes[i])
			i++
		}
		if i < len(old.nodes) && old.nodes[i].name == name {
			i++ // replaced below
		}
		o := p.touched[name]
		delete(z.more, moreKey(name, false))
		delete(z.more, moreKey(name, true))
		n := node{name: name}
		n.exact = z.keep(name, false, o.exact)
		n.wild = z.keep(name, true, o.wild)
		if n.exact != 0 || n.wild != 0 {
			nodes = append(nodes, n)
		}
	}
	nodes = append(nodes, old.nodes[i:]...)
	z.nodes = slices.Clip(nodes)
	return z
}

// keep stores refs of one owner: the first in the node (returned), the
// rest in z.more.
func (z *zone) keep(name string, wild bool, refs []uint32) uint32 {
	if len(refs) == 0 {
		return 0
	}
	if len(refs) > 1 {
		if z.more == nil {
			z.more = make(map[string][]uint32)
		}
		z.more[moreKey(name, wild)] = slices.Clone(refs[1:])
	}
	return refs[0]
}
