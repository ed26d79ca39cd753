package lists

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestSetRoundTripsAcrossChunks(t *testing.T) {
	const n = 150_000 // > 2 record chunks, > 3 MiB of arena
	b := NewSetBuilder("big")
	want := make([]Entry, n)
	for i := range want {
		e := Entry{
			Value: strings.Repeat("x", i%40) + "-" + strconv.Itoa(i) + ".example",
			Kind:  KindDomain,
			Line:  i + 1,
		}
		switch i % 7 {
		case 1:
			e.Exact = true
			e.Category = "phishing"
		case 2:
			e.Action = Allow
		case 3:
			e.Kind = KindURL
			e.Value += "/path/" + strings.Repeat("p", i%300)
		case 4:
			e.Kind = KindAddress
			e.Value = "0x" + strconv.Itoa(i)
			e.Chain = "eth"
			e.Links = []string{"a.example"}
		}
		want[i] = e
		b.Add(e)
	}
	if b.Len() != n {
		t.Fatalf("builder Len = %d", b.Len())
	}
	s := b.Build()
	if s.Len() != n || s.Source() != "big" {
		t.Fatalf("Len = %d, Source = %q", s.Len(), s.Source())
	}
	i := 0
	s.Entries(func(got Entry) bool {
		w := want[i]
		if got.Value != w.Value || got.Kind != w.Kind || got.Action != w.Action || got.Exact != w.Exact ||
			got.Line != w.Line || got.Category != w.Category || got.Chain != w.Chain || len(got.Links) != len(w.Links) {
			t.Fatalf("entry %d = %+v, want %+v", i, got, w)
		}
		i++
		return true
	})
	if i != n {
		t.Fatalf("Entries visited %d", i)
	}
	stopped := 0
	s.Entries(func(Entry) bool { stopped++; return stopped < 3 })
	if stopped != 3 {
		t.Fatalf("Entries did not stop when asked: %d", stopped)
	}
}

func TestSetBuilderIgnoresUnusableEntries(t *testing.T) {
	b := NewSetBuilder("x")
	b.Add(Entry{Value: "", Kind: KindDomain})
	b.Add(Entry{Value: "a.example"}) // no Kind
	if s := b.Build(); s.Len() != 0 {
		t.Fatalf("Len = %d; want 0", s.Len())
	}
	var empty *Set
	if empty.Len() != 0 || empty.Source() != "" {
		t.Fatal("nil Set is not empty")
	}
}

// A builder told what to expect (Expect) cuts its arena and record chunks
// from larger blocks; the Set is the same as one built without the hint,
// whether the hint is right, too small or too large.
func TestSetBuilderExpectBuildsTheSameSet(t *testing.T) {
	var all []Entry
	bytes := 0
	for i := range 3*recChunk + 77 {
		e := Entry{Value: "expect-" + strconv.Itoa(i*7919) + ".example.org", Kind: KindDomain, Line: i + 1, Category: "c" + strconv.Itoa(i%3)}
		if i%1000 == 0 {
			e.Value = strings.Repeat("a", 200_000) + ".example" // large values seal chunks early
		}
		bytes += len(e.Value)
		all = append(all, e)
	}
	plain := NewSetBuilder("src")
	for _, e := range all {
		plain.Add(e)
	}
	want := plain.Build()
	for _, expect := range []int64{int64(bytes), int64(bytes) / 3, 4 * int64(bytes), arenaChunk / 2} {
		b := NewSetBuilder("src")
		b.Expect(expect)
		for _, e := range all {
			b.Add(e)
		}
		got := b.Build()
		if got.Len() != want.Len() || len(got.chunks) != len(want.chunks) {
			t.Fatalf("expect %d: %d entries in %d chunks, want %d in %d", expect, got.Len(), len(got.chunks), want.Len(), len(want.chunks))
		}
		for i := range uint32(want.Len()) {
			if g, w := got.entry(i), want.entry(i); !reflect.DeepEqual(g, w) {
				t.Fatalf("expect %d: entry %d = %+v, want %+v", expect, i, g, w)
			}
		}
		for i, c := range want.chunks {
			if got.chunks[i] != c {
				t.Fatalf("expect %d: arena chunk %d differs", expect, i)
			}
		}
	}
}
