package cli

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/service"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the blocking DNS resolver (and the HTTP API)",
		Description: "Answers DNS on --dns-listen through --upstream resolvers, blocking names on the\n" +
			"configured feeds and their subdomains. SIGHUP reloads the configuration and re-fetches\n" +
			"every feed; SIGTERM drains in-flight queries and exits.",
		Flags: append(listFlags(),
			&cli.StringSliceFlag{Name: "dns-listen", Usage: "serve DNS over UDP and TCP on `HOST:PORT`; repeatable (default 127.0.0.1:5335)", EnvVars: []string{"SCAMBLOCK_DNS_LISTEN"}},
			&cli.StringSliceFlag{Name: "upstream", Usage: "forward to `URL` (udp://IP:PORT, tcp://IP:PORT, tls://NAME@IP:853); repeatable (default Quad9 and Cloudflare over TLS)", EnvVars: []string{"SCAMBLOCK_UPSTREAM"}},
			&cli.StringFlag{Name: "block-mode", Usage: "answer for blocked names: nxdomain, nodata, null, refused or ip:<v4>[,<v6>] (default \"nxdomain\")", EnvVars: []string{"SCAMBLOCK_BLOCK_MODE"}},
			&cli.DurationFlag{Name: "block-ttl", Usage: "TTL and negative-cache time of block answers", DefaultText: "5m0s", EnvVars: []string{"SCAMBLOCK_BLOCK_TTL"}},
			&cli.StringFlag{Name: "http-listen", Usage: "serve the HTTP API and /metrics on `HOST:PORT`; \"\" turns it off (default 127.0.0.1:8335)", EnvVars: []string{"SCAMBLOCK_HTTP_LISTEN"}},
			&cli.StringFlag{Name: "hashbl-zone", Usage: "answer HashBL wallet lookups under `ZONE` (e.g. hashbl.scamblock.local); off by default", EnvVars: []string{"SCAMBLOCK_HASHBL_ZONE"}},
			&cli.StringFlag{Name: "rpz-listen", Usage: "serve the blocklist as an RPZ zone by AXFR/IXFR on `HOST:PORT` (TCP and UDP) for BIND/Unbound secondaries; off by default", EnvVars: []string{"SCAMBLOCK_RPZ_LISTEN"}},
			&cli.StringFlag{Name: "rpz-zone", Usage: "origin of the RPZ `ZONE`", DefaultText: "rpz.scamblock.", EnvVars: []string{"SCAMBLOCK_RPZ_ZONE"}},
			&cli.StringSliceFlag{Name: "rpz-allow-transfer", Usage: "`CIDR` allowed to transfer the RPZ zone; repeatable (default loopback only)", EnvVars: []string{"SCAMBLOCK_RPZ_ALLOW_TRANSFER"}},
			&cli.StringSliceFlag{Name: "rpz-notify", Usage: "secondary `HOST:PORT` sent a NOTIFY when the zone changes; repeatable", EnvVars: []string{"SCAMBLOCK_RPZ_NOTIFY"}},
			&cli.StringFlag{Name: "rpz-tsig-name", Usage: "TSIG key `NAME` (hmac-sha256) required for transfers", EnvVars: []string{"SCAMBLOCK_RPZ_TSIG_NAME"}},
			&cli.StringFlag{Name: "rpz-tsig-secret", Usage: "TSIG key `SECRET` (base64)", EnvVars: []string{"SCAMBLOCK_RPZ_TSIG_SECRET"}},
			&cli.IntFlag{Name: "cache-size", Usage: "DNS cache entries; negative turns the cache off", DefaultText: "10000", EnvVars: []string{"SCAMBLOCK_CACHE_SIZE"}},
		),
		Action: serve,
	}
}

func serve(c *cli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usageError("serve takes no arguments, got %q; lists are given with --feed PATH", args)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return usageError("%v", err)
	}
	log, err := newLogger(cfg.Server.LogLevel)
	if err != nil {
		return usageError("%v", err)
	}
	if err := service.Validate(cfg); err != nil {
		return usageError("%v", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	start := time.Now()
	err = service.Run(c.Context, cfg, service.Options{
		Logger: log,
		Hangup: hup,
		Reload: func() (*config.Config, error) { return loadConfig(c) },
	})
	if err != nil {
		return cli.Exit(err.Error(), exitFailure)
	}
	log.Info("scamblock stopped", "uptime", time.Since(start).Round(time.Second))
	return nil
}
