package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/health"
	"github.com/scamblock/scamblock/internal/listen"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/querylog"
	"github.com/scamblock/scamblock/querystats"
	"github.com/scamblock/scamblock/resolver"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/verdict"
	"github.com/scamblock/scamblock/wallet"
	"github.com/scamblock/scamblock/wallet/hashbl"
	webui "github.com/scamblock/scamblock/web"
)

// loadLists builds the blocklist and the feed schedule that feeds it. With
// a usable snapshot in the data directory the lists block from it at once
// and the feeds are loaded later, in the background (loadFeeds, from run);
// without one they are filled here from the published submissions and
// every feed's last good copy (and local files) before anything is fetched.
func (s *system) loadLists(ctx context.Context, cfg *config.Config) error {
	guard := guardOf(cfg.Guard)
	bl, err := blocklist.New(cfg.Server.Allow, guard, s.log)
	if err != nil {
		return err
	}
	bl.SetConsensus(cfg.Guard.Consensus)
	feedList, err := feedsOf(cfg)
	if err != nil {
		return err
	}
	var updater *feeds.Updater // the callback runs only after NewUpdater returned
	updater, err = feeds.NewUpdater(feedList, feeds.UpdaterOptions{
		DataDir:    cfg.Server.DataDir,
		MaxBytes:   int64(cfg.Server.FeedMaxSize),
		StaleAfter: time.Duration(cfg.Server.FeedStale),
		Logger:     s.log.With("part", "feeds"),
		OnChange: func(sets []*lists.Set) {
			bl.SetGuard(rankedGuard(guard, updater.Ranking())) // the fetched ranking, from this rebuild on
			bl.SetFeeds(sets, updater.SourceOptions())
			bl.RecordSources(updater.Status())
		},
	})
	if err != nil {
		return fmt.Errorf("feeds: %w", err)
	}
	s.lists, s.feeds = bl, updater
	s.publisher = &publisher{db: s.db, lists: bl, log: s.log}
	s.publisher.allow()
	// The ranking's last good copy guards from the start, also the lists
	// read back from the snapshot (compiled with it).
	if err := updater.LoadRanking(ctx); err != nil {
		s.log.Warn("the ranking's last good copy is not usable; the embedded Tranco snapshot guards until it is fetched", "err", err)
	}
	ranked := rankedGuard(guard, updater.Ranking())
	bl.SetGuard(ranked)
	go ranked.Prepare() // beside the first feed's read and parse, not in the first compile
	if cfg.Server.Snapshot {
		path := filepath.Join(cfg.Server.DataDir, blocklist.SnapshotFile)
		bl.RecordProvenance(updater.Provenance)
		_, err := bl.LoadSnapshot(path)
		switch {
		case err == nil:
			s.feedsPending = true
			updater.Seed(bl.SnapshotFeeds()) // unchanged feeds take their Sets from it instead of parsing
		case errors.Is(err, fs.ErrNotExist):
			s.log.Info("no snapshot of the lists yet; compiling them from the feeds", "file", path)
		default:
			s.log.Warn("snapshot of the lists ignored; compiling them from the feeds", "err", err)
		}
		bl.SaveSnapshots(path)
		bl.OnAdopt(func(repl map[*lists.Set]*lists.Set) {
			updater.Adopt(repl)
			// The rebuild's heap copy of the lists is garbage now: have the
			// runtime collect it and return the pages (memlimit.Shedder).
			s.shed.Shed(ctx, func(heap, free uint64) {
				s.log.Info("heap returned to the OS after the move onto the snapshot", "heap_mib", heap>>20, "free_held_mib", free>>20)
			})
		})
	}
	if !s.feedsPending {
		s.loadFeeds(ctx)
	}
	return nil
}

// loadFeeds fills the blocklist from the published submissions and every
// feed's last good copy (and local files), without fetching.
func (s *system) loadFeeds(ctx context.Context) {
	s.publisher.publish()
	if err := s.feeds.LoadCached(ctx); err != nil {
		s.log.Warn("some feeds have no usable copy yet; they will be fetched", "err", err)
	}
	logLoaded(s.log, s.feeds)
}

// newResolver builds the DNS resolver asking the blocklist, with the
// HashBL zone in front when one is configured.
func (s *system) newResolver(srv config.Server, reg *prometheus.Registry) error {
	var zones []resolver.LocalZone
	if srv.HashBLZone != "" {
		z, err := hashbl.New(hashbl.Config{Zone: srv.HashBLZone, Addresses: &s.lists.Wallets, Domains: &s.lists.Domains})
		if err != nil {
			return err
		}
		zones = append(zones, z)
	}
	allow, err := config.Prefixes(srv.Access.AllowNet)
	if err != nil {
		return err
	}
	deny, err := config.Prefixes(srv.Access.DenyNet)
	if err != nil {
		return err
	}
	if q := srv.QueryLog; q.Path != "" {
		ql, err := querylog.New(querylog.Config{Path: q.Path, FullIP: q.FullIP, Sample: q.Sample,
			MaxSize: int64(q.MaxSize), MaxFiles: q.MaxFiles}, reg)
		if err != nil {
			return err
		}
		s.qlog = ql
	}
	rc := resolver.Config{
		Listen:       srv.DNSListen,
		ACL:          allow,
		Deny:         deny,
		RateLimit:    float64(srv.Access.RateLimit),
		RateBurst:    srv.Access.RateLimit, // one second's worth
		RateV4Prefix: srv.Access.RateLimitV4Prefix,
		RateV6Prefix: srv.Access.RateLimitV6Prefix,
		RateSlip:     cmp.Or(srv.Access.RateLimitSlip, -1), // 0 = drop all; the resolver's 0 means its default
		Upstreams:    srv.Upstreams,
		Policy:       s.policy,
		CacheSize:    srv.CacheSize,
		Logger:       s.log.With("part", "resolver"),
		Metrics:      reg,
		QueryLog:     s.qlog,

		MaxTCPConns:          srv.TCP.MaxConns,
		MaxTCPConnsPerClient: srv.TCP.MaxConnsPerClient,
		TCPMemory:            int64(srv.TCP.Memory),
		TCPWriteTimeout:      time.Duration(srv.TCP.WriteTimeout),
	}
	s.withEncryption(&rc, srv)
	if s.follower != nil {
		rc.Notify = s.follower // the primary's NOTIFYs arrive on the DNS port
	}
	dns, err := resolver.New(rc, querystats.Counting{List: &s.lists.Domains, Stats: s.stats}, zones...)
	if err != nil {
		return err
	}
	s.dns = dns
	return nil
}

