package parse

import (
	"fmt"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// Reasons for rejects this package adds to those of lists.NormalizeHost.
const (
	// ReasonLocalName rejects the local names hosts files carry
	// ("localhost", "broadcasthost", "0.0.0.0", "ip6-loopback", ...).
	ReasonLocalName lists.Reason = "local-name"
	// ReasonNotHost rejects a value that is not a host or URL at all
	// (free text, an e-mail address, a URL with an unsupported scheme).
	ReasonNotHost lists.Reason = "not-a-host"
	// ReasonNotAddress rejects a wallet-address value that cannot be one
	// (blanks inside, too long). Addresses are otherwise emitted raw.
	ReasonNotAddress lists.Reason = "not-an-address"
)

// parser carries the state one Parse call shares between its helpers.
type parser struct {
	rep   *Report
	opts  Options
	emit  Emit
	piece bool // r is a piece of a file after its first line (ParsePieces)
	// borrow hands eachLine's callbacks a view of the read buffer instead
	// of a copy of each line: entries' values may share it (ParsePieces).
	borrow bool
	tlds   map[string]tldMemo
	// recent holds TLDs the memo answered lately, by tldSlot: a string
	// compare instead of a map read for most names.
	recent [256]tldMemo
}

// tldMemo is one TLD's class; tld is the memo's own copy of the label.
type tldMemo struct {
	tld   string
	class lists.TLDClass
}

// tldSlot is where tld goes in parser.recent.
func tldSlot(tld string) int {
	return (len(tld)*131 + int(tld[0])*31 + int(tld[len(tld)-1])) & 255
}

// put emits e, filling the default category, and counts it, with its
// TLD class for names. A special-use name from a downloaded feed is a
// "special-use" reject instead (Options.Downloaded).
func (p *parser) put(e lists.Entry) {
	if e.Category == "" {
		e.Category = p.opts.Category
	}
	if e.Kind == lists.KindDomain || e.Kind == lists.KindURL {
		host, _, _ := strings.Cut(e.Value, "/")
		switch p.classifyTLD(host) {
		case lists.TLDUnknown:
			p.rep.UnknownTLD++
		case lists.TLDSpecialUse:
			if p.opts.Downloaded {
				suffix, by, _ := lists.SpecialUse(host)
				p.rep.Reject(e.Line, e.Value, lists.ReasonSpecialUse, fmt.Sprintf("%q is a special-use name (%s), never in the public DNS", suffix, by))
				return
			}
			p.rep.SpecialUse++
		}
	}
	p.emit(e)
	p.rep.Accept()
}

// classifyTLD is lists.ClassifyTLD with a memo by top-level label (the
// answer depends on nothing else but for .arpa): a string compare in
// p.recent for most names, else a map read, instead of two map reads. The
// memo is bounded: a list of junk TLDs stops adding.
func (p *parser) classifyTLD(host string) lists.TLDClass {
	tld := host[strings.LastIndexByte(host, '.')+1:]
	if tld == "" || tld == "arpa" {
		return lists.ClassifyTLD(host)
	}
	slot := &p.recent[tldSlot(tld)]
	if slot.tld == tld {
		return slot.class
	}
	if m, ok := p.tlds[tld]; ok {
		*slot = m
		return m.class
	}
	c := lists.ClassifyTLD(host)
	if p.tlds == nil {
		p.tlds = make(map[string]tldMemo)
	}
	if len(p.tlds) < 4096 {
		m := tldMemo{strings.Clone(tld), c}
		p.tlds[m.tld] = m
		*slot = m
	}
	return c
}

// localNames are the names hosts files map to loopback for the system's own use.
var localNames = map[string]bool{
	"localhost": true, "localhost.localdomain": true, "local": true, "broadcasthost": true,
	"ip6-localhost": true, "ip6-loopback": true, "ip6-localnet": true, "ip6-mcastprefix": true,
	"ip6-allnodes": true, "ip6-allrouters": true, "ip6-allhosts": true, "0.0.0.0": true,
}

// isLocalName reports whether name is one of the hosts-file local names.
func isLocalName(name string) bool {
	return localNames[strings.ToLower(strings.TrimSuffix(name, "."))]
}

// target is what one textual indicator (a host, "*.host", or a URL) means.
type target struct {
	host     string // normalized host
	path     string // "" for a host entry; else "/path" without query, fragment or trailing slash
	wildcard bool   // written as "*.host"
}

// splitTarget parses raw as a host, a "*.host" wildcard, a "host/path" or a
// URL with a scheme. It returns a *lists.RejectError (via NormalizeHost) or a
// reject with ReasonNotHost.
func splitTarget(raw string) (target, error) {
	s := strings.TrimSpace(raw)
	var t target
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := strings.ToLower(s[:i])
		switch scheme {
		case "http", "https", "hxxp", "hxxps", "ws", "wss", "ftp":
		default:
			return t, &lists.RejectError{Reason: ReasonNotHost, Input: raw, Detail: "unsupported URL scheme " + quote(scheme)}
		}
		s = s[i+3:]
	} else {
		s = strings.TrimPrefix(s, "//")
	}
	hostEnd := strings.IndexAny(s, "/?#")
	rest := ""
	if hostEnd >= 0 {
		rest = s[hostEnd:]
		s = s[:hostEnd]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if hostEnd < 0 && !strings.Contains(raw, "://") {
			return t, &lists.RejectError{Reason: ReasonNotHost, Input: raw, Detail: "looks like an e-mail address"}
		}
		s = s[at+1:]
	}
	s = stripPort(s)
	if strings.HasPrefix(s, "*.") {
		t.wildcard = true
		s = s[2:]
	}
	h, err := lists.NormalizeHost(s)
	if err != nil {
		if re, ok := err.(*lists.RejectError); ok {
			re.Input = raw
		}
		return t, err
	}
	t.host = h
	if rest != "" {
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest = rest[:i]
		}
		rest = strings.TrimRight(rest, "/")
		t.path = rest
	}
	return t, nil
}

