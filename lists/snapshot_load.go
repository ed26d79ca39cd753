package lists

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"time"
	"unsafe"
)

// mapping owns a snapshot file's bytes (an mmap, or a heap copy where
// there is no mmap). Every Set and Matcher loaded from it points to it;
// when none is reachable any more the bytes are released, after
// unmapGrace: strings handed out from them (Hit.Name, Entry.Value) stay
// valid for that long after their Matcher was dropped, like an RCU grace
// period. Holders that keep such strings longer must keep the Set or
// copy them.
type mapping struct {
	data []byte
}

const unmapGrace = time.Minute

func newMapping(data []byte, release func([]byte)) *mapping {
	mp := &mapping{data: data}
	if release != nil {
		runtime.AddCleanup(mp, func(d []byte) {
			time.AfterFunc(unmapGrace, func() { release(d) })
		}, data)
	}
	return mp
}

// OpenSnapshot loads the matcher a snapshot file holds. guard (nil:
// DefaultGuard()) is what look-alike answers check, as Compile's would.
// A missing, truncated, corrupt or foreign-version file returns an error
// wrapping ErrSnapshot that says which; nothing is loaded then.
func OpenSnapshot(path string, guard *Guard) (*Matcher, SnapshotInfo, error) {
	m, info, err := openSnapshot(path, guard)
	if err != nil {
		return nil, SnapshotInfo{}, fmt.Errorf("%w: %s: %w", ErrSnapshot, path, err)
	}
	return m, info, nil
}

func openSnapshot(path string, guard *Guard) (*Matcher, SnapshotInfo, error) {
	if !littleEndian() {
		return nil, SnapshotInfo{}, fmt.Errorf("this CPU is big-endian")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, SnapshotInfo{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, SnapshotInfo{}, err
	}
	size := fi.Size()
	dirOff, dirLen, err := checkSnapshotFile(f, size)
	if err != nil {
		return nil, SnapshotInfo{}, err
	}
	data, release, err := mapFile(f, size)
	if err != nil {
		return nil, SnapshotInfo{}, fmt.Errorf("map: %w", err)
	}
	mp := newMapping(data, release)
	var d snapDir
	if err := json.Unmarshal(data[dirOff:dirOff+dirLen], &d); err != nil {
		return nil, SnapshotInfo{}, fmt.Errorf("directory: %w", err)
	}
	m, err := d.matcher(mp, dirOff)
	if err != nil {
		return nil, SnapshotInfo{}, err
	}
	if guard == nil {
		guard = DefaultGuard()
	}
	m.guard = guard
	d.Info.Bytes = size
	return m, d.Info, nil
}

// Mapped reports whether the matcher was read from a snapshot file (its
// tables and names are paged from the file) rather than compiled.
func (m *Matcher) Mapped() bool { return m != nil && m.backing != nil }

// checkSnapshotFile reads the header and the body (for its CRC) with
// plain reads, so that the pages the query path never touches are not
// mapped into the process, and returns where the directory is.
func checkSnapshotFile(f *os.File, size int64) (dirOff, dirLen uint64, err error) {
	if size < snapshotHeader {
		return 0, 0, fmt.Errorf("truncated: %d bytes, shorter than the header", size)
	}
	h := make([]byte, snapshotHeader)
	if _, err := f.ReadAt(h, 0); err != nil {
		return 0, 0, err
	}
	le := binary.LittleEndian
	if string(h[:8]) != snapshotMagic {
		return 0, 0, fmt.Errorf("not a scamblock snapshot")
	}
	if crc32.Checksum(h[:60], crcTable) != le.Uint32(h[60:]) {
		return 0, 0, fmt.Errorf("corrupt: header checksum mismatch")
	}
	if v := le.Uint32(h[8:]); v != snapshotVersion {
		return 0, 0, fmt.Errorf("format version %d; this build reads version %d", v, snapshotVersion)
	}
	if n := le.Uint64(h[16:]); n != uint64(size) {
		return 0, 0, fmt.Errorf("truncated or extended: %d bytes, the header says %d", size, n)
	}
	dirOff, dirLen = le.Uint64(h[24:]), le.Uint64(h[32:])
	if dirOff < snapshotHeader || dirOff > uint64(size) || dirLen > uint64(size)-dirOff {
		return 0, 0, fmt.Errorf("corrupt: directory out of bounds")
	}
	crc := crc32.New(crcTable)
	if _, err := io.Copy(crc, io.NewSectionReader(f, snapshotHeader, size-snapshotHeader)); err != nil {
		return 0, 0, err
	}
	if crc.Sum32() != le.Uint32(h[56:]) {
		return 0, 0, fmt.Errorf("corrupt: body checksum mismatch")
	}
	return dirOff, dirLen, nil
}

// view returns the array at sp as a slice of T pointing into data, after
// checking that it lies whole before limit and is aligned.
func view[T any](data []byte, sp span, limit uint64) ([]T, error) {
	var zero T
	size, align := uint64(unsafe.Sizeof(zero)), uint64(unsafe.Alignof(zero))
	if sp.N == 0 {
		return nil, nil
	}
	if sp.Off%align != 0 || sp.Off > limit || sp.N > (limit-sp.Off)/size {
		return nil, fmt.Errorf("corrupt: array at %d (%d × %d bytes) out of bounds", sp.Off, sp.N, size)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&data[sp.Off])), sp.N), nil
}

