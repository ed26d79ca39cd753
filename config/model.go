package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Scope says which commands have a setting's flag. The environment
// variable and the YAML key are read by every command that loads the
// configuration.
type Scope int

const (
	// ScopeServe settings are flags of `serve` only (no scope tag).
	ScopeServe Scope = iota
	// ScopeLists settings are flags of every command that reads the lists:
	// serve, check and feeds (scope:"lists").
	ScopeLists
	// ScopeData settings are flags of every command that opens the data
	// directory: those and token (scope:"data").
	ScopeData
)

// On reports whether a setting of scope s is a flag of a command whose own
// scope is cmd: ScopeData for token, ScopeLists for check and feeds,
// ScopeServe for serve.
func (s Scope) On(cmd Scope) bool { return s >= cmd }

// Kind is how a setting's flag takes its value.
type Kind int

const (
	KindValue Kind = iota // one value: --block-mode nxdomain
	KindList              // repeatable: --upstream A --upstream B (or A,B)
	KindBool              // a switch: --no-default-feeds
)

// Setting describes one setting of the model, as read from its field's
// struct tags.
type Setting struct {
	Key     string   // YAML key path: "server.block_mode", "feeds[].url"; "" for --config
	Flag    string   // flag name without dashes; "" when there is no flag
	Env     []string // environment variables, the first found wins
	Meta    string   // placeholder of the value in --help: "HOST:PORT"
	Help    string   // what it means, for --help and docs/configuration.md
	Default string   // the default, as text
	Scope   Scope
	Kind    Kind
	Negate  bool // a KindBool flag that sets the YAML value's opposite

	path  []string // Key split on '.', "feeds[]" being one step
	index []int    // field path from Config (from Feed when item)
	item  bool     // a key of each feeds[] item
	check check
}

// FileSetting is the --config flag: where the YAML file is.
const (
	FileFlag = "config"
	FileEnv  = "SCAMBLOCK_CONFIG"
)

// Settings returns every setting of the model, in the order of the
// structs: --config first, then server, default_feeds, feeds and the keys
// of a feed.
func Settings() []Setting { return slices.Clone(model()) }

// model is built once from the struct tags; a tag mistake (a check that
// does not exist) panics on first use, which every test of the package
// reaches.
var model = sync.OnceValue(func() []Setting {
	out := []Setting{{
		Flag: FileFlag, Env: []string{FileEnv}, Meta: "FILE", Scope: ScopeData,
		Help: "YAML configuration FILE (server settings and feeds); flags and the environment win over it",
	}}
	return walk(out, reflect.TypeFor[Config](), nil, nil, false, reflect.ValueOf(Default()).Elem())
})

// walk adds the settings of struct type t (whose values, for defaults, are
// def) under the YAML path prefix.
func walk(out []Setting, t reflect.Type, prefix []string, index []int, item bool, def reflect.Value) []Setting {
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" && f.Tag.Get("yaml") != ",inline" {
			continue
		}
		idx := append(slices.Clone(index), i)
		var fv reflect.Value
		if def.IsValid() {
			fv = def.Field(i)
		}
		switch {
		case f.Tag.Get("yaml") == ",inline":
			out = walk(out, f.Type, prefix, idx, item, fv)
			continue
		case f.Type.Kind() == reflect.Struct:
			out = walk(out, f.Type, append(slices.Clone(prefix), name), idx, item, fv)
			continue
		case f.Type == reflect.TypeFor[[]Feed]():
			out = append(out, newSetting(f, append(slices.Clone(prefix), name), idx, item, KindList, ""))
			out = walk(out, f.Type.Elem(), append(slices.Clone(prefix), name+"[]"), nil, true, reflect.Value{})
			continue
		}
		kind := KindValue
		switch {
		case f.Type.Kind() == reflect.Bool:
			kind = KindBool
		case f.Type == reflect.TypeFor[List]():
			kind = KindList
		}
		out = append(out, newSetting(f, append(slices.Clone(prefix), name), idx, item, kind, defaultText(f, fv)))
	}
	return out
}

func newSetting(f reflect.StructField, path []string, index []int, item bool, kind Kind, def string) Setting {
	s := Setting{
		Key: strings.Join(path, "."), Flag: f.Tag.Get("flag"), Meta: f.Tag.Get("meta"), Help: f.Tag.Get("help"),
		Default: def, Kind: kind, Negate: f.Tag.Get("negate") == "true",
		path: path, index: index, item: item,
	}
	switch f.Tag.Get("scope") {
	case "lists":
		s.Scope = ScopeLists
	case "data":
		s.Scope = ScopeData
	case "":
	default:
		panic(fmt.Sprintf("config: field %s: unknown scope %q", f.Name, f.Tag.Get("scope")))
	}
	if s.Flag != "" {
		s.Env = append(s.Env, "SCAMBLOCK_"+strings.ToUpper(strings.ReplaceAll(s.Flag, "-", "_")))
	}
	if extra := f.Tag.Get("env"); extra != "" {
		s.Env = append(s.Env, strings.Split(extra, ",")...)
	}
	if tag := f.Tag.Get("check"); tag != "" {
		name, opt, _ := strings.Cut(tag, ",")
		c, ok := checkNamed(name)
		if !ok || (opt != "" && opt != "optional") {
			panic(fmt.Sprintf("config: field %s: unknown check %q", f.Name, tag))
		}
		if opt == "optional" {
			c = optional(c)
		}
		s.check = c
	}
	if s.Help == "" {
		panic(fmt.Sprintf("config: field %s has no help tag", f.Name))
	}
	return s
}

// defaultText is the default of a field for --help and the reference: the
// `default` tag, or the value in Default().
func defaultText(f reflect.StructField, v reflect.Value) string {
	if d := f.Tag.Get("default"); d != "" || !v.IsValid() {
		return d
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v.Interface())
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// field returns the setting's field in c (for an item setting, in feed).
func (s Setting) field(c *Config, feed int) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	if s.item {
		v = v.FieldByName("Feeds").Index(feed)
	}
	return v.FieldByIndex(s.index)
}

// leaf is the last step of the key ("url" for "feeds[].url").
func (s Setting) leaf() string {
	if len(s.path) == 0 {
		return ""
	}
	return s.path[len(s.path)-1]
}

// Names is how the setting is spelt in every source, for messages:
// "server.block_mode (--block-mode, SCAMBLOCK_BLOCK_MODE)".
func (s Setting) Names() string {
	var alt []string
	if s.Flag != "" {
		alt = append(alt, "--"+s.Flag)
	}
	alt = append(alt, s.Env...)
	if len(alt) == 0 {
		return s.Key
	}
	if s.Key == "" {
		return strings.Join(alt, ", ")
	}
	return s.Key + " (" + strings.Join(alt, ", ") + ")"
}

// Usage is the flag's line in --help: the help, the default and the
// environment variables.
func (s Setting) Usage() string {
	u := s.Help
	if s.Meta != "" {
		// urfave/cli shows the first `quoted` word as the value's placeholder.
		if i := strings.Index(u, s.Meta); i >= 0 {
			u = u[:i] + "`" + s.Meta + "`" + u[i+len(s.Meta):]
		} else {
			u = "`" + s.Meta + "`: " + u
		}
	}
	if s.Default != "" && s.Kind != KindBool {
		u += fmt.Sprintf(" (default %q)", s.Default)
	}
	if len(s.Env) > 0 {
		u += " [$" + strings.Join(s.Env, ", $") + "]"
	}
	return u
}
