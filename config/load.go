package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sources are the places settings come from. Build lays them over
// Default(), each winning over the one before: the file, the environment,
// the flags.
type Sources struct {
	// File is the YAML file (--config); "" reads SCAMBLOCK_CONFIG from Env,
	// and no file when that is unset too.
	File string
	// Env looks up an environment variable (os.LookupEnv); nil reads none.
	Env func(string) (string, bool)
	// Flags are the flags given on the command line, by name without
	// dashes: a KindList flag's values replace the list (--feed adds to
	// the feeds), a KindBool flag's value is "true" or "false".
	Flags map[string][]string
}

// Build reads the settings from src and checks them. Every problem is
// reported (joined), each naming the setting as its source spells it.
func Build(src Sources) (*Config, error) {
	path := src.File
	if path == "" && src.Env != nil {
		path, _ = src.Env(FileEnv)
	}
	c := Default()
	if path != "" {
		var err error
		if c, err = Load(path); err != nil {
			return nil, err
		}
	}
	var errs []error
	if src.Env != nil {
		for _, s := range model() {
			for _, name := range s.Env {
				if v, ok := src.Env(name); ok && s.Key != "" {
					errs = append(errs, c.set(s, scalar(s, v), name))
					break
				}
			}
		}
	}
	known := map[string]bool{FileFlag: true}
	for _, s := range model() {
		vals, ok := src.Flags[s.Flag]
		if s.Flag == "" || s.Key == "" || !ok {
			continue
		}
		known[s.Flag] = true
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, v := range vals {
			n.Content = append(n.Content, scalar(s, v))
		}
		if s.Kind != KindList && len(vals) > 0 {
			n = n.Content[len(n.Content)-1] // the last one given wins
		}
		errs = append(errs, c.set(s, n, "--"+s.Flag))
	}
	for name := range src.Flags {
		if !known[name] {
			errs = append(errs, fmt.Errorf("--%s is not a setting of the configuration model", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// scalar is a flag's or variable's text as the YAML value it stands for.
// The text of a string setting is taken as it is ("null" is the block mode,
// not YAML's null), as a string setting's text is in the file.
func scalar(s Setting, text string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: text}
	if s.Key == "feeds" || s.Kind == KindList || s.Kind == KindValue && s.field(Default(), 0).Kind() == reflect.String {
		n.Tag = "!!str"
	}
	return n
}

// set decodes n into setting s as the source named where gave it, checks it
// and stores it; nothing is stored when the value is bad.
func (c *Config) set(s Setting, n *yaml.Node, where string) error {
	if s.Key == "feeds" {
		return c.addFeeds(n, where)
	}
	v := reflect.New(s.field(c, 0).Type())
	if err := n.Decode(v.Interface()); err != nil {
		return fmt.Errorf("%s: %s", where, valueError(err, n))
	}
	if s.Negate {
		v.Elem().SetBool(!v.Elem().Bool())
	}
	if err := checkValue(s, v.Elem()); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	s.field(c, 0).Set(v.Elem())
	c.setOrigin(s.Key, where)
	return nil
}

// addFeeds adds --feed / SCAMBLOCK_FEED values: PATH, URL or NAME=PATH|URL.
func (c *Config) addFeeds(n *yaml.Node, where string) error {
	var l List
	if err := n.Decode(&l); err != nil {
		return fmt.Errorf("%s: %s", where, valueError(err, n))
	}
	var errs []error
	for _, arg := range l {
		f := Feed{URL: arg, Source: where, Keys: []string{"url"}}
		if name, src, ok := strings.Cut(arg, "="); ok && name != "" && !strings.ContainsAny(name, "/:\\?") {
			f.Name, f.URL, f.Keys = name, src, []string{"name", "url"}
		}
		if _, err := checkFeedURL(f.URL); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: url %w", where, arg, err))
			continue
		}
		c.Feeds = append(c.Feeds, f.listed())
	}
	return errors.Join(errs...)
}

// checkValue runs the setting's check on v (a string, or each item of a
// List), storing the canonical form.
func checkValue(s Setting, v reflect.Value) error {
	if s.check == nil {
		return nil
	}
	switch l := v.Addr().Interface().(type) {
	case *string:
		out, err := s.check(*l)
		*l = out
		return err
	case *List:
		for i, item := range *l {
			out, err := s.check(item)
			if err != nil {
				return err
			}
			(*l)[i] = out
		}
	}
	return nil
}

func (c *Config) setOrigin(key, where string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = where
}

// listed completes a definition read from a source: the defaults of a
// listed feed (enabled) count as keys it sets, so that naming a built-in
// feed that is off by default turns it on.
func (f Feed) listed() Feed {
	d := f.Over(newFeed())
	d.Keys = slices.Clone(f.Keys)
	t, v := reflect.TypeFor[Feed](), reflect.ValueOf(newFeed())
	for i := range t.NumField() {
		if key := yamlName(t.Field(i)); key != "" && !v.Field(i).IsZero() && !slices.Contains(d.Keys, key) {
			d.Keys = append(d.Keys, key)
		}
	}
	return d
}

// Load reads and checks the YAML file at path. Every problem found is
// reported (joined), each as an *Error with the file and line, what was
// wrong and how to fix it. Keys the file does not set keep Default().
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w (check --config or SCAMBLOCK_CONFIG)", err)
	}
	return Parse(path, data)
}

// Parse is Load on bytes already read; path is used in messages.
func Parse(path string, data []byte) (*Config, error) {
	c := Default()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // empty file: defaults
			return c, nil
		}
		return nil, syntaxError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{path, extra.Line, "more than one YAML document (---); put everything in one"}
	}
	if err := noAliases(path, &doc); err != nil {
		return nil, err
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	var errs []*Error
	if err := strict.Decode(c); err != nil {
		errs = append(errs, decodeErrors(path, &doc, err)...)
	}
	errs = append(errs, c.readFile(path, &doc)...)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return c, nil
}

