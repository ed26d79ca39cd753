package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheck runs `feeds --check`'s verdicts against a loopback publisher:
// a fresh file (200), an unchanged one (304 to the conditional GET that
// replaces a refused HEAD), a permanent redirect, a temporary one, a
// missing file, a server error, a slow server, a file unchanged for too
// long, a dormant one, and local files.
func TestCheck(t *testing.T) {
	now := time.Now().UTC()
	fresh := now.Add(-time.Hour).Format(http.TimeFormat)
	old := now.Add(-90 * 24 * time.Hour).Format(http.TimeFormat)
	mux := http.NewServeMux()
	mux.HandleFunc("/fresh.txt", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			t.Errorf("fresh.txt asked with %s, want HEAD", r.Method)
		}
		w.Header().Set("Last-Modified", fresh)
	})
	mux.HandleFunc("/nohead.txt", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("If-None-Match") != `"v1"` || r.Header.Get("If-Modified-Since") == "" {
			t.Errorf("fallback GET not conditional: If-None-Match %q, If-Modified-Since %q", r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"))
		}
		w.WriteHeader(http.StatusNotModified)
	})
	mux.Handle("/old-name.txt", http.RedirectHandler("/new-name.txt", http.StatusMovedPermanently))
	mux.Handle("/cdn.txt", http.RedirectHandler("/new-name.txt", http.StatusFound))
	mux.HandleFunc("/new-name.txt", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Last-Modified", fresh) })
	mux.HandleFunc("/gone.txt", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/broken.txt", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/slow.txt", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/old.txt", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Last-Modified", old) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dataDir := t.TempDir()
	local := filepath.Join(dataDir, "mine.txt")
	if err := os.WriteFile(local, []byte("x.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	feed := func(name, path string, staleAfter time.Duration) Feed {
		return Feed{Name: name, URL: srv.URL + path, Enabled: true, StaleAfter: staleAfter}
	}
	nohead := feed("nohead", "/nohead.txt", 0)
	// The cached copy of nohead: its validators make the GET conditional;
	// it changed 2 days ago, within the default expectation.
	c := cache{dir: filepath.Join(dataDir, "feeds")}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.storeMeta("nohead", cacheMeta{Name: "nohead", URL: nohead.URL, ETag: `"v1"`, LastModified: old, ChangedAt: now.Add(-48 * time.Hour), SHA256: "00"}); err != nil {
		t.Fatal(err)
	}
	list := []Feed{
		feed("fresh", "/fresh.txt", 0),
		nohead,
		feed("moved", "/old-name.txt", 0),
		feed("cdn", "/cdn.txt", 0),
		feed("gone", "/gone.txt", 0),
		feed("broken", "/broken.txt", 0),
		feed("slow", "/slow.txt", 0),
		feed("old", "/old.txt", 30*24*time.Hour),
		feed("dormant", "/old.txt", NeverStale),
		{Name: "mine", URL: local, Enabled: true},
		{Name: "lost", URL: filepath.Join(dataDir, "lost.txt"), Enabled: true},
		{Name: "off", URL: srv.URL + "/gone.txt"}, // disabled: not checked
	}
	start := time.Now()
	results := Check(context.Background(), list, CheckOptions{DataDir: dataDir, StaleAfter: 7 * 24 * time.Hour, Timeout: 500 * time.Millisecond})
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("Check took %v: the slow feed was not cut off at its time limit", took)
	}
	want := []struct {
		name   string
		state  CheckState
		code   int
		detail string
	}{
		{"fresh", CheckOK, 200, ""},
		{"nohead", CheckOK, 304, "unchanged since the cached copy"},
		{"moved", CheckMoved, 200, "url: " + srv.URL + "/new-name.txt"},
		{"cdn", CheckOK, 200, ""},
		{"gone", CheckMissing, 404, "renamed or removed"},
		{"broken", CheckError, 500, "500"},
		{"slow", CheckError, 0, "time limit"},
		{"old", CheckStale, 200, "longer than its stale_after 30d"},
		{"dormant", CheckOK, 200, ""},
		{"mine", CheckOK, 0, ""},
		{"lost", CheckMissing, 0, "no such file"},
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d (the disabled feed left out): %+v", len(results), len(want), results)
	}
	for i, w := range want {
		r := results[i]
		if r.Name != w.name || r.State != w.state || r.HTTPStatus != w.code || !strings.Contains(r.Detail, w.detail) {
			t.Errorf("%s: %s %d %q; want %s: %s %d containing %q", r.Name, r.State, r.HTTPStatus, r.Detail, w.name, w.state, w.code, w.detail)
		}
	}
	byName := map[string]CheckResult{}
	for _, r := range results {
		byName[r.Name] = r
	}
	if r := byName["nohead"]; r.Method != "GET (conditional)" {
		t.Errorf("nohead checked with %q, want the conditional GET", r.Method)
	}
	if r := byName["moved"]; r.MovedTo != srv.URL+"/new-name.txt" || len(r.Redirects) != 1 || !strings.HasPrefix(r.Redirects[0], "301 ") {
		t.Errorf("moved: moved_to %q redirects %q", r.MovedTo, r.Redirects)
	}
	if r := byName["cdn"]; r.MovedTo != "" || len(r.Redirects) != 1 || !strings.HasPrefix(r.Redirects[0], "302 ") {
		t.Errorf("a temporary redirect is noted, not a move: moved_to %q redirects %q", r.MovedTo, r.Redirects)
	}
	if r := byName["old"]; r.StaleAfter != "30d" || r.LastChange.After(now.Add(-89*24*time.Hour)) {
		t.Errorf("old: stale_after %q last_change %v", r.StaleAfter, r.LastChange)
	}
	if r := byName["dormant"]; r.StaleAfter != "never" {
		t.Errorf("dormant: stale_after %q, want never", r.StaleAfter)
	}
	if r := byName["fresh"]; r.StaleAfter != "7d" {
		t.Errorf("fresh: stale_after %q, want the default 7d", r.StaleAfter)
	}
}

// TestCheckRedirectLoop: a loop ends as an error, not a hang.
func TestCheckRedirectLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(redirectLoop))
	defer srv.Close()
	r := Check(context.Background(), []Feed{{Name: "loop", URL: srv.URL + "/a", Enabled: true}}, CheckOptions{Timeout: 2 * time.Second})
	if len(r) != 1 || r[0].State != CheckError || !strings.Contains(r[0].Detail, "too many redirects") {
		t.Errorf("redirect loop: %+v", r)
	}
}
