// Package service assembles and runs scamblock. Read it to see the whole
// system: the researcher store, the blocklist fed by the feed schedule and
// the published submissions, the DNS resolver asking it, the RPZ zone
// following it, the HTTP API and its verdicts. It owns the wiring and
// nothing else: each part's logic lives in its own package.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/certs"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/memlimit"
	"github.com/scamblock/scamblock/querylog"
	"github.com/scamblock/scamblock/querystats"
	"github.com/scamblock/scamblock/resolver"
	"github.com/scamblock/scamblock/rpz/follow"
	"github.com/scamblock/scamblock/store"
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
	// Names is how many names the compiled lists hold when ready.
	Names int
	// Follow is the followed zone's state when ready (--follow); nil
	// when not following.
	Follow *follow.Status
}

// Run serves DNS and HTTP as cfg says until ctx ends, then drains in-flight
// queries and returns nil. Lists are loaded from the data directory's last
// good copies before anything is fetched, so a restart without network
// still blocks. When a part fails, the others are stopped and Run returns
// the first failure.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	srv := cfg.Server
	// The embedded guard lists and the public-suffix filter are built on
	// the other CPU while the store opens (fsync) and the config is
	// checked: a cold list load would otherwise wait for them.
	go lists.PrepareTables()
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

	sys, err := assemble(ctx, cfg, policy, db, log)
	if err != nil {
		return err
	}
	return sys.run(ctx, opts)
}

// system is scamblock assembled: every part built and wired, none running.
type system struct {
	log     *slog.Logger
	dataDir string
	policy  resolver.Policy

	db    *store.Store
	lists *blocklist.Blocklist // what the resolver, the zones and verdicts read
	feeds *feeds.Updater       // fetches on schedule and feeds lists
	// feedsPending: the lists came from the snapshot; the feeds' copies
	// are loaded in the background before their schedule starts.
	feedsPending bool
	shed         memlimit.Shedder // returns the heap after the lists move onto the snapshot file
	publisher    *publisher       // store → lists
	dns          *resolver.Server
	qlog         *querylog.Logger  // nil when the query log is off
	rpz          *rpzPublisher     // serves the lists as an RPZ zone; nil when --rpz-listen is off
	follower     *follow.Follower  // follows a primary's RPZ zone; nil when --follow is off
	stats        *querystats.Stats // what the dashboard shows of the traffic
	metrics      *prometheus.Registry
	sessions     store.SessionLimits // web sign-in limits, for pruning
	http         *http.Server        // nil when the HTTP listener is off
	httpLn       net.Listener
	certs        certs.Source // DoT/DoH certificate; nil without them
}

