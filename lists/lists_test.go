package lists

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestLiveZeroValueBlocksNothing(t *testing.T) {
	var l Live
	if h, blocked := l.Lookup("evil.example"); blocked || h != (Hit{}) {
		t.Fatalf("empty Live: %+v, %v", h, blocked)
	}
	if l.Load() != nil {
		t.Fatal("Load of an empty Live is not nil")
	}
}

// Every generation g blocks "g<g>.example" and always "stable.example";
// lookups racing with 100 swaps must only ever see one of those answers.
func TestLiveReplaceUnderLoad(t *testing.T) {
	const swaps = 100
	matchers := make([]*Matcher, swaps)
	for g := range matchers {
		s := buildSet("gen"+strconv.Itoa(g),
			Entry{Value: "stable.example"},
			Entry{Value: "g" + strconv.Itoa(g) + ".example"},
		)
		matchers[g], _ = Compile([]*Set{s}, CompileOptions{})
	}
	var l Live
	l.Replace(matchers[0])

	var stop atomic.Bool
	var wrong, lookups atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				if _, blocked := l.Lookup("a.stable.example"); !blocked {
					wrong.Add(1)
				}
				if _, blocked := l.Lookup("never.example"); blocked {
					wrong.Add(1)
				}
				h, blocked := l.Lookup("x.g" + strconv.Itoa(i%swaps) + ".example")
				if blocked && h.Source != "gen"+strconv.Itoa(i%swaps) {
					wrong.Add(1)
				}
				lookups.Add(3)
			}
		})
	}
	for g := 1; g < swaps; g++ {
		l.Replace(matchers[g])
		for cur := lookups.Load(); lookups.Load() < cur+30; {
		}
	}
	stop.Store(true)
	wg.Wait()
	if wrong.Load() != 0 {
		t.Fatalf("%d wrong answers in %d lookups", wrong.Load(), lookups.Load())
	}
	if h, blocked := l.Lookup("g99.example"); !blocked || h.Source != "gen99" {
		t.Fatalf("after the last swap: %+v, %v", h, blocked)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	s := buildSet("feed", Entry{Value: "evil.example"}, Entry{Value: "exact.example", Exact: true})
	fz := buildSet("metamask", Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1})
	m, _ := Compile([]*Set{s, fz}, CompileOptions{Allow: []string{"ok.example"}})
	for _, q := range []string{"evil.example", "A.B.EVIL.EXAMPLE.", "miss.example.org", "x.ok.example", "metamaks.io", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.com"} {
		if n := testing.AllocsPerRun(100, func() { m.Lookup(q) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times", q, n)
		}
	}
}

func TestLookalike(t *testing.T) {
	fz := buildSet("metamask",
		Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1},
		Entry{Value: "launchpad.ethereum.org", Kind: KindLookalike, Tolerance: 1},
		Entry{Value: "metamash.io", Action: Allow},
	)
	m, _ := Compile([]*Set{fz}, CompileOptions{})
	tests := []struct {
		name    string
		query   string
		blocked bool
	}{
		{"one edit away is blocked", "metamsk.io", true},
		{"one edit away in another TLD is blocked", "metamask-.com", true},
		{"subdomain of a look-alike is blocked", "app.metamasq.io", true},
		{"mixed case look-alike is blocked", "MetaMazk.IO.", true},
		{"www is stripped", "www.metamasc.xyz", true},
		{"the target itself is not blocked", "metamask.io", false},
		{"subdomains of the target are not blocked", "portfolio.metamask.io", false},
		{"two edits away is not blocked", "metamsak.io", false},
		{"allowlisted near name is not blocked", "metamash.io", false},
		{"target with subdomain form", "launchpad.etherium.org", true},
		{"unrelated name is not blocked", "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, blocked := m.Lookup(tt.query)
			if blocked != tt.blocked {
				t.Fatalf("Lookup(%q) = %+v, %v; want blocked %v", tt.query, h, blocked, tt.blocked)
			}
			if blocked && (h.Category != CategoryLookalike || h.Source != "metamask") {
				t.Fatalf("Lookup(%q) hit = %+v", tt.query, h)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	feed := buildSet("feed",
		Entry{Value: "evil.example", Category: "phishing"},
		Entry{Value: "coinbase.com"},
		Entry{Value: "x.evil.example", Exact: true},
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "0xabc", Kind: KindAddress, Chain: "eth"},
	)
	other := buildSet("other", Entry{Value: "evil.example"})
	m, _ := Compile([]*Set{feed, other}, CompileOptions{Allow: []string{"fine.evil.example"}})

	ex := m.Explain("A.X.Evil.Example.")
	if !ex.Blocked || ex.Decision == nil || ex.Decision.Source != "feed" || ex.Decision.Name != "evil.example" {
		t.Fatalf("decision = %+v", ex)
	}
	got := ""
	for _, l := range ex.Listings {
		got += l.Source + ":" + l.Name + ":" + l.Status + " "
	}
	if want := "feed:x.evil.example:not-applicable feed:evil.example:applied other:evil.example:shadowed "; got != want {
		t.Errorf("listings = %q, want %q", got, want)
	}
	if ex := m.Explain("coinbase.com"); ex.Blocked || len(ex.Listings) != 1 || ex.Listings[0].Status != "guarded:popular" {
		t.Errorf("coinbase.com: %+v", ex)
	}
	if ex := m.Explain("twitter.com/scammer"); ex.Blocked || len(ex.URLs) != 1 || ex.URLs[0].Name != "twitter.com/scammer" {
		t.Errorf("twitter.com/scammer: %+v", ex)
	}
	if ex := m.Explain("a.fine.evil.example"); ex.Blocked || ex.UserAllow != "fine.evil.example" {
		t.Errorf("user allow: %+v", ex)
	}
	if ex := m.Explain("0xabc"); !ex.Blocked || len(ex.Listings) != 1 || ex.Listings[0].Chain != "eth" {
		t.Errorf("address: %+v", ex)
	}
	if g := m.Guarded(); len(g) != 1 || g[0] != (GuardedEntry{Name: "coinbase.com", Source: "feed", Line: 2, Rule: RulePopular}) {
		t.Errorf("Guarded() = %+v", g)
	}
}