// stripPort removes a ":port" suffix (not from bracketed or bare IPv6 literals).
func stripPort(s string) string {
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i >= 0 {
			return s[:i+1]
		}
		return s
	}
	if strings.Count(s, ":") == 1 {
		i := strings.IndexByte(s, ':')
		port := s[i+1:]
		if port == "" || isDigits(port) {
			return s[:i]
		}
	}
	return s
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func quote(s string) string { return `"` + s + `"` }

// maxAddressLen bounds a raw address; the longest real ones (Cardano
// Byron, Monero integrated) are about 110 characters.
const maxAddressLen = 128

// address emits raw (trimmed) as a KindAddress entry with the given chain
// and links. Validation and re-classification are package wallet's job;
// only values that cannot be an address are rejected.
func (p *parser) address(line int, raw, chain string, links []string, base lists.Entry) bool {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		p.rep.Reject(line, raw, lists.ReasonEmpty, "empty address")
		return false
	case len(s) > maxAddressLen:
		p.rep.Reject(line, raw, ReasonNotAddress, "longer than 128 characters")
		return false
	case strings.ContainsAny(s, " \t\r\n/"):
		p.rep.Reject(line, raw, ReasonNotAddress, "contains a blank or a slash")
		return false
	}
	base.Value, base.Kind, base.Line, base.Chain, base.Links = s, lists.KindAddress, line, chain, links
	p.put(base)
	return true
}

// target emits raw as a host (subtree) entry, or as a KindURL entry
// "host/path" (plus the host as a domain with Options.URLBlocksHost), or
// records the reject. base carries Action, Category, Line and the like.
// It returns whether anything was emitted.
func (p *parser) target(line int, raw string, base lists.Entry) bool {
	if lists.IsNormalHost(raw) {
		// A bare normalized name (most lines of a large list): what
		// splitTarget would make of it, without its scans.
		p.emitTarget(line, target{host: raw}, base)
		return true
	}
	t, err := splitTarget(raw)
	if err != nil {
		p.rep.RejectErr(line, raw, err)
		return false
	}
	p.emitTarget(line, t, base)
	return true
}

func (p *parser) emitTarget(line int, t target, base lists.Entry) {
	base.Line = line
	if t.path == "" {
		base.Value, base.Kind = t.host, lists.KindDomain
		p.put(base)
		return
	}
	u := base
	u.Value, u.Kind, u.Exact = t.host+t.path, lists.KindURL, false
	p.put(u)
	if p.opts.URLBlocksHost {
		base.Value, base.Kind = t.host, lists.KindDomain
		p.put(base)
	}
}
