package feeds

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFetchHTTP(t *testing.T) {
	body := domainList("fetch", 50)
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		maxBytes int64
		wantErr  error  // errors.Is target; nil = success
		wantText string // substring of the error
		wantBody []byte // on success
		maxHits  int64  // 0 = do not check
	}{
		{name: "plain body is stored in a temp file", wantBody: body},
		{
			name: "gzip Content-Encoding is decoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept-Encoding") != "gzip" {
					http.Error(w, "no gzip asked", 400)
					return
				}
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipBytes(t, body))
			},
			wantBody: body,
		},
		{
			name:     "a .gz file served without Content-Encoding is decoded",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.Write(gzipBytes(t, body)) },
			wantBody: body,
		},
		{
			name:     "endless body stops at the size limit",
			handler:  endless,
			maxBytes: 1 << 20,
			wantErr:  ErrTooLarge,
			maxHits:  1,
		},
		{
			name:     "gzip bomb stops at the decompressed size limit",
			handler:  gzipBomb(t, 200<<20, true),
			maxBytes: 1 << 20,
			wantErr:  ErrTooLarge,
			maxHits:  1,
		},
		{
			name:     "gzip bomb without Content-Encoding stops at the limit too",
			handler:  gzipBomb(t, 200<<20, false),
			maxBytes: 1 << 20,
			wantErr:  ErrTooLarge,
		},
		{
			name: "Content-Length over the limit fails before reading",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "5000000")
				w.Write(make([]byte, 100))
			},
			maxBytes: 1 << 20,
			wantErr:  ErrTooLarge,
			maxHits:  1,
		},
		{
			name:     "redirect loop fails cleanly",
			handler:  redirectLoop,
			wantErr:  ErrTooManyRedirects,
			maxHits:  DefaultMaxRedirects + 1,
			wantText: "redirects",
		},
		{name: "404 is not retried", handler: status(404), wantText: "404", maxHits: 1},
		{name: "500 is retried up to Attempts", handler: status(500), wantText: "after 3 tries", maxHits: 3},
		{
			name: "broken gzip is not retried",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write([]byte("this is not gzip"))
			},
			wantText: "gzip", maxHits: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFeedServer(t, body)
			if tt.handler != nil {
				srv.set(tt.handler)
			}
			f := testFetcher(t)
			start := time.Now()
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/feed.txt", MaxBytes: tt.maxBytes, TempDir: t.TempDir()})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
			if tt.maxHits > 0 && srv.hits.Load() > tt.maxHits {
				t.Errorf("server saw %d requests, want at most %d", srv.hits.Load(), tt.maxHits)
			}
			if tt.wantErr != nil || tt.wantText != "" {
				if err == nil {
					resp.Remove()
					t.Fatalf("want error, got success (%d bytes)", resp.Size)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not mention %q", err, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Remove()
			got, err := os.ReadFile(resp.Path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.wantBody) || resp.Size != int64(len(tt.wantBody)) {
				t.Errorf("body %d bytes, want %d", len(got), len(tt.wantBody))
			}
			if !resp.IsTemp() {
				t.Error("download is not a temp file")
			}
		})
	}
}

