package feeds

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// seedFrom loads the feeds once and returns every Set with its provenance,
// as the lists' snapshot would store them.
func seedFrom(t *testing.T, m *Updater) map[*lists.Set]string {
	t.Helper()
	if err := m.LoadCached(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[*lists.Set]string{}
	for _, s := range m.Sets() {
		text, ok := m.Provenance(s)
		if !ok {
			t.Fatalf("no provenance for the current Set of %s", s.Source())
		}
		out[s] = text
	}
	return out
}

// A restart whose feed is unchanged (same content, configuration and
// build) takes the Set offered from the snapshot instead of parsing; a
// changed file, a changed configuration or a Set that is not a feed's
// current one is parsed again.
func TestUpdaterSeedTakesUnchangedFeeds(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(local, domainList("local", 50), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newFeedServer(t, domainList("remote", 80))
	localFeed := Feed{Name: "local", URL: local, Enabled: true}
	remote := remoteFeed("remote", srv.URL)
	feeds := []Feed{localFeed, remote}
	dataDir := t.TempDir()

	first := newTestUpdater(t, feeds, dataDir, nil)
	if err := first.RefreshAll(context.Background()); err != nil { // caches the remote copy
		t.Fatal(err)
	}
	seeds := seedFrom(t, first)
	if _, ok := first.Provenance(lists.NewSetBuilder("local").Build()); ok {
		t.Fatal("provenance for a Set that is no feed's")
	}

	t.Run("unchanged: the offered Sets are taken", func(t *testing.T) {
		m := newTestUpdater(t, feeds, dataDir, nil)
		m.Seed(seeds)
		if err := m.LoadCached(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Sets() {
			if _, offered := seeds[s]; !offered {
				t.Errorf("feed %s was parsed again", s.Source())
			}
		}
		if st := statusOf(t, m, "local"); st.Entries != 50 || st.Lines != 50 || st.SHA256 == "" {
			t.Errorf("status of the seeded local feed: %+v", st)
		}
		if st := statusOf(t, m, "remote"); st.Entries != 80 || !st.UsingCache {
			t.Errorf("status of the seeded remote feed: %+v", st)
		}
	})
	t.Run("offers are dropped after the load", func(t *testing.T) {
		m := newTestUpdater(t, feeds, dataDir, nil)
		m.Seed(seeds)
		if err := m.LoadCached(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, fs := range m.snapshot() {
			if fs.seed != nil {
				t.Errorf("feed %s still holds its offer", fs.feed.Name)
			}
		}
	})
	t.Run("a changed file is parsed", func(t *testing.T) {
		if err := os.WriteFile(local, domainList("changed", 60), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(local, domainList("local", 50), 0o600)
		m := newTestUpdater(t, feeds, dataDir, nil)
		m.Seed(seeds)
		if err := m.LoadCached(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Sets() {
			_, offered := seeds[s]
			if want := s.Source() == "remote"; offered != want {
				t.Errorf("feed %s: Set taken from the offer %v, want %v", s.Source(), offered, want)
			}
		}
		if s := m.Sets()[0]; s.Len() != 60 {
			t.Errorf("changed local feed has %d entries, want 60", s.Len())
		}
	})
	t.Run("a changed configuration is parsed", func(t *testing.T) {
		changed := localFeed
		changed.Trusted = true
		m := newTestUpdater(t, []Feed{changed, remote}, dataDir, nil)
		m.Seed(seeds)
		if err := m.LoadCached(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, offered := seeds[m.Sets()[0]]; offered {
			t.Error("the offered Set was taken although the feed's configuration changed")
		}
	})
}
