package feeds

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// UserAgent is sent with every request unless Fetcher.UserAgent says otherwise.
const UserAgent = "scamblock-feed-fetcher/1 (+https://github.com/scamblock/scamblock)"

// Errors a fetch can end with (wrapped; test with errors.Is).
var (
	// ErrTooLarge: the body, after decompression, is over the size limit.
	ErrTooLarge = errors.New("feed is larger than its size limit (raise it with the feed's max_size, or --feed-max-size for every feed)")
	// ErrTooManyRedirects: the server redirected more than MaxRedirects times
	// (a redirect loop ends here).
	ErrTooManyRedirects = errors.New("too many redirects")
)

// StatusError is an HTTP answer other than 200 or 304.
type StatusError struct {
	Code       int
	Status     string
	RetryAfter time.Duration // from a Retry-After header in seconds, 0 if none
}

func (e *StatusError) Error() string { return "http status " + e.Status }

// Fetcher downloads feeds. The zero value is not usable: call NewFetcher.
// Its fields may be changed before the first Fetch.
type Fetcher struct {
	Client      *http.Client  // with connect timeout, redirect cap, no transparent gzip
	UserAgent   string        // sent as User-Agent
	Attempts    int           // tries per Fetch, the first included (5xx, 429, timeouts, network errors)
	BackoffBase time.Duration // wait before the 2nd try; doubles per try, with jitter
	BackoffMax  time.Duration // cap on one wait
	Timeout     time.Duration // total time of one try, headers and body
	Logger      *slog.Logger
}

// Fetcher defaults.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultFetchTimeout   = 2 * time.Minute
	DefaultAttempts       = 4
	DefaultMaxRedirects   = 5
)

// NewFetcher returns a Fetcher with the defaults: 10 s connect timeout,
// 2 min total per try, 4 tries with 1 s·2ⁿ backoff (capped at 30 s) and
// jitter, at most 5 redirects, proxies from the environment.
func NewFetcher(logger *slog.Logger) *Fetcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: DefaultConnectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   DefaultConnectTimeout,
		ResponseHeaderTimeout: time.Minute,
		DisableCompression:    true, // we ask for gzip ourselves and limit the decompressed size
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= DefaultMaxRedirects {
				return fmt.Errorf("%w: %d redirects, the last to %s", ErrTooManyRedirects, len(via), req.URL.Redacted())
			}
			return nil
		},
	}
	return &Fetcher{
		Client:      client,
		UserAgent:   UserAgent,
		Attempts:    DefaultAttempts,
		BackoffBase: time.Second,
		BackoffMax:  30 * time.Second,
		Timeout:     DefaultFetchTimeout,
		Logger:      logger,
	}
}

// Request says what to fetch.
type Request struct {
	URL          string // http(s)://, file:// or a path
	ETag         string // from the last good copy: sent as If-None-Match
	LastModified string // from the last good copy: sent as If-Modified-Since
	MaxBytes     int64  // limit on the decompressed body; 0 = DefaultMaxBytes
	TempDir      string // where a downloaded body is written; "" = os.TempDir()
	// HashLater lets the SHA-256 of a local, uncompressed file be
	// computed while the caller parses it: Fetch returns without reading
	// the file (Size from its metadata) and Response.Hash waits for the
	// sum. Without it the file is read once for the sum before Fetch
	// returns (a 20 MB list: ~20 ms before its parse could start).
	HashLater bool
}

// Response is a completed fetch.
type Response struct {
	NotModified  bool   // 304, or a local file with the same size and mtime
	URL          string // after redirects
	ETag         string
	LastModified string
	// Path is the file holding the decompressed body: a temporary file for
	// downloads (the caller renames or removes it; see Remove) or the source
	// file itself for an uncompressed local file. Empty when NotModified.
	Path   string
	Size   int64
	SHA256 string // hex of the decompressed body; see Hash
	temp   bool
	hashed chan fileHash // Request.HashLater: the sum being computed
}

// fileHash is a local file's SHA-256 (hex) and the bytes it was read over.
type fileHash struct {
	sum string
	n   int64
	err error
}

