package lists

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// TestCompileSplitMatchesSerial compiles Sets large enough for
// insertWindow to split its windows across CPUs (16 parts) and compares
// the result with the one-CPU compile: reports, names, subtree deciders,
// the name index and every lookup. The first Set lists most of a pool of
// names, the others draw from it at random, so names repeat within and
// across Sets (first entry decides, duplicates, exact then subtree
// entries, Allow over Block) while the table is full enough for probes to
// cross the parts' boundaries.
func TestCompileSplitMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pool := make([]string, 120000)
	for i := range pool {
		pool[i] = "n" + strconv.Itoa(i) + []string{".example", ".evil.example", ".test"}[i%3]
	}
	var sets []*Set
	for s := range 3 {
		b := NewSetBuilder("src" + strconv.Itoa(s))
		n := 20000
		if s == 0 {
			n = len(pool)
		}
		for i := range n {
			v := pool[rng.IntN(len(pool))]
			if s == 0 {
				v = pool[i]
			}
			e := Entry{Value: v, Kind: KindDomain, Line: i + 1, Exact: rng.IntN(4) == 0}
			if rng.IntN(50) == 0 {
				e.Action = Allow
			}
			b.Add(e)
		}
		sets = append(sets, b.Build())
	}
	opts := CompileOptions{Allow: []string{pool[7], pool[8]}, Guard: NewGuard(nil, nil)}
	compileWith := func(procs int) (*Matcher, CompileReport) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return Compile(sets, opts)
	}
	serial, serialRep := compileWith(1)
	split, splitRep := compileWith(16)
	if !reflect.DeepEqual(serialRep, splitRep) {
		t.Fatalf("reports differ:\n serial %+v\n split  %+v", serialRep.Total, splitRep.Total)
	}
	if serial.Len() != split.Len() || serial.tlds != split.tlds || !maps.Equal(serial.subs, split.subs) {
		t.Fatalf("Len %d/%d, tlds %v/%v, subs %d/%d", serial.Len(), split.Len(), serial.tlds, split.tlds, len(serial.subs), len(split.subs))
	}
	if !slices.Equal(serial.listings, split.listings) {
		t.Fatalf("name index: %d vs %d entries", len(serial.listings), len(split.listings))
	}
	for _, n := range pool {
		for _, q := range []string{n, "www." + n} {
			sh, sb := serial.Lookup(q)
			ph, pb := split.Lookup(q)
			if sh != ph || sb != pb {
				t.Fatalf("Lookup(%q): serial %+v %v, split %+v %v", q, sh, sb, ph, pb)
			}
		}
	}
	if n := placedOutsidePart(split, 16); n == 0 {
		t.Fatal("no name was placed outside its part's slots: the spill path went untested")
	}
}

// placedOutsidePart counts the names whose slot lies outside the slot
// range of the part (of parts) their position belongs to: only the
// serial inserts (spills, --allow and Allow entries) put them there.
func placedOutsidePart(m *Matcher, parts int) int {
	const shift = 32 - insertBucketBits
	nslots, n := len(m.slots), 0
	for p, sl := range m.slots {
		if sl == 0 {
			continue
		}
		key := mix(hashName(m.listedName(slotFull(sl) - 1)))
		i := int(uint32(key)>>shift) * parts >> insertBucketBits
		hi := nslots
		if i+1 < parts {
			hi = slotOf(uint64((1<<insertBucketBits)*(i+1)/parts)<<shift, nslots)
		}
		if p < slotOf(key, nslots) || p >= hi {
			n++
		}
	}
	return n
}
