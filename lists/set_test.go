package lists

import (
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