// Hash waits for the SHA-256 a HashLater fetch computes, and sets SHA256
// and Size from it (the bytes actually read, as a fetch without
// HashLater does). The error is the one that fetch would have returned:
// a read error, or ErrTooLarge for a file that grew past the limit.
// Without HashLater it returns nil at once.
func (r *Response) Hash() error {
	if r == nil || r.hashed == nil {
		return nil
	}
	h := <-r.hashed
	r.hashed = nil
	if h.err != nil {
		return h.err
	}
	r.SHA256, r.Size = h.sum, h.n
	return nil
}

// IsTemp reports whether Path is a temporary file the caller must keep or Remove.
func (r *Response) IsTemp() bool { return r != nil && r.temp }

// Remove deletes the temporary body file, if any. It is safe to call twice.
func (r *Response) Remove() {
	if r != nil && r.temp && r.Path != "" {
		os.Remove(r.Path)
		r.Path = ""
	}
}

// Fetch gets req.URL. http(s) is fetched with conditional GET, gzip, the
// size limit, the per-try timeout and retries; files are read directly
// under the same size limit. It returns a wrapped ErrTooLarge,
// ErrTooManyRedirects, *StatusError, or the network or context error.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	if req.MaxBytes <= 0 {
		req.MaxBytes = DefaultMaxBytes
	}
	feed := Feed{URL: req.URL}
	if !feed.IsRemote() {
		p, err := feed.localPath()
		if err != nil {
			return nil, err
		}
		return f.fetchFile(p, req)
	}
	attempts := max(f.Attempts, 1)
	for try := 1; ; try++ {
		resp, err := f.fetchOnce(ctx, req)
		if err == nil {
			return resp, nil
		}
		if try >= attempts || ctx.Err() != nil || !retryable(err) {
			if try > 1 {
				err = fmt.Errorf("after %d tries: %w", try, err)
			}
			return nil, err
		}
		wait := f.backoff(try)
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > wait {
			wait = min(se.RetryAfter, max(f.BackoffMax, wait))
		}
		f.Logger.LogAttrs(ctx, slog.LevelDebug, "feed fetch failed, retrying", // the Updater logs the outcome
			slog.String("url", req.URL), slog.Int("try", try), slog.Duration("wait", wait), slog.Any("error", err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("after %d tries, gave up waiting: %w (last error: %v)", try, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// backoff is the wait after the try'th failure: base·2^(try-1), capped,
// with "equal jitter" (half fixed, half random) so that feeds and
// instances do not retry in lockstep.
func (f *Fetcher) backoff(try int) time.Duration {
	d := f.BackoffBase
	for i := 1; i < try && d < f.BackoffMax; i++ {
		d *= 2
	}
	if f.BackoffMax > 0 {
		d = min(d, f.BackoffMax)
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(half+1)
}

func retryable(err error) bool {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooManyRedirects) || errors.Is(err, context.Canceled) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout
	}
	var fe *formatError
	if errors.As(err, &fe) {
		return false
	}
	// Timeouts (ours or the network's), resets, refused connections, EOF mid-body.
	return true
}

// formatError is a body the fetcher cannot decode (bad gzip, unknown
// Content-Encoding). Retrying will not help.
type formatError struct{ err error }

func (e *formatError) Error() string { return e.err.Error() }
func (e *formatError) Unwrap() error { return e.err }

func (f *Fetcher) fetchOnce(ctx context.Context, req Request) (*Response, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	hr, err := http.NewRequestWithContext(actx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, &formatError{err}
	}
	ua := f.UserAgent
	if ua == "" {
		ua = UserAgent
	}
	hr.Header.Set("User-Agent", ua)
	hr.Header.Set("Accept-Encoding", "gzip")
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := f.Client.Do(hr)
	if err != nil {
		return nil, timeoutCause(actx, ctx, err)
	}
	defer resp.Body.Close()

	out := &Response{
		URL:          resp.Request.URL.String(),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = req.ETag
		}
		if out.LastModified == "" {
			out.LastModified = req.LastModified
		}
		return out, nil
	default:
		se := &StatusError{Code: resp.StatusCode, Status: resp.Status}
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
			se.RetryAfter = time.Duration(s) * time.Second
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // let the connection be reused
		return nil, se
	}

	var body io.Reader = resp.Body
	switch ce := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
		if resp.ContentLength > req.MaxBytes {
			return nil, fmt.Errorf("%w: Content-Length %d > limit %d", ErrTooLarge, resp.ContentLength, req.MaxBytes)
		}
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, timeoutCause(actx, ctx, &formatError{fmt.Errorf("gzip body: %w", err)})
		}
		defer zr.Close()
		body = zr
	default:
		return nil, &formatError{fmt.Errorf("unsupported Content-Encoding %q", ce)}
	}
	if err := writeBody(out, body, req); err != nil {
		return nil, timeoutCause(actx, ctx, err)
	}
	return out, nil
}

