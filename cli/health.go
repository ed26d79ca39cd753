package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/buildinfo"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/health"
)

func healthCommand() *cli.Command {
	return &cli.Command{
		Name:  "health",
		Usage: "check that a running scamblock answers DNS and is ready (for Docker HEALTHCHECK and systemd)",
		Description: "Asks the DNS listener a real query (. NS over UDP) and the HTTP listener's /readyz (lists\n" +
			"loaded, DNS serving, an upstream answered in the last minute). Without --dns and --http both come\n" +
			"from the configuration (dns_listen's first address, http_listen; 0.0.0.0 and [::] become loopback).\n" +
			"Exit 0: healthy; 1: not, with the reason on standard error.",
		Flags: append(settingFlags(config.ScopeData),
			&cli.StringFlag{Name: "dns", Usage: "DNS listener HOST:PORT to query (\"\" with --http: skip DNS)"},
			&cli.StringFlag{Name: "http", Usage: "base URL of the HTTP listener whose /readyz is asked, e.g. http://127.0.0.1:8335 (\"\" with --dns: skip it)"},
			&cli.StringFlag{Name: "name", Value: ".", Usage: "NAME asked for (type NS)"},
		),
		Action: healthAction,
	}
}

func healthAction(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	t := health.Target{Name: c.String("name")}
	switch {
	case c.IsSet("dns") || c.IsSet("http"):
		t.DNS, t.HTTP = c.String("dns"), c.String("http")
	default:
		if len(cfg.Server.DNSListen) > 0 {
			t.DNS = health.Local(cfg.Server.DNSListen[0])
		}
		if cfg.Server.HTTPListen != "" {
			t.HTTP = "http://" + health.Local(cfg.Server.HTTPListen)
		}
	}
	if err := health.Probe(c.Context, t); err != nil {
		return cli.Exit("unhealthy: "+err.Error(), 1)
	}
	fmt.Fprintln(c.App.Writer, "healthy:", describe(t))
	return nil
}

func describe(t health.Target) string {
	s := ""
	if t.DNS != "" {
		s = "dns " + t.DNS + " answers " + t.Name + " NS"
	}
	if t.HTTP != "" {
		if s != "" {
			s += "; "
		}
		s += t.HTTP + "/readyz is ready"
	}
	return s
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit and build date",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(c.App.Writer, buildinfo.Get())
			return nil
		},
	}
}