// matcher builds the Matcher the directory describes over the mapped
// bytes. limit is where the arrays end (the directory's offset).
func (d *snapDir) matcher(mp *mapping, limit uint64) (*Matcher, error) {
	data := mp.data
	m := &Matcher{count: d.Count, tlds: d.TLDs, backing: mp, userAllow: make(map[string]struct{}, len(d.UserAllow))}
	var err error
	if m.names, err = view[uint32](data, d.Names, limit); err != nil {
		return nil, err
	}
	if m.slots, err = view[uint64](data, d.Slots, limit); err != nil {
		return nil, err
	}
	if m.urls, err = view[hashRef](data, d.URLs, limit); err != nil {
		return nil, err
	}
	if m.addresses, err = view[hashRef](data, d.Addresses, limit); err != nil {
		return nil, err
	}
	if m.guarded, err = view[guardedRef](data, d.Guarded, limit); err != nil {
		return nil, err
	}
	if m.dropped, err = view[uint32](data, d.Dropped, limit); err != nil {
		return nil, err
	}
	if m.listings, err = view[hashRef](data, d.Listings, limit); err != nil {
		return nil, err
	}
	m.bases = make([]uint32, len(d.Sets)+1)
	for i, ss := range d.Sets {
		s, err := ss.set(mp, limit)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", ss.Source, err)
		}
		m.sets = append(m.sets, s)
		m.bases[i+1] = m.bases[i] + uint32(s.n)
	}
	if len(d.Subs) > 0 {
		m.subs = make(map[uint32]uint32, len(d.Subs))
		for _, p := range d.Subs {
			m.subs[p[0]] = p[1]
		}
	}
	for _, f := range d.Fuzzy {
		m.fuzzy = append(m.fuzzy, fuzzyTarget{target: f.Target, form: f.Form, labels: f.Labels, tol: f.Tol, ref: f.Ref})
	}
	for _, n := range d.UserAllow {
		m.userAllow[n] = struct{}{}
	}
	if len(d.Consensus) > 0 {
		m.consensus = make(map[string]Consensus, len(d.Consensus))
		for _, c := range d.Consensus {
			m.consensus[c.Name] = c
		}
	}
	if err := m.checkRefs(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkRefs makes sure every reference points at an entry, so that a
// snapshot that passed its CRC but was written wrong cannot make the
// query path index out of range.
func (m *Matcher) checkRefs() error {
	total := m.bases[len(m.bases)-1]
	if len(m.names) != len(m.slots) {
		return fmt.Errorf("corrupt: %d name offsets for %d slots", len(m.names), len(m.slots))
	}
	for _, s := range m.slots {
		if s != 0 && slotFull(s) > total {
			return fmt.Errorf("corrupt: slot refers to entry %d of %d", slotFull(s), total)
		}
	}
	for full, sub := range m.subs {
		if full > total || sub > total {
			return fmt.Errorf("corrupt: sub-entry out of range")
		}
	}
	for i, g := range m.guarded {
		if g.ref >= total || int(g.rule) >= len(ruleNames) || i > 0 && m.guarded[i-1].ref >= g.ref {
			return fmt.Errorf("corrupt: guarded entry out of range or order")
		}
	}
	for i, r := range m.dropped {
		if r >= total || i > 0 && m.dropped[i-1] >= r {
			return fmt.Errorf("corrupt: dropped entry out of range or order")
		}
	}
	for _, idx := range [][]hashRef{m.urls, m.addresses, m.listings} {
		for _, h := range idx {
			if h.ref >= total {
				return fmt.Errorf("corrupt: index entry out of range")
			}
		}
	}
	for _, f := range m.fuzzy {
		if f.ref >= total {
			return fmt.Errorf("corrupt: look-alike target out of range")
		}
	}
	return nil
}

// set builds one Set over the mapped bytes: its arena chunks are
// substrings of the file, its records a view of it.
func (ss *snapSet) set(mp *mapping, limit uint64) (*Set, error) {
	data := mp.data
	if ss.N < 0 || uint64(ss.N) != ss.Recs.N || len(ss.Cats) == 0 || len(ss.Chains) == 0 {
		return nil, fmt.Errorf("corrupt: set header")
	}
	arena, err := view[byte](data, ss.Arena, limit)
	if err != nil {
		return nil, err
	}
	recs, err := view[setRec](data, ss.Recs, limit)
	if err != nil {
		return nil, err
	}
	ps, err := view[uint32](data, ss.PS, limit)
	if err != nil {
		return nil, err
	}
	s := &Set{source: ss.Source, n: ss.N, cats: ss.Cats, chains: ss.Chains, backing: mp}
	var at uint64
	for _, l := range ss.ChunkLens {
		if uint64(l) > uint64(len(arena))-at {
			return nil, fmt.Errorf("corrupt: arena chunks")
		}
		s.chunks = append(s.chunks, unsafe.String(unsafe.SliceData(arena[at:]), int(l)))
		at += uint64(l)
	}
	for len(recs) > 0 {
		k := min(len(recs), recChunk)
		s.recs = append(s.recs, recs[:k:k])
		recs = recs[k:]
	}
	for _, ex := range ss.Extras {
		if s.extras == nil {
			s.extras = make(map[uint32]setExtra, len(ss.Extras))
		}
		s.extras[ex.I] = setExtra{chain: ex.Chain, links: ex.Links, tolerance: ex.Tolerance}
	}
	s.ps = ps
	s.psOnce.Do(func() {}) // the memo came with the file
	return s, nil
}
