package follow

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// The copy on disk: <Dir>/<zone>.zone in master-file format (RFC 1035 §5;
// BIND can load it too) and <zone>.json with its checksum and the time the
// primary was last reached. Both are replaced atomically (temp file, fsync,
// rename); the zone file first, so the metadata never describes a file
// that is not there.

// meta is the JSON file beside the zone file.
type meta struct {
	Zone        string    `json:"zone"`
	Primary     string    `json:"primary"`
	Serial      uint32    `json:"serial"`
	Records     int       `json:"records"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Saved       time.Time `json:"saved"`
	LastContact time.Time `json:"last_contact"` // the primary last answered (for SOA expire across restarts)
}

type store struct {
	dir  string
	base string // file name without extension
}

func newStore(dir, zone string) store {
	return store{dir: dir, base: fileName(zone)}
}

// fileName makes a zone name safe as a file name: "rpz.example." →
// "rpz.example".
func fileName(zone string) string {
	var b strings.Builder
	for _, c := range []byte(strings.ToLower(strings.TrimSuffix(zone, "."))) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "root"
	}
	return s
}

func (s store) zonePath() string { return filepath.Join(s.dir, s.base+".zone") }
func (s store) metaPath() string { return filepath.Join(s.dir, s.base+".json") }

// save writes z and its metadata, and returns the metadata with the
// zone file's checksum.
func (s store) save(z *zone, m meta) (meta, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return m, fmt.Errorf("follow: data dir: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*.zone")
	if err != nil {
		return m, fmt.Errorf("follow: save zone: %w", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	bw := bufio.NewWriterSize(cw, 256<<10)
	werr := z.writeTo(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return m, fmt.Errorf("follow: save zone %s: %w", s.zonePath(), err)
	}
	if err := os.Rename(tmp.Name(), s.zonePath()); err != nil {
		os.Remove(tmp.Name())
		return m, fmt.Errorf("follow: save zone: %w", err)
	}
	m.SHA256, m.Size = hex.EncodeToString(h.Sum(nil)), cw.n
	return m, s.saveMeta(m)
}

func (s store) saveMeta(m meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*.json")
	if err != nil {
		return fmt.Errorf("follow: save %s: %w", s.metaPath(), err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("follow: save %s: %w", s.metaPath(), err)
	}
	if err := os.Rename(tmp.Name(), s.metaPath()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("follow: save %s: %w", s.metaPath(), err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync() // the renames are done either way; not every system syncs a directory
		d.Close()
	}
	return nil
}

// readMeta reads the metadata file (os.ErrNotExist when there is none).
func (s store) readMeta() (meta, error) {
	var m meta
	b, err := os.ReadFile(s.metaPath())
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("follow: %s: %w", s.metaPath(), err)
	}
	return m, nil
}

// load reads the copy on disk after checking its checksum.
func (s store) load(origin string, max int) (*zone, meta, error) {
	m, err := s.readMeta()
	if err != nil {
		return nil, m, err
	}
	if m.Zone != origin {
		return nil, m, fmt.Errorf("follow: %s holds zone %q, not %q", s.metaPath(), m.Zone, origin)
	}
	file, err := os.Open(s.zonePath())
	if err != nil {
		return nil, m, fmt.Errorf("follow: saved zone: %w", err)
	}
	defer file.Close()
	// Parse while hashing (a million-name zone is ~60 MB): a damaged file
	// is refused after the parse, before its zone is used.
	h := sha256.New()
	z, perr := parseZone(bufio.NewReaderSize(io.TeeReader(file, h), 256<<10), origin, s.zonePath(), &rdataTable{}, max)
	size, err := io.Copy(h, file) // what the parse left unread
	if err != nil {
		return nil, m, fmt.Errorf("follow: saved zone: %w", err)
	}
	if fi, err := file.Stat(); err == nil {
		size = fi.Size()
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 || size != m.Size {
		return nil, m, fmt.Errorf("follow: saved zone %s is damaged (sha256 %s, %d bytes; want %s, %d bytes)", s.zonePath(), got, size, m.SHA256, m.Size)
	}
	if perr != nil {
		return nil, m, fmt.Errorf("follow: saved zone %s: %w", s.zonePath(), perr)
	}
	if z.serial() != m.Serial {
		return nil, m, fmt.Errorf("follow: saved zone %s has serial %d, its metadata %d", s.zonePath(), z.serial(), m.Serial)
	}
	return z, m, nil
}

// parseZone reads a zone in master-file format: the SOA first, then the
// other records.
func parseZone(r io.Reader, origin, file string, table *rdataTable, max int) (*zone, error) {
	zp := dns.NewZoneParser(r, origin, file)
	zp.SetIncludeAllowed(false)
	b := newZoneBuilder(origin, table, max)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if b.soa == nil {
			soa, isSOA := rr.(*dns.SOA)
			if !isSOA {
				return nil, errors.New("the zone does not start with its SOA")
			}
			if err := b.setSOA(soa); err != nil {
				return nil, err
			}
			continue
		}
		if err := b.add(rr); err != nil {
			return nil, err
		}
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	if b.soa == nil {
		return nil, errors.New("no SOA record")
	}
	return b.build(), nil
}

// writeTo writes the zone in master-file format, owners relative to the
// origin. TTLs are the SOA minimum (the copy keeps none).
func (z *zone) writeTo(w *bufio.Writer) error {
	fmt.Fprintf(w, "; scamblock follower copy of %s, serial %d, %d records\n", z.origin, z.serial(), z.records)
	fmt.Fprintf(w, "$ORIGIN %s\n$TTL %d\n", z.origin, z.soa.Minttl)
	soa := *z.soa
	soa.Hdr.Ttl = z.soa.Minttl
	w.WriteString(soa.String())
	w.WriteByte('\n')
	for _, n := range z.nodes {
		z.refs(n, func(wild bool, ref uint32) {
			owner := n.name
			switch {
			case wild && owner == "":
				owner = "*"
			case wild:
				w.WriteString("*.")
			case owner == "":
				owner = "@"
			}
			rd := &z.rd[ref-1]
			w.WriteString(owner)
			w.WriteByte('\t')
			w.WriteString(rd.typ)
			w.WriteByte('\t')
			w.WriteString(rd.text)
			w.WriteByte('\n')
		})
	}
	_, err := w.Write(nil)
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadSaved reads the copy of zone that a Follower with Config.Dir dir
// keeps, without a primary and without running a Follower: for offline
// tools (`scamblock check` on a follower's data directory). The Set is
// named as a Follower names it ("follow:ZONE"); the error wraps
// os.ErrNotExist when there is no copy yet.
func ReadSaved(dir, zoneName string) (*lists.Set, error) {
	origin := dns.CanonicalName(zoneName)
	z, _, err := newStore(dir, origin).load(origin, 20_000_000)
	if err != nil {
		return nil, err
	}
	set, _ := z.toSet("follow:"+strings.TrimSuffix(origin, "."), parse.Options{})
	return set, nil
}
