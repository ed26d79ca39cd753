package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
)

// settingFlags are the flags of the settings model (package config) that a
// command of scope cmd has: config.ScopeServe for serve, ScopeLists for
// check and feeds, ScopeData for token. They carry no EnvVars: config reads
// the environment itself, so that a bad value is blamed on the variable
// that gave it, not on the flag (the variables still show in --help).
func settingFlags(cmd config.Scope) []cli.Flag {
	var out []cli.Flag
	for _, s := range config.Settings() {
		if s.Flag == "" || !s.Scope.On(cmd) {
			continue
		}
		switch s.Kind {
		case config.KindBool:
			out = append(out, &cli.BoolFlag{Name: s.Flag, Usage: s.Usage()})
		case config.KindList:
			out = append(out, &cli.StringSliceFlag{Name: s.Flag, Usage: s.Usage()})
		default:
			out = append(out, &cli.StringFlag{Name: s.Flag, Usage: s.Usage()})
		}
	}
	return out
}

// loadConfig is how every command gets its settings: the --config file
// (or SCAMBLOCK_CONFIG), the SCAMBLOCK_* environment and the flags given,
// over the defaults, checked, with the feed definitions checked by the
// package that reads them. Its error is a usage error for cli.Exit.
func loadConfig(c *cli.Context) (*config.Config, error) {
	flags := map[string][]string{}
	for _, s := range config.Settings() {
		if s.Flag == "" || s.Key == "" || !c.IsSet(s.Flag) {
			continue
		}
		switch s.Kind {
		case config.KindBool:
			flags[s.Flag] = []string{strconv.FormatBool(c.Bool(s.Flag))}
		case config.KindList:
			flags[s.Flag] = c.StringSlice(s.Flag)
		default:
			flags[s.Flag] = []string{c.String(s.Flag)}
		}
	}
	cfg, err := config.Build(config.Sources{File: c.String(config.FileFlag), Env: os.LookupEnv, Flags: flags})
	if err != nil {
		return nil, usageError("%v", err)
	}
	if _, err := feeds.Resolve(cfg.Feeds, cfg.UsesDefaultFeeds()); err != nil {
		return nil, usageError("%v", err)
	}
	return cfg, nil
}

// newLogger returns a text logger on w at the configured level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// usageError is a cli.Exit for bad input or configuration.
func usageError(format string, args ...any) cli.ExitCoder {
	return cli.Exit(strings.TrimSpace(fmt.Sprintf(format, args...)), exitUsage)
}
