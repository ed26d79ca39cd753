package feeds

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

func setEntries(s *lists.Set) []lists.Entry {
	var out []lists.Entry
	s.Entries(func(e lists.Entry) bool { out = append(out, e); return true })
	return out
}

// A large list is parsed in pieces on every CPU; the Set and the report
// are the same as the one-goroutine parse's.
func TestParseInPiecesMatchesOneParse(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(1) })
	}
	path := filepath.Join(t.TempDir(), "big.txt")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	w.WriteString("\xef\xbb\xbf# big list\n")
	for i := 0; w.Buffered()+int(must(fh.Seek(0, 1))) < pieceMinBytes+1<<20; i++ {
		switch i % 1000 {
		case 7:
			w.WriteString("bad..name" + strconv.Itoa(i) + "\n")
		case 8:
			w.WriteString("co.uk\n")
		case 9:
			w.WriteString("\n# comment\n0.0.0.0 hosts-line-" + strconv.Itoa(i) + ".net\r\n")
		default:
			w.WriteString("scam-" + strconv.Itoa(i) + ".example.com\n")
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	f := Feed{Name: "big", URL: path, Enabled: true}.WithDefaults()

	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	got, gotRep, gotFormat, ok, err := parseInPieces(context.Background(), f, in)
	if !ok || err != nil {
		t.Fatalf("parseInPieces: ok=%v err=%v", ok, err)
	}
	in2, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in2.Close()
	want, wantRep, wantFormat, err := parseReader(context.Background(), f, in2)
	if err != nil {
		t.Fatal(err)
	}
	if gotFormat != wantFormat || !reflect.DeepEqual(gotRep, wantRep) {
		t.Fatalf("report %s %+v\nwant %s %+v", gotFormat, gotRep, wantFormat, wantRep)
	}
	if g, w := setEntries(got), setEntries(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%d entries, want %d (or they differ)", len(g), len(w))
	}
	if wantRep.TotalRejected() == 0 || wantRep.Lines < 100000 {
		t.Fatalf("the test file is not what it should be: %+v", wantRep)
	}
	// The parse in pieces is what parseFile does with such a file.
	viaFile, _, _, err := parseFile(context.Background(), f, path)
	if err != nil || viaFile.Len() != want.Len() {
		t.Fatalf("parseFile: %d entries, %v; want %d", viaFile.Len(), err, want.Len())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
