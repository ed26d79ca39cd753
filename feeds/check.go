package feeds

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/scamblock/scamblock/config"
)

// CheckState is the verdict of one feed's check (`scamblock feeds --check`).
type CheckState string

// Check verdicts. Every state but CheckOK is a problem for the operator.
const (
	CheckOK      CheckState = "ok"
	CheckMoved   CheckState = "moved"   // a permanent redirect (301, 308): use the new URL
	CheckMissing CheckState = "missing" // 404 or 410: the file was renamed or removed upstream
	CheckError   CheckState = "error"   // any other answer, a network error or the time limit
	CheckStale   CheckState = "stale"   // reachable, but unchanged for longer than its stale_after
)

// CheckResult is what Check found out about one feed.
type CheckResult struct {
	Name       string     `json:"name"`
	URL        string     `json:"url"`
	State      CheckState `json:"state"`
	Method     string     `json:"method,omitempty"` // HEAD, or GET (conditional) where HEAD is refused
	HTTPStatus int        `json:"http_status,omitempty"`
	// Redirects are the hops followed, as "301 https://new/url".
	Redirects []string `json:"redirects,omitempty"`
	// MovedTo is the URL a permanent redirect leads to: the one to configure.
	MovedTo    string    `json:"moved_to,omitempty"`
	LastChange time.Time `json:"last_change,omitzero"` // best known: the cached copy's, or the server's Last-Modified
	StaleAfter string    `json:"stale_after,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	TookMS     int64     `json:"took_ms"`
}

// CheckOptions configure Check.
type CheckOptions struct {
	// DataDir holds the cached copies: their validators (ETag,
	// Last-Modified) make the fallback GET conditional, and their
	// changed_at is the last known change. "" checks without them.
	DataDir string
	// StaleAfter is the expectation of http(s) feeds that set none
	// (UpdaterOptions.StaleAfter).
	StaleAfter time.Duration
	// Timeout bounds the check of one feed, redirects and fallback
	// included. Zero means DefaultCheckTimeout.
	Timeout time.Duration
	// Parallel is how many feeds are checked at once; zero means 8.
	Parallel int
	// Transport makes the requests; nil means the Fetcher's (proxies from
	// the environment, 10 s connect and TLS timeouts).
	Transport http.RoundTripper
}

// DefaultCheckTimeout is the time limit of one feed's check.
const DefaultCheckTimeout = 20 * time.Second

// Check asks every enabled feed's publisher whether the feed is still
// there and still changing: a HEAD request (a GET made conditional with the
// cached copy's validators where HEAD is refused), redirects followed and
// noted, each feed within opts.Timeout. Local files are looked up on disk.
// Results are in feed order; nothing is downloaded or cached.
func Check(ctx context.Context, list []Feed, opts CheckOptions) []CheckResult {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultCheckTimeout
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Transport == nil {
		opts.Transport = NewFetcher(nil).Client.Transport
	}
	client := &http.Client{
		Transport:     opts.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var enabled []Feed
	for _, f := range list {
		if f.Enabled {
			enabled = append(enabled, f.WithDefaults())
		}
	}
	out := make([]CheckResult, len(enabled))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, f := range enabled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			r := checkOne(ctx, client, f, opts)
			r.TookMS = time.Since(start).Milliseconds()
			out[i] = r
		}()
	}
	wg.Wait()
	return out
}

func checkOne(ctx context.Context, client *http.Client, f Feed, opts CheckOptions) CheckResult {
	r := CheckResult{Name: f.Name, URL: f.URL}
	exp := expectation(f, opts.StaleAfter)
	switch {
	case f.StaleAfter < 0:
		r.StaleAfter = config.NeverStale.String()
	case exp > 0:
		r.StaleAfter = config.Staleness(exp).String()
	}
	if !f.IsRemote() {
		checkFile(&r, f)
	} else {
		ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		meta := cachedMeta(opts.DataDir, f)
		r.LastChange = meta.ChangedAt
		checkURL(ctx, client, &r, f, meta)
	}
	if r.State == CheckOK && exp > 0 && !r.LastChange.IsZero() && time.Since(r.LastChange) > exp {
		r.State = CheckStale
		r.Detail = joinDetail(r.Detail, fmt.Sprintf("unchanged for %s (since %s), longer than its stale_after %s",
			roundAge(time.Since(r.LastChange)), r.LastChange.UTC().Format(time.DateOnly), r.StaleAfter))
	}
	return r
}

// expectation is f's staleness expectation: its own, else def for http(s)
// feeds; 0 for none (dormant, a local file, no default).
func expectation(f Feed, def time.Duration) time.Duration {
	switch {
	case f.StaleAfter != 0:
		return max(f.StaleAfter, 0)
	case f.IsRemote():
		return max(def, 0)
	}
	return 0
}

// cachedMeta is f's cache metadata when it is of f's URL; zero otherwise.
func cachedMeta(dataDir string, f Feed) cacheMeta {
	var m cacheMeta
	if dataDir == "" {
		return m
	}
	c := cache{dir: filepath.Join(dataDir, "feeds")}
	b, err := os.ReadFile(c.metaPath(f.Name))
	if err != nil || json.Unmarshal(b, &m) != nil || m.URL != f.URL {
		return cacheMeta{}
	}
	return m
}

func checkFile(r *CheckResult, f Feed) {
	p, err := f.localPath()
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(p); err == nil {
			r.State, r.LastChange = CheckOK, fi.ModTime()
			return
		}
	}
	r.State, r.Detail = CheckError, err.Error()
	if errors.Is(err, os.ErrNotExist) {
		r.State = CheckMissing
	}
}

// checkURL asks for f.URL with HEAD, falling back to a conditional GET, and
// follows up to DefaultMaxRedirects redirects, noting each.
func checkURL(ctx context.Context, client *http.Client, r *CheckResult, f Feed, meta cacheMeta) {
	resp, err := follow(ctx, client, r, http.MethodHead, f.URL, meta)
	if err == nil && (resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented) {
		r.Redirects = nil
		resp, err = follow(ctx, client, r, http.MethodGet, f.URL, meta)
	}
	if err != nil {
		r.State, r.Detail = CheckError, err.Error()
		if ctx.Err() != nil {
			r.Detail = "no answer within the time limit: " + r.Detail
		}
		return
	}
	r.HTTPStatus = resp.StatusCode
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNotModified:
		r.State = CheckOK
	case http.StatusNotFound, http.StatusGone:
		r.State, r.Detail = CheckMissing, "the file is not there: renamed or removed upstream (a deleted branch, a moved path); find its new URL on "+cmp.Or(f.Homepage, "the publisher's site")
		return
	default:
		r.State, r.Detail = CheckError, "http status "+resp.Status
		return
	}
	if r.MovedTo != "" {
		r.State = CheckMoved
		r.Detail = "permanently redirected: configure the new URL (url: " + r.MovedTo + ")"
	}
	upstreamChange(r, resp, meta)
}

// upstreamChange updates r.LastChange from the answer: a 304 or the same
// ETag confirms the cached copy; a newer Last-Modified is a later change; a
// different ETag means a change since the last fetch.
func upstreamChange(r *CheckResult, resp *http.Response, meta cacheMeta) {
	if resp.StatusCode == http.StatusNotModified {
		r.Detail = joinDetail(r.Detail, "unchanged since the cached copy (304)")
		return
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil && lm.After(r.LastChange) && lm.Before(time.Now().Add(time.Minute)) {
		r.LastChange = lm
		return
	}
	if tag := resp.Header.Get("ETag"); tag != "" && meta.ETag != "" && tag != meta.ETag {
		r.LastChange = time.Time{} // changed since the last fetch: when is unknown, but not long ago
		r.Detail = joinDetail(r.Detail, "changed since the cached copy (new ETag)")
	}
}

// follow makes the request and follows redirects by hand, recording them
// in r (MovedTo when a hop is permanent). The body is closed unread.
func follow(ctx context.Context, client *http.Client, r *CheckResult, method, target string, meta cacheMeta) (*http.Response, error) {
	r.Method, r.MovedTo = method, ""
	if method == http.MethodGet {
		r.Method = "GET (conditional)"
	}
	permanent := false
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, method, target, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", UserAgent)
		if method == http.MethodGet && target == meta.URL {
			if meta.ETag != "" {
				req.Header.Set("If-None-Match", meta.ETag)
			}
			if meta.LastModified != "" {
				req.Header.Set("If-Modified-Since", meta.LastModified)
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || resp.StatusCode == http.StatusNotModified || loc == "" {
			if permanent {
				r.MovedTo = target
			}
			return resp, nil
		}
		if hop >= DefaultMaxRedirects {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyRedirects, DefaultMaxRedirects)
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("redirect to a bad Location %q: %w", loc, err)
		}
		target = next.String()
		r.Redirects = append(r.Redirects, strconv.Itoa(resp.StatusCode)+" "+next.Redacted())
		permanent = permanent || resp.StatusCode == http.StatusMovedPermanently || resp.StatusCode == http.StatusPermanentRedirect
	}
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// roundAge writes a long span in days ("412d") and a short one in hours.
func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.Round(time.Minute).String()
}
