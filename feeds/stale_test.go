package feeds

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// staleCount is how many WARN lines say a feed is stale.
func staleCount(h *countingHandler) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.loud {
		if strings.Contains(m, "feed is stale") {
			n++
		}
	}
	return n
}

// TestFeedStalenessWarnsOncePerStreak: a feed whose server says its file
// last changed 40 days ago, with a 7-day expectation, is stale in Status
// from its first fetch (Last-Modified is the change time), and logs one
// WARN for the streak: not again on unchanged refreshes (304, same bytes),
// not again after a restart (the warning is kept in the cache metadata),
// and the streak ends when the content changes.
func TestFeedStalenessWarnsOncePerStreak(t *testing.T) {
	old := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Second)
	body := domainList("s", 10)
	srv := newFeedServer(t, body)
	lastModified := old.Format(http.TimeFormat)
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", lastModified)
		if r.Header.Get("If-Modified-Since") == lastModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	})
	dir := t.TempDir()
	feed := remoteFeed("f", srv.URL)
	h := &countingHandler{}
	newUpdater := func() *Updater {
		m, err := NewUpdater([]Feed{feed}, UpdaterOptions{DataDir: dir, Fetcher: testFetcher(t), Logger: slog.New(h), StaleAfter: 7 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ctx := context.Background()
	m := newUpdater()
	if err := m.Refresh(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "f")
	if !st.LastChange.Equal(old) || !st.Stale || st.StaleAfter != "7d" || st.StaleAfterSeconds != 7*24*3600 {
		t.Fatalf("status after the first fetch: last_change %v (want %v from Last-Modified), stale %v, stale_after %q (%v s)", st.LastChange, old, st.Stale, st.StaleAfter, st.StaleAfterSeconds)
	}
	if st.LastChangeAge < 39*24*3600 || st.LastChangeAge > 41*24*3600 {
		t.Errorf("last_change_age_seconds %v, want about 40 days", st.LastChangeAge)
	}
	for range 3 {
		if err := m.Refresh(ctx, "f"); err != nil { // 304
			t.Fatal(err)
		}
	}
	if n := staleCount(h); n != 1 {
		t.Fatalf("%d stale warnings after 4 fetches of an unchanged feed, want 1", n)
	}

	// A restart: the streak was warned about already.
	m2 := newUpdater()
	if err := m2.LoadCached(ctx); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m2, "f"); !st.Stale || !st.LastChange.Equal(old) {
		t.Errorf("after a restart: stale %v, last_change %v; want the persisted %v", st.Stale, st.LastChange, old)
	}
	if n := staleCount(h); n != 1 {
		t.Fatalf("%d stale warnings after a restart, want still 1", n)
	}

	// New content ends the streak: fresh, and logged as changing again.
	srv.set(nil)
	srv.setBody(domainList("t", 12))
	if err := m2.Refresh(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m2, "f"); st.Stale || time.Since(st.LastChange) > time.Hour {
		t.Errorf("after new content: stale %v, last change %v", st.Stale, st.LastChange)
	}
	h.mu.Lock()
	infos := strings.Join(h.infos, "\n")
	h.mu.Unlock()
	if !strings.Contains(infos, "changes again after being stale") {
		t.Errorf("no info line when the stale feed changed; info lines:\n%s", infos)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "feeds", SafeName("f")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var cm cacheMeta
	if err := json.Unmarshal(meta, &cm); err != nil || cm.ChangedAt.Before(time.Now().Add(-time.Hour)) {
		t.Errorf("cache metadata changed_at %v (%v), want the new change", cm.ChangedAt, err)
	}
}

// TestFeedStaleAfterPerFeed: a feed's own expectation wins over the
// default; NeverStale (a dormant feed) is never stale; a local file has
// no expectation unless it sets one.
func TestFeedStaleAfterPerFeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.txt")
	if err := os.WriteFile(path, domainList("m", 3), 0o644); err != nil {
		t.Fatal(err)
	}
	longAgo := time.Now().Add(-400 * 24 * time.Hour)
	if err := os.Chtimes(path, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	srv := newFeedServer(t, domainList("r", 5)) // Last-Modified: 21 Oct 2026
	dormant := remoteFeed("dormant", srv.URL)
	dormant.StaleAfter = NeverStale
	own := remoteFeed("own", srv.URL)
	own.StaleAfter = 24 * time.Hour
	lax := remoteFeed("lax", srv.URL)
	lax.StaleAfter = 100 * 365 * 24 * time.Hour
	file := Feed{Name: "file", URL: path, Enabled: true}
	fileOwn := Feed{Name: "file-own", URL: path, Enabled: true, StaleAfter: 30 * 24 * time.Hour}
	m, err := NewUpdater([]Feed{dormant, own, lax, file, fileOwn}, UpdaterOptions{Fetcher: testFetcher(t), Logger: testLogger(t), StaleAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	sinceOct := time.Since(time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)) > 24*time.Hour
	for _, c := range []struct {
		name       string
		staleAfter string
		stale      bool
	}{
		{"dormant", "never", false},
		{"own", "1d", sinceOct},
		{"lax", "36500d", false},
		{"file", "", false},
		{"file-own", "30d", true},
	} {
		st := statusOf(t, m, c.name)
		if st.StaleAfter != c.staleAfter || st.Stale != c.stale {
			t.Errorf("%s: stale_after %q stale %v, want %q %v (last change %v)", c.name, st.StaleAfter, st.Stale, c.staleAfter, c.stale, st.LastChange)
		}
	}
}

// TestChangedAt: Last-Modified is the change time only when plausible.
func TestChangedAt(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	prev := now.Add(-48 * time.Hour)
	for _, c := range []struct {
		lm   string
		prev time.Time
		want time.Time
	}{
		{"", time.Time{}, now},
		{"garbage", time.Time{}, now},
		{"Mon, 30 Nov 2026 09:00:00 GMT", time.Time{}, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)},
		{"Tue, 01 Dec 2026 09:00:00 GMT", prev, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"Sun, 29 Nov 2026 09:00:00 GMT", prev, now},        // older than the last change seen: the bytes changed now
		{"Fri, 04 Dec 2026 09:00:00 GMT", time.Time{}, now}, // in the future
	} {
		if got := changedAt(c.lm, now, c.prev); !got.Equal(c.want) {
			t.Errorf("changedAt(%q, prev %v) = %v, want %v", c.lm, c.prev, got, c.want)
		}
	}
}

// TestFeedConfigChangeKeepsLastChange: a changed definition (here its
// stale_after) re-fetches and re-parses the feed, but the same bytes are
// no change of content: changed_at and the warned streak stay.
func TestFeedConfigChangeKeepsLastChange(t *testing.T) {
	old := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Second)
	srv := newFeedServer(t, nil)
	body := domainList("c", 5)
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", old.Format(http.TimeFormat))
		w.Write(body)
	})
	feed := remoteFeed("f", srv.URL)
	feed.StaleAfter = 7 * 24 * time.Hour
	h := &countingHandler{}
	m, err := NewUpdater([]Feed{feed}, UpdaterOptions{Fetcher: testFetcher(t), Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Refresh(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	// The publisher now stamps the same bytes with today's Last-Modified
	// (a CDN re-upload): the content has not changed.
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat))
		w.Write(body)
	})
	feed.StaleAfter = 14 * 24 * time.Hour
	if err := m.SetFeeds([]Feed{feed}); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "f")
	if !st.LastChange.Equal(old) || !st.Stale || st.StaleAfter != "14d" {
		t.Errorf("after a config change: last change %v (want %v), stale %v, stale_after %q", st.LastChange, old, st.Stale, st.StaleAfter)
	}
	if n := staleCount(h); n != 1 {
		t.Errorf("%d stale warnings, want 1: the streak did not end", n)
	}
}
