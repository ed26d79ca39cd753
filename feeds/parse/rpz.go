package parse

import (
	"io"
	"strconv"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// rpz parses a DNS Response Policy Zone in master-file syntax, line by line
// (so every entry and reject has its line). Policies by record:
//
//	name CNAME .               NXDOMAIN   → Block, Exact (the name only)
//	*.name CNAME .             NXDOMAIN   → Block, subtree
//	name CNAME *.              NODATA     → Block
//	name CNAME rpz-drop.       drop       → Block
//	name CNAME rpz-passthru.   passthru   → Allow
//	name A/AAAA/CNAME target   local data → Block (the name is redirected away)
//
// $TTL, $ORIGIN, SOA and NS records, and ";" comments are skipped; owners
// are taken relative to the zone's origin (the SOA owner, or $ORIGIN), so
// "evil.example.rpz.local." becomes evil.example. rpz-tcp-only, triggers on
// IPs and name servers (.rpz-ip, .rpz-nsdname, .rpz-nsip, .rpz-client-ip)
// and other record types are unsupported-rule. "*.name" also blocks name
// itself: entries cannot express "subdomains only"; RPZ feeds list both.
func (p *parser) rpz(r io.Reader) error {
	z := rpzState{}
	return p.rawLines(r, func(n int, b []byte) { p.rpzLine(&z, n, string(b)) })
}

type rpzState struct {
	origin  string // absolute, lower case, with trailing dot; "" = root
	last    string // last owner, absolute
	inParen bool   // inside a multi-line ( ... ) record being skipped
	soaSeen bool
}

// stripZoneComment removes a ";" comment outside quotes.
func stripZoneComment(s string) string {
	inQ := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQ = !inQ
		case ';':
			if !inQ {
				return s[:i]
			}
		}
	}
	return s
}

var rrClasses = map[string]bool{"IN": true, "CH": true, "HS": true, "CS": true, "ANY": true}

