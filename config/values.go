package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The value types below read a YAML node into a setting. A flag or an
// environment variable is turned into the same kind of node first, so a
// value reads the same from every source.

// List is a list of strings. It is written as a YAML list, or as one
// string with the items separated by commas (as in the environment).
// Empty items are dropped: --allow "" is the empty list.
type List []string

// UnmarshalYAML reads a list or a comma-separated string.
func (l *List) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = splitList(n.Value)
		return nil
	case yaml.SequenceNode:
		out := make(List, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" {
				return typeError(item, "each item must be a string; this one is %s", kindName(item))
			}
			if v := strings.TrimSpace(item.Value); v != "" { // as in the comma form, "" is no item
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	return typeError(n, "must be a list of strings, not %s", kindName(n))
}

func (l List) String() string { return strings.Join(l, ",") }

func splitList(s string) List {
	var out List
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Duration is a span of time: a Go duration ("90m", "1h30m") or days
// ("1d"). A bare number is refused: it is too easily meant as hours.
type Duration time.Duration

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalarDuration(n, false)
	*d = Duration(v)
	return err
}

func (d Duration) String() string { return time.Duration(d).String() }

// TTL is a Duration that may also be a bare number of seconds ("300"), as
// DNS people write TTLs.
type TTL time.Duration

// UnmarshalYAML reads a duration or a number of seconds.
func (d *TTL) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalarDuration(n, true)
	*d = TTL(v)
	return err
}

func (d TTL) String() string { return time.Duration(d).String() }

func scalarDuration(n *yaml.Node, seconds bool) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, typeError(n, "must be a duration such as \"6h\", not %s", kindName(n))
	}
	v, err := ParseDuration(n.Value, seconds)
	if err != nil {
		return 0, typeError(n, "%q: %v", n.Value, err)
	}
	return v, nil
}

// Size is a number of bytes: "64MiB", "500KiB", "10MB", "1GiB", "1048576",
// or 0 (which each setting gives a meaning: a default, automatic).
type Size int64

// UnmarshalYAML reads a size.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "must be a size such as \"64MiB\", not %s", kindName(n))
	}
	if strings.TrimSpace(n.Value) == "0" {
		*s = 0
		return nil
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return typeError(n, "%q: %v", n.Value, err)
	}
	*s = Size(v)
	return nil
}

func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && int64(s)%u.mult == 0 {
			return strconv.FormatInt(int64(s)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// Share is a fraction between 0 and 1: 0.5 or "50%".
type Share float64

// UnmarshalYAML reads a share.
func (s *Share) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "must be a share such as 0.5 or 50%%, not %s", kindName(n))
	}
	t := strings.TrimSpace(n.Value)
	div := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, div = strings.TrimSpace(p), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v/div < 0 || v/div > 1 {
		return typeError(n, "%q: give a share between 0 and 1 (or 0%%..100%%): 0.5 refuses a refresh that loses more than half the entries", n.Value)
	}
	*s = Share(v / div)
	return nil
}

// typeError is how a value type reports a bad value: yaml collects these
// and goes on, so one run reports every problem in the file.
func typeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.ShortTag() == "!!null" {
		return "empty"
	}
	return strconv.Quote(n.Value)
}

// ParseSize reads a byte size: "64MiB", "512 KiB", "10MB", "1GiB", "1048576".
// KB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<62 {
		return 0, errors.New(`give a positive size such as "64MiB", "500KiB" or "10MB"`)
	}
	return int64(v * float64(mult)), nil
}

// ParseDuration reads a Go duration ("6h", "90m", "1h30m") or days ("1d");
// with seconds, a bare number is seconds ("300").
func ParseDuration(s string, seconds bool) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if seconds {
		if n, err := strconv.Atoi(t); err == nil {
			if n < 0 {
				return 0, errors.New("must not be negative")
			}
			return time.Duration(n) * time.Second, nil
		}
	}
	if days, ok := strings.CutSuffix(t, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n < 100_000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(t)
	if err != nil || v < 0 {
		return 0, errors.New(`give a duration such as "300s", "30m", "6h" or "1d"`)
	}
	return v, nil
}

// Staleness is how long a feed's content may stay unchanged before the
// feed is called stale: a Duration ("3d", "36h"), or "never" for a feed
// known to be dormant (it stopped changing upstream and is kept for its
// old entries). 0 means "not set": the feed takes the global default.
type Staleness time.Duration

// NeverStale is the Staleness "never".
const NeverStale = Staleness(-1)

// UnmarshalYAML reads a duration or "never".
func (s *Staleness) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "never", "dormant", "off":
			*s = NeverStale
			return nil
		}
	}
	v, err := scalarDuration(n, false)
	if err != nil {
		return typeError(n, "%q: give a duration such as \"3d\" or \"36h\", or never (a dormant feed)", n.Value)
	}
	*s = Staleness(v)
	return nil
}

func (s Staleness) String() string {
	switch {
	case s < 0:
		return "never"
	case s > 0 && time.Duration(s)%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(time.Duration(s)/(24*time.Hour)), 10) + "d"
	}
	return time.Duration(s).String()
}
