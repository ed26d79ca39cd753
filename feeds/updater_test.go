package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

func newTestUpdater(t *testing.T, feeds []Feed, dataDir string, onChange func([]*lists.Set)) *Updater {
	t.Helper()
	f := testFetcher(t)
	f.Timeout = 500 * time.Millisecond
	m, err := NewUpdater(feeds, UpdaterOptions{
		DataDir: dataDir, Fetcher: f, Logger: testLogger(t),
		OnChange: onChange, Debounce: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func remoteFeed(name, url string) Feed {
	return Feed{Name: name, URL: url + "/" + name + ".txt", Format: parse.FormatDomains, Enabled: true, MaxBytes: 1 << 20}
}

func statusOf(t *testing.T, m *Updater, name string) Status {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %q", name)
	return Status{}
}

func onlySet(t *testing.T, m *Updater) *lists.Set {
	t.Helper()
	sets := m.Sets()
	if len(sets) != 1 {
		t.Fatalf("%d sets, want 1", len(sets))
	}
	return sets[0]
}

// Every fault after a good fetch leaves the last good Set in use and says so.
func TestUpdaterKeepsLastGoodCopyOnFaults(t *testing.T) {
	good := domainList("good", 100)
	tests := []struct {
		name    string
		fault   func(t *testing.T) http.HandlerFunc
		wantErr string
	}{
		{"server errors", func(*testing.T) http.HandlerFunc { return status(500) }, "500"},
		{"slow body", func(*testing.T) http.HandlerFunc { return slowBody }, "timeout"},
		{"endless body", func(*testing.T) http.HandlerFunc { return endless }, "size limit"},
		{"gzip bomb", func(t *testing.T) http.HandlerFunc { return gzipBomb(t, 100<<20, true) }, "size limit"},
		{"redirect loop", func(*testing.T) http.HandlerFunc { return redirectLoop }, "redirects"},
		{"empty response", func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {}
		}, "empty"},
		{"feed shrinks to 10 lines", func(*testing.T) http.HandlerFunc {
			small := domainList("good", 10)
			return func(w http.ResponseWriter, r *http.Request) { w.Write(small) }
		}, "shrink guard"},
		{"only junk lines", func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("localhost\n127.0.0.1\n<html>\n")) }
		}, "every entry was rejected"},
		{"JSON feed turns into an HTML error page", nil, "parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFeedServer(t, good)
			feed := remoteFeed("f", srv.URL)
			if tt.fault == nil { // a JSON-format feed whose server starts sending HTML
				feed.Format = parse.FormatScamSnifferDomains
				srv.setBody([]byte(`["good-1-scam.com", "good-2-scam.com"]`))
				tt.fault = func(*testing.T) http.HandlerFunc {
					return func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>rate limited</html>")) }
				}
			}
			m := newTestUpdater(t, []Feed{feed}, t.TempDir(), nil)
			ctx := context.Background()
			if err := m.RefreshAll(ctx); err != nil {
				t.Fatal(err)
			}
			before := onlySet(t, m)
			srv.set(tt.fault(t))
			err := m.RefreshAll(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("refresh error %v, want one mentioning %q", err, tt.wantErr)
			}
			if after := onlySet(t, m); after != before {
				t.Errorf("the set in use changed (%d → %d entries)", before.Len(), after.Len())
			}
			st := statusOf(t, m, "f")
			if !st.UsingCache || !strings.Contains(st.LastError, tt.wantErr) || st.Entries != before.Len() {
				t.Errorf("status %+v: want using_cache, the error and %d entries", st, before.Len())
			}
			// Recovery: the next good copy is taken.
			srv.setBody(domainList("good", 120))
			feed.Format = parse.FormatDomains
			if feed.Format == m.Feeds()[0].Format {
				if err := m.RefreshAll(ctx); err != nil {
					t.Fatal(err)
				}
				if n := onlySet(t, m).Len(); n != 120 || statusOf(t, m, "f").UsingCache {
					t.Errorf("after recovery %d entries, using cache %v", n, statusOf(t, m, "f").UsingCache)
				}
			}
		})
	}
}

