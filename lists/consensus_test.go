package lists

import (
	"strings"
	"testing"
)

func oneSet(source string, names ...string) *Set {
	b := NewSetBuilder(source)
	for i, n := range names {
		b.Add(Entry{Value: n, Kind: KindDomain, Line: i + 1})
	}
	return b.Build()
}

func TestRankedNamesNeedConsensus(t *testing.T) {
	rk, _, err := ParseRanking(strings.NewReader("1,bigsite.com\r\n2,github.io\r\n3,othersite.net\r\n"), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	guard := NewGuard(nil, nil).WithRanking(rk)
	tests := []struct {
		name    string
		sets    []*Set
		opts    map[string]SourceOptions
		query   string
		blocked bool
	}{
		{"one feed does not block a ranked name", []*Set{oneSet("a", "bigsite.com")}, nil, "bigsite.com", false},
		{"one feed does not block its www. name", []*Set{oneSet("a", "www.bigsite.com")}, nil, "www.bigsite.com", false},
		{"two independent feeds block it", []*Set{oneSet("a", "bigsite.com"), oneSet("b", "bigsite.com")}, nil, "bigsite.com", true},
		{"the name and its www. name from two feeds agree", []*Set{oneSet("a", "www.bigsite.com"), oneSet("b", "bigsite.com")}, nil, "www.bigsite.com", true},
		{"two renderings of one publisher are one voice",
			[]*Set{oneSet("a/hosts", "bigsite.com"), oneSet("a/adblock", "bigsite.com")},
			map[string]SourceOptions{"a/hosts": {Publisher: "a"}, "a/adblock": {Publisher: "a"}}, "bigsite.com", false},
		{"a reviewed submission alone blocks it", []*Set{oneSet("submission:7", "bigsite.com")},
			map[string]SourceOptions{"submission:7": {Reviewed: true}}, "bigsite.com", true},
		{"a subdomain of a ranked name stays blockable", []*Set{oneSet("a", "login.bigsite.com")}, nil, "login.bigsite.com", true},
		{"a site on a ranked platform stays blockable", []*Set{oneSet("a", "evil.github.io")}, nil, "evil.github.io", true},
		{"a ranked public suffix is never blocked, consensus or not", []*Set{oneSet("a", "github.io"), oneSet("b", "github.io")}, nil, "github.io", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := Compile(tt.sets, CompileOptions{Guard: guard, Sources: tt.opts})
			if _, blocked := m.Lookup(tt.query); blocked != tt.blocked {
				t.Fatalf("Lookup(%q) blocked = %v, want %v", tt.query, blocked, tt.blocked)
			}
		})
	}
}

func TestConsensusIsExplainedAndInTheHit(t *testing.T) {
	rk, _, _ := ParseRanking(strings.NewReader("5,bigsite.com\n"), 0, "test")
	guard := NewGuard(nil, nil).WithRanking(rk)
	m, rep := Compile([]*Set{oneSet("a", "bigsite.com"), oneSet("b", "www.bigsite.com"), oneSet("c", "othersite.com")},
		CompileOptions{Guard: guard})
	if rep.Total.Consensus != 2 {
		t.Fatalf("consensus count %d, want 2", rep.Total.Consensus)
	}
	h, blocked := m.Lookup("bigsite.com")
	if !blocked || h.Consensus != 2 {
		t.Fatalf("hit %+v, blocked %v: want the consensus of 2 in the hit", h, blocked)
	}
	ex := m.Explain("www.bigsite.com")
	if c := ex.Consensus; c == nil || !c.Blocked || c.Rank != 5 || c.Needed != 2 || strings.Join(c.Publishers, ",") != "a,b" {
		t.Fatalf("explain consensus %+v", ex.Consensus)
	}

	m, _ = Compile([]*Set{oneSet("a", "bigsite.com")}, CompileOptions{Guard: guard, Consensus: 2})
	ex = m.Explain("bigsite.com")
	if ex.Blocked || ex.Consensus == nil || ex.Consensus.Blocked || len(ex.Listings) != 1 || ex.Listings[0].Status != "guarded:ranked" {
		t.Fatalf("a single feed: %+v %+v", ex, ex.Consensus)
	}
}

func TestEmbeddedRankingIsTheTrancoTop10k(t *testing.T) {
	r := EmbeddedRanking(0)
	if r.Len() != 10000 || r.Rank("google.com") != 1 || r.Rank("thisiscm.com") != 10000 {
		t.Fatalf("len %d, google.com %d, thisiscm.com %d", r.Len(), r.Rank("google.com"), r.Rank("thisiscm.com"))
	}
	if cut := EmbeddedRanking(100); cut.Len() != 100 || cut.Rank("thisiscm.com") != 0 {
		t.Fatalf("size 100: len %d", cut.Len())
	}
	if _, _, err := ParseRanking(strings.NewReader("rank,domain\nnot a line\n"), 0, "junk"); err == nil {
		t.Fatal("a ranking without one ranked name must be an error")
	}
}
