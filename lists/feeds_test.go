package lists

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/internal/feedstest"
)

func feedsDir(t testing.TB) string { return feedstest.Dir(t) }

// loadLines is a tiny local parser for tests: each non-empty line, after
// an optional "IP " prefix (hosts files), is normalized and added as a
// Block domain entry. It returns the set and the number of rejected lines.
func loadLines(t testing.TB, source, path string, hosts bool) (*Set, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := NewSetBuilder(source)
	rejected := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if hosts {
			ip, host, ok := strings.Cut(s, " ")
			if !ok || (ip != "0.0.0.0" && ip != "127.0.0.1") {
				rejected++
				continue
			}
			s = strings.TrimSpace(host)
		}
		n, err := NormalizeHost(s)
		if err != nil {
			rejected++
			continue
		}
		b.Add(Entry{Value: n, Kind: KindDomain, Line: line})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return b.Build(), rejected
}

func TestMetaMaskHostsFile(t *testing.T) {
	dir := feedsDir(t)
	set, rejected := loadLines(t, "metamask-hosts", filepath.Join(dir, "metamask-eth-phishing-detect", "hosts.txt"), true)
	// 1,072 lines: "127.0.0.1 localhost" (a single label, rejected) and
	// 1,071 distinct "0.0.0.0 host" lines.
	if set.Len() != 1071 || rejected != 1 {
		t.Fatalf("entries = %d, rejected = %d; want 1071, 1", set.Len(), rejected)
	}
	m, rep := Compile([]*Set{set}, CompileOptions{})
	sr := rep.Source("metamask-hosts")
	if m.Len() != 1071 || sr.Applied != 1071 || sr.Duplicates != 0 || len(sr.Guarded) != 0 {
		t.Fatalf("Len = %d, report = %+v", m.Len(), sr)
	}
	n := 0
	set.Entries(func(e Entry) bool {
		n++
		if h, blocked := m.Lookup("www." + strings.ToUpper(e.Value) + "."); !blocked || h.Name != e.Value || h.Line != e.Line {
			t.Errorf("Lookup(www.%s) = %+v, %v", e.Value, h, blocked)
			return false
		}
		return true
	})
	if n != 1071 {
		t.Fatalf("Entries visited %d", n)
	}
}

func TestDecriptoGuard(t *testing.T) {
	dir := feedsDir(t)
	set, _ := loadLines(t, "decripto", filepath.Join(dir, "decripto-crypto-scam-blacklist", "domini_scam.txt"), false)
	m, rep := Compile([]*Set{set}, CompileOptions{})

	for _, name := range []string{"coinbase.com", "etherscan.io", "metamask.io", "uniswap.org", "pancakeswap.finance", "twitter.com", "youtube.com", "facebook.com", "instagram.com", "reddit.com", "gmail.com", "www.coinbase.com"} {
		if h, blocked := m.Lookup(name); blocked {
			t.Errorf("%s is blocked by %+v; want guarded", name, h)
		}
	}
	if h, blocked := m.Lookup("login.2okextw.com"); !blocked || h.Name != "2okextw.com" || h.Line != 206 || h.Source != "decripto" {
		t.Errorf("2okextw.com (a real scam entry, line 206): %+v, %v", h, blocked)
	}
	ex := m.Explain("coinbase.com")
	if ex.Blocked || len(ex.Listings) != 1 || ex.Listings[0].Status != "guarded:"+RulePopular || ex.Listings[0].Line != 5485 {
		t.Errorf("Explain(coinbase.com) = %+v", ex)
	}
	sr := rep.Source("decripto")
	t.Logf("decripto: %d entries, %d applied, guarded %v", sr.Entries, sr.Applied, sr.Guarded)
	if sr.Guarded[RulePopular] < 10 {
		t.Errorf("guarded popular = %d, want at least the 10 famous sites", sr.Guarded[RulePopular])
	}
	for _, g := range m.Guarded() {
		t.Logf("guarded %s:%d %s (%s)", g.Source, g.Line, g.Name, g.Rule)
	}
}
