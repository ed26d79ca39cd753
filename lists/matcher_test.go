package lists

import (
	"encoding/json"
	"strings"
	"testing"
)

func buildSet(source string, entries ...Entry) *Set {
	b := NewSetBuilder(source)
	for i, e := range entries {
		if e.Kind == 0 {
			e.Kind = KindDomain
		}
		if e.Line == 0 {
			e.Line = i + 1
		}
		b.Add(e)
	}
	return b.Build()
}

func TestLookupSemantics(t *testing.T) {
	feed := buildSet("feed",
		Entry{Value: "evil.example", Category: "phishing"},
		Entry{Value: "exact.example", Exact: true},
		Entry{Value: "deep.good.example"},
		Entry{Value: "both.example"},
		Entry{Value: "coinbase.com"},
		Entry{Value: "com"},
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "phish.example/login", Kind: KindURL},
		Entry{Value: "under.allowed.example"},
		Entry{Value: "evil.example"},
	)
	allow := buildSet("allowlist",
		Entry{Value: "good.example", Action: Allow},
		Entry{Value: "both.example", Action: Allow},
	)
	urls := buildSet("urlfeed", Entry{Value: "phish2.example/login", Kind: KindURL})
	m, rep := Compile([]*Set{feed, allow, urls}, CompileOptions{
		Allow:   []string{"Allowed.Example."},
		Sources: map[string]SourceOptions{"urlfeed": {URLBlocksHost: true}},
	})
	tests := []struct {
		name    string
		query   string
		blocked bool
		hitName string
		action  Action
	}{
		{"listed name is blocked", "evil.example", true, "evil.example", Block},
		{"subdomain of listed name is blocked", "a.b.evil.example", true, "evil.example", Block},
		{"mixed case and trailing dot are blocked", "A.B.EVIL.Example.", true, "evil.example", Block},
		{"parent of listed name is not blocked", "example", false, "", Block},
		{"exact entry blocks the name", "exact.example", true, "exact.example", Block},
		{"exact entry does not block subdomains", "x.exact.example", false, "", Block},
		{"feed allow decides for its subtree", "x.good.example", false, "good.example", Allow},
		{"more specific block beats feed allow", "a.deep.good.example", true, "deep.good.example", Block},
		{"allow beats block of the same name", "both.example", false, "both.example", Allow},
		{"guarded popular site is not blocked", "coinbase.com", false, "", Block},
		{"guarded public suffix is not blocked", "anything.com", false, "", Block},
		{"URL indicator does not block its host", "twitter.com", false, "", Block},
		{"URL indicator does not block its host by default", "phish.example", false, "", Block},
		{"URL indicator blocks host where configured", "phish2.example", true, "phish2.example", Block},
		{"user allow wins over a more specific block", "under.allowed.example", false, "allowed.example", Allow},
		{"unlisted name is not blocked", "example.org", false, "", Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, blocked := m.Lookup(tt.query)
			if blocked != tt.blocked || h.Name != tt.hitName || (h.Name != "" && h.Action != tt.action) {
				t.Errorf("Lookup(%q) = %+v, %v; want name %q action %v blocked %v", tt.query, h, blocked, tt.hitName, tt.action, tt.blocked)
			}
		})
	}
	fr := rep.Source("feed")
	if fr.Source != "feed" || fr.Duplicates != 1 || fr.Guarded[RulePopular] != 1 || fr.Guarded[RulePublicSuffix] != 1 || fr.AllowedByUser != 1 || fr.OverriddenByAllow != 1 || fr.URLs != 2 {
		t.Errorf("feed report = %+v", fr)
	}
	if h, ok := m.LookupURL("Twitter.com", "/scammer/status/1"); !ok || h.Name != "twitter.com/scammer" {
		t.Errorf("LookupURL = %+v, %v", h, ok)
	}
	if _, ok := m.LookupURL("twitter.com", "/scammer2"); ok {
		t.Errorf("LookupURL matched a longer path segment")
	}
}

func TestSingleLabelListingsStillMatch(t *testing.T) {
	// A feed allowlist may allow a whole TLD-like name; Lookup must still
	// probe single labels then.
	feed := buildSet("feed", Entry{Value: "a.internal"}, Entry{Value: "internal", Action: Allow})
	m, _ := Compile([]*Set{feed}, CompileOptions{})
	if h, blocked := m.Lookup("x.b.internal"); blocked || h.Name != "internal" || h.Action != Allow {
		t.Fatalf("Lookup under an allowed single label = %+v, %v", h, blocked)
	}
	if _, blocked := m.Lookup("x.a.internal"); !blocked {
		t.Fatal("the more specific block lost")
	}
}

