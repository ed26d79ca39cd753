package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/internal/feedstest"

	"github.com/urfave/cli/v2"
)

// run runs the real app as main does: stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := App()
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"scamblock"}, args...))
	code := 0
	if err != nil {
		code = exitUsage
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func sharedFile(t *testing.T, rel string) string { return feedstest.Path(t, rel) }

func TestCheckExitStatus(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("evil-exchange.com\nprinter.lan\nscam.newgtldxyz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"check", "--data-dir", t.TempDir(), "--no-default-feeds", "--feed", "mine=" + feed}
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"nothing listed is 0", []string{"example.org"}, exitOK, "example.org: not blocked"},
		{"a listed subdomain is 1", []string{"app.evil-exchange.com"}, exitListed, "decided by: block evil-exchange.com by mine (line 1)"},
		{"any listed among several is 1", []string{"example.org", "evil-exchange.com"}, exitListed, "evil-exchange.com: BLOCKED"},
		{"flags after arguments work", []string{"evil-exchange.com", "--json"}, exitListed, `"listed":true`},
		{"bad input is 2", []string{"not a name"}, exitUsage, ""},
		{"no argument is 2", nil, exitUsage, ""},
		{"--allow wins", []string{"evil-exchange.com", "--allow", "evil-exchange.com"}, exitOK, "allowed: --allow evil-exchange.com covers it"},
		{"special-use name is a name", []string{"good.example"}, exitOK, "good.example: not blocked"},
		{"a local file may block a .lan name", []string{"printer.lan"}, exitListed, "printer.lan: BLOCKED"},
		{"--allow takes a .lan name", []string{"printer.lan", "--allow", "printer.lan"}, exitOK, "allowed: --allow printer.lan"},
		{"home.arpa is a name", []string{"nas.home.arpa"}, exitOK, "nas.home.arpa: not blocked"},
		{"a TLD the compiled list lacks still blocks", []string{"scam.newgtldxyz"}, exitListed, "scam.newgtldxyz: BLOCKED"},
		{"a syntax error says the label and rule", []string{"--", "bad-.com"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, append(base, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.out) {
				t.Fatalf("stdout lacks %q:\n%s", tt.out, out)
			}
			if tt.code == exitUsage && !strings.Contains(errOut, "e.g.") && !strings.Contains(errOut, "not a domain") {
				t.Fatalf("a usage error should say how to fix it: %q", errOut)
			}
		})
	}
}

func TestCheckAddressAndGuard(t *testing.T) {
	args := []string{"check", "--data-dir", t.TempDir(), "--no-default-feeds",
		"--feed", "ofac-eth=" + sharedFile(t, "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_ETH.txt"),
		"--feed", "decripto=" + sharedFile(t, "decripto-crypto-scam-blacklist/domini_scam.txt"),
		"--json", "0x8589427373d6d84e98730d7795d8f6f8731fda16", "coinbase.com"}
	out, errOut, code := run(t, args...)
	if code != exitListed {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var addr, guarded struct {
		Kind    string `json:"kind"`
		Listed  bool   `json:"listed"`
		Address *struct {
			Listings []struct{ Source, Category string }
		} `json:"address"`
		Domain *struct {
			Listings []struct{ Status string }
		} `json:"domain"`
	}
	if err := dec.Decode(&addr); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&guarded); err != nil {
		t.Fatal(err)
	}
	if !addr.Listed || addr.Address == nil || addr.Address.Listings[0].Source != "ofac-eth" || addr.Address.Listings[0].Category != "sanctioned" {
		t.Fatalf("sanctioned address verdict: %+v", addr)
	}
	if guarded.Listed || guarded.Domain == nil || guarded.Domain.Listings[0].Status != "guarded:popular" {
		t.Fatalf("coinbase.com should be listed by decripto but guarded: %+v", guarded)
	}
}

