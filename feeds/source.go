package feeds

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// detectBytes is how much of a body parse.Detect sees.
const detectBytes = 8 << 10

// parseFile parses the feed body at path into a Set named after the feed.
// An empty f.Format is detected from the feed's URL and the first bytes of
// the body.
func parseFile(ctx context.Context, f Feed, path string) (*lists.Set, parse.Report, parse.Format, error) {
	return parseFileProgress(ctx, f, path, 0, nil)
}

func parseFileProgress(ctx context.Context, f Feed, path string, size int64, progress Progress) (*lists.Set, parse.Report, parse.Format, error) {
	if f.IsRanking() {
		return parseRankingFile(ctx, f, path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, parse.Report{}, "", err
	}
	defer fh.Close()
	if progress == nil {
		if set, rep, format, ok, err := parseInPieces(ctx, f, fh); ok {
			return set, rep, format, err
		}
	}
	var r io.Reader = fh
	if progress != nil {
		r = &progressReader{r: fh, total: size, report: progress}
	}
	return parseReader(ctx, f, r)
}

// progressReader reports the bytes read so far to a Progress.
type progressReader struct {
	r      io.Reader
	read   int64
	total  int64
	report Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	p.report(p.read, p.total)
	return n, err
}

func parseReader(ctx context.Context, f Feed, r io.Reader) (*lists.Set, parse.Report, parse.Format, error) {
	br := bufio.NewReaderSize(ctxReader{ctx, r}, 64<<10)
	format := f.Format
	if format == "" {
		head, err := br.Peek(detectBytes) // fewer bytes at EOF; other errors resurface on Read
		if len(head) == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, parse.Report{}, "", err // a cancelled context or a read error, not an empty feed
			}
			return lists.NewSetBuilder(f.DisplayName()).Build(), parse.Report{}, "", nil // nothing to parse
		}
		d, err := parse.Detect(f.URL, head) // the whole URL: "phishing", "/adblock/" in it are clues
		if err != nil {
			return nil, parse.Report{}, "", fmt.Errorf("%w (set format: in the feed's config, or --format)", err)
		}
		format = d
	}
	b := lists.NewSetBuilder(f.DisplayName())
	rep, err := parse.Parse(format, br, withImpliedOptions(f), func(e lists.Entry) { b.Add(e) })
	if err != nil {
		return nil, rep, format, fmt.Errorf("parsing as %s: %w", format, err)
	}
	if err := allRejected(rep, format, f.Format == ""); err != nil {
		return nil, rep, format, err
	}
	return b.Build(), rep, format, nil
}

// ErrAllRejected marks a feed copy whose every entry was rejected: almost
// always the wrong format, never a feed to serve as "0 entries".
var ErrAllRejected = errors.New("every entry was rejected")

// allRejected returns an error naming the main reason and an example when
// the parse accepted nothing but rejected something.
func allRejected(rep parse.Report, format parse.Format, detected bool) error {
	if rep.Accepted > 0 || rep.TotalRejected() == 0 {
		return nil
	}
	var top lists.Reason
	for r, n := range rep.Rejected {
		if n > rep.Rejected[top] || n == rep.Rejected[top] && r < top {
			top = r
		}
	}
	msg := fmt.Sprintf("%d of %d lines read as %s, most for %s", rep.TotalRejected(), rep.Lines, format, top)
	if ex := rep.Examples[top]; len(ex) > 0 {
		msg += fmt.Sprintf(" (%s)", ex[0])
	}
	if detected {
		msg += "; the format was detected: set the right one (format: in the feed's config, or --format)"
	} else {
		msg += "; is the configured format right?"
	}
	return fmt.Errorf("%w: %s", ErrAllRejected, msg)
}

// withImpliedOptions fills the options a feed leaves empty with those its
// file name implies (an OFAC list's chain and category, a forta CSV's column).
func withImpliedOptions(f Feed) parse.Options {
	o, implied := f.Options, parse.OptionsFor(f.URL)
	o.Column = cmp.Or(o.Column, implied.Column)
	o.Category = cmp.Or(o.Category, implied.Category)
	o.Chain = cmp.Or(o.Chain, implied.Chain)
	o.Downloaded = strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://")
	// The compiler lists the host of a URL entry when the feed says
	// url_blocks_host (lists.SourceOptions.URLBlocksHost, from the same
	// option). The parser emitting the host as a domain entry as well made
	// two candidates of every such URL: each host counted once more as a
	// duplicate or as a guarded entry.
	o.URLBlocksHost = false
	return o
}

// ctxReader stops a long parse when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Result is one parse of a feed by Import.
type Result struct {
	Source string       `json:"source"`
	Format parse.Format `json:"format"`
	Report parse.Report `json:"report"`
	Size   int64        `json:"size_bytes"`
	SHA256 string       `json:"sha256"`
	Set    *lists.Set   `json:"-"`
}

// Progress is told how many bytes of a body have been parsed, of total.
type Progress func(parsed, total int64)

// Import fetches the feed f (an http(s) URL, file:// URL or path) once and
// parses it, without a data directory or a schedule: `scamblock import`. An
// empty format is detected; the size limit is the feed's (DefaultMaxBytes
// when unset). progress, when not nil, is told how far the parse is as the
// body is read, for a terminal display.
func Import(ctx context.Context, fetcher *Fetcher, f Feed, progress Progress) (Result, error) {
	if err := f.Validate(); err != nil {
		return Result{}, err
	}
	f = f.WithDefaults()
	resp, err := fetcher.Fetch(ctx, Request{URL: f.URL, MaxBytes: f.MaxBytes})
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", f.URL, err)
	}
	defer resp.Remove()
	set, rep, format, err := parseFileProgress(ctx, f, resp.Path, resp.Size, progress)
	res := Result{Source: f.URL, Format: format, Report: rep, Size: resp.Size, SHA256: resp.SHA256, Set: set}
	if err != nil {
		return res, fmt.Errorf("import %s: %w", f.URL, err)
	}
	return res, nil
}