// newHTTP builds the web pages and the HTTP API (researcher flow,
// verdicts, feed status, /metrics) behind them, and binds the listener.
func (s *system) newHTTP(addr string, srv config.Server, reg *prometheus.Registry) error {
	web := srv.Web
	checker := verdict.New(s.lists, s.log)
	apiHandler := api.New(api.Options{
		Store:             s.db,
		Logger:            s.log.With("part", "api"),
		OnPublishedChange: s.publisher.publish,
		OnAllowChange:     s.publisher.allow,
		Feeds:             feedStatus{s.feeds},
		Checker:           apiChecker{checker},
		Metrics:           promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Addresses:         api.AddressParserFunc(parseAddress),
		Ready:             s.readiness,
		ClientV4Prefix:    srv.Access.RateLimitV4Prefix, // the DNS rate limit's client prefixes
		ClientV6Prefix:    srv.Access.RateLimitV6Prefix,
	})
	s.sessions = store.SessionLimits{Idle: time.Duration(web.SessionIdle), Max: time.Duration(web.SessionMax)}
	handler, err := webui.New(webui.Options{
		Store:             s.db,
		Checker:           checker,
		Lists:             &s.lists.Domains,
		Feeds:             s.feeds.Status,
		Stats:             s.stats,
		API:               apiHandler,
		OnPublishedChange: s.publisher.publish,
		OnAllowChange:     s.publisher.allow,
		Validator:         api.NewValidator(api.AddressParserFunc(parseAddress), nil),
		SessionIdle:       time.Duration(web.SessionIdle),
		SessionMax:        time.Duration(web.SessionMax),
		Logger:            s.log.With("part", "web"),
	})
	if err != nil {
		return err
	}
	ln, err := listen.TCP(context.Background(), addr) // tcp4, or tcp6 with IPV6_V6ONLY (0.0.0.0 and [::] share a port)
	if err != nil {
		return fmt.Errorf("HTTP listener %s: %w (free the port or choose another with --http-listen; \"\" turns it off)", addr, err)
	}
	s.http, s.httpLn = api.NewServer(addr, handler), ln
	return nil
}

// publisher hands the store's published submissions to the blocklist.
// Approvals and expiry may race; the lock makes the last read the last
// one applied.
type publisher struct {
	mu    sync.Mutex
	db    *store.Store
	lists *blocklist.Blocklist
	log   *slog.Logger
}

func (p *publisher) publish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	pub, err := p.db.Published()
	if err != nil {
		p.log.Error("read published indicators", "err", err)
		return
	}
	p.lists.SetPublished(pub)
}

// allow hands the store's admin allowlist to the blocklist.
func (p *publisher) allow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	names, err := p.db.AllowNames()
	if err != nil {
		p.log.Error("read the allowlist", "err", err)
		return
	}
	p.lists.SetAdminAllow(names)
}

// logLoaded says in one line what the lists hold before any fetch ran.
func logLoaded(log *slog.Logger, updater *feeds.Updater) {
	var withData, waiting, entries, ranked int
	for _, st := range updater.Status() {
		switch {
		case !st.Enabled:
		case st.Format == feeds.FormatRanking:
			ranked = st.Entries // guarded names, not listed ones
		case st.Entries > 0:
			withData++
			entries += st.Entries
		default:
			waiting++
		}
	}
	log.Info("lists loaded from local files and the last good copies", "feeds_with_data", withData, "feeds_waiting_for_fetch", waiting, "entries", entries, "ranked_names_fetched", ranked)
}

// feedStatus adapts the feed schedule to api.FeedStatus.
type feedStatus struct{ m *feeds.Updater }

func (f feedStatus) Status() any { return f.m.Status() }

// apiChecker adapts verdicts to api.Checker: its errors are input errors.
type apiChecker struct{ c *verdict.Checker }

func (a apiChecker) Check(_ context.Context, indicator string) (any, error) {
	v, err := a.c.Check(indicator)
	if err != nil {
		if lists.ReasonOf(err) == "" {
			err = fmt.Errorf("%w: %w", api.ErrBadIndicator, err)
		}
		return nil, err
	}
	return v, nil
}

func parseAddress(s string) (chain, canonical string, err error) {
	a, err := wallet.Parse(s)
	return a.Chain, a.Canonical, err
}

// readiness is GET /readyz: lists loaded, DNS listeners serving, an
// upstream answered in the last minute.
func (s *system) readiness() (bool, any) {
	st := health.Readiness{
		Names: func() int { return s.lists.Report().Names },
		DNSListeners: func() []string {
			if !s.dns.Serving() {
				return nil
			}
			var out []string
			for _, a := range s.dns.Addrs() {
				out = append(out, a.Network()+" "+a.String())
			}
			return out
		},
		UpstreamAnswered: s.dns.LastUpstreamAnswer,
	}.Check()
	return st.Ready, st
}
