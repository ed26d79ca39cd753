package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
)

// Flags every command that reads the lists shares. Precedence: flags, then
// SCAMBLOCK_* environment variables, then the --config file, then defaults.
func listFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML configuration `FILE` (server settings and feeds)", EnvVars: []string{"SCAMBLOCK_CONFIG"}},
		&cli.StringFlag{Name: "data-dir", Usage: "state `DIR`: feed caches and the researcher store (default \"scamblock-data\")", EnvVars: []string{"SCAMBLOCK_DATA_DIR", "STATE_DIRECTORY"}},
		&cli.StringSliceFlag{Name: "feed", Usage: "also load the list at `PATH` or URL (NAME=PATH names it); repeatable; format detected", EnvVars: []string{"SCAMBLOCK_FEED"}},
		&cli.BoolFlag{Name: "no-default-feeds", Usage: "do not use the built-in set of public scam feeds", EnvVars: []string{"SCAMBLOCK_NO_DEFAULT_FEEDS"}},
		&cli.StringSliceFlag{Name: "allow", Usage: "never block `NAME` or its subdomains; repeatable", EnvVars: []string{"SCAMBLOCK_ALLOW"}},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (default \"info\")", EnvVars: []string{"SCAMBLOCK_LOG_LEVEL"}},
	}
}

// loadConfig reads --config (or the defaults) and lays the flags that were
// set, on the command line or in the environment, over it.
func loadConfig(c *cli.Context) (*config.Config, error) {
	cfg := config.Default()
	if path := c.String("config"); path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return nil, err
		}
	}
	s := &cfg.Server
	setString(c, "data-dir", &s.DataDir)
	setString(c, "log-level", &s.LogLevel)
	setStrings(c, "allow", &s.Allow)
	if c.IsSet("no-default-feeds") {
		cfg.DefaultFeeds = !c.Bool("no-default-feeds")
	}
	for _, arg := range c.StringSlice("feed") {
		cfg.Feeds = append(cfg.Feeds, feedFlag(arg))
	}
	// serve's own flags; absent on other commands, where IsSet is false.
	setStrings(c, "dns-listen", &s.DNSListen)
	setStrings(c, "upstream", &s.Upstreams)
	setString(c, "block-mode", &s.BlockMode)
	setString(c, "http-listen", &s.HTTPListen)
	setString(c, "hashbl-zone", &s.HashBLZone)
	setString(c, "rpz-listen", &s.RPZ.Listen)
	setString(c, "rpz-zone", &s.RPZ.Zone)
	setStrings(c, "rpz-allow-transfer", &s.RPZ.AllowTransfer)
	setStrings(c, "rpz-notify", &s.RPZ.Notify)
	setString(c, "rpz-tsig-name", &s.RPZ.TSIGName)
	setString(c, "rpz-tsig-secret", &s.RPZ.TSIGSecret)
	if c.IsSet("block-ttl") {
		s.BlockTTL = c.Duration("block-ttl")
	}
	if c.IsSet("cache-size") {
		s.CacheSize = c.Int("cache-size")
	}
	return cfg, nil
}

// feedFlag reads a --feed value: PATH, URL, or NAME=PATH|URL. A feed without
// a name is named by its path or URL.
func feedFlag(arg string) feeds.Feed {
	name, src, ok := strings.Cut(arg, "=")
	if !ok || name == "" || strings.ContainsAny(name, "/:\\?") {
		return feeds.Feed{URL: arg, Enabled: true}
	}
	return feeds.Feed{Name: name, URL: src, Enabled: true}
}

func setString(c *cli.Context, name string, dst *string) {
	if c.IsSet(name) {
		*dst = c.String(name)
	}
}

func setStrings(c *cli.Context, name string, dst *[]string) {
	if c.IsSet(name) {
		*dst = c.StringSlice(name)
	}
}

// newLogger returns a text logger on stderr at the configured level.
func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// usageError is a cli.Exit for bad input or configuration.
func usageError(format string, args ...any) cli.ExitCoder {
	return cli.Exit(strings.TrimSpace(fmt.Sprintf(format, args...)), exitUsage)
}