// readFile runs the checks on the values the file gave and records where
// each came from; feed definitions get their Source and Keys.
func (c *Config) readFile(path string, doc *yaml.Node) []*Error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var errs []*Error
	items := seqItems(lookup(root, "feeds"))
	aligned := len(items) == len(c.Feeds)
	if aligned {
		for i, item := range items {
			c.Feeds[i].Source = fmt.Sprintf("%s:%d", path, item.Line)
			c.Feeds[i].Keys = mapKeys(item)
		}
	}
	for _, s := range model() {
		switch {
		case s.Key == "" || s.Key == "feeds":
		case s.item && aligned:
			for i, item := range items {
				if n := lookup(item, s.leaf()); n != nil {
					errs = append(errs, fileCheck(path, s, n, c.field(s, i), fmt.Sprintf("feeds[%d].%s", i, s.leaf()))...)
				}
			}
		case !s.item:
			if n := lookupPath(root, s.path); n != nil {
				errs = append(errs, fileCheck(path, s, n, c.field(s, 0), s.Key)...)
				c.setOrigin(s.Key, fmt.Sprintf("%s:%d: %s", path, n.Line, s.Key))
			}
		}
	}
	if aligned {
		for i := range c.Feeds {
			c.Feeds[i] = c.Feeds[i].listed()
		}
		errs = append(errs, duplicateFeeds(path, c.Feeds, items)...)
	}
	return errs
}

func (c *Config) field(s Setting, feed int) reflect.Value { return s.field(c, feed) }

// fileCheck runs s's check on the value decoded from node n, reporting at
// the line of the bad item.
func fileCheck(path string, s Setting, n *yaml.Node, v reflect.Value, key string) []*Error {
	if n.ShortTag() == "!!null" {
		// A string setting's text is its value ("block_mode: null" is the
		// null mode); anything else written as null (or not at all, "key:")
		// is the zero value, as "" is from a flag.
		if v.Kind() == reflect.String {
			v.SetString(n.Value)
		} else {
			v.Set(reflect.Zero(v.Type()))
		}
	}
	if s.check == nil {
		return nil
	}
	var errs []*Error
	switch l := v.Addr().Interface().(type) {
	case *string:
		out, err := s.check(*l)
		if err != nil {
			return []*Error{{path, n.Line, fmt.Sprintf("%s: %v", key, err)}}
		}
		*l = out
	case *List:
		nodes := seqItems(n)
		for i, item := range *l {
			out, err := s.check(item)
			if err != nil {
				line := n.Line
				if i < len(nodes) {
					line = nodes[i].Line
				}
				errs = append(errs, &Error{path, line, fmt.Sprintf("%s: %v", key, err)})
				continue
			}
			(*l)[i] = out
		}
	}
	return errs
}

// duplicateFeeds reports definitions that share a name.
func duplicateFeeds(path string, fs []Feed, items []*yaml.Node) []*Error {
	var errs []*Error
	first := map[string]int{}
	for i, f := range fs {
		name := f.DisplayName()
		if j, dup := first[name]; dup {
			errs = append(errs, &Error{path, items[i].Line, fmt.Sprintf("feed %q is already defined at line %d; give one of them another name", name, items[j].Line)})
			continue
		}
		first[name] = i
	}
	return errs
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func lookupPath(n *yaml.Node, path []string) *yaml.Node {
	for _, step := range path {
		if n = lookup(n, step); n == nil {
			return nil
		}
	}
	return n
}

func seqItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func mapKeys(m *yaml.Node) []string {
	var keys []string
	if m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			keys = append(keys, m.Content[i].Value)
		}
	}
	return keys
}
