// Package feeds fetches scam feeds, keeps the last good copy of each on
// disk, refreshes every feed on its own schedule and hands the parsed sets to
// whoever compiles the matcher. Parsing itself is package feeds/parse.
//
// See README.md for the fault model and the measured numbers.
package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
)

// Defaults for a Feed's zero fields.
const (
	DefaultInterval    = 6 * time.Hour
	DefaultMaxBytes    = 64 << 20 // 64 MiB, applied to the decompressed bytes
	DefaultShrinkGuard = 0.5
	// NeverStale is the StaleAfter of a feed that is not expected to
	// change: dormant upstream, kept for its old entries.
	NeverStale time.Duration = -1
)

// Feed is the configuration of one feed.
type Feed struct {
	// Name identifies the feed in status, logs, block explanations and the
	// cache file name. Empty means the URL (or path).
	Name string `json:"name"`
	// URL is http://, https://, file:// or a plain file path.
	URL string `json:"url"`
	// Format is the parse format; empty means autodetect (parse.Detect).
	Format parse.Format `json:"format,omitempty"`
	// Options are handed to the parser (CSV column, URL-blocks-host, default
	// category and chain).
	Options parse.Options `json:"options"`
	// Interval between refreshes. Zero means DefaultInterval for http(s)
	// feeds; file feeds with a zero interval are read at start and on
	// RefreshAll (SIGHUP) only.
	Interval time.Duration `json:"interval,omitempty"`
	// MaxBytes caps the (decompressed) size of one download. Zero means
	// DefaultMaxBytes.
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// ShrinkGuard is the largest share (0 < s ≤ 1) by which a refresh may
	// shrink the feed's entry count; a refresh that shrinks it more, or
	// brings nothing, is refused and the last good copy stays in use.
	// Zero means DefaultShrinkGuard for http(s) feeds and no guard for
	// local files (the operator's own files may shrink or be emptied).
	// 1 allows any shrink but still refuses an empty download.
	ShrinkGuard float64 `json:"shrink_guard,omitempty"`
	// StaleAfter is how long the content may stay unchanged before the
	// feed is called stale (Status.Stale, one WARN per streak). Zero means
	// the Updater's default for http(s) feeds (UpdaterOptions.StaleAfter)
	// and none for local files; NeverStale marks a feed known to be
	// dormant upstream.
	StaleAfter time.Duration `json:"stale_after,omitempty"`
	// Trusted feeds skip the guard's platform and popular-site rules when
	// the matcher is compiled (public suffixes stay guarded); for a
	// researcher's own list. See lists.SourceOptions.
	Trusted bool `json:"trusted,omitempty"`
	// Enabled feeds are fetched and used; disabled ones are only listed.
	Enabled bool `json:"enabled"`
	// Top keeps the top Top names of a ranking feed (FormatRanking); 0
	// keeps all. Other feeds ignore it.
	Top int `json:"top,omitempty"`
	// Licence and Homepage are documentation, shown by `scamblock feeds`.
	Licence  string `json:"licence,omitempty"`
	Homepage string `json:"homepage,omitempty"`
}

// DisplayName is the feed's name, or its URL when it has none.
func (f Feed) DisplayName() string {
	if f.Name != "" {
		return f.Name
	}
	return f.URL
}

// IsRemote reports whether the feed is fetched over http(s).
func (f Feed) IsRemote() bool {
	u := strings.ToLower(f.URL)
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// WithDefaults returns f with its zero fields set to the defaults.
func (f Feed) WithDefaults() Feed {
	if f.Name == "" {
		f.Name = f.URL
	}
	if f.MaxBytes <= 0 {
		f.MaxBytes = DefaultMaxBytes
	}
	if f.IsRemote() {
		if f.Interval <= 0 {
			f.Interval = DefaultInterval
		}
		if f.ShrinkGuard <= 0 {
			f.ShrinkGuard = DefaultShrinkGuard
		}
	}
	return f
}

// Validate reports what is wrong with f, in words a person can act on.
func (f Feed) Validate() error {
	name := f.DisplayName()
	if strings.TrimSpace(f.URL) == "" {
		return fmt.Errorf("feed %q: url is empty: give an http(s):// URL, a file:// URL or a file path", name)
	}
	if strings.Contains(f.URL, "://") {
		u, err := url.Parse(f.URL)
		if err != nil {
			return fmt.Errorf("feed %q: url %q: %w", name, f.URL, err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.Host == "" {
				return fmt.Errorf("feed %q: url %q has no host", name, f.URL)
			}
		case "file":
		default:
			return fmt.Errorf("feed %q: url scheme %q is not supported: use http, https, file or a plain path", name, u.Scheme)
		}
	}
	if f.Interval < 0 {
		return fmt.Errorf("feed %q: interval %s is negative", name, f.Interval)
	}
	if f.MaxBytes < 0 {
		return fmt.Errorf("feed %q: max size %d is negative", name, f.MaxBytes)
	}
	if f.ShrinkGuard < 0 || f.ShrinkGuard > 1 {
		return fmt.Errorf("feed %q: shrink_guard %v is outside 0..1 (0.5 refuses a refresh that loses more than half the entries; 1 allows any shrink)", name, f.ShrinkGuard)
	}
	return nil
}

// localPath returns the file path of a file:// URL or plain path.
func (f Feed) localPath() (string, error) {
	if !strings.Contains(f.URL, "://") {
		return f.URL, nil
	}
	u, err := url.Parse(f.URL)
	if err != nil {
		return "", fmt.Errorf("feed %q: %w", f.DisplayName(), err)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		return "", errors.New("not a file URL")
	}
	p := u.Path
	if u.Host != "" && u.Host != "localhost" {
		p = u.Host + p // file://relative/path
	}
	return filepath.FromSlash(p), nil
}

// SafeName turns a feed name into a file name for the cache: lower-case
// letters, digits, '.', '-' and '_', at most 64 of them, plus 8 hex digits
// of the name's SHA-256 so that different names never share a file.
func SafeName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.':
			if b.Len() > 0 { // never a leading dot
				b.WriteRune(r)
			}
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	sum := sha256.Sum256([]byte(name))
	s := strings.Trim(b.String(), "_.")
	if s == "" {
		s = "feed"
	}
	return s + "-" + hex.EncodeToString(sum[:4])
}
