package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem in the configuration file, located by line.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// joinErrors orders errs by line and drops repeats.
func joinErrors(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
	errs = slices.CompactFunc(errs, func(a, b *Error) bool { return *a == *b })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// syntaxError turns a YAML syntax error ("yaml: line 3: ...") into an *Error.
func syntaxError(path string, err error) error {
	line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
	if strings.Contains(msg, "mapping values are not allowed") {
		msg += ` (a value that contains ": " or ends in ":" needs quotes, e.g. block_mode: "ip:0.0.0.0,::")`
	}
	if strings.Contains(msg, "found character that cannot start any token") {
		msg += " (indent with spaces, not tabs)"
	}
	return &Error{path, line, "not valid YAML: " + msg}
}

// splitLine splits "line 3: msg" into 3 and "msg".
func splitLine(s string) (int, string) {
	if rest, ok := strings.CutPrefix(s, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return 0, s
}

// noAliases refuses YAML aliases: a value is written where it is used, so
// that every error has one line.
func noAliases(path string, n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return &Error{path, n.Line, fmt.Sprintf("aliases (*%s) are not supported; write the value out", n.Value)}
	}
	for _, c := range n.Content {
		if err := noAliases(path, c); err != nil {
			return err
		}
	}
	return nil
}

var (
	reUnknown  = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	reTwice    = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reTwiceSet = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	reType     = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `.*`)? into (\\S+)$")
	reIndex    = regexp.MustCompile(`\[\d+\]`)
)

// decodeErrors words the errors of the strict (KnownFields) decode: the
// yaml package's "field x not found in type config.Server" becomes
// `unknown key "x" in server (did you mean ...)`.
func decodeErrors(path string, doc *yaml.Node, err error) []*Error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
		return []*Error{{path, line, msg}}
	}
	var out []*Error
	for _, e := range te.Errors {
		line, msg := splitLine(e)
		out = append(out, &Error{path, line, wordDecodeError(doc, line, msg)})
	}
	return out
}

func wordDecodeError(doc *yaml.Node, line int, msg string) string {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		parent := parentOfKey(doc, line, m[1])
		known := childKeys(parent)
		hint := ""
		if s := closest(m[1], known); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return fmt.Sprintf("unknown key %q in %s%s; known keys: %s", m[1], where(parent), hint, strings.Join(known, ", "))
	}
	if m := reTwice.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %q appears twice in %s (first at line %s); keep one", m[1], where(parentOfKey(doc, line, m[1])), m[2])
	}
	if m := reTwiceSet.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %q appears twice in %s; keep one", m[1], where(parentOfKey(doc, line, m[1])))
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		key, n := valueAt(doc, line, m[1])
		return wantMessage(key, m[2], n)
	}
	key, _ := valueAt(doc, line, "")
	if key == "" {
		return msg
	}
	return key + ": " + msg
}

// wantMessage says what a value should have been, by the Go type the yaml
// package could not fill.
func wantMessage(key, goType string, n *yaml.Node) string {
	got := "that"
	if n != nil {
		got = kindName(n)
	}
	name := key
	if name == "" {
		name = "the file"
	}
	switch goType {
	case "config.Config", "config.Server", "config.Feed":
		return fmt.Sprintf("%s must be a mapping of keys (%s), not %s", name, strings.Join(childKeys(key), ", "), got)
	case "[]config.Feed":
		return fmt.Sprintf("%s must be a list of feeds (each starting with \"- url: ...\"), not %s", name, got)
	}
	return fmt.Sprintf("%s is %s; %s", name, got, scalarHint(goType))
}

// scalarHint says how to write a value of a plain Go type.
func scalarHint(goType string) string {
	switch goType {
	case "int", "int64", "uint", "uint64", "int32":
		return "give a whole number such as 10000"
	case "bool":
		return "use true or false"
	case "string":
		return "give a single string (quote it)"
	case "float64":
		return "give a number"
	}
	return "give a " + goType
}

// valueError words an error from decoding a flag or environment value n.
func valueError(err error, n *yaml.Node) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	var msgs []string
	for _, e := range te.Errors {
		_, msg := splitLine(e)
		if m := reType.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("%s is not valid; %s", kindName(n), scalarHint(m[2]))
		}
		msgs = append(msgs, msg)
	}
	return strings.Join(msgs, "; ")
}

// visit calls fn for every node under n with its path ("server.block_mode",
// "feeds[2].url") and, for a mapping value, its key node.
func visit(n *yaml.Node, path string, key *yaml.Node, fn func(path string, key, value *yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			visit(c, path, nil, fn)
		}
		return
	}
	fn(path, key, n)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			visit(n.Content[i+1], joinKey(path, k.Value), k, fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			visit(c, fmt.Sprintf("%s[%d]", path, i), nil, fn)
		}
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parentOfKey is the path of the mapping holding key name on line.
func parentOfKey(doc *yaml.Node, line int, name string) string {
	parent := ""
	found := false
	visit(doc, "", nil, func(path string, k, _ *yaml.Node) {
		if !found && k != nil && k.Line == line && k.Value == name {
			parent, found = strings.TrimSuffix(strings.TrimSuffix(path, name), "."), true
		}
	})
	return parent
}

// valueAt finds the value on line and returns its path: of the YAML kind
// tag when one is given, else the value of a setting (for a value type's
// own error), else a scalar.
func valueAt(doc *yaml.Node, line int, tag string) (string, *yaml.Node) {
	type cand struct {
		path string
		node *yaml.Node
	}
	var all []cand
	visit(doc, "", nil, func(path string, _, v *yaml.Node) {
		if v.Line == line {
			all = append(all, cand{path, v})
		}
	})
	pick := func(ok func(cand) bool) (string, *yaml.Node, bool) {
		for _, c := range all {
			if ok(c) {
				return c.path, c.node, true
			}
		}
		return "", nil, false
	}
	if p, n, ok := pick(func(c cand) bool { return tag != "" && c.node.ShortTag() == tag }); ok {
		return p, n
	}
	if p, n, ok := pick(func(c cand) bool { return tag == "" && isSettingKey(c.path) }); ok {
		return p, n
	}
	if p, n, ok := pick(func(c cand) bool { return c.node.Kind == yaml.ScalarNode }); ok {
		return p, n
	}
	if len(all) > 0 {
		return all[0].path, all[0].node
	}
	return "", nil
}

func isSettingKey(path string) bool {
	key := reIndex.ReplaceAllString(path, "[]")
	for _, s := range model() {
		if s.Key == key && s.Key != "" {
			return true
		}
	}
	return false
}

// childKeys are the keys the model allows under path ("" for the top
// level, "server", "feeds[2]").
func childKeys(path string) []string {
	prefix := reIndex.ReplaceAllString(path, "[]")
	var out []string
	for _, s := range model() {
		if s.Key == "" {
			continue
		}
		rest := s.Key
		if prefix != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(s.Key, prefix+"."); !ok {
				continue
			}
		}
		first, _, _ := strings.Cut(rest, ".")
		first = strings.TrimSuffix(first, "[]")
		if !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	return out
}

func where(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// closest returns the known key nearest to key (edit distance ≤ 3), or "".
func closest(key string, known []string) string {
	best, bestD := "", 4
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
