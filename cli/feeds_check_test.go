package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/feeds"
)

// TestFeedsCheck: `scamblock feeds --check` asks each feed's URL and exits
// 0 when every feed is ok, 1 when one is missing, moved or stale, with a
// line per feed saying which and why.
func TestFeedsCheck(t *testing.T) {
	fresh := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.txt", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Last-Modified", fresh) })
	mux.Handle("/renamed.txt", http.RedirectHandler("/ok.txt", http.StatusMovedPermanently))
	old := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(http.TimeFormat)
	mux.HandleFunc("/old.txt", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Last-Modified", old) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	data := t.TempDir()

	out, errOut, code := run(t, "feeds", "--check", "--data-dir", data, "--no-default-feeds", "--feed", "good="+srv.URL+"/ok.txt")
	if code != exitOK || !regexpLine(out, "good", "ok", "200") {
		t.Fatalf("all ok: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = run(t, "feeds", "--check", "--check-timeout", "5s", "--data-dir", data, "--no-default-feeds",
		"--feed", "good="+srv.URL+"/ok.txt", "--feed", "gone="+srv.URL+"/gone.txt", "--feed", "renamed="+srv.URL+"/renamed.txt")
	if code != exitListed {
		t.Errorf("a missing and a moved feed: exit %d, want %d", code, exitListed)
	}
	for _, want := range [][]string{{"good", "ok"}, {"gone", "missing", "404"}, {"renamed", "moved", srv.URL + "/ok.txt"}} {
		if !regexpLine(out, want...) {
			t.Errorf("no line with %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "2 of 3 feeds are not ok") {
		t.Errorf("stderr %q, want the count of feeds not ok", errOut)
	}

	// The global expectation: a file unchanged for 30 days is stale under 7d, not under 60d.
	out, _, code = run(t, "feeds", "--check", "--feed-stale-after", "7d", "--data-dir", data, "--no-default-feeds", "--feed", "old="+srv.URL+"/old.txt")
	if code != exitListed || !regexpLine(out, "old", "stale", "7d", "unchanged for 30d") {
		t.Errorf("old file under --feed-stale-after 7d: exit %d\n%s", code, out)
	}
	if out, _, code = run(t, "feeds", "--check", "--feed-stale-after", "60d", "--data-dir", data, "--no-default-feeds", "--feed", "old="+srv.URL+"/old.txt"); code != exitOK {
		t.Errorf("old file under --feed-stale-after 60d: exit %d\n%s", code, out)
	}

	out, _, code = run(t, "feeds", "--check", "--json", "--data-dir", data, "--no-default-feeds", "--feed", "gone="+srv.URL+"/gone.txt")
	var results []feeds.CheckResult
	if err := json.Unmarshal([]byte(out), &results); err != nil || code != exitListed || len(results) != 1 || results[0].State != feeds.CheckMissing || results[0].HTTPStatus != 404 {
		t.Errorf("--json: exit %d, %v, %+v\n%s", code, err, results, out)
	}
}

// TestFeedsTableShowsStaleness: `scamblock feeds` shows the last change
// with its age and the feed's expectation, flagged when it is exceeded (a
// local file's stale_after from the config file, its mtime the change).
func TestFeedsTableShowsStaleness(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(list, []byte("old-scam.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	longAgo := time.Now().Add(-400 * 24 * time.Hour)
	if err := os.Chtimes(list, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "scamblock.yaml")
	if err := os.WriteFile(cfgFile, []byte("default_feeds: false\nfeeds:\n  - name: mine\n    url: "+list+"\n    stale_after: 30d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "feeds", "--config", cfgFile, "--data-dir", filepath.Join(dir, "data"))
	if code != exitOK || !regexpLine(out, "mine", "(1.1y ago)", "30d STALE") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
}

// TestFeedsTableShowsChangeAge: the last change of a listed file and its age.
func TestFeedsTableShowsChangeAge(t *testing.T) {
	out, errOut, code := run(t, "feeds", "--data-dir", t.TempDir(), "--no-default-feeds",
		"--feed", "metamask-hosts="+sharedFile(t, "metamask-eth-phishing-detect/hosts.txt"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "STALE AFTER") || !strings.Contains(out, " ago)") {
		t.Errorf("feeds table lacks the last change age or the STALE AFTER column:\n%s", out)
	}
}