func TestUpdaterShrinkWithinGuardIsAccepted(t *testing.T) {
	srv := newFeedServer(t, domainList("s", 100))
	m := newTestUpdater(t, []Feed{remoteFeed("f", srv.URL)}, "", nil)
	ctx := context.Background()
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	srv.setBody(domainList("s", 60))
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := onlySet(t, m).Len(); n != 60 {
		t.Errorf("%d entries, want 60", n)
	}
	// shrink_guard 1 allows any shrink, but not an empty copy.
	feeds := m.Feeds()
	feeds[0].ShrinkGuard = 1
	if err := m.SetFeeds(feeds); err != nil {
		t.Fatal(err)
	}
	srv.setBody(domainList("s", 1))
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	srv.setBody(nil)
	if err := m.RefreshAll(ctx); err == nil {
		t.Error("an empty download was accepted")
	}
}

func TestUpdaterConditionalGETKeepsSet(t *testing.T) {
	srv := newFeedServer(t, domainList("c", 30))
	m := newTestUpdater(t, []Feed{remoteFeed("f", srv.URL)}, t.TempDir(), nil)
	ctx := context.Background()
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	set := onlySet(t, m)
	changed := statusOf(t, m, "f").LastChange
	time.Sleep(5 * time.Millisecond)
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.header().Get("If-None-Match") == "" {
		t.Error("second refresh was not conditional")
	}
	st := statusOf(t, m, "f")
	if onlySet(t, m) != set || st.LastChange != changed || !st.LastGood.After(changed) || st.UsingCache {
		t.Errorf("304 changed the set or the status: %+v", st)
	}
}

