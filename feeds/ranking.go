package feeds

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// FormatRanking is the feed kind of a popularity ranking: its names are
// not blocked but guarded (lists.RuleRanked). The body is "rank,domain"
// lines as Tranco publishes them (CRLF or LF, no header; a header line
// "rank,domain" is skipped), or one name a line in rank order, plain or
// as a zip archive holding one such file (Tranco's top-1m.csv.zip).
const FormatRanking parse.Format = "ranking"

// Ranking feed defaults: Tranco's daily list (https://tranco-list.eu; the
// zip holds top-1m.csv), refreshed daily.
const (
	RankingFeedName = "ranking"
	TrancoURL       = "https://tranco-list.eu/top-1m.csv.zip"
	RankingInterval = 24 * time.Hour
)

// RankingFeed is the feed of the popularity ranking at url (http(s), file
// or path), of which the top size names are kept; interval 0 means daily
// for a URL. It is fetched, cached and refused when broken like any feed;
// its Set never blocks anything (Updater.Sets leaves it out), it is read
// by Updater.Ranking.
func RankingFeed(url string, size int, interval time.Duration) Feed {
	f := Feed{
		Name: RankingFeedName, URL: url, Format: FormatRanking, Top: size, Interval: interval, Enabled: true,
	}
	if f.IsRemote() && f.Interval <= 0 {
		f.Interval = RankingInterval
	}
	if strings.Contains(strings.ToLower(url), "tranco-list.eu") {
		f.Licence = "free to use; cite Le Pochat et al., Tranco (NDSS 2019)"
		f.Homepage = "https://tranco-list.eu"
		f.StaleAfter = 3 * day // a new list every day: three unchanged days is a broken download
	}
	return f
}

// IsRanking reports whether f is a popularity ranking, not a blocklist.
func (f Feed) IsRanking() bool { return f.Format == FormatRanking }

// zipMagic starts every zip archive (a local file header).
var zipMagic = []byte("PK\x03\x04")

// parseRankingFile reads the ranking at path (plain or zipped) into a Set
// whose entries are the top f.Top names, each with its rank as its line.
// A body that is HTML, or whose lines are mostly not "rank,domain", is an
// error: the last good ranking stays in use.
func parseRankingFile(ctx context.Context, f Feed, p string) (*lists.Set, parse.Report, parse.Format, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, parse.Report{}, FormatRanking, err
	}
	defer fh.Close()
	var head [4]byte
	n, _ := io.ReadFull(fh, head[:])
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return nil, parse.Report{}, FormatRanking, err
	}
	var r io.Reader = fh
	if bytes.Equal(head[:n], zipMagic) {
		zr, closeZip, err := openRankingZip(p)
		if err != nil {
			return nil, parse.Report{}, FormatRanking, err
		}
		defer closeZip()
		limit := f.MaxBytes
		if limit <= 0 {
			limit = DefaultMaxBytes
		}
		r = &limitedReader{r: zr, left: limit}
	}
	return parseRanking(ctx, f, r)
}

// openRankingZip opens the one ranking file in the zip at p: the only
// file, or the only .csv one.
func openRankingZip(p string) (io.Reader, func(), error) {
	z, err := zip.OpenReader(p)
	if err != nil {
		return nil, nil, fmt.Errorf("ranking zip: %w", err)
	}
	var pick *zip.File
	files := 0
	for _, zf := range z.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		files++
		if pick == nil || (!strings.EqualFold(path.Ext(pick.Name), ".csv") && strings.EqualFold(path.Ext(zf.Name), ".csv")) {
			pick = zf
		}
	}
	if pick == nil {
		z.Close()
		return nil, nil, errors.New("ranking zip: the archive holds no file")
	}
	rc, err := pick.Open()
	if err != nil {
		z.Close()
		return nil, nil, fmt.Errorf("ranking zip: %s: %w", pick.Name, err)
	}
	return rc, func() { rc.Close(); z.Close() }, nil
}

