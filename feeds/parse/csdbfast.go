package parse

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// fastRecord reads one CryptoScamDB record written in the plain layout the
// feed uses (two-blank keys, plain or simply quoted scalars, block scalars,
// an addresses map of compact sequences), about 20 times faster than yaml.v3.
// It returns ok=false for anything outside that subset (comments, tabs,
// escapes, flow collections, non-ASCII, duplicate keys, multi-line plain
// scalars ...), and the caller then decodes the record with yaml.v3, so the
// result never depends on which path read it (TestFastRecordMatchesYAML
// and FuzzCryptoScamDB check that).
func fastRecord(start int, text []byte) (csdbRecord, bool) {
	var rec csdbRecord
	s := string(text)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\t' || c == '\r' || c >= 0x7f || (c < 0x20 && c != '\n') {
			return rec, false
		}
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for _, ln := range lines {
		if ln != "" && strings.TrimSpace(ln) == "" {
			return rec, false // blank lines with blanks: indentation rules yaml.v3 should judge
		}
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "- ") {
		return rec, false
	}
	lines[0] = "  " + lines[0][2:]
	seen := map[string]bool{}
	for i := 0; i < len(lines); {
		ln := lines[i]
		if strings.TrimSpace(ln) == "" {
			i++
			continue
		}
		if indentOf(ln) != 2 {
			return rec, false
		}
		key, rest, ok := keyLine(ln[2:])
		if !ok || seen[key] {
			return rec, false
		}
		seen[key] = true
		lineNo := start + i
		next := nextContent(lines, i+1)
		deeper := next < len(lines) && indentOf(lines[next]) > 2
		switch {
		case key == "addresses":
			if rest != "" || !deeper {
				return rec, false
			}
			end, ok := fastAddresses(&rec, lines, i+1, start)
			if !ok {
				return rec, false
			}
			rec.addresses, rec.addressesLine, rec.addressesMap = true, start+nextContent(lines, i+1), true
			i = end
			continue
		case rest != "" && (rest[0] == '|' || rest[0] == '>'):
			if key == "name" || key == "url" || key == "category" || !isBlockHeader(rest) {
				return rec, false
			}
			end, ok := blockEnd(lines, i+1)
			if !ok {
				return rec, false
			}
			i = end
			continue
		}
		if deeper {
			return rec, false // nested value or multi-line plain scalar
		}
		v, ok := simpleScalar(rest)
		if !ok {
			return rec, false
		}
		sv := scalar{value: v, line: lineNo, ok: true}
		switch key {
		case "name":
			rec.name = sv
		case "url":
			rec.url = sv
		case "category":
			rec.category = sv
		}
		i++
	}
	return rec, len(seen) > 0
}

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// nextContent returns the index of the next non-blank line at or after i.
func nextContent(lines []string, i int) int {
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return i
}

// keyLine splits "key: rest" or "key:" with a plain word key.
func keyLine(s string) (key, rest string, ok bool) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ':' {
		return "", "", false
	}
	key, rest = s[:i], s[i+1:]
	if rest != "" && rest[0] != ' ' {
		return "", "", false
	}
	return key, strings.TrimSpace(rest), true
}

func isBlockHeader(s string) bool {
	switch s {
	case "|", "|-", "|+", ">", ">-", ">+":
		return true
	}
	return false
}

// blockEnd skips the content lines of a block scalar starting at i.
func blockEnd(lines []string, i int) (int, bool) {
	indent := -1
	for ; i < len(lines); i++ {
		ln := lines[i]
		if ln == "" {
			continue
		}
		in := indentOf(ln)
		if in <= 2 {
			break
		}
		if indent < 0 {
			indent = in
		} else if in < indent {
			return 0, false
		}
	}
	return i, true
}

// fastAddresses reads "    TICKER:" lines each followed by "    - addr" or
// "      - addr" items, from line i until a line indented 2 or less.
func fastAddresses(rec *csdbRecord, lines []string, i, start int) (int, bool) {
	var cur *tickerList
	itemIndent := -1
	for ; i < len(lines); i++ {
		ln := lines[i]
		if strings.TrimSpace(ln) == "" {
			continue
		}
		in := indentOf(ln)
		if in <= 2 {
			break
		}
		body := ln[in:]
		if strings.HasPrefix(body, "- ") {
			if cur == nil || (itemIndent >= 0 && in != itemIndent) || (in != 4 && in != 6) {
				return 0, false
			}
			itemIndent = in
			v, ok := simpleScalar(strings.TrimSpace(body[2:]))
			if !ok {
				return 0, false
			}
			cur.items = append(cur.items, scalar{value: v, line: start + i, ok: true})
			continue
		}
		if in != 4 {
			return 0, false
		}
		if cur != nil && len(cur.items) == 0 {
			return 0, false
		}
		key, rest, ok := keyLine(body)
		if !ok || rest != "" {
			return 0, false
		}
		for _, t := range rec.tickers {
			if t.ticker == key {
				return 0, false
			}
		}
		rec.tickers = append(rec.tickers, tickerList{ticker: key, kind: yaml.SequenceNode})
		cur = &rec.tickers[len(rec.tickers)-1]
		itemIndent = -1
		// yaml.v3 gives a sequence the line of its first item.
	}
	if cur == nil || len(cur.items) == 0 {
		return 0, false
	}
	for k := range rec.tickers {
		rec.tickers[k].line = rec.tickers[k].items[0].line
	}
	return i, true
}

// simpleScalar decodes a plain, single-quoted or escape-free double-quoted
// scalar on one line; ok=false for anything else.
func simpleScalar(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	switch s[0] {
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "", false
		}
		in := s[1 : len(s)-1]
		if strings.ContainsAny(in, `"\`) {
			return "", false
		}
		return in, true
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", false
		}
		in := strings.ReplaceAll(s[1:len(s)-1], "''", "\x00")
		if strings.Contains(in, "'") {
			return "", false
		}
		return strings.ReplaceAll(in, "\x00", "'"), true
	}
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>%@`") || strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return "", false
	}
	return s, true
}
