package cli

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/internal/sdnotify"
	"github.com/scamblock/scamblock/memlimit"
	"github.com/scamblock/scamblock/service"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the blocking DNS resolver (and the HTTP API)",
		Description: "Answers DNS on --dns-listen through --upstream resolvers, blocking names on the\n" +
			"configured feeds and their subdomains. SIGHUP reloads the configuration and re-fetches\n" +
			"every feed; SIGTERM drains in-flight queries and exits. Every setting is a flag, a\n" +
			"SCAMBLOCK_* environment variable and a key of the --config file (docs/configuration.md).",
		Flags:  settingFlags(config.ScopeServe),
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
		return err
	}
	log, err := newLogger(c.App.ErrWriter, cfg.Server.LogLevel)
	if err != nil {
		return usageError("%v", err)
	}
	limit, err := memlimit.Apply(int64(cfg.Server.MemoryLimit))
	if err != nil {
		log.Warn("memory limit: the cgroup limit could not be read; none set (set --memory-limit)", "err", err)
	}
	shown := config.Size(limit.Limit).String()
	if limit.Limit == math.MaxInt64 {
		shown = "none"
	}
	log.Info("memory limit", "limit", shown, "source", limit.Source)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	sd := sdnotify.New(os.LookupEnv) // systemd's Type=notify: READY=1 once the lists are loaded
	go func() {
		<-c.Context.Done()
		_ = sd.Stopping()
	}()
	start := time.Now()
	err = service.Run(c.Context, cfg, service.Options{
		Logger:  log,
		Hangup:  hup,
		Reload:  func() (*config.Config, error) { return loadConfig(c) },
		OnReady: func(r service.Ready) { tellSystemd(sd, r, log) },
	})
	if err != nil {
		return cli.Exit(err.Error(), exitFailure)
	}
	log.Info("scamblock stopped", "uptime", time.Since(start).Round(time.Second))
	return nil
}

// tellSystemd sends READY=1 with a status line when systemd started the
// service as Type=notify (NOTIFY_SOCKET set); otherwise it does nothing.
func tellSystemd(sd sdnotify.Notifier, r service.Ready, log *slog.Logger) {
	if !sd.Enabled() {
		return
	}
	status := fmt.Sprintf("serving DNS on %v, %d names listed", r.DNS, r.Names)
	if r.Follow != nil {
		status += fmt.Sprintf(", following %s from %s (serial %d)", r.Follow.Zone, r.Follow.Primary, r.Follow.Serial)
	}
	if err := sd.Ready(status); err != nil {
		log.Warn("could not tell systemd the service is ready", "err", err)
	}
}
