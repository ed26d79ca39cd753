package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/lists"
)

// waitSnapshot waits until the data directory's snapshot blocks name.
func waitSnapshot(t *testing.T, dataDir string, name string) {
	t.Helper()
	path := filepath.Join(dataDir, blocklist.SnapshotFile)
	waitFor(t, 5*time.Second, func() bool {
		m, _, err := lists.OpenSnapshot(path, nil)
		if err != nil {
			return false
		}
		_, blocked := m.Lookup(name)
		return blocked
	})
}

// A restart answers from the snapshot before (here: without) any feed is
// read; the feeds, once readable, replace it. A damaged snapshot is
// ignored, and --no-snapshot neither reads nor writes one.
func TestRestartAnswersFromTheSnapshot(t *testing.T) {
	dataDir := t.TempDir()
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("old-scam.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Server.DataDir = dataDir
	cfg.Feeds = []config.Feed{{Name: "local", URL: feed, Enabled: true}}
	snapshot := filepath.Join(dataDir, blocklist.SnapshotFile)

	t.Run("the first start writes the snapshot", func(t *testing.T) {
		s := startService(t, cfg)
		if !isBlocked(t, s.dns, "old-scam.example.com") {
			t.Fatal("the feed does not block")
		}
		waitSnapshot(t, dataDir, "old-scam.example.com")
	})
	t.Run("a restart with the feed unchanged takes its Set from the snapshot", func(t *testing.T) {
		before, err := os.Stat(snapshot)
		if err != nil {
			t.Fatal(err)
		}
		s := startService(t, cfg)
		waitFor(t, 5*time.Second, func() bool {
			return strings.Contains(strings.ReplaceAll(httpGet(t, s.http+"/v1/feeds"), " ", ""), `"entries":1,`)
		})
		time.Sleep(time.Second) // a rebuild would write the snapshot again by now
		after, err := os.Stat(snapshot)
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(before, after) {
			t.Fatal("the unchanged feed was compiled again and the snapshot rewritten")
		}
		if !isBlocked(t, s.dns, "old-scam.example.com") {
			t.Fatal("the snapshot's name is not blocked")
		}
	})
	if err := os.Remove(feed); err != nil {
		t.Fatal(err)
	}
	t.Run("a restart without the feed blocks from the snapshot", func(t *testing.T) {
		s := startService(t, cfg)
		if !isBlocked(t, s.dns, "www.old-scam.example.com") {
			t.Fatal("the snapshot's name is not blocked")
		}
		if err := os.WriteFile(feed, []byte("new-scam.example.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s.hup <- os.Interrupt
		waitFor(t, 5*time.Second, func() bool { return isBlocked(t, s.dns, "new-scam.example.com") })
		if isBlocked(t, s.dns, "old-scam.example.com") {
			t.Fatal("the feed's new copy did not replace the snapshot's")
		}
		waitSnapshot(t, dataDir, "new-scam.example.com")
	})
	if err := os.Remove(feed); err != nil {
		t.Fatal(err)
	}
	t.Run("a damaged snapshot is ignored", func(t *testing.T) {
		b, err := os.ReadFile(snapshot)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(snapshot, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s := startService(t, cfg)
		if isBlocked(t, s.dns, "new-scam.example.com") {
			t.Fatal("a damaged snapshot was used")
		}
	})
	t.Run("--no-snapshot neither reads nor writes one", func(t *testing.T) {
		if err := os.WriteFile(feed, []byte("third-scam.example.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Remove(snapshot)
		cfg.Server.Snapshot = false
		s := startService(t, cfg)
		if !isBlocked(t, s.dns, "third-scam.example.com") {
			t.Fatal("the feed does not block")
		}
		time.Sleep(300 * time.Millisecond)
		if _, err := os.Stat(snapshot); !os.IsNotExist(err) {
			t.Fatalf("a snapshot was written: %v", err)
		}
	})
}
