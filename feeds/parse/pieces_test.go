package parse

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// parseWhole parses b at once: the reference ParsePieces must match.
func parseWhole(t *testing.T, f Format, b []byte, opts Options) (Report, []lists.Entry) {
	t.Helper()
	var got []lists.Entry
	rep, err := Parse(f, bytes.NewReader(b), opts, func(e lists.Entry) { got = append(got, e) })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rep, got
}

// parseCut parses b cut after the line ends at the given offsets.
func parseCut(t *testing.T, f Format, b []byte, opts Options, cuts []int) (Report, []lists.Entry) {
	t.Helper()
	bounds := append(append([]int{0}, cuts...), len(b))
	readers := make([]io.Reader, len(bounds)-1)
	parts := make([][]lists.Entry, len(readers))
	emits := make([]Emit, len(readers))
	for i := range readers {
		readers[i] = bytes.NewReader(b[bounds[i]:bounds[i+1]])
		emits[i] = func(e lists.Entry) {
			e.Value = strings.Clone(e.Value) // a view of the read buffer (see ParsePieces)
			parts[i] = append(parts[i], e)
		}
	}
	rep, bases, err := ParsePieces(f, readers, opts, emits)
	if err != nil {
		t.Fatalf("ParsePieces: %v", err)
	}
	var got []lists.Entry
	for i, part := range parts {
		for _, e := range part {
			e.Line += bases[i]
			got = append(got, e)
		}
	}
	return rep, got
}

// lineEnds returns the offsets just after every '\n' of b but the last byte.
func lineEnds(b []byte) []int {
	var ends []int
	for i, c := range b[:max(len(b)-1, 0)] {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	return ends
}

func TestParsePiecesMatchesParse(t *testing.T) {
	long := strings.Repeat("a", MaxLineBytes+10)
	text := "\xef\xbb\xbf# a list\r\n" +
		"good.example.com\r\n" +
		"bad..name\n" +
		"\xef\xbb\xbfbom-in-the-middle.com\n" +
		"0.0.0.0 hosts-line.net\n" +
		"1.2.3.4\n" +
		long + "\n" +
		"two fields here\n" +
		"-bad.com\n" + "-bad2.com\n" + "-bad3.com\n" + "-bad4.com\n" +
		"https://phish.example.org/login?x=1\n" +
		"printer.lan\n" +
		"new.unknowntld\n" +
		"user@mail.com\n" +
		"last-line-without-end.io"
	b := []byte(text)
	for _, f := range []Format{FormatDomains, FormatHosts, FormatWildcard, FormatAdblock, FormatDnsmasq} {
		for _, opts := range []Options{{}, {Downloaded: true, URLBlocksHost: true, Category: "scam"}} {
			wantRep, want := parseWhole(t, f, b, opts)
			ends := lineEnds(b)
			for _, c := range ends {
				gotRep, got := parseCut(t, f, b, opts, []int{c})
				if !reflect.DeepEqual(gotRep, wantRep) {
					t.Fatalf("%s cut at %d: report\n%+v\nwant\n%+v", f, c, gotRep, wantRep)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s cut at %d: entries\n%+v\nwant\n%+v", f, c, got, want)
				}
			}
			// Three pieces, one of them empty.
			gotRep, got := parseCut(t, f, b, opts, []int{ends[2], ends[2], ends[7]})
			if !reflect.DeepEqual(gotRep, wantRep) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s in 4 pieces: report\n%+v\nwant\n%+v", f, gotRep, wantRep)
			}
		}
	}
}

// The real feeds in the line formats parse to the same report and entries
// in pieces as at once.
func TestParsePiecesRealFeeds(t *testing.T) {
	root := feedDir(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.md" || d.Name() == "SHA256SUMS" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := Detect(path, b[:min(len(b), 4096)])
		if err != nil || !Splittable(f) {
			return nil
		}
		opts := OptionsFor(path)
		wantRep, want := parseWhole(t, f, b, opts)
		ends := lineEnds(b)
		if len(ends) < 4 {
			return nil
		}
		for _, n := range []int{2, 3, 4} {
			cuts := make([]int, n-1)
			for i := range cuts {
				cuts[i] = ends[len(ends)*(i+1)/n]
			}
			gotRep, got := parseCut(t, f, b, opts, cuts)
			if !reflect.DeepEqual(gotRep, wantRep) {
				t.Errorf("%s in %d pieces: report\n%+v\nwant\n%+v", path, n, gotRep, wantRep)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %d pieces: %d entries, want %d (or they differ)", path, n, len(got), len(want))
			}
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Skip("no feed file in a line format under " + root)
	}
	t.Logf("%d feed files checked", checked)
}

func TestParsePiecesErrors(t *testing.T) {
	if _, _, err := ParsePieces(FormatRPZ, []io.Reader{strings.NewReader("")}, Options{}, []Emit{nil}); err == nil {
		t.Error("RPZ in pieces: no error")
	}
	// A read error in the second piece names the file's line number.
	r := io.MultiReader(strings.NewReader("b.com\nc.com\n"), errReader{})
	rep, _, err := ParsePieces(FormatDomains, []io.Reader{strings.NewReader("a.com\n"), r}, Options{}, []Emit{nil, nil})
	if err == nil || !strings.Contains(err.Error(), "line 4: boom") {
		t.Errorf("err = %v, want one at line 4", err)
	}
	if rep.Lines != 3 || rep.Accepted != 3 {
		t.Errorf("report %+v, want 3 lines, 3 accepted", rep)
	}
}