// timeoutCause names our own per-try deadline when it is what stopped a
// request, so that the error reads "total timeout" and not just
// "context deadline exceeded".
func timeoutCause(actx, parent context.Context, err error) error {
	if parent.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("total timeout of one try exceeded: %w", err)
	}
	return err
}

var gzipMagic = []byte{0x1f, 0x8b}

// writeBody copies body (decompressing a gzip file served without
// Content-Encoding) into a temp file, hashing it and enforcing the limit.
func writeBody(out *Response, body io.Reader, req Request) error {
	br := bufio.NewReaderSize(body, 64<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &formatError{fmt.Errorf("gzip file: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	tmp, err := os.CreateTemp(req.TempDir, ".fetch-*")
	if err != nil {
		return fmt.Errorf("temp file for download: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(src, req.MaxBytes+1))
	if err != nil {
		var fe *formatError
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
			return &formatError{fmt.Errorf("gzip: %w", err)}
		} else if errors.As(err, &fe) {
			return err
		}
		return fmt.Errorf("reading body after %d bytes: %w", n, err)
	}
	if n > req.MaxBytes {
		return fmt.Errorf("%w: more than %d bytes (decompressed)", ErrTooLarge, req.MaxBytes)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing download: %w", err)
	}
	ok = true
	out.Path, out.Size, out.SHA256, out.temp = tmp.Name(), n, hex.EncodeToString(h.Sum(nil)), true
	return nil
}

// fetchFile reads a local feed. Its "ETag" is size and modification time,
// so an unchanged file is reported NotModified without reading it.
func (f *Fetcher) fetchFile(p string, req Request) (*Response, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a feed file", p)
	}
	tag := fmt.Sprintf("file:%d-%d", fi.Size(), fi.ModTime().UnixNano())
	out := &Response{URL: req.URL, ETag: tag, LastModified: fi.ModTime().UTC().Format(http.TimeFormat)}
	if req.ETag == tag {
		out.NotModified = true
		return out, nil
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var magic [2]byte
	if n, _ := io.ReadFull(fh, magic[:]); n == 2 && magic == [2]byte{0x1f, 0x8b} {
		if _, err := fh.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if err := writeBody(out, fh, req); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return out, nil
	}
	if fi.Size() > req.MaxBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes > limit %d", p, ErrTooLarge, fi.Size(), req.MaxBytes)
	}
	if req.HashLater {
		out.Path, out.Size = p, fi.Size()
		ch := make(chan fileHash, 1)
		out.hashed = ch
		go func() { ch <- hashLocal(p, req.MaxBytes) }() // ends on its own; Hash reads it
		return out, nil
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	h := hashReader(p, fh, req.MaxBytes)
	if h.err != nil {
		return nil, h.err
	}
	out.Path, out.Size, out.SHA256 = p, h.n, h.sum
	return out, nil
}

// hashLocal is the SHA-256 of local file p, read up to limit bytes.
func hashLocal(p string, limit int64) fileHash {
	fh, err := os.Open(p)
	if err != nil {
		return fileHash{err: err}
	}
	defer fh.Close()
	return hashReader(p, fh, limit)
}

// hashReader is the SHA-256 of r (file p), which must hold at most limit bytes.
func hashReader(p string, r io.Reader, limit int64) fileHash {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, limit+1))
	if err != nil {
		return fileHash{err: fmt.Errorf("reading %s: %w", p, err)}
	}
	if n > limit { // grew while we read it
		return fileHash{err: fmt.Errorf("%s: %w: more than %d bytes", p, ErrTooLarge, limit)}
	}
	return fileHash{sum: hex.EncodeToString(h.Sum(nil)), n: n}
}
