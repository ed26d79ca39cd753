// Package api is scamblock's HTTP JSON API: researcher submissions and their
// review, public appeals, API tokens, the audit log, exports of the
// published list, and the read-only feed status and indicator checks that
// the server provides through interfaces.
//
// It does not reach into the resolver: approving or delisting calls
// Options.OnPublishedChange, and the server rebuilds its matcher from
// store.Published.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/ratelimit"
	"github.com/scamblock/scamblock/store"
)

// FeedStatus reports the state of the feeds for GET /v1/feeds.
type FeedStatus interface {
	Status() any
}

// Checker answers GET /v1/check/{indicator} and POST /v1/check. An error
// for which lists.ReasonOf is not "" or that wraps ErrBadIndicator is the
// client's fault (400 / a per-item error); any other error is a 500.
type Checker interface {
	Check(ctx context.Context, indicator string) (any, error)
}

// ErrBadIndicator marks a Checker error caused by the input.
var ErrBadIndicator = errors.New("bad indicator")

// Options configure the API. Store is required; every other field has a
// working default.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// OnPublishedChange is called (synchronously, after the commit) whenever
	// the published set changes: approve, renew, delist. Calls from the API
	// are serialized, so a callback that reads store.Published never applies
	// an older snapshot after a newer one; callers that also invoke it from
	// elsewhere (RunExpiry) must serialize those themselves.
	OnPublishedChange func()
	// OnAllowChange is called (synchronously, after the commit) whenever
	// the admin allowlist changes; the server applies store.AllowNames.
	OnAllowChange func()
	Feeds         FeedStatus    // GET /v1/feeds; 503 when nil
	Checker       Checker       // /v1/check; 503 when nil
	Metrics       http.Handler  // GET /metrics when not nil
	Addresses     AddressParser // wallet addresses; without it only names and URLs are accepted
	Guard         *lists.Guard  // default lists.DefaultGuard()
	// Ready, when not nil, answers GET /readyz: 200 with body when ready,
	// 503 with body (which says why) when not.
	Ready func() (ready bool, body any)

	MaxBodyBytes  int64 // request body limit (default 1 MiB)
	MaxIndicators int   // indicators per submission request (default 1000)
	MaxBulkCheck  int   // indicators per POST /v1/check (default 1000)
	// AppealRate and AppealBurst limit POST /v1/appeals per client address
	// (default 1 per 10 s, burst 5).
	AppealRate  rate.Limit
	AppealBurst int
	// CheckRate and CheckBurst limit the public check endpoints per client
	// address (default 20/s, burst 40).
	CheckRate  rate.Limit
	CheckBurst int
	// ClientV4Prefix and ClientV6Prefix group clients for those limits
	// (package ratelimit, as DNS does; default /24 and /56).
	ClientV4Prefix int
	ClientV6Prefix int
	// MaxTTL bounds the publication lifetime a reviewer may ask for
	// (default 2 years).
	MaxTTL time.Duration
}

// API serves the /v1 endpoints. Build it with New.
type API struct {
	store         *store.Store
	log           *slog.Logger
	onChange      func()
	onAllowChange func()
	feeds         FeedStatus
	checker       Checker
	addresses     AddressParser
	guard         *lists.Guard
	opts          Options
	appeals       *ratelimit.Limiter
	checks        *ratelimit.Limiter
	now           func() time.Time
}

