package lists

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceLookup is the obvious, slow statement of Lookup's rules, to
// check the compiled table against (lookalikes and the guard aside).
func referenceLookup(sets []*Set, userAllow []string, name string) (Hit, bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	allowed := func(n string) bool {
		for _, a := range userAllow {
			if n == a || strings.HasSuffix(n, "."+a) {
				return true
			}
		}
		return false
	}
	all := sets
	if len(userAllow) > 0 {
		b := NewSetBuilder(SourceAllow)
		for _, a := range userAllow {
			b.Add(Entry{Value: a, Kind: KindDomain, Action: Allow})
		}
		all = append([]*Set{b.Build()}, sets...)
	}
	for level := name; ; {
		full := level == name
		for _, want := range []Action{Allow, Block} {
			for _, s := range all {
				var found *Hit
				s.Entries(func(e Entry) bool {
					if e.Kind != KindDomain || e.Value != level || e.Action != want || (!full && e.Exact) {
						return true
					}
					if want == Block && allowed(e.Value) {
						return true
					}
					found = &Hit{Name: e.Value, Source: s.Source(), Category: e.Category, Line: e.Line, Action: e.Action, Exact: e.Exact}
					return false
				})
				if found != nil {
					return *found, want == Block
				}
			}
		}
		i := strings.IndexByte(level, '.')
		if i < 0 {
			return Hit{}, false
		}
		level = level[i+1:]
	}
}

func TestLookupMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "c", "evil", "x"}
	randName := func() string {
		n := 1 + rng.IntN(3)
		parts := make([]string, 0, n+1)
		for range n {
			parts = append(parts, labels[rng.IntN(len(labels))])
		}
		return strings.Join(append(parts, "example"), ".")
	}
	blocked, allowedHits := 0, 0
	for round := 0; round < 50; round++ {
		var sets []*Set
		for s := 0; s < 1+rng.IntN(3); s++ {
			b := NewSetBuilder("src" + string(rune('0'+s)))
			for i := 0; i < rng.IntN(20); i++ {
				e := Entry{Value: randName(), Kind: KindDomain, Line: i + 1, Exact: rng.IntN(4) == 0}
				if rng.IntN(5) == 0 {
					e.Action = Allow
				}
				b.Add(e)
			}
			sets = append(sets, b.Build())
		}
		var allow []string
		if rng.IntN(3) == 0 {
			allow = []string{randName()}
		}
		m, _ := Compile(sets, CompileOptions{Allow: allow})
		for q := 0; q < 200; q++ {
			name := randName()
			if rng.IntN(2) == 0 {
				name = "q." + name
			}
			if rng.IntN(4) == 0 {
				name = strings.ToUpper(name) + "."
			}
			wantHit, wantBlocked := referenceLookup(sets, allow, name)
			gotHit, gotBlocked := m.Lookup(name)
			if gotBlocked {
				blocked++
			} else if gotHit.Action == Allow && gotHit.Source != "" {
				allowedHits++
			}
			if gotHit != wantHit || gotBlocked != wantBlocked {
				t.Fatalf("round %d: Lookup(%q) = %+v, %v; reference %+v, %v", round, name, gotHit, gotBlocked, wantHit, wantBlocked)
			}
		}
	}
	if blocked < 100 || allowedHits < 100 {
		t.Fatalf("the random lists exercised too little: %d blocked, %d allowed", blocked, allowedHits)
	}
}

// FuzzLookup feeds arbitrary query names (DNS packets are untrusted) to
// Lookup: it must not panic, and for ASCII names it must agree with the
// reference.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"evil.example", "A.B.EVIL.EXAMPLE.", ".", "", "..", "a..evil.example", "x.exact.example", strings.Repeat("a.", 126) + "evil.example", "metamsk.io"} {
		f.Add(s)
	}
	sets := []*Set{buildSet("feed",
		Entry{Value: "evil.example"},
		Entry{Value: "exact.example", Exact: true},
		Entry{Value: "ok.evil.example", Action: Allow},
	)}
	m, _ := Compile(sets, CompileOptions{Allow: []string{"fine.example"}})
	fz := buildSet("metamask", Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1})
	withFuzzy, _ := Compile([]*Set{fz}, CompileOptions{})
	f.Fuzz(func(t *testing.T, name string) {
		withFuzzy.Lookup(name)
		got, gotBlocked := m.Lookup(name)
		for i := 0; i < len(name); i++ {
			if name[i] >= 0x80 {
				return
			}
		}
		if len(strings.TrimSuffix(name, ".")) > maxName {
			return
		}
		want, wantBlocked := referenceLookup(sets, []string{"fine.example"}, name)
		if got != want || gotBlocked != wantBlocked {
			t.Fatalf("Lookup(%q) = %+v, %v; reference %+v, %v", name, got, gotBlocked, want, wantBlocked)
		}
	})
}
