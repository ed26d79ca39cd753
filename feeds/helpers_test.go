package feeds

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamblock/scamblock/internal/feedstest"
)

func sharedFeeds(tb testing.TB) string { return feedstest.Dir(tb) }

// domainList returns n distinct valid host names, one a line.
func domainList(prefix string, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%s-%d-scam.com\n", prefix, i)
	}
	return b.Bytes()
}

func gzipBytes(tb testing.TB, p []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if _, err := zw.Write(p); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// feedServer is a loopback feed server whose behaviour a test switches
// between requests.
type feedServer struct {
	*httptest.Server
	hits atomic.Int64

	mu      sync.Mutex
	handler http.HandlerFunc // current behaviour; nil = serve body with an ETag
	body    []byte
	lastReq http.Header
}

func newFeedServer(tb testing.TB, body []byte) *feedServer {
	fs := &feedServer{body: body}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.hits.Add(1)
		fs.mu.Lock()
		h, body := fs.handler, fs.body
		fs.lastReq = r.Header.Clone()
		fs.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		serveWithETag(w, r, body)
	}))
	tb.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(h http.HandlerFunc) {
	fs.mu.Lock()
	fs.handler = h
	fs.mu.Unlock()
}

func (fs *feedServer) setBody(b []byte) {
	fs.mu.Lock()
	fs.handler, fs.body = nil, b
	fs.mu.Unlock()
}

func (fs *feedServer) header() http.Header {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.lastReq
}

// serveWithETag serves body with a content ETag and answers a matching
// If-None-Match with 304.
func serveWithETag(w http.ResponseWriter, r *http.Request, body []byte) {
	etag := fmt.Sprintf(`"%x-%d"`, len(body), crc(body))
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

func crc(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// testFetcher is a Fetcher with short timeouts and backoff for tests.
func testFetcher(tb testing.TB) *Fetcher {
	f := NewFetcher(testLogger(tb))
	f.Attempts = 3
	f.BackoffBase = 5 * time.Millisecond
	f.BackoffMax = 20 * time.Millisecond
	f.Timeout = 2 * time.Second
	return f
}

func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// endless writes until the client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := bytes.Repeat([]byte("endless-scam.com\n"), 4096)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// slowBody sends headers and one line, then stalls.
func slowBody(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("slow-scam.com\n"))
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-time.After(20 * time.Second):
	}
}

// gzipBomb returns a handler serving size (a multiple of 1 MiB) zero bytes
// as a gzip body (Content-Encoding: gzip when withHeader, else a bare .gz
// file). It repeats one 1 MiB gzip member, ~1 KiB each: a 1000:1 bomb
// that is cheap to build.
func gzipBomb(tb testing.TB, size int, withHeader bool) http.HandlerFunc {
	bomb := bytes.Repeat(gzipBytes(tb, make([]byte, 1<<20)), size>>20)
	return func(w http.ResponseWriter, r *http.Request) {
		if withHeader {
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Write(bomb)
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(code), code) }
}

// redirectLoop sends /a to /b and /b to /a.
func redirectLoop(w http.ResponseWriter, r *http.Request) {
	next := "/a"
	if r.URL.Path == "/a" {
		next = "/b"
	}
	http.Redirect(w, r, next, http.StatusFound)
}