// New returns the API's handler.
func New(o Options) http.Handler {
	if o.Store == nil {
		panic("api.New: Options.Store is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnPublishedChange == nil {
		o.OnPublishedChange = func() {}
	}
	if o.OnAllowChange == nil {
		o.OnAllowChange = func() {}
	}
	if o.Guard == nil {
		o.Guard = lists.DefaultGuard()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxIndicators <= 0 {
		o.MaxIndicators = 1000
	}
	if o.MaxBulkCheck <= 0 {
		o.MaxBulkCheck = 1000
	}
	if o.AppealRate <= 0 {
		o.AppealRate = rate.Every(10 * time.Second)
	}
	if o.AppealBurst <= 0 {
		o.AppealBurst = 5
	}
	if o.CheckRate <= 0 {
		o.CheckRate = 20
	}
	if o.CheckBurst <= 0 {
		o.CheckBurst = 40
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = 2 * 365 * 24 * time.Hour
	}
	onChange := serialized(o.OnPublishedChange)
	a := &API{
		store: o.Store, log: o.Logger, onChange: onChange, onAllowChange: serialized(o.OnAllowChange), feeds: o.Feeds, checker: o.Checker,
		addresses: o.Addresses, guard: o.Guard, opts: o,
		appeals: newLimiter(o, float64(o.AppealRate), o.AppealBurst),
		checks:  newLimiter(o, float64(o.CheckRate), o.CheckBurst),
		now:     time.Now,
	}
	return a.routes()
}

// routes is the whole API surface, in one place. Roles are ordered:
// submitter < reviewer < admin.
func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	sub, rev, adm := store.RoleSubmitter, store.RoleReviewer, store.RoleAdmin

	mux.Handle("POST /v1/submissions", a.auth(sub, a.submit))
	mux.Handle("GET /v1/submissions", a.auth(sub, a.listSubmissions))
	mux.Handle("GET /v1/submissions/{id}", a.auth(sub, a.getSubmission))
	mux.Handle("POST /v1/submissions/{id}/approve", a.auth(rev, a.approve))
	mux.Handle("POST /v1/submissions/{id}/reject", a.auth(rev, a.reject))
	mux.Handle("POST /v1/submissions/{id}/renew", a.auth(rev, a.renew))
	mux.Handle("POST /v1/submissions/{id}/delist", a.auth(rev, a.delist))

	mux.Handle("POST /v1/appeals", a.public(a.appeals, a.fileAppeal))
	mux.Handle("POST /v1/appeals/follow", a.public(a.appeals, a.followAppeal))
	mux.Handle("GET /v1/appeals", a.auth(rev, a.listAppeals))
	mux.Handle("POST /v1/appeals/{id}/delist", a.auth(rev, a.delistAppeal))
	mux.Handle("POST /v1/appeals/{id}/dismiss", a.auth(rev, a.dismissAppeal))

	mux.Handle("GET /v1/export", a.public(nil, a.export))
	mux.Handle("GET /v1/feeds", a.public(nil, a.feedStatus))
	mux.Handle("GET /v1/openapi.json", a.public(nil, a.openAPIDoc))
	mux.Handle("GET /v1/check/{indicator...}", a.public(a.checks, a.checkOne))
	mux.Handle("POST /v1/check", a.public(a.checks, a.checkBulk))

	mux.Handle("GET /v1/allowlist", a.auth(rev, a.listAllow))
	mux.Handle("POST /v1/allowlist", a.auth(adm, a.addAllow))
	mux.Handle("DELETE /v1/allowlist/{name}", a.auth(adm, a.removeAllow))

	mux.Handle("GET /v1/audit", a.auth(adm, a.auditLog))
	mux.Handle("POST /v1/tokens", a.auth(adm, a.createToken))
	mux.Handle("GET /v1/tokens", a.auth(adm, a.listTokens))
	mux.Handle("DELETE /v1/tokens/{token}", a.auth(adm, a.revokeToken))

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	if a.opts.Metrics != nil {
		mux.Handle("GET /metrics", a.opts.Metrics)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Message: "no such endpoint: " + r.Method + " " + r.URL.Path +
			" (see the api README for the list)"})
	})
	return a.logged(mux)
}

// serialized returns fn made to run one call at a time, so that a callback
// reading the store never applies an older state after a newer one.
func serialized(fn func()) func() {
	var mu sync.Mutex
	return func() {
		mu.Lock()
		defer mu.Unlock()
		fn()
	}
}

// readyz reports readiness (Options.Ready): 200 or 503, with its JSON
// body either way. Without Ready, a running API is ready.
func (a *API) readyz(w http.ResponseWriter, _ *http.Request) {
	if a.opts.Ready == nil {
		writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
		return
	}
	ok, body := a.opts.Ready()
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}