func (p *parser) rpzLine(z *rpzState, n int, raw string) {
	s := stripZoneComment(raw)
	if z.inParen {
		if strings.Contains(s, ")") {
			z.inParen = false
		}
		return
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	if strings.Count(s, "(") > strings.Count(s, ")") {
		z.inParen = true
		s = s[:strings.IndexByte(s, '(')]
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	inherit := s[0] == ' ' || s[0] == '\t'
	f := strings.Fields(s)
	if len(f) == 0 {
		return
	}
	if f[0][0] == '$' {
		switch strings.ToUpper(f[0]) {
		case "$ORIGIN":
			if len(f) < 2 {
				p.rep.Reject(n, raw, ReasonSyntax, "$ORIGIN without a name")
				return
			}
			z.origin = z.absolute(f[1])
		case "$TTL":
		default:
			p.rep.Reject(n, raw, ReasonUnsupported, f[0]+" directive")
		}
		return
	}
	owner := z.last
	if !inherit {
		owner = z.absolute(f[0])
		f = f[1:]
	}
	z.last = owner
	// [ttl] [class] type rdata, ttl and class in either order.
	for len(f) > 0 && (isDigits(f[0]) || rrClasses[strings.ToUpper(f[0])]) {
		f = f[1:]
	}
	if len(f) == 0 {
		p.rep.Reject(n, raw, ReasonSyntax, "record without a type")
		return
	}
	typ := strings.ToUpper(f[0])
	rdata := f[1:]
	switch typ {
	case "SOA":
		if !z.soaSeen {
			z.soaSeen = true
			if z.origin == "" || owner != "." {
				z.origin = owner
			}
		}
		return
	case "NS":
		return
	}
	name, ok := z.relative(owner)
	if !ok {
		p.rep.Reject(n, raw, ReasonSyntax, "owner "+strconv.Quote(owner)+" is outside the zone "+strconv.Quote(z.origin))
		return
	}
	rec := RPZRecord{Line: n, Raw: raw, Name: name, Type: typ, Data: rdata}
	if name == "*" {
		rec.Name, rec.Wildcard = "", true
	} else if rest, ok := strings.CutPrefix(name, "*."); ok {
		rec.Name, rec.Wildcard = rest, true
	}
	p.rpzRecord(rec)
}

// RPZRecord is one record of a response policy zone, its owner taken
// relative to the zone's origin: what a zone file line or a zone transfer
// (package rpz/follow) delivers.
type RPZRecord struct {
	Line     int      // line in the file; 0 for a transferred record
	Raw      string   // the record as text for reject examples; "" composes it from the fields
	Name     string   // owner relative to the origin, lower case, no trailing dot, without "*." ("" = the apex)
	Wildcard bool     // the owner is "*." + Name
	Type     string   // record type, upper case: "CNAME", "A", ...
	Data     []string // rdata fields: the CNAME target, the address, ...
}

// RPZPolicy applies the rules of FormatRPZ (see rpz above) to one record:
// it emits the record's entry (at most one) or counts the reject in rep.
// SOA and NS records are skipped without a reject.
func RPZPolicy(rec RPZRecord, opts Options, rep *Report, emit Emit) {
	p := &parser{rep: rep, opts: opts, emit: emit}
	p.rpzRecord(rec)
}

func (p *parser) rpzRecord(rec RPZRecord) {
	n, name, typ, rdata := rec.Line, rec.Name, rec.Type, rec.Data
	switch typ {
	case "SOA", "NS":
		return
	}
	reject := func(reason lists.Reason, detail string) {
		p.rep.Reject(n, rec.text(), reason, detail)
	}
	if name == "" {
		reject(ReasonUnsupported, "policy for the zone apex or every name")
		return
	}
	for _, trig := range []string{".rpz-ip", ".rpz-nsdname", ".rpz-nsip", ".rpz-client-ip"} {
		if strings.HasSuffix(name, trig) || name == trig[1:] {
			reject(ReasonUnsupported, trig[1:]+" trigger; only QNAME triggers are used")
			return
		}
	}
	base := lists.Entry{Exact: !rec.Wildcard}
	switch typ {
	case "CNAME":
		if len(rdata) != 1 {
			reject(ReasonSyntax, "CNAME needs one target")
			return
		}
		switch t := strings.ToLower(rdata[0]); t {
		case ".", "*.", "rpz-drop.":
		case "rpz-passthru.":
			base.Action = lists.Allow
		case "rpz-tcp-only.":
			reject(ReasonUnsupported, "rpz-tcp-only action")
			return
		}
	case "A", "AAAA":
	default:
		reject(ReasonUnsupported, typ+" record")
		return
	}
	if strings.ContainsAny(name, `\*`) {
		reject(ReasonUnsupported, "escaped or embedded wildcard owner")
		return
	}
	p.target(n, name, base)
}

// text is the record as reject examples show it: Raw, or the fields.
func (rec RPZRecord) text() string {
	if rec.Raw != "" {
		return rec.Raw
	}
	owner := rec.Name
	if rec.Wildcard {
		owner = "*." + rec.Name
	}
	return strings.Join(append([]string{owner, rec.Type}, rec.Data...), " ")
}

// absolute returns name as an absolute lower-case name with a trailing dot.
func (z *rpzState) absolute(name string) string {
	name = strings.ToLower(name)
	switch {
	case name == "@":
		if z.origin == "" {
			return "."
		}
		return z.origin
	case strings.HasSuffix(name, "."):
		return name
	case z.origin == "" || z.origin == ".":
		return name + "."
	}
	return name + "." + z.origin
}

// relative returns owner without the zone origin, without a trailing dot.
func (z *rpzState) relative(owner string) (string, bool) {
	if z.origin == "" || z.origin == "." {
		return strings.TrimSuffix(owner, "."), true
	}
	if owner == z.origin {
		return "", true
	}
	if rel, ok := strings.CutSuffix(owner, "."+z.origin); ok {
		return rel, true
	}
	return "", false
}
