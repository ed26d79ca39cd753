package blocklist

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/internal/feedstest"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

const (
	listedAddress = "0x8589427373D6D84E98730D7795D8f6f8731FDA16" // OFAC, checksummed
	badChecksum   = "0x8589427373D6D84E98730D7795D8f6f8731FDA17"
)

func feedSet(source string, entries ...lists.Entry) *lists.Set {
	b := lists.NewSetBuilder(source)
	for i, e := range entries {
		e.Line = i + 1
		b.Add(e)
	}
	return b.Build()
}

func newTest(t *testing.T, allow ...string) *Blocklist {
	t.Helper()
	bl, err := New(allow, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return bl
}

// One rebuild updates the matcher, the wallet index, the catalogue and the
// follower together; a source that goes away leaves no catalogue rows.
func TestRebuildKeepsEveryViewInStep(t *testing.T) {
	bl := newTest(t)
	var followed []*lists.Matcher
	bl.OnCompiled(func(m *lists.Matcher) { followed = append(followed, m) })

	bl.SetFeeds([]*lists.Set{feedSet("cryptoscamdb",
		lists.Entry{Value: "claim-airdrop.com", Kind: lists.KindDomain},
		lists.Entry{Value: "twitter.com/scammer", Kind: lists.KindURL},
		lists.Entry{Value: listedAddress, Kind: lists.KindAddress, Chain: "eth"},
		lists.Entry{Value: badChecksum, Kind: lists.KindAddress, Chain: "eth"},
	)}, nil)

	if h, blocked := bl.Domains.Lookup("www.claim-airdrop.com"); !blocked || h.Source != "cryptoscamdb" {
		t.Fatalf("domain lookup %+v, %v", h, blocked)
	}
	if _, blocked := bl.Domains.Lookup("twitter.com"); blocked {
		t.Fatal("a URL indicator blocked its host")
	}
	if _, ok := bl.Wallets.Lookup(listedAddress); !ok {
		t.Fatal("listed address not in the wallet index")
	}
	if rep := bl.WalletReports()["cryptoscamdb"]; rep.TotalRejected() != 1 {
		t.Fatalf("wallet rejects %+v; want the bad checksum", rep)
	}
	if len(followed) != 2 || followed[1] != bl.Domains.Load() {
		t.Fatalf("OnCompiled saw %d matchers; want the first and the rebuilt one", len(followed))
	}
	rows, err := bl.Catalogue.IndicatorsBySource("cryptoscamdb")
	if err != nil || len(rows) != 2 {
		t.Fatalf("catalogue rows %+v, %v; want the URL and the valid address", rows, err)
	}
	rep := bl.Report()
	if r := rep.Source("cryptoscamdb"); r.Entries != 4 || r.Applied != 1 {
		t.Fatalf("compile report %+v", r)
	}

	bl.SetFeeds(nil, nil)
	if rows, _ := bl.Catalogue.IndicatorsBySource("cryptoscamdb"); len(rows) != 0 {
		t.Fatalf("rows of a removed source stay: %+v", rows)
	}
	if _, ok := bl.Wallets.Lookup(listedAddress); ok {
		t.Fatal("the address of a removed source is still listed")
	}
}

// Published submissions come first, so a block answer names the
// submission; --allow names win over both.
func TestSubmissionsFirstAllowWins(t *testing.T) {
	bl := newTest(t)
	bl.SetFeeds([]*lists.Set{feedSet("feed", lists.Entry{Value: "fake-exchange.com", Kind: lists.KindDomain})}, nil)
	bl.SetPublished([]store.Listing{{
		Entry:  lists.Entry{Value: "fake-exchange.com", Kind: lists.KindDomain, Action: lists.Block},
		Source: "submission:1", SubmissionID: 1, Submitter: "alice", Reviewer: "bob",
	}})
	if h, _ := bl.Domains.Lookup("fake-exchange.com"); h.Source != "submission:1" {
		t.Fatalf("decided by %q; want the submission", h.Source)
	}
	if l, ok := bl.Publication("submission:1"); !ok || l.Submitter != "alice" {
		t.Fatalf("Publication = %+v, %v", l, ok)
	}
	before := bl.Domains.Load()
	bl.SetAllow(nil) // unchanged: no rebuild
	if bl.Domains.Load() != before {
		t.Fatal("an unchanged --allow list rebuilt the lists")
	}
	bl.SetAllow([]string{"fake-exchange.com"})
	if _, blocked := bl.Domains.Lookup("app.fake-exchange.com"); blocked {
		t.Fatal("--allow did not win")
	}
}

// The followed zone is one source with the local feeds: its names and the
// feeds' names block, it decides before a feed, a passthru in it allows a
// name a local feed lists (allow beats block), --allow wins over it, and
// nil removes it.
func TestFollowedZoneCombinesWithFeeds(t *testing.T) {
	bl := newTest(t)
	bl.SetFeeds([]*lists.Set{feedSet("local",
		lists.Entry{Value: "local-scam.com", Kind: lists.KindDomain},
		lists.Entry{Value: "both-scam.com", Kind: lists.KindDomain},
		lists.Entry{Value: "primary-allowed.com", Kind: lists.KindDomain},
	)}, nil)
	bl.SetFollowed(feedSet("follow:rpz.example",
		lists.Entry{Value: "zone-scam.com", Kind: lists.KindDomain},
		lists.Entry{Value: "both-scam.com", Kind: lists.KindDomain},
		lists.Entry{Value: "primary-allowed.com", Kind: lists.KindDomain, Action: lists.Allow, Exact: true},
	))
	tests := []struct {
		name, qname string
		blocked     bool
		source      string
	}{
		{"a name of the zone is blocked", "www.zone-scam.com", true, "follow:rpz.example"},
		{"a name of a local feed is blocked", "local-scam.com", true, "local"},
		{"a name in both is named after the zone", "both-scam.com", true, "follow:rpz.example"},
		{"a passthru of the zone wins over a local block", "primary-allowed.com", false, "follow:rpz.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, blocked := bl.Domains.Lookup(tt.qname)
			if blocked != tt.blocked || h.Source != tt.source {
				t.Fatalf("Lookup(%q) = %+v, %v; want blocked %v by %q", tt.qname, h, blocked, tt.blocked, tt.source)
			}
		})
	}
	bl.SetAllow([]string{"zone-scam.com"})
	if _, blocked := bl.Domains.Lookup("zone-scam.com"); blocked {
		t.Fatal("--allow did not win over the followed zone")
	}
	bl.SetFollowed(nil)
	if _, blocked := bl.Domains.Lookup("both-scam.com"); !blocked {
		t.Fatal("removing the zone unblocked a name a local feed lists")
	}
}