// assemble builds every part cfg asks for and wires them together: the
// lists first (so the resolver blocks from its first query), the follower
// of a primary's zone (which feeds them, and hears NOTIFY through the
// resolver), then the resolver, the RPZ zone and the HTTP API, which read
// them.
func assemble(ctx context.Context, cfg *config.Config, policy resolver.Policy, db *store.Store, log *slog.Logger) (*system, error) {
	srv := cfg.Server
	s := &system{log: log, dataDir: srv.DataDir, policy: policy, db: db, stats: querystats.New(nil)}
	if err := s.loadCertificate(srv); err != nil {
		return nil, err
	}
	if err := s.loadLists(ctx, cfg); err != nil {
		return nil, err
	}
	reg := newRegistry(s.feeds, s.lists)
	s.metrics = reg
	if srv.Follow.Primary != "" {
		f, err := newFollower(srv.Follow, srv.DataDir, s.lists, reg, log.With("part", "follow"))
		if err != nil {
			return nil, err
		}
		s.follower = f
	}
	if err := s.newResolver(srv, reg); err != nil {
		return nil, err
	}
	if srv.RPZ.Listen != "" {
		p, err := newRPZPublisher(srv.RPZ, log.With("part", "rpz"))
		if err != nil {
			return nil, err
		}
		s.rpz = p
		s.lists.OnCompiled(p.offer)
	}
	if srv.HTTPListen != "" {
		if err := s.newHTTP(srv.HTTPListen, srv, reg); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// run starts every part, reports readiness, applies SIGHUP reloads, and
// when ctx ends (or a part fails) waits for every part to stop.
func (s *system) run(ctx context.Context, opts Options) error {
	g, ctx := errgroup.WithContext(ctx)
	start := func(name string, part func(context.Context) error) {
		g.Go(func() error {
			if err := part(ctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	start("dns", s.runDNS)
	if s.qlog != nil {
		start("query log", s.qlog.Run)
	}
	start("feeds", s.runFeeds)
	if s.rpz != nil {
		start("rpz", s.rpz.run)
	}
	if s.follower != nil {
		start("follow", s.runFollower)
	}
	start("expiry", s.runExpiry)
	start("query statistics", func(ctx context.Context) error { return s.stats.Run(ctx, s.metrics, 5*time.Second) })
	if s.http != nil {
		start("http", s.serveHTTP)
		start("web sessions", s.pruneSessions)
		start("http shutdown", s.shutdownHTTP)
	}

	s.announce(ctx, opts.OnReady)
	for {
		select {
		case <-ctx.Done():
			err := g.Wait()
			s.lists.WaitSnapshot() // a write in progress ends whole
			return err
		case <-opts.Hangup:
			s.reload(ctx, g, opts.Reload)
		}
	}
}

// runFeeds loads the feeds' last good copies first when the lists came
// from the snapshot (they then replace it: the snapshot is verified against
// the feeds), then refreshes every feed on its schedule.
func (s *system) runFeeds(ctx context.Context) error {
	if s.feedsPending {
		s.loadFeeds(ctx)
		if ctx.Err() != nil {
			return nil // stopped during the load: no schedule to start
		}
	}
	return s.feeds.Run(ctx)
}

func (s *system) runDNS(ctx context.Context) error {
	if err := s.dns.Run(ctx); err != nil {
		return fmt.Errorf("%w (is another DNS server on that port? choose another with --dns-listen)", err)
	}
	return nil
}

// runExpiry unpublishes expired submissions every minute.
func (s *system) runExpiry(ctx context.Context) error {
	s.db.RunExpiry(ctx, time.Minute,
		func([]store.Submission) { s.publisher.publish() },
		func(err error) { s.log.Error("expire submissions", "err", err) })
	return nil
}

// pruneSessions deletes the web sessions past their limits every 10
// minutes (a session is also refused on use once past them).
func (s *system) pruneSessions(ctx context.Context) error {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := s.db.PruneSessions(s.sessions); err != nil {
			s.log.Error("prune web sessions", "err", err)
		} else if n > 0 {
			s.log.Debug("web sessions ended", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *system) serveHTTP(context.Context) error {
	if err := s.http.Serve(s.httpLn); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdownHTTP waits for ctx to end, then lets requests in flight finish
// (3 s at most).
func (s *system) shutdownHTTP(ctx context.Context) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = s.http.Shutdown(sctx)
	return nil
}

// announce waits until the listeners are bound and a follower has its
// zone (or asked the primary once), logs where, and tells onReady.
func (s *system) announce(ctx context.Context, onReady func(Ready)) {
	select {
	case <-s.dns.Ready():
	case <-ctx.Done():
		return
	}
	if len(s.dns.Addrs()) == 0 {
		return // binding failed: the dns part reports why
	}
	r := Ready{DNS: s.dns.Addrs()}
	if s.httpLn != nil {
		r.HTTP = s.httpLn.Addr()
	}
	if s.rpz != nil {
		select {
		case <-s.rpz.srv.Ready():
			r.RPZ = s.rpz.srv.Addr()
		case <-ctx.Done():
		}
	}
	if s.follower != nil {
		select {
		case <-s.follower.Ready(): // the saved zone is in use, or the primary was asked once
		case <-ctx.Done():
			return
		}
	}
	r.Names = s.lists.Domains.Load().Len()
	if s.follower != nil {
		st := s.follower.Status()
		r.Follow = &st
	}
	s.log.Info("scamblock is serving", "dns", r.DNS, "http", r.HTTP, "rpz", r.RPZ, "data_dir", s.dataDir, "block_mode", s.policy.Mode.String())
	if onReady != nil {
		onReady(r)
	}
}
