package lists

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// TestPSLGeneratedVersion fails when golang.org/x/net (and its PSL) moved
// on without psl_gen.go.
func TestPSLGeneratedVersion(t *testing.T) {
	if got := publicsuffix.List.String(); got != pslVersion {
		t.Fatalf("psl_gen.go was generated from %q, x/net has %q: run go generate ./lists", pslVersion, got)
	}
}

// xnetIsPublicSuffix is the authority the filter must agree with.
func xnetIsPublicSuffix(v string) bool {
	ps, _ := publicsuffix.PublicSuffix(v)
	return ps == v
}

// checkPSL compares the filtered answer with x/net's for name and every
// name it is under.
func checkPSL(t *testing.T, name string) {
	t.Helper()
	for s := name; ; {
		if got, want := isPublicSuffixName(s), xnetIsPublicSuffix(s); got != want {
			t.Errorf("isPublicSuffixName(%q) = %v, x/net says %v", s, got, want)
		}
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			return
		}
		s = s[dot+1:]
	}
}

func TestPublicSuffixFilterTricky(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"com", true}, {"cromulent", true}, {"", true}, {"co.uk", true}, {"example.co.uk", false},
		{"ck", true}, {"anything.ck", true}, {"www.ck", false}, {"a.www.ck", false}, {"x.y.ck", false},
		{"blogspot.com", true}, {"x.blogspot.com", false}, {"github.io", true}, {"user.github.io", false},
		{"kawasaki.jp", false}, {"city.kawasaki.jp", false}, {"any.kawasaki.jp", true},
		{"1.2.3.4", true}, {"10.0.0.1", true}, {"::1", true}, {"2001:db8::1", true}, {"fe80::1%eth0", true}, {"fe80::1%a.b", true},
		{"1.2.3", false}, {"example.com", false}, {"www.example.com", false}, {"com.", false},
		{".com", false}, {"a..com", false}, {"sites.google.com", false}, {"pages.dev", true},
		{"foo.compute.amazonaws.com", true}, {"us-east-1.compute.amazonaws.com", true},
		{"x.us-east-1.airflow.amazonaws.com", true}, {"xn--p1ai", true}, {"xn--80aswg.xn--p1ai", false},
	} {
		if got := xnetIsPublicSuffix(tc.name); got != tc.want {
			t.Errorf("table: x/net says %q → %v, the table %v (fix the table)", tc.name, got, tc.want)
		}
		checkPSL(t, tc.name)
		checkPSL(t, "www."+tc.name)
	}
}

// TestPublicSuffixFilterSkipsOrdinaryNames: the filter is what saves
// x/net's walk, so ordinary names must not be candidates.
func TestPublicSuffixFilterSkipsOrdinaryNames(t *testing.T) {
	f := pslCandidates()
	for _, v := range []string{"example.com", "www.example.com", "paypal-login.example.co.uk", "a.b.c.xyz", "user.github.io"} {
		if f.may(v) {
			t.Errorf("may(%q) = true; want false", v)
		}
	}
}

// TestPublicSuffixFilterRules asks every name the list has a rule for,
// the names a wildcard covers, and names one label above and below them.
func TestPublicSuffixFilterRules(t *testing.T) {
	for _, text := range []string{pslNames, pslWildcards} {
		for n := range strings.Lines(text) {
			n = strings.TrimSuffix(n, "\n")
			for _, v := range []string{n, "x." + n, "www." + n, "a.b." + n, "1." + n, n + ".com"} {
				checkPSL(t, v)
			}
		}
	}
}

// TestPublicSuffixFilterRealFeeds asks every host-like token of every real
// feed file (a superset of what the line parsers accept), raw and
// normalized, and the names above them.
func TestPublicSuffixFilterRealFeeds(t *testing.T) {
	dir := feedsDir(t)
	seen := map[string]bool{}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, tok := range strings.FieldsFunc(string(b), notHostByte) {
			tok = strings.Trim(tok, "/")
			if k := strings.IndexByte(tok, '/'); k >= 0 {
				tok = tok[:k]
			}
			forms := []string{tok}
			if n, err := NormalizeHost(tok); err == nil {
				forms = append(forms, n)
			}
			for _, v := range forms {
				if !seen[v] {
					seen[v] = true
					checkPSL(t, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || len(seen) < 100000 {
		t.Fatalf("%d files, %d distinct tokens: the feeds are missing", files, len(seen))
	}
	t.Logf("%d files, %d distinct tokens", files, len(seen))
}

// notHostByte splits text into tokens that may be host names, URLs' hosts
// or addresses.
func notHostByte(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	case r == '.' || r == '-' || r == '_' || r == ':' || r == '/' || r == '%' || r == '*':
		return false
	}
	return r < 0x80
}

// TestSetBuilderPublicSuffixMemo: the memo a builder fills while entries
// are added (the filter on the parse's side, x/net in batches) holds
// exactly the entries x/net calls public suffixes, for domains and URL
// hosts, with enough candidates for full batches on goroutines.
func TestSetBuilderPublicSuffixMemo(t *testing.T) {
	tricky := []string{"com", "co.uk", "example.co.uk", "anything.ck", "www.ck", "blogspot.com", "x.blogspot.com",
		"github.io", "1.2.3.4", "pages.dev", "foo.compute.amazonaws.com", "x.us-east-1.airflow.amazonaws.com"}
	b := NewSetBuilder("memo")
	var values []string
	add := func(v string, kind Kind) {
		b.Add(Entry{Value: v, Kind: kind})
		values = append(values, v)
	}
	for i := range 4 * psBatchSize { // every other one a candidate (and a public suffix): full batches
		add("n"+strconv.Itoa(i)+[]string{".example.com", ".ck"}[i%2], KindDomain)
		if i%1000 == 0 {
			for _, v := range tricky {
				add(v, KindDomain)
				add(v+"/path/x", KindURL)
			}
		}
	}
	s := b.Build()
	var want []uint32
	for i, v := range values {
		host, _, _ := strings.Cut(v, "/")
		if xnetIsPublicSuffix(host) {
			want = append(want, uint32(i))
		}
	}
	if !slices.Equal(s.ps, want) || len(want) < 2*psBatchSize {
		t.Fatalf("memo has %d entries, x/net says %d", len(s.ps), len(want))
	}
}
