package blocklist

import (
	"context"
	"testing"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/internal/feedstest"
)

// TestImportURLBlocksHostCountsEachHostOnce: with --url-blocks-host every
// URL entry stands for its host exactly once. The parser used to emit the
// host as a domain entry while the compiler also listed the URL's host, so
// each such host was counted twice, as a duplicate or as a guarded entry
// (CryptoScamDB urls.yaml: 53 platform-guarded instead of 27, 78
// duplicates instead of 64).
func TestImportURLBlocksHostCountsEachHostOnce(t *testing.T) {
	path := feedstest.Path(t, "cryptoscamdb-blacklist/urls.yaml")
	plain, err := Import(context.Background(), path, "", parse.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := Import(context.Background(), path, "", parse.Options{URLBlocksHost: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hosts.Report.Accepted != plain.Report.Accepted || hosts.Compile.Domains != plain.Compile.Domains || hosts.Compile.URLs != 41 {
		t.Fatalf("the flag changed the parse: accepted %d vs %d, domains %d vs %d, URLs %d",
			hosts.Report.Accepted, plain.Report.Accepted, hosts.Compile.Domains, plain.Compile.Domains, hosts.Compile.URLs)
	}
	for _, tc := range []struct {
		name       string
		res        ImportResult
		candidates int // names that compete for the matcher: domains, and URL hosts with the flag
	}{
		{"plain", plain, plain.Compile.Domains},
		{"url-blocks-host", hosts, hosts.Compile.Domains + hosts.Compile.URLs},
	} {
		c := tc.res.Compile
		placed := c.Applied + c.Duplicates + c.AllowedByUser + c.OverriddenByAllow
		for _, n := range c.Guarded {
			placed += n
		}
		if placed != tc.candidates {
			t.Errorf("%s: applied %d + duplicates %d + guarded %v + allowed %d/%d = %d, want %d (each name once)",
				tc.name, c.Applied, c.Duplicates, c.Guarded, c.AllowedByUser, c.OverriddenByAllow, placed, tc.candidates)
		}
	}
	if g := hosts.Compile.Guarded["platform"]; g != 27 {
		t.Errorf("platform-guarded with the flag: %d, want 27 (1 domain + 26 URL hosts on platforms)", g)
	}
	if d := hosts.Compile.Duplicates; d != 64 {
		t.Errorf("duplicates with the flag: %d, want 64", d)
	}
}
