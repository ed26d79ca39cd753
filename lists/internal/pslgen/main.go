// Command pslgen writes lists/psl_gen.go: the names the Public Suffix List
// compiled into golang.org/x/net/publicsuffix has rules for below its top
// level, the names whose rules are wildcards, and that list's version. It
// reads x/net's own embedded tables (publicsuffix/data/{text,nodes,
// children}) and their layout constants (publicsuffix/table.go, with
// go/parser), so the output follows the module version in go.mod. Run it
// with `go generate ./lists` after bumping golang.org/x/net.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "psl_gen.go", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		slog.Error("pslgen", "err", err)
		os.Exit(1)
	}
}

func run(out string) error {
	dir, err := moduleDir("golang.org/x/net")
	if err != nil {
		return err
	}
	t, err := readTable(filepath.Join(dir, "publicsuffix"))
	if err != nil {
		return err
	}
	names, wild, err := t.walk()
	if err != nil {
		return err
	}
	src, err := render(t.version, names, wild)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

// moduleDir is where the go command keeps module mod (the version go.mod
// selects).
func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %w", mod, err)
	}
	dir := strings.TrimSpace(string(b))
	if dir == "" {
		return "", fmt.Errorf("go list %s: no directory (module not downloaded?)", mod)
	}
	return dir, nil
}

// table is x/net's encoded PSL trie and the constants that lay it out.
type table struct {
	version  string
	consts   map[string]int
	text     string
	nodes    []byte
	children []byte
}

func readTable(dir string) (*table, error) {
	t := &table{consts: map[string]int{}}
	if err := t.readConsts(filepath.Join(dir, "table.go")); err != nil {
		return nil, err
	}
	var text []byte
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"nodes", &t.nodes}, {"children", &t.children}, {"text", &text}} {
		b, err := os.ReadFile(filepath.Join(dir, "data", f.name))
		if err != nil {
			return nil, fmt.Errorf("read x/net table: %w", err)
		}
		*f.dst = b
	}
	t.text = string(text)
	if t.consts["nodesBits"] != 40 {
		return nil, fmt.Errorf("x/net table.go: nodesBits %d, this generator reads 40-bit nodes", t.consts["nodesBits"])
	}
	return t, nil
}

// readConsts takes table.go's integer constants and its version string.
func (t *table) readConsts(path string) error {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return fmt.Errorf("parse x/net table.go: %w", err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			for i, name := range v.Names {
				lit, ok := v.Values[i].(*ast.BasicLit)
				if !ok {
					return fmt.Errorf("x/net table.go: const %s is not a literal", name.Name)
				}
				if err := t.setConst(name.Name, lit); err != nil {
					return err
				}
			}
		}
	}
	want := []string{"nodesBits", "nodesBitsChildren", "nodesBitsICANN", "nodesBitsTextOffset",
		"nodesBitsTextLength", "childrenBitsWildcard", "childrenBitsNodeType", "childrenBitsHi",
		"childrenBitsLo", "nodeTypeNormal", "nodeTypeException", "nodeTypeParentOnly", "numTLD"}
	for _, w := range want {
		if _, ok := t.consts[w]; !ok {
			return fmt.Errorf("x/net table.go: no const %s", w)
		}
	}
	if t.version == "" {
		return errors.New("x/net table.go: no version const")
	}
	return nil
}

func (t *table) setConst(name string, lit *ast.BasicLit) error {
	switch lit.Kind {
	case token.STRING:
		if name == "version" {
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return fmt.Errorf("x/net table.go: version: %w", err)
			}
			t.version = v
		}
	case token.INT:
		n, err := strconv.Atoi(lit.Value)
		if err != nil {
			return fmt.Errorf("x/net table.go: const %s: %w", name, err)
		}
		t.consts[name] = n
	}
	return nil
}

// node is one decoded trie node.
type node struct {
	label    string
	lo, hi   uint32 // children
	typ      int
	wildcard bool
}

func (t *table) node(i uint32) (node, error) {
	c := t.consts
	off := int(i) * 5
	if off+5 > len(t.nodes) {
		return node{}, fmt.Errorf("x/net nodes: index %d out of range", i)
	}
	var b [8]byte
	copy(b[3:], t.nodes[off:off+5])
	x := binary.BigEndian.Uint64(b[:])
	length := x & (1<<c["nodesBitsTextLength"] - 1)
	x >>= uint(c["nodesBitsTextLength"])
	textOff := x & (1<<c["nodesBitsTextOffset"] - 1)
	x >>= uint(c["nodesBitsTextOffset"] + c["nodesBitsICANN"])
	ci := x & (1<<c["nodesBitsChildren"] - 1)
	if textOff+length > uint64(len(t.text)) || int(ci)*4+4 > len(t.children) {
		return node{}, fmt.Errorf("x/net nodes: node %d points outside text or children", i)
	}
	u := binary.BigEndian.Uint32(t.children[ci*4:])
	n := node{label: t.text[textOff : textOff+length]}
	n.lo = u & (1<<c["childrenBitsLo"] - 1)
	u >>= uint(c["childrenBitsLo"])
	n.hi = u & (1<<c["childrenBitsHi"] - 1)
	u >>= uint(c["childrenBitsHi"])
	n.typ = int(u & (1<<c["childrenBitsNodeType"] - 1))
	u >>= uint(c["childrenBitsNodeType"])
	n.wildcard = u&(1<<c["childrenBitsWildcard"]-1) != 0
	return n, nil
}

// walk returns the dotted name of every node below the top level (any
// type: a candidate list, x/net decides) and of every node whose
// children are a wildcard, both sorted.
func (t *table) walk() (names, wild []string, err error) {
	var visit func(lo, hi uint32, parent string, depth int) error
	visit = func(lo, hi uint32, parent string, depth int) error {
		if depth > 16 {
			return errors.New("x/net trie deeper than 16 labels: not a PSL table")
		}
		for i := lo; i < hi; i++ {
			n, err := t.node(i)
			if err != nil {
				return err
			}
			name := n.label
			if parent != "" {
				name += "." + parent
				names = append(names, name)
			}
			if n.wildcard {
				wild = append(wild, name)
			}
			if err := visit(n.lo, n.hi, name, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(0, uint32(t.consts["numTLD"]), "", 0); err != nil {
		return nil, nil, err
	}
	slices.Sort(names)
	slices.Sort(wild)
	return slices.Compact(names), slices.Compact(wild), nil
}

// writeList writes const name, the sorted names one a line, with its doc
// comment ("// name holds what, one a line, sorted.").
func writeList(b *bytes.Buffer, name, what string, names []string) {
	fmt.Fprintf(b, "// %s holds %s, one a line, sorted.\n", name, what)
	fmt.Fprintf(b, "const %s = %q +\n", name, "")
	for _, n := range names {
		fmt.Fprintf(b, "\t%q +\n", n+"\n")
	}
	b.WriteString("\t\"\"\n")
}

func render(version string, names, wild []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by go run ./internal/pslgen; DO NOT EDIT.\n\n")
	b.WriteString("package lists\n\n")
	fmt.Fprintf(&b, "// pslVersion is the list golang.org/x/net/publicsuffix compiled in when this\n")
	fmt.Fprintf(&b, "// file was generated (publicsuffix.List.String()).\nconst pslVersion = %q\n\n", version)
	writeList(&b, "pslNames", "every name below the top level that the list has a rule\n// for", names)
	b.WriteString("\n")
	writeList(&b, "pslWildcards", "every name whose children the list makes public\n// suffixes by a wildcard rule (*.ck → ck)", wild)
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format output: %w", err)
	}
	return src, nil
}