func TestImportReportsRejectsWithLines(t *testing.T) {
	out, errOut, code := run(t, "import", sharedFile(t, "decripto-crypto-scam-blacklist/domini_scam.txt"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"23903 accepted, 0 rejected",
		"unknown TLD:    264 accepted names",
		"guarded (popular)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if _, errOut, code := run(t, "import", "x.txt", "--format", "nonsense"); code != exitUsage || !strings.Contains(errOut, "--format") {
		t.Fatalf("bad --format: exit %d, %q", code, errOut)
	}
}

func TestFeedsTableListsLocalFeeds(t *testing.T) {
	out, errOut, code := run(t, "feeds", "--data-dir", t.TempDir(), "--no-default-feeds",
		"--feed", "metamask-hosts="+sharedFile(t, "metamask-eth-phishing-detect/hosts.txt"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "NAME") || !regexpLine(out, "metamask-hosts", "hosts", "1071") {
		t.Fatalf("feeds table:\n%s", out)
	}
	// The popularity ranking is a feed too; never fetched here, so the
	// embedded snapshot guards and the table says so.
	if !regexpLine(out, "ranking", "ranking  ") || !strings.Contains(out, "ranking: no copy fetched yet; the embedded Tranco top 10,000 snapshot guards") {
		t.Fatalf("feeds table without the ranking feed and its note:\n%s", out)
	}
}

func regexpLine(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, f := range fields {
			all = all && strings.Contains(line, f)
		}
		if all {
			return true
		}
	}
	return false
}

func TestServeRejectsBadFlagsClearly(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--block-mode", "sinkhole", "--no-default-feeds", "--data-dir", t.TempDir()}, "nxdomain"},
		{[]string{"serve", "--upstream", "8.8.8.8", "--no-default-feeds", "--data-dir", t.TempDir()}, "udp://"},
		{[]string{"serve", "extra-arg"}, "--feed PATH"},
		{[]string{"serve", "--log-level", "loud"}, "debug, info, warn or error"},
	}
	for _, tt := range tests {
		_, errOut, code := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q should mention %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestCheckSyntaxErrorNamesLabelAndRule(t *testing.T) {
	_, errOut, code := run(t, "check", "--data-dir", t.TempDir(), "--no-default-feeds", "--", "bad-.com")
	if code != exitUsage || !strings.Contains(errOut, `label "bad-"`) || !strings.Contains(errOut, "RFC 1035") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming the label and the rule", code, errOut)
	}
}

// TestCheckWithNothingLoadedSaysSo: with an empty data directory (feeds
// never fetched) every answer would be "not blocked"; check says that no
// list was loaded (issue 12.5).
func TestCheckWithNothingLoadedSaysSo(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--data-dir", t.TempDir(), "example.org"},
		{"check", "--data-dir", t.TempDir(), "--no-default-feeds", "--json", "example.org"},
	} {
		out, errOut, code := run(t, args...)
		if code != exitOK || !strings.Contains(errOut, "no list was loaded") {
			t.Errorf("%v: exit %d, stderr %q (stdout %q): want a warning that no list was loaded", args, code, errOut, out)
		}
	}
	feed := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(feed, []byte("evil-exchange.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, _ := run(t, "check", "--data-dir", t.TempDir(), "--no-default-feeds", "--feed", feed, "example.org"); strings.Contains(errOut, "no list was loaded") {
		t.Errorf("warned with a list loaded: %s", errOut)
	}
}

func TestCheckShowsTheConsensusOnARankedName(t *testing.T) {
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one.txt"), filepath.Join(dir, "two.txt")
	for _, f := range []string{one, two} {
		if err := os.WriteFile(f, []byte("thisiscm.com\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"check", "--data-dir", t.TempDir(), "--no-default-feeds"}
	out, errOut, code := run(t, append(base, "--feed", "one="+one, "thisiscm.com")...)
	if code != exitOK || !strings.Contains(out, "consensus: thisiscm.com is ranked #10000; listed by 1 independent feed(s) (one), 2 needed; guarded") {
		t.Fatalf("one feed: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(base, "--feed", "one="+one, "--feed", "two="+two, "www.thisiscm.com")...)
	if code != exitListed || !strings.Contains(out, "listed by 2 independent feed(s) (one, two), 2 needed; blocked whole: consensus reached") {
		t.Fatalf("two feeds: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(base, "--feed", "one="+one, "--feed", "two="+two, "--consensus", "3", "thisiscm.com")...)
	if code != exitOK || !strings.Contains(out, "3 needed") {
		t.Fatalf("--consensus 3: exit %d\n%s%s", code, out, errOut)
	}
}

func TestImportHelpListsTheFormats(t *testing.T) {
	out, _, _ := run(t, "import", "--help")
	if !strings.Contains(out, "adblock, rpz") || strings.Contains(out, "--format scamblock") {
		t.Fatalf("import --help does not list the formats:\n%s", out)
	}
	_, list, _ := strings.Cut(out, "detected when empty: ")
	list, _, _ = strings.Cut(list, "\n")
	var want []string
	for _, f := range parse.Formats() { // the list is the parse package's: it cannot drift
		want = append(want, string(f))
	}
	if got := strings.Split(strings.TrimSpace(list), ", "); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("import --help lists %q, want %q", got, want)
	}
}

// TestImportOFACXML: import reads OFAC's XML SDN files (fixtures of the
// documented structure; no real copy in ../shared) and shows the
// transaction hash, the empty feature and the wrong-asset note with lines.
func TestImportOFACXML(t *testing.T) {
	for _, tc := range []struct{ file, format, txLine, noteLine string }{
		{"sdn_advanced-sample.xml", "ofac-sdn-advanced", "line 83:", "line 76:"},
		{"sdn_enhanced-sample.xml", "ofac-sdn-enhanced", "line 127:", "line 121:"},
	} {
		out, errOut, code := run(t, "import", filepath.Join("..", "feeds", "parse", "testdata", tc.file))
		for _, want := range []string{"(" + tc.format + ",", "4 accepted, 2 rejected", "rejected (transaction-hash): 1", tc.txLine, "noted (chain-mismatch): 1", tc.noteLine + ` "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg"`, "4 valid and unique"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: exit %d, no %q in\n%s%s", tc.file, code, want, out, errOut)
			}
		}
	}
}

// TestCheckWithAFeedThatDidNotLoad: a feed asked for with --feed that
// fails to load is exit 2 with the reason, not a "not blocked" (issue 16.5).
func TestCheckWithAFeedThatDidNotLoad(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "all-bad.txt")
	if err := os.WriteFile(empty, []byte("not a name at all\n!!!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, feed := range map[string]string{
		"missing file":       filepath.Join(dir, "missing.txt"),
		"a directory":        dir,
		"every line refused": empty,
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "check", "--data-dir", t.TempDir(), "--no-default-feeds", "--feed", feed, "example.org")
			if code != exitUsage || !strings.Contains(errOut, "did not load") || !strings.Contains(errOut, feed) {
				t.Fatalf("exit %d, stderr %q, stdout %q: want exit 2 naming the feed and why", code, errOut, out)
			}
		})
	}
}

// TestCheckWithADirectoryFeed: a directory given as --feed loads every
// file under it, sorted, each named by its path; hidden files are skipped.
func TestCheckWithADirectoryFeed(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.txt":        "evil-a.com\n",
		"sub/b.txt":    "evil-b.com\n",
		".hidden.txt":  "example.org\n",
		".git/ignored": "example.net\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"check", "--data-dir", t.TempDir(), "--no-default-feeds", "--feed", dir}
	out, errOut, code := run(t, append(base, "www.evil-b.com")...)
	if code != exitListed || !strings.Contains(out, filepath.Join(dir, "sub", "b.txt")) {
		t.Fatalf("a listed name from a file in a sub-folder: exit %d\n%s%s", code, out, errOut)
	}
	if _, _, code := run(t, append(base, "evil-a.com")...); code != exitListed {
		t.Errorf("a listed name from the folder's first file: exit %d", code)
	}
	for _, hidden := range []string{"example.org", "example.net"} {
		if out, _, code := run(t, append(base, hidden)...); code != exitOK {
			t.Errorf("%s from a hidden file was loaded: exit %d\n%s", hidden, code, out)
		}
	}
}

// TestCheckOFACXMLAddress: an address OFAC filed under the wrong asset is
// listed under its own chain, with the SDN entity as provenance.
func TestCheckOFACXMLAddress(t *testing.T) {
	for _, file := range []string{"sdn_advanced-sample.xml", "sdn_enhanced-sample.xml"} {
		out, errOut, code := run(t, "check", "--data-dir", t.TempDir(), "--no-default-feeds", "--feed", filepath.Join("..", "feeds", "parse", "testdata", file), "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg")
		if code != exitListed || !strings.Contains(out, "trx address") || !strings.Contains(out, "OFAC SDN 17085: SUEX OTC, S.R.O. [CYBER2] (XBT)") {
			t.Errorf("%s: exit %d\n%s%s", file, code, out, errOut)
		}
	}
}
