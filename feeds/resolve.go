package feeds

import (
	"errors"
	"fmt"
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds/parse"
)

// Resolve turns the configuration's feed definitions into the feeds to
// run: the built-in set (DefaultFeeds) when useDefaults is set, less those a
// definition names, then the definitions in order. A definition named like
// a built-in feed changes only the keys it sets (config.Feed.Over), whether
// or not the built-in set is used: "- {name: metamask, enabled: false}".
// Every definition that cannot be used is reported, located by its Source.
func Resolve(defs []config.Feed, useDefaults bool) ([]Feed, error) {
	builtin := DefaultFeeds()
	byName := make(map[string]Feed, len(builtin))
	for _, b := range builtin {
		byName[b.Name] = b
	}
	own := make(map[string]bool, len(defs))
	mine := make([]Feed, 0, len(defs))
	var errs []error
	for _, d := range defs {
		if b, ok := byName[d.Name]; ok && d.Keys != nil {
			d = d.Over(Definition(b))
		}
		f, err := fromDefinition(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		own[f.DisplayName()] = true
		files, err := expandDirectory(f) // a folder of lists: one feed per file
		if err != nil {
			errs = append(errs, err)
			continue
		}
		mine = append(mine, files...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Feed
	if useDefaults {
		for _, b := range builtin {
			if !own[b.Name] {
				out = append(out, b)
			}
		}
	}
	return append(out, mine...), nil
}

// Definition is f as configuration data: what a definition that named it
// in full would say.
func Definition(f Feed) config.Feed {
	return config.Feed{
		Name: f.Name, URL: f.URL, Format: string(f.Format),
		Interval: config.Duration(f.Interval), MaxSize: config.Size(f.MaxBytes), ShrinkGuard: config.Share(f.ShrinkGuard),
		StaleAfter: config.Staleness(f.StaleAfter), Enabled: f.Enabled, Column: f.Options.Column, URLBlocksHost: f.Options.URLBlocksHost,
		Category: f.Options.Category, Chain: f.Options.Chain, Trusted: f.Trusted,
		Licence: f.Licence, Homepage: f.Homepage,
	}
}

// fromDefinition reads one definition: the format name, and what
// Feed.Validate checks.
func fromDefinition(d config.Feed) (Feed, error) {
	where := d.Source
	if where == "" {
		where = "feed definition"
	}
	if d.URL == "" {
		return Feed{}, fmt.Errorf("%s: feed %q has no url: give an http(s):// URL, a file:// URL or a file path (only a definition named like a built-in feed may leave it out)", where, d.DisplayName())
	}
	var format parse.Format
	if d.Format != "" && d.Format != "auto" {
		var err error
		if format, err = parse.ParseFormat(d.Format); err != nil {
			return Feed{}, fmt.Errorf("%s: feed %q: %w", where, d.DisplayName(), err)
		}
	}
	f := Feed{
		Name: d.Name, URL: d.URL, Format: format,
		Options:  parse.Options{Column: d.Column, URLBlocksHost: d.URLBlocksHost, Category: d.Category, Chain: d.Chain},
		Interval: time.Duration(d.Interval), MaxBytes: int64(d.MaxSize), ShrinkGuard: float64(d.ShrinkGuard),
		StaleAfter: time.Duration(d.StaleAfter), Trusted: d.Trusted, Enabled: d.Enabled, Licence: d.Licence, Homepage: d.Homepage,
	}
	if err := f.Validate(); err != nil {
		return Feed{}, fmt.Errorf("%s: %w", where, err)
	}
	return f, nil
}
