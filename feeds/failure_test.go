package feeds

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingHandler counts log records at Warn and above, by message.
type countingHandler struct {
	mu    sync.Mutex
	loud  []string
	infos []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case r.Level >= slog.LevelWarn:
		h.loud = append(h.loud, r.Message)
	case r.Level == slog.LevelInfo:
		h.infos = append(h.infos, r.Message)
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// TestFailingFeedLogsOncePerStreak: a feed that keeps failing is retried
// with backoff and logged once when the streak starts (not once per try),
// once more when it recovers; its last error outlives the process in the
// data directory, for offline `scamblock feeds` (issue 12.5).
func TestFailingFeedLogsOncePerStreak(t *testing.T) {
	srv := newFeedServer(t, domainList("ok", 10))
	srv.set(status(http.StatusServiceUnavailable))
	dir := t.TempDir()
	feed := remoteFeed("f", srv.URL)
	feed.Interval = time.Hour
	h := &countingHandler{}
	log := slog.New(h)
	f := testFetcher(t)
	f.Logger = log
	m, err := NewUpdater([]Feed{feed}, UpdaterOptions{DataDir: dir, Fetcher: f, Logger: log,
		RetryAfterFailure: 5 * time.Millisecond, Debounce: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.feeds[0].failures >= 5 })
	h.mu.Lock()
	loud := append([]string(nil), h.loud...)
	h.mu.Unlock()
	if len(loud) != 1 {
		t.Errorf("after 5 failed refreshes (3 tries each): %d lines at warn or above, want 1:\n%s", len(loud), strings.Join(loud, "\n"))
	}
	st := statusOf(t, m, "f")
	if st.NextFetch.Sub(st.LastFetch) < 5*time.Millisecond*8 {
		t.Errorf("after %d failures the next try is %v after the last: want backoff (doubling from 5ms)", m.feeds[0].failures, st.NextFetch.Sub(st.LastFetch))
	}

	// Offline, a new Updater on the same directory shows the last error.
	off, err := NewUpdater([]Feed{feed}, UpdaterOptions{DataDir: dir, Fetcher: f, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	off.LoadCached(ctx)
	if st := statusOf(t, off, "f"); !strings.Contains(st.LastError, "503") || st.LastFetch.IsZero() {
		t.Errorf("offline status: last error %q at %v, want the 503 and its time", st.LastError, st.LastFetch)
	}

	srv.set(func(w http.ResponseWriter, r *http.Request) { serveWithETag(w, r, domainList("ok", 10)) })
	m.Refresh(ctx, "f")
	h.mu.Lock()
	recovered := strings.Join(h.infos, "\n")
	h.mu.Unlock()
	if !strings.Contains(recovered, "again after failing") {
		t.Errorf("no line when the feed recovered; info lines:\n%s", recovered)
	}
	again, err := NewUpdater([]Feed{feed}, UpdaterOptions{DataDir: dir, Fetcher: f, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	again.LoadCached(ctx)
	if st := statusOf(t, again, "f"); st.LastError != "" {
		t.Errorf("after a good refresh the offline status still shows %q", st.LastError)
	}
}