func TestFetchLeavesNoTempFilesOnFailure(t *testing.T) {
	srv := newFeedServer(t, nil)
	srv.set(endless)
	dir := t.TempDir()
	if _, err := testFetcher(t).Fetch(context.Background(), Request{URL: srv.URL, MaxBytes: 1 << 20, TempDir: dir}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestFetchSlowBodyHitsTotalTimeout(t *testing.T) {
	srv := newFeedServer(t, nil)
	srv.set(slowBody)
	f := testFetcher(t)
	f.Timeout = 300 * time.Millisecond
	f.Attempts = 2
	start := time.Now()
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL, TempDir: t.TempDir()})
	if err == nil {
		t.Fatal("slow body succeeded")
	}
	if !strings.Contains(err.Error(), "total timeout") {
		t.Errorf("error %q does not name the total timeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("gave up after %s, want about 2×300ms", took)
	}
	if srv.hits.Load() != 2 {
		t.Errorf("%d tries, want 2 (timeouts are retried)", srv.hits.Load())
	}
}

func TestFetchRetriesServerErrorsThenSucceeds(t *testing.T) {
	body := domainList("retry", 3)
	srv := newFeedServer(t, body)
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		if srv.hits.Load() <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(body)
	})
	resp, err := testFetcher(t).Fetch(context.Background(), Request{URL: srv.URL, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Remove()
	if srv.hits.Load() != 3 || resp.Size != int64(len(body)) {
		t.Errorf("hits %d size %d, want 3 and %d", srv.hits.Load(), resp.Size, len(body))
	}
}

func TestFetchBackoffRespectsContext(t *testing.T) {
	srv := newFeedServer(t, nil)
	srv.set(status(502))
	f := testFetcher(t)
	f.Attempts = 10
	f.BackoffBase, f.BackoffMax = 10*time.Second, 10*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("returned after %s; the backoff wait ignored the context", took)
	}
}

func TestFetchBackoffGrowsWithJitter(t *testing.T) {
	f := &Fetcher{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}
	for try, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 6: time.Second} {
		for range 20 {
			d := f.backoff(try)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want in [%s, %s]", try, d, want/2, want)
			}
		}
	}
}

func TestFetchConditionalGET(t *testing.T) {
	body := domainList("cond", 5)
	srv := newFeedServer(t, body)
	f := testFetcher(t)
	first, err := f.Fetch(context.Background(), Request{URL: srv.URL, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	first.Remove()
	if first.ETag == "" || first.LastModified == "" {
		t.Fatalf("no validators kept: %+v", first)
	}
	if ua := srv.header().Get("User-Agent"); !strings.HasPrefix(ua, "scamblock") {
		t.Errorf("User-Agent %q", ua)
	}
	second, err := f.Fetch(context.Background(), Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.Path != "" || second.ETag != first.ETag {
		t.Errorf("second fetch %+v, want 304 with the same ETag", second)
	}
	h := srv.header()
	if h.Get("If-None-Match") != first.ETag || h.Get("If-Modified-Since") != first.LastModified {
		t.Errorf("conditional headers not sent: %v", h)
	}
}

func TestFetchLocalFile(t *testing.T) {
	dir := t.TempDir()
	body := domainList("local", 10)
	plain := filepath.Join(dir, "list.txt")
	gz := filepath.Join(dir, "list.txt.gz")
	big := filepath.Join(dir, "big.txt")
	os.WriteFile(plain, body, 0o644)
	os.WriteFile(gz, gzipBytes(t, body), 0o644)
	os.WriteFile(big, make([]byte, 2<<20), 0o644)
	f := testFetcher(t)
	for _, tt := range []struct {
		name, url string
		wantErr   bool
	}{
		{"plain path is read in place", plain, false},
		{"file:// URL is read in place", "file://" + plain, false},
		{"gzip file is decompressed", gz, false},
		{"file over the size limit fails", big, true},
		{"missing file fails", filepath.Join(dir, "nope"), true},
		{"directory fails", dir, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: tt.url, MaxBytes: 1 << 20, TempDir: dir})
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Remove()
			got, _ := os.ReadFile(resp.Path)
			if string(got) != string(body) {
				t.Errorf("read %d bytes, want %d", len(got), len(body))
			}
			later, err := f.Fetch(context.Background(), Request{URL: tt.url, MaxBytes: 1 << 20, TempDir: dir, HashLater: true})
			if err != nil {
				t.Fatal(err)
			}
			defer later.Remove()
			if err := later.Hash(); err != nil || later.SHA256 != resp.SHA256 || later.Size != resp.Size || resp.SHA256 == "" {
				t.Errorf("HashLater: sha256 %s, %d bytes, %v; want %s, %d bytes", later.SHA256, later.Size, err, resp.SHA256, resp.Size)
			}
			again, err := f.Fetch(context.Background(), Request{URL: tt.url, ETag: resp.ETag})
			if err != nil || !again.NotModified {
				t.Errorf("unchanged file: %+v, %v; want NotModified", again, err)
			}
		})
	}
}
