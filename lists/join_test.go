package lists

import (
	"reflect"
	"strconv"
	"testing"
)

// TestJoinSetsMatchesOneBuilder: Sets built from pieces and joined equal
// the Set one builder makes of all the entries (values, kinds, lines,
// categories, chains, extras, the public-suffix memo), across arena and
// record chunk boundaries.
func TestJoinSetsMatchesOneBuilder(t *testing.T) {
	var all []Entry
	for i := range 3*recChunk + 123 {
		e := Entry{Value: "name-" + strconv.Itoa(i) + ".example.com", Kind: KindDomain, Line: i + 1}
		switch i % 7 {
		case 1:
			e.Value, e.Category = "co.uk", "cat-"+strconv.Itoa(i%5) // a public suffix
		case 2:
			e.Kind, e.Value, e.Chain = KindAddress, "0xabc"+strconv.Itoa(i), "chain-"+strconv.Itoa(i%300) // past the 254 chain indexes
		case 3:
			e.Kind, e.Value = KindURL, "github.io/path"+strconv.Itoa(i)
		case 4:
			e.Action, e.Exact = Allow, true
		case 5:
			e.Kind, e.Tolerance, e.Links = KindLookalike, 2, []string{"https://x/" + strconv.Itoa(i)}
		}
		all = append(all, e)
	}
	one := NewSetBuilder("src")
	for _, e := range all {
		one.Add(e)
	}
	want := one.Build()
	for ci, cuts := range [][]int{{0, len(all)}, {1000, 2000}, {recChunk, recChunk + 1}, {len(all) / 3, 2 * len(all) / 3}, {len(all) / 2}} {
		bounds := append(append([]int{0}, cuts...), len(all))
		var pieces []*Set
		var bases []int
		for i := 0; i+1 < len(bounds); i++ {
			b := NewSetBuilder("src")
			if ci%2 == 0 { // as feeds' pieces do: the arena and records cut from blocks
				bytes := 0
				for _, e := range all[bounds[i]:bounds[i+1]] {
					bytes += len(e.Value) + 1
				}
				b.Expect(int64(bytes))
			}
			for _, e := range all[bounds[i]:bounds[i+1]] {
				e.Line -= bounds[i]
				b.Add(e)
			}
			pieces = append(pieces, b.Build())
			bases = append(bases, bounds[i])
		}
		got := JoinSets("src", pieces, bases)
		if got.Len() != want.Len() || got.Source() != "src" {
			t.Fatalf("cuts %v: %d entries from %q, want %d", cuts, got.Len(), got.Source(), want.Len())
		}
		for i := range uint32(want.Len()) {
			if g, w := got.entry(i), want.entry(i); !reflect.DeepEqual(g, w) {
				t.Fatalf("cuts %v: entry %d = %+v, want %+v", cuts, i, g, w)
			}
			if g, w := got.isPublicSuffix(i), want.isPublicSuffix(i); g != w {
				t.Fatalf("cuts %v: entry %d public suffix %v, want %v", cuts, i, g, w)
			}
		}
		if !reflect.DeepEqual(got.ps, want.ps) {
			t.Fatalf("cuts %v: memo %d, want %d", cuts, len(got.ps), len(want.ps))
		}
	}
}
