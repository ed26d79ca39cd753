package parse

import (
	"bytes"
	"io"
	"net/netip"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/scamblock/scamblock/lists"
)

// isCommentLine reports whether a trimmed line is blank or a comment in the
// line-based formats ("#", "!", ";" and "//" start comments).
func isCommentLine(line []byte) bool {
	if len(line) == 0 {
		return true
	}
	switch line[0] {
	case '#', '!', ';':
		return true
	}
	return bytes.HasPrefix(line, []byte("//"))
}

// cutComment removes an inline " # comment" (a '#' preceded by a blank).
func cutComment(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// eachLine runs fn for every line of r that is not blank, a comment, or too
// long (too-long lines are rejected). fn gets the line trimmed of blanks.
func (p *parser) eachLine(r io.Reader, fn func(n int, line string)) error {
	return p.rawLines(r, func(n int, b []byte) {
		b = bytes.TrimSpace(b)
		if isCommentLine(b) {
			return
		}
		if p.borrow {
			fn(n, unsafe.String(unsafe.SliceData(b), len(b))) // valid until fn returns; see ParsePieces
			return
		}
		fn(n, string(b))
	})
}

// hasBlank reports whether s holds a blank or a byte outside ASCII (which
// may be a Unicode space): whether strings.Fields could split it.
func hasBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// domains parses a plain list: one host, "*.host" or URL per line, with
// optional inline comments. Every host blocks its subtree. With wildcard
// (FormatWildcard) the "*." prefix is expected; it means the same.
func (p *parser) domains(r io.Reader, wildcard bool) error {
	return p.eachLine(r, func(n int, line string) {
		if lists.IsNormalHost(line) {
			// A bare normalized name (most lines of a large list): no
			// blank, no comment, nothing for splitTarget to do. One scan
			// of the line instead of hasBlank's and then target's.
			p.emitTarget(n, target{host: line}, lists.Entry{})
			return
		}
		if !hasBlank(line) {
			// One field, no inline comment (a '#' only starts one
			// after a blank): most lines of a list.
			p.target(n, line, lists.Entry{})
			return
		}
		line = cutComment(line)
		if f := strings.Fields(line); len(f) > 1 {
			// "0.0.0.0 host" in a plain list: take it as a hosts line.
			if _, err := netip.ParseAddr(f[0]); err == nil {
				p.hostsLine(n, f)
				return
			}
			p.rep.Reject(n, line, ReasonSyntax, "more than one field")
			return
		}
		p.target(n, line, lists.Entry{})
	})
}

// hosts parses a hosts file: "IP name [name...] [# comment]". Every name
// blocks its subtree; local names (localhost, broadcasthost, ...) are
// rejected as ReasonLocalName.
func (p *parser) hosts(r io.Reader) error {
	return p.eachLine(r, func(n int, line string) {
		// As in glibc, '#' starts a comment anywhere on a hosts line.
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			return
		}
		if _, err := netip.ParseAddr(f[0]); err != nil {
			if len(f) == 1 {
				// A bare name in a hosts file: accept it like a domain list does.
				p.target(n, f[0], lists.Entry{})
				return
			}
			p.rep.Reject(n, line, ReasonSyntax, "first field is not an IP address")
			return
		}
		p.hostsLine(n, f)
	})
}

func (p *parser) hostsLine(n int, f []string) {
	if len(f) < 2 {
		p.rep.Reject(n, strings.Join(f, " "), ReasonSyntax, "IP address without a host name")
		return
	}
	for _, name := range f[1:] {
		if isLocalName(name) {
			p.rep.Reject(n, name, ReasonLocalName, "hosts-file local name, not a blocked host")
			continue
		}
		p.target(n, name, lists.Entry{})
	}
}
