package blocklist

import (
	"strconv"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// BenchmarkRebuild1M measures what a list change costs the running server:
// the compile, the wallet index, the catalogue, for one source of 1M
// domains.
func BenchmarkRebuild1M(b *testing.B) {
	sb := lists.NewSetBuilder("big")
	for i := range 1_000_000 {
		sb.Add(lists.Entry{Value: "claim-" + strconv.Itoa(i) + "-airdrop.com", Kind: lists.KindDomain, Line: i + 1})
	}
	set := sb.Build()
	bl, err := New(nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	bl.SetFeeds([]*lists.Set{set}, nil) // the Set's public-suffix memo, once
	b.ResetTimer()
	for b.Loop() {
		bl.SetFeeds([]*lists.Set{set}, nil)
	}
}
