package service

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/internal/feedstest"
	"github.com/scamblock/scamblock/lists"
)

// rankingZip is Tranco's top-1m.csv.zip as a loopback server would serve
// it: the shared top 10,000 with name put first (every other rank one
// lower), so that name is ranked only in the fetched ranking.
func rankingZip(t *testing.T, name string) []byte {
	t.Helper()
	root := feedstest.Root()
	if root == "" {
		t.Skip("../shared/data not found beside the repository; skipping")
	}
	csv, err := os.ReadFile(filepath.Join(root, "..", "popularity", "tranco-top10k.csv"))
	if err != nil {
		t.Skipf("shared popularity data absent: %v", err)
	}
	var body bytes.Buffer
	fmt.Fprintf(&body, "1,%s\r\n", name)
	for i, line := range strings.Split(strings.TrimSpace(string(csv)), "\r\n") {
		_, domain, _ := strings.Cut(line, ",")
		fmt.Fprintf(&body, "%d,%s\r\n", i+2, domain)
	}
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.Create("top-1m.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// A name ranked only in the fetched ranking (not in the embedded Tranco
// snapshot) is blocked by a single feed until the ranking is fetched, and
// guarded from then on; GET /v1/feeds shows the ranking feed; a restart
// without network keeps guarding it from the cached copy.
func TestFetchedRankingGuardsEndToEnd(t *testing.T) {
	const rising = "rising-star-exchange.com"
	if lists.EmbeddedRanking(0).Rank(rising) != 0 {
		t.Fatalf("%s is in the embedded snapshot; the test needs a name that is not", rising)
	}
	body := rankingZip(t, rising)
	var up atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.NotFound(w, r) // not retried: the start is not slowed down
			return
		}
		w.Header().Set("ETag", `"tranco-1"`)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)

	feed := filepath.Join(t.TempDir(), "list.txt")
	writeList(t, feed, rising, "plain-scam.example.com")
	cfg := config.Default()
	cfg.Server.DataDir = t.TempDir()
	cfg.Feeds = []config.Feed{{Name: "local", URL: feed, Enabled: true}}
	cfg.Guard.Ranking = srv.URL + "/top-1m.csv.zip"

	t.Run("before the fetch one feed blocks it", func(t *testing.T) {
		s := startService(t, cfg)
		if !isBlocked(t, s.dns, rising) || !isBlocked(t, s.dns, "plain-scam.example.com") {
			t.Fatal("the feed does not block")
		}
		up.Store(true)
		s.hup <- os.Interrupt
		waitFor(t, 10*time.Second, func() bool { return !isBlocked(t, s.dns, rising) })
		if isBlocked(t, s.dns, "www."+rising) || !isBlocked(t, s.dns, "plain-scam.example.com") {
			t.Fatal("after the fetch: the www. name is blocked, or an unranked name is not")
		}
		st := rankingStatus(t, s.http)
		if st.Format != feeds.FormatRanking || st.Entries != 10000 || st.LastError != "" || st.CacheFile == "" {
			t.Errorf("GET /v1/feeds ranking: %+v", st)
		}
	})
	up.Store(false)
	t.Run("a restart without network guards it from the cached copy", func(t *testing.T) {
		s := startService(t, cfg)
		if isBlocked(t, s.dns, rising) {
			t.Fatal("the cached ranking does not guard after the restart")
		}
		if st := rankingStatus(t, s.http); st.Entries != 10000 || !st.UsingCache {
			t.Errorf("GET /v1/feeds ranking after the restart: %+v", st)
		}
	})
}

func rankingStatus(t *testing.T, base string) feeds.Status {
	t.Helper()
	res, err := http.Get(base + "/v1/feeds")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var sts []feeds.Status
	if err := json.NewDecoder(res.Body).Decode(&sts); err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Name == feeds.RankingFeedName {
			return st
		}
	}
	t.Fatalf("GET /v1/feeds has no %q feed: %+v", feeds.RankingFeedName, sts)
	return feeds.Status{}
}
