package service

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
)

// TestFeedStalenessShowsInAPIAndMetrics: a served feed whose publisher
// says it last changed 60 days ago, with a 30-day stale_after, is stale in
// GET /v1/feeds and /metrics (age, expectation, overdue), while a feed
// that changed an hour ago under the global --feed-stale-after is not.
func TestFeedStalenessShowsInAPIAndMetrics(t *testing.T) {
	old := time.Now().Add(-60 * 24 * time.Hour).UTC().Format(http.TimeFormat)
	fresh := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	mux := http.NewServeMux()
	mux.HandleFunc("/old.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", old)
		io.WriteString(w, "old-scam.com\n")
	})
	mux.HandleFunc("/fresh.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", fresh)
		io.WriteString(w, "fresh-scam.com\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg := config.Default()
	cfg.Server.FeedStale = config.Staleness(7 * 24 * time.Hour)
	cfg.Feeds = []config.Feed{
		{Name: "old", URL: srv.URL + "/old.txt", Enabled: true, StaleAfter: config.Staleness(30 * 24 * time.Hour)},
		{Name: "fresh", URL: srv.URL + "/fresh.txt", Enabled: true},
	}
	s := startService(t, cfg)
	var sts []feeds.Status
	waitFor(t, 10*time.Second, func() bool {
		resp, err := http.Get(s.http + "/v1/feeds")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		sts = nil
		if json.NewDecoder(resp.Body).Decode(&sts) != nil || len(sts) != 2 {
			return false
		}
		return sts[0].Entries == 1 && sts[1].Entries == 1
	})
	raw, err := http.Get(s.http + "/v1/feeds")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	raw.Body.Close()
	for _, key := range []string{`"last_change_age_seconds"`, `"stale_after": "30d"`, `"stale": true`, `"stale_after": "7d"`} {
		if !strings.Contains(strings.ReplaceAll(string(body), `":"`, `": "`), key) && !strings.Contains(string(body), strings.ReplaceAll(key, ": ", ":")) {
			t.Errorf("GET /v1/feeds lacks %s:\n%s", key, body)
		}
	}
	if o, f := sts[0], sts[1]; !o.Stale || o.LastChangeAge < 59*24*3600 || f.Stale || f.LastChangeAge > 2*3600 {
		t.Errorf("old: stale %v age %v s; fresh: stale %v age %v s", o.Stale, o.LastChangeAge, f.Stale, f.LastChangeAge)
	}

	resp, err := http.Get(s.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`scamblock_feed_change_overdue{feed="old"} 1`,
		`scamblock_feed_change_overdue{feed="fresh"} 0`,
		`scamblock_feed_stale_after_seconds{feed="old"} 2.592e+06`,
		`scamblock_feed_stale_after_seconds{feed="fresh"} 604800`,
		`scamblock_feed_last_change_age_seconds{feed="old"} 5.1`,
		`scamblock_feed_last_change_timestamp_seconds{feed="old"}`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
