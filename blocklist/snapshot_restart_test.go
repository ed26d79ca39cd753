package blocklist

import (
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// A snapshot stores each feed Set's provenance; a restart gets it back
// with the Set, and handing the same Sets and options to SetFeeds costs no
// rebuild. Other options, or a snapshot compiled with other allow names,
// rebuild.
func TestRestartWithUnchangedFeedsDoesNotRebuild(t *testing.T) {
	path := t.TempDir() + "/" + SnapshotFile
	opts := map[string]lists.SourceOptions{"cryptoscamdb": {Publisher: "cryptoscamdb"}}
	bl := newTest(t)
	bl.RecordProvenance(func(s *lists.Set) (string, bool) { return "parsed from " + s.Source(), true })
	bl.SaveSnapshots(path)
	bl.SetFeeds([]*lists.Set{feedSet("cryptoscamdb", lists.Entry{Value: "claim-airdrop.com", Kind: lists.KindDomain})}, opts)
	bl.WaitSnapshot()
	moved := bl.Domains.Load()
	if !moved.Mapped() {
		t.Fatal("the rebuild was not moved onto the snapshot")
	}
	bl.SetFeeds(moved.Sets(), opts)
	if bl.Domains.Load() != moved {
		t.Fatal("the Sets the lists were moved onto were compiled again")
	}

	restarted := newTest(t)
	if _, err := restarted.LoadSnapshot(path); err != nil {
		t.Fatal(err)
	}
	loaded := restarted.Domains.Load()
	feeds := restarted.SnapshotFeeds()
	if len(feeds) != 1 {
		t.Fatalf("snapshot feeds %v, want one", feeds)
	}
	var sets []*lists.Set
	for s, prov := range feeds {
		if prov != "parsed from cryptoscamdb" {
			t.Errorf("provenance %q", prov)
		}
		sets = append(sets, s)
	}
	if restarted.SnapshotFeeds() != nil {
		t.Error("SnapshotFeeds kept the Sets after handing them out")
	}
	restarted.SetFeeds(sets, opts)
	if restarted.Domains.Load() != loaded {
		t.Fatal("unchanged feeds rebuilt the snapshot's matcher")
	}
	restarted.SetFeeds(sets, map[string]lists.SourceOptions{"cryptoscamdb": {Trusted: true}})
	if restarted.Domains.Load() == loaded {
		t.Fatal("changed source options did not rebuild")
	}

	otherAllow := newTest(t, "claim-airdrop.com")
	if _, err := otherAllow.LoadSnapshot(path); err != nil {
		t.Fatal(err)
	}
	loaded = otherAllow.Domains.Load()
	otherAllow.SetFeeds(loaded.Sets(), opts)
	if otherAllow.Domains.Load() == loaded {
		t.Fatal("a snapshot compiled with other allow names was kept")
	}
	if _, blocked := otherAllow.Domains.Lookup("claim-airdrop.com"); blocked {
		t.Fatal("the --allow name is blocked after the rebuild")
	}
}
