package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
)

// cacheMeta is the JSON file written next to a cached feed body.
type cacheMeta struct {
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	FetchedAt    time.Time `json:"fetched_at"` // last successful fetch (200 or 304)
	ChangedAt    time.Time `json:"changed_at"` // last time the content changed
	// StaleWarned is when the stale WARN was logged; after ChangedAt: the
	// current streak has been warned about.
	StaleWarned time.Time    `json:"stale_warned,omitzero"`
	SHA256      string       `json:"sha256"`
	Size        int64        `json:"size"`
	Format      parse.Format `json:"format"`
	Entries     int          `json:"entries"`
	Report      parse.Report `json:"report"`
}

// failureRecord is the last failed refresh of a feed, kept in
// <dir>/<safe-name>.failure.json until a refresh succeeds.
type failureRecord struct {
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

func (c cache) failurePath(name string) string {
	return filepath.Join(c.dir, SafeName(name)+".failure.json")
}

// storeFailure records r, or removes the record when r.Error is "".
func (c cache) storeFailure(name string, r failureRecord) error {
	if r.Error == "" {
		if err := os.Remove(c.failurePath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeFileAtomic(c.failurePath(name), append(b, '\n'))
}

func (c cache) loadFailure(name string) (failureRecord, bool) {
	var r failureRecord
	b, err := os.ReadFile(c.failurePath(name))
	if err != nil || json.Unmarshal(b, &r) != nil || r.Error == "" {
		return r, false
	}
	return r, true
}

// cache is the last-good store of one data directory:
// <dir>/<safe-name> holds the body, <dir>/<safe-name>.json the metadata.
type cache struct{ dir string }

func (c cache) bodyPath(name string) string { return filepath.Join(c.dir, SafeName(name)) }
func (c cache) metaPath(name string) string { return filepath.Join(c.dir, SafeName(name)+".json") }

// load returns the metadata of name's cached copy after checking that the
// body is there and matches its checksum.
func (c cache) load(name string) (cacheMeta, error) {
	var m cacheMeta
	b, err := os.ReadFile(c.metaPath(name))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("cache metadata %s: %w", c.metaPath(name), err)
	}
	sum, size, err := hashFile(c.bodyPath(name))
	if err != nil {
		return m, fmt.Errorf("cached copy: %w", err)
	}
	if sum != m.SHA256 || size != m.Size {
		return m, fmt.Errorf("cached copy %s is damaged: sha256 %s, want %s", c.bodyPath(name), sum, m.SHA256)
	}
	return m, nil
}

// store makes tmpBody (a file in c.dir, or anywhere when copy is needed)
// the cached body of name and writes its metadata, each atomically.
func (c cache) store(name, tmpBody string, m cacheMeta) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	if tmpBody != "" {
		if err := syncFile(tmpBody); err != nil {
			return err
		}
		if err := os.Rename(tmpBody, c.bodyPath(name)); err != nil {
			return fmt.Errorf("cache body: %w", err)
		}
	}
	if err := c.storeMeta(name, m); err != nil {
		return err
	}
	return syncDir(c.dir)
}

func (c cache) storeMeta(name string, m cacheMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.metaPath(name), append(b, '\n'))
}

// writeFileAtomic writes data to path through a temp file in the same
// directory: write, fsync, rename, so a crash leaves the old or the new
// file, never a torn one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(serr, cerr)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Sync() // not supported everywhere; the renames are done either way
	return nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
