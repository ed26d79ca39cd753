package feeds

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/internal/feedstest"
	"github.com/scamblock/scamblock/lists"
)

// trancoTop10k is ../shared/data/popularity/tranco-top10k.csv as it is
// (CRLF, "rank,domain"), or the test is skipped.
func trancoTop10k(t *testing.T) []byte {
	t.Helper()
	root := feedstest.Root()
	if root == "" {
		t.Skip("../shared/data not found beside the repository; skipping")
	}
	b, err := os.ReadFile(filepath.Join(root, "..", "popularity", "tranco-top10k.csv"))
	if err != nil {
		t.Skipf("shared popularity data absent: %v", err)
	}
	return b
}

// zipOf is a zip archive holding body as name, as Tranco ships top-1m.csv.
func zipOf(t *testing.T, name string, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRankingFeedDefaultsAreTranco(t *testing.T) {
	if got := config.Default().Guard.Ranking; got != TrancoURL {
		t.Errorf("config default guard.ranking %q, want %q", got, TrancoURL)
	}
	f := RankingFeed(TrancoURL, 10000, 0).WithDefaults()
	if !f.IsRanking() || f.Interval != RankingInterval || f.ShrinkGuard != DefaultShrinkGuard || f.Top != 10000 || f.Homepage == "" || f.StaleAfter != 3*day {
		t.Errorf("ranking feed %+v", f)
	}
}

// The ranking is fetched like any feed, as Tranco's zip or as a plain CSV
// with CRLF: the top N names with their ranks, cached, asked for again
// with a conditional GET, and read back from the cache after a restart
// without network. It blocks nothing (no Set of it is compiled).
func TestRankingFeedFetchedZipAndCSV(t *testing.T) {
	csv := trancoTop10k(t)
	for _, tc := range []struct {
		name, path string
		body       []byte
	}{
		{"zip", "/top-1m.csv.zip", zipOf(t, "top-1m.csv", csv)},
		{"csv", "/top-1m.csv", csv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFeedServer(t, tc.body)
			dataDir := t.TempDir()
			feed := RankingFeed(srv.URL+tc.path, 5000, 0)
			m := newTestUpdater(t, []Feed{feed}, dataDir, nil)
			ctx := context.Background()
			if err := m.RefreshAll(ctx); err != nil {
				t.Fatal(err)
			}
			r := m.Ranking()
			if r.Len() != 5000 || r.Rank("google.com") != 1 || r.Rank("thisiscm.com") != 0 || !strings.HasPrefix(r.Source, srv.URL) {
				t.Fatalf("ranking: %d names, google.com #%d, thisiscm.com #%d, source %q", r.Len(), r.Rank("google.com"), r.Rank("thisiscm.com"), r.Source)
			}
			if line := strings.Split(string(csv), "\r\n")[4999]; r.Rank(strings.SplitN(line, ",", 2)[1]) != 5000 {
				t.Errorf("line 5000 %q is not ranked 5000", line)
			}
			if len(m.Sets()) != 0 || len(m.SourceOptions()) != 0 {
				t.Errorf("a ranking is not a blocklist: sets %d, source options %v", len(m.Sets()), m.SourceOptions())
			}
			st := statusOf(t, m, RankingFeedName)
			if st.Format != FormatRanking || st.Entries != 5000 || st.Interval != "24h0m0s" || st.CacheFile == "" || st.LastError != "" {
				t.Errorf("status %+v", st)
			}
			if err := m.RefreshAll(ctx); err != nil {
				t.Fatal(err)
			}
			if srv.header().Get("If-None-Match") == "" || m.Ranking() != r {
				t.Error("the second fetch was not conditional, or an unchanged ranking was read again")
			}
			srv.Close()
			again := newTestUpdater(t, []Feed{feed}, dataDir, nil)
			if err := again.LoadRanking(ctx); err != nil {
				t.Fatal(err)
			}
			if r2 := again.Ranking(); r2.Len() != 5000 || r2.Rank("google.com") != 1 {
				t.Fatalf("after a restart without network: %d names", r2.Len())
			}
		})
	}
}

// A ranking that comes back broken never replaces the last good one.
func TestRankingFeedKeepsTheLastGoodCopy(t *testing.T) {
	csv := trancoTop10k(t)
	zipped := zipOf(t, "top-1m.csv", csv)
	lines := strings.SplitAfter(string(csv), "\r\n")
	tests := []struct {
		name string
		set  func(*feedServer)
		want string
	}{
		{"empty", func(s *feedServer) { s.setBody(nil) }, "empty"},
		{"an HTML page", func(s *feedServer) {
			s.setBody([]byte("<!DOCTYPE html>\n<html><body>\nrate limited\ngoogle.com\n</body></html>\n"))
		}, "HTML"},
		{"shrunk to 100 names", func(s *feedServer) { s.setBody([]byte(strings.Join(lines[:100], ""))) }, "shrink guard"},
		{"mostly junk", func(s *feedServer) {
			s.setBody([]byte("1,google.com\nx,not a rank\ny,nor this\nz,nor that\n"))
		}, "not a ranking"},
		{"a zip without a file", func(s *feedServer) {
			var b bytes.Buffer
			zip.NewWriter(&b).Close()
			s.setBody(append(zipMagic, b.Bytes()...))
		}, "zip"},
		{"a zip larger than the size limit once unpacked", func(s *feedServer) {
			s.setBody(zipOf(t, "top-1m.csv", bytes.Repeat(csv, 40)))
		}, "size limit"},
		{"404", func(s *feedServer) { s.set(status(http.StatusNotFound)) }, "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFeedServer(t, zipped)
			feed := RankingFeed(srv.URL+"/top-1m.csv.zip", 10000, 0)
			feed.MaxBytes = int64(len(csv) * 2) // the zip of 40 copies is smaller, its content is not
			m := newTestUpdater(t, []Feed{feed}, t.TempDir(), nil)
			ctx := context.Background()
			if err := m.RefreshAll(ctx); err != nil {
				t.Fatal(err)
			}
			good := m.Ranking()
			tc.set(srv)
			err := m.RefreshAll(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("refresh: %v; want an error saying %q", err, tc.want)
			}
			st := statusOf(t, m, RankingFeedName)
			if m.Ranking() != good || good.Len() != 10000 || !st.UsingCache || st.Entries != 10000 {
				t.Errorf("the last good ranking was not kept: %d names, status %+v", m.Ranking().Len(), st)
			}
		})
	}
}

// A ranking body is untrusted bytes: no input panics, and a ranking that
// parses keeps only names ranked 1..N.
func FuzzRanking(f *testing.F) {
	f.Add([]byte("1,google.com\r\n2,youtube.com\r\n"))
	f.Add([]byte("rank,domain\n1,a.example\nx,bad\n"))
	f.Add([]byte("<html>\n"))
	f.Add([]byte("a.example\nb.example\n# comment\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, rep, _, err := parseRanking(context.Background(), Feed{Name: "fuzz", Top: 5}, bytes.NewReader(b))
		if err != nil {
			return
		}
		if set.Len() == 0 || rep.Accepted != set.Len() {
			t.Fatalf("%d names (accepted %d) from %q", set.Len(), rep.Accepted, b)
		}
		set.Entries(func(e lists.Entry) bool {
			if e.Line < 1 || e.Line > 5 {
				t.Fatalf("%s ranked %d, outside the top 5, from %q", e.Value, e.Line, b)
			}
			return true
		})
		if r := lists.RankingFromSet(set, "fuzz"); r.Len() != set.Len() {
			t.Fatalf("ranking of %d names from a set of %d", r.Len(), set.Len())
		}
	})
}
