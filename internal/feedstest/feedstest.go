// Package feedstest locates the real feed files that tests read from
// ../shared/data/feeds beside the repository (CI lays ../shared there). It
// is for tests only.
package feedstest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns ../shared/data/feeds relative to the repository root (the
// directory holding go.mod), or "" when it cannot be found.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", "feeds")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Dir returns the shared feeds folder, or skips the test with a message
// saying where it was looked for.
func Dir(tb testing.TB) string {
	tb.Helper()
	p := Root()
	if p == "" {
		tb.Skip("real feed files not found at ../shared/data/feeds beside the repository (CI provides them); skipping")
	}
	return p
}

// Path returns the shared feed file rel (e.g.
// "metamask-eth-phishing-detect/hosts.txt"), or skips the test when it is absent.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared feed file %s not found: %v", rel, err)
	}
	return p
}
