package parse

import (
	"io"
	"net/netip"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// adblockOKModifiers are the $modifiers that do not change what a DNS-level
// block means; any other modifier makes the rule unsupported.
var adblockOKModifiers = map[string]bool{"important": true, "all": true, "document": true, "doc": true, "first-party": true, "1p": true}

// adblock parses Adblock Plus / AdGuard DNS-style rules. "||host^" blocks
// host and its subtree; "@@||host^" is an Allow entry. "[Adblock Plus]"
// headers and "!" comments are skipped. Cosmetic rules ("##", "#@#" ...),
// regular expressions, rules with paths and rules with $modifiers other
// than important/all/document are counted as unsupported-rule. A bare host
// line and a hosts-file line are accepted as in AdGuard Home.
func (p *parser) adblock(r io.Reader) error {
	return p.rawLines(r, func(n int, b []byte) {
		line := strings.TrimSpace(string(b))
		switch {
		case line == "", line[0] == '!':
			// blank or comment
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			// [Adblock Plus 2.0], [AdGuard]
		case isCosmetic(line):
			p.rep.Reject(n, line, ReasonUnsupported, "cosmetic rule (element hiding), not a DNS rule")
		case line[0] == '#':
			// "# comment", as AdGuard Home allows
		default:
			p.adblockRule(n, line)
		}
	})
}

func isCosmetic(line string) bool {
	for _, sep := range []string{"##", "#@#", "#?#", "#$#", "#%#", "#@$#", "#@?#", "#@%#", "$$", "$@$"} {
		if strings.Contains(line, sep) {
			return true
		}
	}
	return false
}

func (p *parser) adblockRule(n int, line string) {
	base := lists.Entry{}
	rule := line
	if strings.HasPrefix(rule, "@@") {
		base.Action = lists.Allow
		rule = rule[2:]
	}
	if i := strings.LastIndexByte(rule, '$'); i >= 0 && !strings.HasPrefix(rule, "/") {
		for _, m := range strings.Split(rule[i+1:], ",") {
			if !adblockOKModifiers[strings.ToLower(strings.TrimSpace(m))] {
				p.rep.Reject(n, line, ReasonUnsupported, "modifier $"+m+" has no DNS meaning here")
				return
			}
		}
		rule = rule[:i]
	}
	if len(rule) > 1 && rule[0] == '/' && rule[len(rule)-1] == '/' {
		p.rep.Reject(n, line, ReasonUnsupported, "regular-expression rule")
		return
	}
	anchored := strings.HasPrefix(rule, "||")
	if anchored {
		rule = rule[2:]
	} else if strings.HasPrefix(rule, "|") {
		// "|https://host^" and the like: a URL start anchor.
		rule = rule[1:]
	}
	rule = strings.TrimSuffix(rule, "|")
	rule = strings.TrimSuffix(rule, "^")
	if !anchored {
		if f := strings.Fields(rule); len(f) == 2 {
			if _, err := netip.ParseAddr(f[0]); err == nil && base.Action == lists.Block {
				p.hostsLine(n, f)
				return
			}
		}
	}
	switch {
	case strings.Contains(rule, "/"):
		p.rep.Reject(n, line, ReasonUnsupported, "rule with a path; DNS sees only the host")
		return
	case strings.ContainsAny(rule, "^|"), strings.Contains(rule, "*") && (!strings.HasPrefix(rule, "*.") || strings.Count(rule, "*") > 1):
		p.rep.Reject(n, line, ReasonUnsupported, "pattern, not a host")
		return
	}
	t, err := splitTarget(rule)
	if err != nil {
		p.rep.RejectErr(n, line, err)
		return
	}
	p.emitTarget(n, t, base)
}

// dnsmasq parses dnsmasq configuration lines: "address=/a/b/target" and
// "local=/a/" block their domains and subtrees; "server=/a/" without an
// upstream blocks too (answered locally), "server=/a/#" is an exception
// (Allow); "server=/a/1.2.3.4" forwards and is unsupported, as are other
// directives.
func (p *parser) dnsmasq(r io.Reader) error {
	return p.eachLine(r, func(n int, line string) {
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || (key != "address" && key != "local" && key != "server") {
			p.rep.Reject(n, line, ReasonUnsupported, "not an address=, local= or server= directive")
			return
		}
		val = strings.TrimSpace(val)
		if !strings.HasPrefix(val, "/") {
			p.rep.Reject(n, line, ReasonUnsupported, key+"= without /domain/: applies to every name")
			return
		}
		parts := strings.Split(val[1:], "/")
		if len(parts) < 2 {
			p.rep.Reject(n, line, ReasonSyntax, "missing the closing / after the domains")
			return
		}
		names, target := parts[:len(parts)-1], strings.TrimSpace(parts[len(parts)-1])
		base := lists.Entry{}
		switch key {
		case "local":
			if target != "" {
				p.rep.Reject(n, line, ReasonSyntax, "local=/domain/ takes no target")
				return
			}
		case "server":
			switch {
			case target == "#":
				base.Action = lists.Allow
			case target != "":
				p.rep.Reject(n, line, ReasonUnsupported, "forwards to an upstream server, does not block")
				return
			}
		}
		for _, name := range names {
			name = strings.TrimSpace(name)
			if name == "#" || name == "" {
				p.rep.Reject(n, line, ReasonUnsupported, "/#/ matches every name")
				continue
			}
			p.target(n, name, base)
		}
	})
}

// unboundBlock are the local-zone types that keep a name from resolving;
// unboundAllow are those that let it resolve.
var (
	unboundBlock = map[string]bool{
		"deny": true, "refuse": true, "static": true, "redirect": true, "inform_deny": true,
		"always_nxdomain": true, "always_refuse": true, "always_null": true, "always_deny": true,
	}
	unboundAllow = map[string]bool{
		"transparent": true, "always_transparent": true, "typetransparent": true, "inform": true, "nodefault": true,
	}
)

// unbound parses Unbound configuration: `local-zone: "name" type` blocks
// the zone's subtree for the blocking types and allows it for transparent
// ones; `local-data: "name A 0.0.0.0"` blocks the name itself (Exact).
// "server:" lines and "#" comments are skipped; other directives are
// unsupported.
func (p *parser) unbound(r io.Reader) error {
	return p.eachLine(r, func(n int, line string) {
		line = cutComment(line)
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			p.rep.Reject(n, line, ReasonSyntax, "want \"key: value\"")
			return
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "server":
			return
		case "local-zone":
			f := fieldsQuoted(val)
			if len(f) != 2 {
				p.rep.Reject(n, line, ReasonSyntax, "want local-zone: \"name\" type")
				return
			}
			typ := strings.ToLower(f[1])
			base := lists.Entry{}
			switch {
			case unboundBlock[typ]:
			case unboundAllow[typ]:
				base.Action = lists.Allow
			default:
				p.rep.Reject(n, line, ReasonUnsupported, "local-zone type "+typ)
				return
			}
			p.target(n, f[0], base)
		case "local-data":
			f := strings.Fields(strings.Trim(val, `"'`))
			if len(f) < 2 {
				p.rep.Reject(n, line, ReasonSyntax, "want local-data: \"name [ttl] [class] type rdata\"")
				return
			}
			p.target(n, f[0], lists.Entry{Exact: true})
		default:
			p.rep.Reject(n, line, ReasonUnsupported, "directive "+strings.TrimSpace(key))
		}
	})
}

// fieldsQuoted splits s on blanks, keeping "quoted strings" (without quotes) whole.
func fieldsQuoted(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' || s[0] == '\'' {
			if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
				out = append(out, s[1:1+end])
				s = s[end+2:]
				continue
			}
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// addressLines parses one wallet address per line (OFAC
// sanctioned_addresses_*.txt); "#" comments and blank lines are skipped.
func (p *parser) addressLines(r io.Reader) error {
	chain := strings.ToLower(p.opts.Chain)
	return p.eachLine(r, func(n int, line string) {
		p.address(n, line, chain, nil, lists.Entry{})
	})
}
