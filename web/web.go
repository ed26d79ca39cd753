// Package web is scamblock's browser interface on the HTTP listener: the
// lookup page (what is known about a domain, URL or wallet address), the
// dashboard (traffic, top blocked names, feeds, upstreams), the admin
// allowlist, the researchers' and reviewers' pages, the public appeal form
// and the block page shown to a browser whose request names a blocked host.
//
// Pages are html/template files embedded in the binary and rendered on the
// server; one small script (static/app.js) refreshes the dashboard. There
// is no build step and nothing is loaded from another site. Everything
// under /v1/, /healthz and /metrics goes to the API handler.
package web

import (
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/querystats"
	"github.com/scamblock/scamblock/ratelimit"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/verdict"
)

//go:embed templates/*.html static/*
var files embed.FS

// Lookuper says whether a host is blocked (lists.Live).
type Lookuper interface {
	Lookup(name string) (lists.Hit, bool)
}

// Options configure the pages. Store, Checker and Lists are required.
type Options struct {
	Store   *store.Store
	Checker *verdict.Checker
	Lists   Lookuper              // the block page asks it about the request's Host
	Feeds   func() []feeds.Status // feed status for the dashboard; nil: none shown
	Stats   *querystats.Stats     // traffic for the dashboard; nil: none shown
	API     http.Handler          // serves /v1/, /healthz, /readyz and /metrics; nil: 404
	// OnPublishedChange is called after an approval or a delisting commits;
	// OnAllowChange after the admin allowlist changed.
	OnPublishedChange func()
	OnAllowChange     func()
	// Validator checks submissions and appeals as the API does (default:
	// names and URLs only, no wallet addresses).
	Validator *api.Validator
	// AppealRate and AppealBurst limit the public appeal form per client
	// address (default 1 per 10 s, burst 5: the API's defaults).
	AppealRate  float64
	AppealBurst int
	// SessionIdle ends a sign-in session unused this long (default 30 min);
	// SessionMax ends any session this long after sign-in (default 12 h).
	SessionIdle time.Duration
	SessionMax  time.Duration
	Logger      *slog.Logger
	Now         func() time.Time // default time.Now
}

// Site is the web interface. Build it with New.
type Site struct {
	opts  Options
	log   *slog.Logger
	pages *pages
	now   func() time.Time
	// appeals limits the public appeal form per client address.
	appeals *ratelimit.Limiter
}

// New returns the handler serving the pages, the block page and (through
// opts.API) the API.
func New(opts Options) (http.Handler, error) {
	if opts.Store == nil || opts.Checker == nil || opts.Lists == nil {
		panic("web.New: Store, Checker and Lists are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 30 * time.Minute
	}
	if opts.SessionMax <= 0 {
		opts.SessionMax = 12 * time.Hour
	}
	if opts.OnPublishedChange == nil {
		opts.OnPublishedChange = func() {}
	}
	if opts.OnAllowChange == nil {
		opts.OnAllowChange = func() {}
	}
	if opts.Validator == nil {
		opts.Validator = api.NewValidator(nil, nil)
	}
	if opts.AppealRate <= 0 {
		opts.AppealRate = 0.1
	}
	if opts.AppealBurst <= 0 {
		opts.AppealBurst = 5
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Site{opts: opts, log: opts.Logger, pages: p, now: opts.Now,
		appeals: ratelimit.New(ratelimit.Config{Rate: opts.AppealRate, Burst: opts.AppealBurst})}
	return s.routes(), nil
}

// routes is every page, in one place.
func (s *Site) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.FileServerFS(files))
	mux.HandleFunc("GET /{$}", s.lookup)
	mux.HandleFunc("GET /lookup", s.lookup)
	mux.HandleFunc("GET /dashboard", s.dashboard)
	mux.HandleFunc("GET /dashboard/live", s.dashboardLive)
	mux.HandleFunc("GET /signin", s.signinForm)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /submit", s.submitForm)
	mux.HandleFunc("POST /submit", s.submit)
	mux.HandleFunc("GET /submissions", s.submissions)
	mux.HandleFunc("GET /review", s.review)
	mux.HandleFunc("POST /review/{action}", s.decide)
	mux.HandleFunc("GET /appeal", s.appealForm)
	mux.HandleFunc("POST /appeal", s.fileAppeal)
	mux.HandleFunc("POST /appeal/follow", s.followAppeal)
	mux.HandleFunc("GET /allowlist", s.allowlist)
	mux.HandleFunc("POST /allowlist", s.allowAdd)
	mux.HandleFunc("POST /allowlist/remove", s.allowRemove)
	if s.opts.API != nil {
		mux.Handle("/v1/", s.opts.API)
		mux.Handle("/healthz", s.opts.API)
		mux.Handle("/readyz", s.opts.API)
		mux.Handle("/metrics", s.opts.API)
	}
	mux.HandleFunc("/", s.notFound)
	return secure(s.blockPage(mux))
}

// secure sets the headers every page carries: a strict
// Content-Security-Policy (only this origin's script and style, no inline
// code, no framing), no sniffing, no referrer.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", errorPage{Title: "Not found",
		Message: "There is no page at " + r.URL.Path + "."})
}

type errorPage struct {
	Title, Message string
}