func TestDeepNames(t *testing.T) {
	labels := func(n int) string { return strings.Repeat("l.", n) + "evil.example" }
	feed := buildSet("feed", Entry{Value: labels(20)}, Entry{Value: labels(25), Action: Allow})
	m, _ := Compile([]*Set{feed}, CompileOptions{})
	tests := []struct {
		name    string
		query   string
		blocked bool
		hitName string
	}{
		{"listing 22 labels deep blocks below it", "x." + labels(22), true, labels(20)},
		{"deeper allow decides", "x." + labels(30), false, labels(25)},
		{"parent of a deep listing is not blocked", labels(19), false, ""},
		{"a 252-byte name of 122 labels is handled", strings.Repeat("a.", 100) + labels(20), true, labels(20)},
		{"a name over 253 bytes is not blocked", strings.Repeat("a.", 112) + labels(20), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, blocked := m.Lookup(tt.query)
			if blocked != tt.blocked || h.Name != tt.hitName {
				t.Fatalf("Lookup = %+v, %v", h, blocked)
			}
		})
	}
}

func TestURLHostBlockingAndTrust(t *testing.T) {
	phish := buildSet("phishing-urls",
		Entry{Value: "sites.google.com/view/wallet-sync", Kind: KindURL},
		Entry{Value: "evil.example/login", Kind: KindURL},
	)
	own := buildSet("researcher", Entry{Value: "linktr.ee"}, Entry{Value: "com"})
	m, rep := Compile([]*Set{phish, own}, CompileOptions{Sources: map[string]SourceOptions{
		"phishing-urls": {URLBlocksHost: true},
		"researcher":    {Trusted: true},
	}})
	if _, blocked := m.Lookup("sites.google.com"); blocked {
		t.Error("a URL indicator blocked the platform host sites.google.com")
	}
	if h, blocked := m.Lookup("www.evil.example"); !blocked || h.Name != "evil.example" || h.Source != "phishing-urls" {
		t.Errorf("URL host not blocked where configured: %+v, %v", h, blocked)
	}
	if _, blocked := m.Lookup("linktr.ee"); !blocked {
		t.Error("a trusted source's platform entry was guarded")
	}
	if _, blocked := m.Lookup("x.com"); blocked {
		t.Error("a trusted source blocked a public suffix")
	}
	if g := rep.Source("phishing-urls").Guarded[RulePlatform]; g != 1 {
		t.Errorf("guarded platform URL hosts = %d; want 1", g)
	}
	if ex := rep.Source("phishing-urls").GuardedExamples; len(ex) != 1 || ex[0] != (GuardedEntry{Name: "sites.google.com", Source: "phishing-urls", Line: 1, Rule: RulePlatform}) {
		t.Errorf("guarded examples = %+v", ex)
	}
	if rep.Total.Guarded[RulePublicSuffix] != 1 || rep.Total.URLs != 2 || rep.Total.Entries != 4 {
		t.Errorf("totals = %+v", rep.Total)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report does not marshal: %v", err)
	}
}

func TestLookalikeSparesPopularSites(t *testing.T) {
	fz := buildSet("metamask", Entry{Value: "etherscan.io", Kind: KindLookalike, Tolerance: 1})
	m, _ := Compile([]*Set{fz}, CompileOptions{})
	if h, blocked := m.Lookup("etherscan.com"); blocked {
		t.Errorf("etherscan.com (popular) blocked as a look-alike: %+v", h)
	}
	if _, blocked := m.Lookup("etherscam.com"); !blocked {
		t.Error("etherscam.com not blocked as a look-alike")
	}
}

// A slot lists exactly its name: the bytes at its arena offset must be the
// query's and end where the record says the name (or a URL's host) ends,
// and a slot whose offset is not its record's lists nothing.
func TestSlotListsOnlyTheWholeName(t *testing.T) {
	feed := buildSet("feed",
		Entry{Value: "ab.example"},
		Entry{Value: "phish.example/login", Kind: KindURL},
		Entry{Value: "last.example"},
	)
	m, _ := Compile([]*Set{feed}, CompileOptions{Sources: map[string]SourceOptions{"feed": {URLBlocksHost: true}}})
	tests := []struct {
		listed, query string
		want          bool
	}{
		{"ab.example", "ab.example", true},
		{"ab.example", "AB.Example", true},
		{"ab.example", "ab.exampl", false},
		{"ab.example", "ab.examplep", false}, // runs into the next name
		{"phish.example", "phish.example", true},
		{"phish.example", "phish.example/login", false},
		{"phish.example", "phish.exampl", false},
		{"last.example", "last.example", true},
		{"last.example", "last.examplex", false}, // past the arena's end
	}
	for _, tt := range tests {
		p, ok := slotPosition(m, tt.listed)
		if !ok {
			t.Fatalf("%s has no slot", tt.listed)
		}
		if got := m.lists(slotFull(m.slots[p]), m.names[p], tt.query); got != tt.want {
			t.Errorf("slot of %s lists %q = %v, want %v", tt.listed, tt.query, got, tt.want)
		}
	}
	p, _ := slotPosition(m, "ab.example")
	for _, off := range []uint32{m.names[p] + 1, 1<<32 - 1} {
		if m.lists(slotFull(m.slots[p]), off, "ab.example") {
			t.Errorf("a slot with arena offset %d lists ab.example", off)
		}
	}
}

// slotPosition is where in m's table the listed name lies.
func slotPosition(m *Matcher, name string) (int, bool) {
	s := m.find(hashName(name), name)
	for p, v := range m.slots {
		if s != 0 && v == s {
			return p, true
		}
	}
	return 0, false
}
