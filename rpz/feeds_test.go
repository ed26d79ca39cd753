package rpz

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/lists"
)

// feedsDir finds ../shared/data/feeds next to the repository root (the
// directory holding go.mod), or skips the test.
func feedsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the package directory")
		}
		dir = parent
	}
	feeds := filepath.Join(dir, "..", "shared", "data", "feeds")
	if _, err := os.Stat(feeds); err != nil {
		t.Skipf("real feed files not found at %s: skipping (they live in ../shared next to the repository)", feeds)
	}
	return feeds
}

// plainDomains reads a one-name-a-line list ("#" comments), normalized as
// the parsers do; names that do not normalize are left out.
func plainDomains(t testing.TB, path string) *lists.Set {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := lists.NewSetBuilder(filepath.Base(filepath.Dir(filepath.Dir(path))))
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		n, err := lists.NormalizeHost(s)
		if err != nil {
			continue
		}
		b.Add(lists.Entry{Value: n, Kind: lists.KindDomain, Line: line})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

func TestRealFeedTransfersEveryAppliedName(t *testing.T) {
	path := filepath.Join(feedsDir(t), "jarelllama-scam-blocklist", "wildcard_domains", "scams_light.txt")
	set := plainDomains(t, path)
	m, rep := lists.Compile([]*lists.Set{set}, lists.CompileOptions{})
	s, addr, _ := startServer(t, Config{}, m)
	z := s.Zone()
	if z.Stats().Listed != m.Len() || z.Stats().Skipped != 0 {
		t.Errorf("zone lists %d names (skipped %d), matcher %d", z.Stats().Listed, z.Stats().Skipped, m.Len())
	}
	if set.Len() < 10_000 || m.Len() < 10_000 {
		t.Fatalf("%s: %d entries, %d names (%+v): the file is not the one this test knows", path, set.Len(), m.Len(), rep.Total)
	}
	rrs, _, err := transferIn(t, addr, z.Origin(), dns.TypeAXFR, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rrs) != z.Len()+3 {
		t.Fatalf("AXFR: %d records, want %d policy records + SOA, NS, SOA", len(rrs), z.Len())
	}
	// Every record agrees with the matcher.
	for _, rr := range rrs {
		c, ok := rr.(*dns.CNAME)
		if !ok {
			continue
		}
		name := strings.TrimSuffix(c.Hdr.Name, "."+z.Origin())
		q := strings.TrimPrefix(name, "*.")
		if q != name {
			q = "probe-label." + q
		}
		if _, blocked := m.Lookup(q); !blocked || c.Target != "." {
			t.Fatalf("%v: matcher says blocked=%v for %s", c, blocked, q)
		}
	}
	t.Logf("%s: %d entries, %d names in the matcher, %d policy records, %d guarded", filepath.Base(path), set.Len(), m.Len(), z.Len(), len(m.Guarded()))
}
