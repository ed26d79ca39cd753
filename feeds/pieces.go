package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// pieceMinBytes is the size from which a feed file in a line format is
// cut at line ends into one piece per CPU, parsed at the same time
// (parse.ParsePieces) and joined into one Set: a list of a million names
// is parsed on every CPU instead of one.
const pieceMinBytes = 4 << 20

// parseInPieces parses the file fh in pieces when it is large and in a
// format that allows it. ok=false leaves the parse to the reader path
// (small files, other formats, one CPU, a format that cannot be
// detected: that path reports the reason).
func parseInPieces(ctx context.Context, f Feed, fh *os.File) (set *lists.Set, rep parse.Report, format parse.Format, ok bool, err error) {
	n := runtime.GOMAXPROCS(0)
	st, err := fh.Stat()
	if err != nil || n < 2 || !st.Mode().IsRegular() || st.Size() < pieceMinBytes || ctx.Err() != nil {
		return nil, rep, "", false, nil
	}
	format = f.Format
	if format == "" {
		head := make([]byte, detectBytes)
		k, err := fh.ReadAt(head, 0)
		if k == 0 || err != nil && !errors.Is(err, io.EOF) {
			return nil, rep, "", false, nil
		}
		if format, err = parse.Detect(f.URL, head[:k]); err != nil {
			return nil, rep, "", false, nil
		}
	}
	if !parse.Splittable(format) {
		return nil, rep, "", false, nil
	}
	cuts, err := cutAtLines(fh, st.Size(), n)
	if err != nil {
		return nil, rep, format, true, err
	}
	readers := make([]io.Reader, n)
	builders := make([]*lists.SetBuilder, n)
	emits := make([]parse.Emit, n)
	for i := range n {
		readers[i] = ctxReader{ctx, io.NewSectionReader(fh, cuts[i], cuts[i+1]-cuts[i])}
		b := lists.NewSetBuilder(f.DisplayName())
		b.Expect(cuts[i+1] - cuts[i]) // a piece's names are no longer than the piece
		builders[i] = b
		emits[i] = func(e lists.Entry) { b.Add(e) }
	}
	rep, bases, err := parse.ParsePieces(format, readers, withImpliedOptions(f), emits)
	if err != nil {
		return nil, rep, format, true, fmt.Errorf("parsing as %s: %w", format, err)
	}
	if err := allRejected(rep, format, f.Format == ""); err != nil {
		return nil, rep, format, true, err
	}
	sets := make([]*lists.Set, n)
	for i, b := range builders {
		sets[i] = b.Build()
	}
	return lists.JoinSets(f.DisplayName(), sets, bases), rep, format, true, nil
}

// cutAtLines returns n+1 offsets cutting the first size bytes of r into n
// pieces of about the same size, each but the last ending with a line end
// ('\n'). A piece is empty when a line spans the whole of it.
func cutAtLines(r io.ReaderAt, size int64, n int) ([]int64, error) {
	cuts := make([]int64, n+1)
	cuts[n] = size
	buf := make([]byte, 64<<10)
	for i := 1; i < n; i++ {
		at := max(size*int64(i)/int64(n), cuts[i-1])
		cuts[i] = size
		for at < size {
			k, err := r.ReadAt(buf[:min(int64(len(buf)), size-at)], at)
			if j := bytes.IndexByte(buf[:k], '\n'); j >= 0 {
				cuts[i] = at + int64(j) + 1
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			if k == 0 {
				break
			}
			at += int64(k)
		}
	}
	return cuts, nil
}