// LoadOffline reads local feed files and published submissions without a
// server; a running server's store is reported, not fatal.
func TestLoadOfflineFromFilesAndStore(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Submit([]store.NewSubmission{{Indicator: "fake-exchange.com", Kind: lists.KindDomain, Category: "scam", Submitter: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Approve(res[0].Submission.ID, store.Decision{Reviewer: "bob"}); err != nil {
		t.Fatal(err)
	}
	opts := OfflineOptions{DataDir: dir, Feeds: []feeds.Feed{{
		Name: "decripto", URL: feedstest.Path(t, "decripto-crypto-scam-blacklist/domini_scam.txt"), Enabled: true,
	}}}

	off, err := LoadOffline(context.Background(), opts) // the store is held open above
	if err != nil {
		t.Fatal(err)
	}
	if !off.StoreInUse {
		t.Fatal("a store held by another opener was not reported")
	}
	db.Close()

	off, err = LoadOffline(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Feeds) != 1 || off.Feeds[0].Entries == 0 {
		t.Fatalf("feed status %+v", off.Feeds)
	}
	if h, blocked := off.Lists.Domains.Lookup("2okextw.com"); !blocked || h.Line != 206 {
		t.Fatalf("decripto's 2okextw.com: %+v, %v; want blocked from line 206", h, blocked)
	}
	if h, blocked := off.Lists.Domains.Lookup("fake-exchange.com"); !blocked || h.Source == "decripto" {
		t.Fatalf("published submission: %+v, %v", h, blocked)
	}
}

// A snapshot brings back the matcher, the wallet index and the catalogue;
// its feed Sets stand in for the feeds, so a submission published before
// the feeds arrive keeps them blocked.
func TestSnapshotStandsInForTheFeeds(t *testing.T) {
	path := t.TempDir() + "/" + SnapshotFile
	bl := newTest(t)
	bl.SaveSnapshots(path)
	bl.SetFeeds([]*lists.Set{feedSet("cryptoscamdb",
		lists.Entry{Value: "claim-airdrop.com", Kind: lists.KindDomain},
		lists.Entry{Value: "twitter.com/scammer", Kind: lists.KindURL},
		lists.Entry{Value: listedAddress, Kind: lists.KindAddress, Chain: "eth"},
	)}, map[string]lists.SourceOptions{"cryptoscamdb": {Trusted: true}})
	bl.WaitSnapshot()
	if !bl.Domains.Load().Mapped() {
		t.Fatal("the rebuild's lists were not moved onto the snapshot file")
	}
	if h, blocked := bl.Domains.Lookup("claim-airdrop.com"); !blocked || h.Line != 1 {
		t.Fatalf("after the move: %+v, %v", h, blocked)
	}

	restarted := newTest(t)
	info, err := restarted.LoadSnapshot(path)
	if err != nil || info.Names != 1 {
		t.Fatalf("LoadSnapshot = %+v, %v", info, err)
	}
	if h, blocked := restarted.Domains.Lookup("www.claim-airdrop.com"); !blocked || h.Source != "cryptoscamdb" || h.Line != 1 {
		t.Fatalf("lookup %+v, %v", h, blocked)
	}
	if _, ok := restarted.Wallets.Lookup(listedAddress); !ok {
		t.Fatal("the address is not in the wallet index")
	}
	if rows, _ := restarted.Catalogue.IndicatorsBySource("cryptoscamdb"); len(rows) != 2 {
		t.Fatalf("catalogue rows %+v", rows)
	}
	if rep := restarted.Report(); rep.Source("cryptoscamdb").Applied != 1 {
		t.Fatalf("report %+v", rep)
	}
	restarted.SetPublished([]store.Listing{{Entry: lists.Entry{Value: "fake-exchange.com", Kind: lists.KindDomain}, Source: "submission:1"}})
	for _, n := range []string{"claim-airdrop.com", "fake-exchange.com"} {
		if _, blocked := restarted.Domains.Lookup(n); !blocked {
			t.Errorf("%s not blocked after a submission was published", n)
		}
	}
	if _, err := newTest(t).LoadSnapshot(path + ".missing"); !errors.Is(err, lists.ErrSnapshot) {
		t.Fatalf("missing snapshot: %v", err)
	}
}

// A ranked (popular) name in the followed zone is blocked on the zone's
// word, as the primary decided it after its own consensus or review; the
// same name from one local feed is not; a platform stays guarded.
func TestFollowedZoneDecidesRankedNames(t *testing.T) {
	rk, _, err := lists.ParseRanking(strings.NewReader("1,bigsite.com\n2,othersite.net\n"), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	bl, err := New(nil, lists.NewGuard(nil, []string{"pages.example-platform.com"}).WithRanking(rk), nil)
	if err != nil {
		t.Fatal(err)
	}
	bl.SetFeeds([]*lists.Set{feedSet("local", lists.Entry{Value: "othersite.net", Kind: lists.KindDomain})}, nil)
	bl.SetFollowed(feedSet("follow:rpz.example",
		lists.Entry{Value: "bigsite.com", Kind: lists.KindDomain},
		lists.Entry{Value: "pages.example-platform.com", Kind: lists.KindDomain},
	))
	for name, want := range map[string]bool{"bigsite.com": true, "othersite.net": false, "pages.example-platform.com": false} {
		if _, blocked := bl.Domains.Lookup(name); blocked != want {
			t.Errorf("Lookup(%q) blocked = %v, want %v", name, blocked, want)
		}
	}
}
