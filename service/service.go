package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/resolver"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
	"github.com/scamblock/scamblock/wallet/hashbl"
)

// Options tune Run beyond the configuration.
type Options struct {
	Logger *slog.Logger
	// Reload, when not nil, is called on each value received from Hangup
	// (SIGHUP) and returns the configuration to apply: the file re-read
	// with flags laid over it again.
	Reload func() (*config.Config, error)
	Hangup <-chan os.Signal
	// OnReady, when not nil, is called once every listener is bound.
	OnReady func(Ready)
}

// Ready tells where a running service listens.
type Ready struct {
	DNS  []net.Addr
	HTTP net.Addr // nil when the HTTP listener is off
	RPZ  net.Addr // nil when no RPZ zone is served
}

// Run serves DNS and HTTP as cfg says until ctx ends, then drains in-flight
// queries and returns nil. Lists are loaded from the data directory's last
// good copies before anything is fetched, so a restart without network
// still blocks.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := cfg.Server
	if err := os.MkdirAll(srv.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %q: %w (choose another with --data-dir)", srv.DataDir, err)
	}
	policy, err := policyOf(srv)
	if err != nil {
		return err
	}

	db, err := store.Open(srv.DataDir, store.Options{})
	if err != nil {
		return fmt.Errorf("open the researcher store: %w", err)
	}
	defer db.Close()

	bl, err := NewBlocklists(srv.Allow, nil, log)
	if err != nil {
		return err
	}
	var mgr *feeds.Manager // the callback runs only after NewManager returned
	mgr, err = feeds.NewManager(cfg.ResolveFeeds(), feeds.ManagerOptions{
		DataDir: srv.DataDir,
		Logger:  log.With("part", "feeds"),
		OnChange: func(sets []*lists.Set) {
			bl.SetFeeds(sets, mgr.SourceOptions())
			bl.RecordSources(mgr.Status())
		},
	})
	if err != nil {
		return fmt.Errorf("feeds: %w", err)
	}
	var publishMu sync.Mutex // approvals and expiry may race; the last read must be applied last
	publish := func() {
		publishMu.Lock()
		defer publishMu.Unlock()
		pub, err := db.Published()
		if err != nil {
			log.Error("read published indicators", "err", err)
			return
		}
		bl.SetPublished(pub)
	}
	publish()
	if err := mgr.LoadCached(ctx); err != nil {
		log.Warn("some feeds have no usable copy yet; they will be fetched", "err", err)
	}
	logLoaded(log, mgr)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newListsCollector(mgr, bl))

	var zones []resolver.LocalZone
	if srv.HashBLZone != "" {
		z, err := hashbl.New(hashbl.Config{Zone: srv.HashBLZone, Addresses: &bl.Wallets, Domains: &bl.Domains})
		if err != nil {
			return err
		}
		zones = append(zones, z)
	}
	dns, err := resolver.New(resolver.Config{
		Listen:    srv.DNSListen,
		Upstreams: srv.Upstreams,
		Policy:    policy,
		CacheSize: srv.CacheSize,
		Logger:    log.With("part", "resolver"),
		Metrics:   reg,
	}, &bl.Domains, zones...)
	if err != nil {
		return err
	}

	handler := api.New(api.Options{
		Store:             db,
		Logger:            log.With("part", "api"),
		OnPublishedChange: publish,
		Feeds:             feedStatus{mgr},
		Checker:           APIChecker{bl},
		Metrics:           promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Addresses:         api.AddressParserFunc(parseAddress),
	})

	var follower *rpzFollower
	if srv.RPZ.Listen != "" {
		if follower, err = newRPZFollower(srv.RPZ, log.With("part", "rpz")); err != nil {
			return err
		}
		bl.OnCompiled(follower.offer)
	}

	var httpLn net.Listener
	if srv.HTTPListen != "" {
		httpLn, err = net.Listen("tcp", srv.HTTPListen)
		if err != nil {
			return fmt.Errorf("HTTP listener %s: %w (free the port or choose another with --http-listen; \"\" turns it off)", srv.HTTPListen, err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	run("dns", func() error {
		if err := dns.Run(ctx); err != nil {
			return fmt.Errorf("%w (is another DNS server on that port? choose another with --dns-listen)", err)
		}
		return nil
	})
	run("feeds", func() error { return mgr.Run(ctx) })
	if follower != nil {
		run("rpz", func() error { return follower.run(ctx) })
	}
	run("expiry", func() error {
		db.RunExpiry(ctx, time.Minute, func([]store.Submission) { publish() }, func(err error) { log.Error("expire submissions", "err", err) })
		return nil
	})
	var hs *http.Server
	if httpLn != nil {
		hs = api.NewServer(srv.HTTPListen, handler)
		run("http", func() error {
			if err := hs.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}

	select {
	case <-dns.Ready():
		if len(dns.Addrs()) == 0 {
			break // binding failed: the dns goroutine reports why
		}
		r := Ready{DNS: dns.Addrs()}
		if httpLn != nil {
			r.HTTP = httpLn.Addr()
		}
		if follower != nil {
			select {
			case <-follower.srv.Ready():
				r.RPZ = follower.srv.Addr()
			case <-ctx.Done():
			}
		}
		log.Info("scamblock is serving", "dns", r.DNS, "http", r.HTTP, "rpz", r.RPZ, "data_dir", srv.DataDir, "block_mode", policy.Mode.String())
		if opts.OnReady != nil {
			opts.OnReady(r)
		}
	case <-ctx.Done():
	}

	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-opts.Hangup:
			reload(ctx, log, opts.Reload, mgr, bl, dns)
		}
	}

	if hs != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = hs.Shutdown(sctx)
		scancel()
	}
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

// reload applies a new configuration (SIGHUP): allow names, block policy and
// feeds, then re-fetches every feed now. Listeners and upstreams stay; a
// change to them needs a restart, and the log says so.
func reload(ctx context.Context, log *slog.Logger, load func() (*config.Config, error), mgr *feeds.Manager, bl *Blocklists, dns *resolver.Server) {
	log.Info("SIGHUP: reloading configuration and re-fetching feeds")
	if load != nil {
		cfg, err := load()
		if err != nil {
			log.Error("reload: configuration not applied; the running one stays", "err", err)
		} else if err := apply(cfg, mgr, bl, dns); err != nil {
			log.Error("reload: configuration not applied; the running one stays", "err", err)
		}
	}
	go func() {
		if err := mgr.RefreshAll(ctx); err != nil {
			log.Warn("reload: some feeds failed to refresh; their last good copy stays in use", "err", err)
		}
	}()
}

func apply(cfg *config.Config, mgr *feeds.Manager, bl *Blocklists, dns *resolver.Server) error {
	policy, err := policyOf(cfg.Server)
	if err != nil {
		return err
	}
	if err := mgr.SetFeeds(cfg.ResolveFeeds()); err != nil {
		return fmt.Errorf("feeds: %w", err)
	}
	if err := dns.SetPolicy(policy); err != nil {
		return err
	}
	bl.SetAllow(cfg.Server.Allow)
	return nil
}

// Validate checks the parts of cfg that a person may have mistyped (block
// mode, upstreams, listen addresses, HashBL zone), so the CLI can report
// them as usage errors before anything starts.
func Validate(cfg *config.Config) error {
	srv := cfg.Server
	var errs []error
	if _, err := policyOf(srv); err != nil {
		errs = append(errs, fmt.Errorf("--block-mode: %w", err))
	}
	for _, u := range srv.Upstreams {
		if _, err := resolver.ParseUpstream(u); err != nil {
			errs = append(errs, fmt.Errorf("--upstream: %w", err))
		}
	}
	if len(srv.Upstreams) == 0 {
		errs = append(errs, errors.New("--upstream: none given; e.g. --upstream tls://dns.quad9.net@9.9.9.9:853"))
	}
	for _, l := range append(append([]string{}, srv.DNSListen...), srv.HTTPListen) {
		if l == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l); err != nil {
			errs = append(errs, fmt.Errorf("listen address %q: %w; write HOST:PORT, e.g. 127.0.0.1:5335", l, err))
		}
	}
	if srv.HashBLZone != "" {
		if _, err := hashbl.New(hashbl.Config{Zone: srv.HashBLZone}); err != nil {
			errs = append(errs, fmt.Errorf("--hashbl-zone: %w", err))
		}
	}
	if srv.RPZ.Listen != "" {
		if _, err := newRPZFollower(srv.RPZ, slog.New(slog.DiscardHandler)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func policyOf(srv config.Server) (resolver.Policy, error) {
	mode, err := resolver.ParseBlockMode(srv.BlockMode)
	if err != nil {
		return resolver.Policy{}, err
	}
	return resolver.Policy{Mode: mode, TTL: srv.BlockTTL}, nil
}

// logLoaded says in one line what the lists hold before any fetch ran.
func logLoaded(log *slog.Logger, mgr *feeds.Manager) {
	var withData, waiting, entries int
	for _, st := range mgr.Status() {
		switch {
		case !st.Enabled:
		case st.Entries > 0:
			withData++
			entries += st.Entries
		default:
			waiting++
		}
	}
	log.Info("lists loaded from local files and the last good copies", "feeds_with_data", withData, "feeds_waiting_for_fetch", waiting, "entries", entries)
}

type feedStatus struct{ m *feeds.Manager }

func (f feedStatus) Status() any { return f.m.Status() }

func parseAddress(s string) (chain, canonical string, err error) {
	a, err := wallet.Parse(s)
	return a.Chain, a.Canonical, err
}

func collect(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}