func TestUpdaterCacheSurvivesRestart(t *testing.T) {
	dataDir := t.TempDir()
	srv := newFeedServer(t, domainList("cached", 200))
	feed := remoteFeed("f", srv.URL)
	first := newTestUpdater(t, []Feed{feed}, dataDir, nil)
	if err := first.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Close() // the network is gone

	var got []*lists.Set
	second := newTestUpdater(t, []Feed{feed}, dataDir, func(s []*lists.Set) { got = s })
	if err := second.LoadCached(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Len() != 200 {
		t.Fatalf("OnChange after LoadCached got %v, want one set of 200", got)
	}
	st := statusOf(t, second, "f")
	if !st.UsingCache || st.Entries != 200 || st.CacheFile == "" || st.LastGood.IsZero() {
		t.Errorf("status after LoadCached: %+v", st)
	}
	if err := second.RefreshAll(context.Background()); err == nil {
		t.Fatal("refresh against a dead server succeeded")
	}
	if n := onlySet(t, second).Len(); n != 200 {
		t.Errorf("after a failed refresh %d entries, want the cached 200", n)
	}
	meta, err := os.ReadFile(filepath.Join(dataDir, "feeds", SafeName("f")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"etag"`, `"sha256"`, `"fetched_at"`, `"changed_at"`, `"entries": 200`, `"report"`} {
		if !strings.Contains(string(meta), key) {
			t.Errorf("cache metadata lacks %s:\n%s", key, meta)
		}
	}
}

func TestUpdaterDamagedCacheIsNotUsed(t *testing.T) {
	dataDir := t.TempDir()
	srv := newFeedServer(t, domainList("d", 20))
	feed := remoteFeed("f", srv.URL)
	first := newTestUpdater(t, []Feed{feed}, dataDir, nil)
	if err := first.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(dataDir, "feeds", SafeName("f"))
	if err := os.WriteFile(body, []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := newTestUpdater(t, []Feed{feed}, dataDir, nil)
	if err := second.LoadCached(context.Background()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("LoadCached error %v, want damaged", err)
	}
	if len(second.Sets()) != 0 {
		t.Error("a damaged cache was used")
	}
	// Without a good copy the refresh is unconditional and repairs the cache.
	if err := second.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.header().Get("If-None-Match") != "" {
		t.Error("refresh without a good copy sent If-None-Match")
	}
}

func TestUpdaterSlowFeedDoesNotDelayOthers(t *testing.T) {
	slow := newFeedServer(t, nil)
	slow.set(func(w http.ResponseWriter, r *http.Request) {
		select { // stall before the headers
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	fast := newFeedServer(t, domainList("fast", 10))
	fetcher := testFetcher(t)
	fetcher.Timeout = 30 * time.Second // the slow feed must still be in flight
	changes := make(chan []*lists.Set, 10)
	m, err := NewUpdater([]Feed{remoteFeed("slow", slow.URL), remoteFeed("fast", fast.URL)}, UpdaterOptions{
		Fetcher: fetcher, Logger: testLogger(t), Debounce: 10 * time.Millisecond,
		OnChange: func(s []*lists.Set) { changes <- s },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case sets := <-changes:
		if len(sets) != 1 || sets[0].Source() != "fast" {
			t.Errorf("first change %v, want the fast feed alone", sets)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the fast feed waited for the slow one")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop with its context while a fetch was in flight")
	}
}

func TestUpdaterRunRefreshesOnInterval(t *testing.T) {
	srv := newFeedServer(t, domainList("v1", 10))
	feed := remoteFeed("f", srv.URL)
	feed.Interval = 50 * time.Millisecond
	var mu sync.Mutex
	var lens []int
	m := newTestUpdater(t, []Feed{feed}, "", func(s []*lists.Set) {
		mu.Lock()
		lens = append(lens, s[0].Len())
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(lens) == 1 })
	srv.setBody(domainList("v2", 15))
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(lens) == 2 && lens[1] == 15 })
	if st := statusOf(t, m, "f"); !st.NextFetch.After(st.LastFetch) {
		t.Errorf("next fetch %v not after last %v", st.NextFetch, st.LastFetch)
	}
}

func TestUpdaterOnChangeIsDebounced(t *testing.T) {
	var feeds []Feed
	for _, n := range []string{"a", "b", "c"} {
		srv := newFeedServer(t, domainList(n, 5))
		feeds = append(feeds, remoteFeed(n, srv.URL))
	}
	calls := make(chan int, 10)
	m := newTestUpdater(t, feeds, "", func(s []*lists.Set) { calls <- len(s) })
	// A window far longer than the burst, so that a loaded machine (one
	// fetch took 117 ms at load 35) cannot split it.
	m.opts.Debounce = time.Second
	if err := m.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-calls:
		if n != 3 {
			t.Errorf("OnChange got %d sets, want 3", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no OnChange")
	}
	select {
	case n := <-calls:
		t.Errorf("a second OnChange (%d sets) for one burst of changes", n)
	case <-time.After(1500 * time.Millisecond):
	}
}

func TestUpdaterLocalFileFeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.txt")
	if err := os.WriteFile(path, domainList("mine", 8), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newTestUpdater(t, []Feed{{URL: path, Enabled: true}}, t.TempDir(), nil)
	if err := m.LoadCached(context.Background()); err != nil {
		t.Fatal(err)
	}
	set := onlySet(t, m)
	if set.Len() != 8 || set.Source() != path {
		t.Fatalf("set %q with %d entries, want %q with 8", set.Source(), set.Len(), path)
	}
	st := statusOf(t, m, path)
	if st.Format != parse.FormatDomains || !st.NextFetch.IsZero() || st.UsingCache {
		t.Errorf("status %+v: want detected format domains, no schedule", st)
	}
	// The first load hashes the file beside its parse (Request.HashLater):
	// the same sum as reading it first.
	if sum := sha256.Sum256(domainList("mine", 8)); st.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %q, want %x", st.SHA256, sum)
	}
	// Unchanged: no re-parse. Emptied: accepted (the operator's own file).
	if err := m.RefreshAll(context.Background()); err != nil || onlySet(t, m) != set {
		t.Errorf("unchanged file re-parsed (err %v)", err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := onlySet(t, m).Len(); n != 0 {
		t.Errorf("emptied file still has %d entries", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(t.TempDir(), "feeds")); len(entries) != 0 {
		t.Errorf("local feed copied into the cache: %v", entries)
	}
}

func TestUpdaterSetFeeds(t *testing.T) {
	a := newFeedServer(t, domainList("a", 5))
	b := newFeedServer(t, domainList("b", 7))
	m := newTestUpdater(t, []Feed{remoteFeed("a", a.URL)}, "", nil)
	ctx := context.Background()
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	setA := onlySet(t, m)
	if err := m.SetFeeds([]Feed{remoteFeed("a", a.URL), remoteFeed("b", b.URL)}); err != nil {
		t.Fatal(err)
	}
	if onlySet(t, m) != setA {
		t.Error("unchanged feed lost its set on reload")
	}
	if err := m.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Sets()); n != 2 {
		t.Errorf("%d sets after adding a feed, want 2", n)
	}
	disabled := remoteFeed("a", a.URL)
	disabled.Enabled = false
	if err := m.SetFeeds([]Feed{disabled}); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Sets()); n != 0 {
		t.Errorf("%d sets after disabling a and removing b, want 0", n)
	}
	if err := m.SetFeeds([]Feed{remoteFeed("x", a.URL), remoteFeed("x", b.URL)}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate names: error %v", err)
	}
}

func TestNewUpdaterRejectsBadFeeds(t *testing.T) {
	for _, f := range []Feed{
		{URL: ""},
		{URL: "ftp://example.com/list.txt"},
		{URL: "https:///nohost"},
		{URL: "x.txt", ShrinkGuard: 1.5},
		{URL: "x.txt", Interval: -time.Second},
	} {
		if _, err := NewUpdater([]Feed{f}, UpdaterOptions{}); err == nil {
			t.Errorf("feed %+v accepted", f)
		}
	}
}

func TestStatusJSONHasRejectExamplesWithFileLine(t *testing.T) {
	srv := newFeedServer(t, []byte("good-scam.com\n127.0.0.1\nalso-good-scam.com\nnot a host at all\n"))
	m := newTestUpdater(t, []Feed{remoteFeed("f", srv.URL)}, t.TempDir(), nil)
	if err := m.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "f")
	if st.Entries != 2 || len(st.Rejected) == 0 || len(st.Examples) == 0 {
		t.Fatalf("status %+v: want 2 entries and rejects with examples", st)
	}
	for _, ex := range st.Examples {
		if !strings.HasPrefix(ex.Where, st.CacheFile+":") {
			t.Errorf("example %+v is not located in the cached copy %s", ex, st.CacheFile)
		}
	}
	b, err := json.Marshal(m.Status())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"name":"f"`, `"entries":2`, `"rejected"`, `"where"`, `"last_fetch"`, `"next_fetch"`, `"using_cache":false`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("status JSON lacks %s: %s", key, b)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Adopt swaps a held Set for its equal (the same Set read back from the
// lists' snapshot) and leaves the others; a different source or size is
// not taken.
func TestUpdaterAdoptReplacesEqualSets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(path, []byte("a.example.com\nb.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestUpdater(t, []Feed{{Name: "local", URL: path, Enabled: true}}, "", nil)
	if err := m.LoadCached(context.Background()); err != nil {
		t.Fatal(err)
	}
	held := onlySet(t, m)
	other := lists.NewSetBuilder("other")
	other.Add(lists.Entry{Value: "a.example.com", Kind: lists.KindDomain})
	m.Adopt(map[*lists.Set]*lists.Set{held: other.Build()})
	if onlySet(t, m) != held {
		t.Fatal("a Set of another source was adopted")
	}
	same := lists.NewSetBuilder("local")
	same.Add(lists.Entry{Value: "a.example.com", Kind: lists.KindDomain})
	same.Add(lists.Entry{Value: "b.example.com", Kind: lists.KindDomain})
	equal := same.Build()
	m.Adopt(map[*lists.Set]*lists.Set{held: equal})
	if onlySet(t, m) != equal {
		t.Fatal("the equal Set was not adopted")
	}
}

// TestLocalFeedWhoseEveryLineIsRejectedIsAnError: a plain list forced to
// the wrong format does not load as "0 entries": the feed reports an error
// (WARN in the log, last_error in feeds and /v1/feeds).
func TestLocalFeedWhoseEveryLineIsRejectedIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte("evil.com\nscam.net\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := parseFile(context.Background(), Feed{Name: "x", URL: path, Format: parse.FormatRPZ}, path)
	if !errors.Is(err, ErrAllRejected) || !strings.Contains(err.Error(), "read as rpz") {
		t.Fatalf("err = %v, want ErrAllRejected naming the format", err)
	}
}

// UpdaterOptions.MaxBytes (--feed-max-size) is the limit of feeds that set
// none; a feed's own max_size still wins.
func TestUpdaterMaxBytesIsTheDefaultLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("a-long-enough-name.example.com\n", 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(f Feed, maxBytes int64) error {
		m, err := NewUpdater([]Feed{f}, UpdaterOptions{MaxBytes: maxBytes, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return m.LoadCached(context.Background())
	}
	feed := Feed{Name: "local", URL: path, Enabled: true}
	if err := load(feed, 100); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the updater's limit: %v", err)
	}
	if err := load(feed, 1000); err != nil {
		t.Fatalf("within the updater's limit: %v", err)
	}
	feed.MaxBytes = 1000
	if err := load(feed, 100); err != nil {
		t.Fatalf("the feed's own limit: %v", err)
	}
}

// A parse whose context is cancelled before the first byte is an error,
// not an empty feed (which would replace the last good copy, and the
// lists' snapshot, with nothing).
func TestParseCancelledBeforeTheFirstByteIsNotEmpty(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	set, _, _, err := parseReader(ctx, Feed{Name: "local", URL: "list.txt"}, strings.NewReader("evil.example.com\n"))
	if err == nil || set != nil {
		t.Fatalf("parseReader after cancel = %v, %v; want an error", set, err)
	}
}