// limitedReader fails with ErrTooLarge past the limit (the size limit of a
// feed counts decompressed bytes; a zip is no way around it).
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("ranking zip: %w", ErrTooLarge)
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}

func parseRanking(ctx context.Context, f Feed, r io.Reader) (*lists.Set, parse.Report, parse.Format, error) {
	rep := parse.Report{Format: FormatRanking}
	b := lists.NewSetBuilder(f.DisplayName())
	seen := map[string]bool{}
	sc := bufio.NewScanner(ctxReader{ctx, r})
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	ordinal := 0
	for sc.Scan() {
		rep.Lines++
		line := strings.TrimSpace(sc.Text())
		if rep.Lines == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
			if l := strings.ToLower(line); strings.HasPrefix(l, "<") {
				return nil, rep, FormatRanking, errors.New("not a ranking: the body is an HTML or XML page")
			} else if l == "rank,domain" || l == "rank,name" {
				continue
			}
		}
		if line == "" || line[0] == '#' {
			continue
		}
		ordinal++
		name, rank := line, ordinal
		if a, c, ok := strings.Cut(line, ","); ok {
			v, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil || v < 1 {
				rep.Reject(rep.Lines, line, parse.ReasonSyntax, "not \"rank,domain\": the rank is not a positive number")
				continue
			}
			name, rank = strings.TrimSpace(c), v
		}
		if f.Top > 0 && rank > f.Top {
			continue
		}
		h, err := lists.NormalizeHost(name)
		if err != nil {
			rep.RejectErr(rep.Lines, line, err)
			continue
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		b.Add(lists.Entry{Value: h, Kind: lists.KindDomain, Line: rank})
		rep.Accept()
	}
	if err := sc.Err(); err != nil {
		return nil, rep, FormatRanking, err
	}
	if rep.Accepted == 0 {
		return nil, rep, FormatRanking, fmt.Errorf("not a ranking: no \"rank,domain\" line among %d lines", rep.Lines)
	}
	if bad := rep.TotalRejected(); bad > rep.Accepted {
		return nil, rep, FormatRanking, fmt.Errorf("not a ranking: %d of %d lines are not \"rank,domain\"", bad, bad+rep.Accepted)
	}
	return b.Build(), rep, FormatRanking, nil
}

type rankMemo struct {
	set *lists.Set
	r   *lists.Ranking
}

// Ranking returns the ranking of the first enabled ranking feed that has a
// good copy, or nil when none has (never fetched, no cached copy): the
// caller then guards with the embedded snapshot.
func (m *Updater) Ranking() *lists.Ranking {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fs := range m.feeds {
		if !fs.feed.Enabled || !fs.feed.IsRanking() || fs.set == nil {
			continue
		}
		if m.rankMemo.set != fs.set {
			src := fs.feed.URL // with the time its content last changed: the same copy is the same source after a restart
			if !fs.meta.ChangedAt.IsZero() {
				src += ", copy of " + fs.meta.ChangedAt.UTC().Format(time.RFC3339)
			}
			m.rankMemo = rankMemo{set: fs.set, r: lists.RankingFromSet(fs.set, src)}
		}
		return m.rankMemo.r
	}
	return nil
}

// LoadRanking installs the last good copy of every enabled ranking feed
// (or reads it, for a local file), without fetching and without OnChange:
// for a start from the lists' snapshot, whose guard must be the ranking
// the snapshot was compiled with before anything is answered. LoadCached
// reads them again with the other feeds.
func (m *Updater) LoadRanking(ctx context.Context) error {
	var errs []error
	for _, fs := range m.snapshot() {
		if !fs.feed.Enabled || !fs.feed.IsRanking() {
			continue
		}
		var err error
		if fs.feed.IsRemote() {
			err = m.loadCached(ctx, fs)
		} else {
			err = m.refresh(ctx, fs, false)
		}
		if err != nil && !(errors.Is(err, os.ErrNotExist) && fs.feed.IsRemote()) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
