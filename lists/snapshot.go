package lists

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// A snapshot is a compiled Matcher written to one file, so that a restart
// answers from it at once instead of parsing and compiling every feed.
//
// Layout (little-endian; every section starts on an 8-byte boundary):
//
//	header (64 bytes): magic "scamsnap", version, file length, offset and
//	                   length of the directory, CRC-32C of the body, CRC-32C
//	                   of the header
//	body:              the raw arrays the Matcher and its Sets read —
//	                   slots, records, name arenas, indexes — each written as
//	                   it lies in memory, then the directory (JSON: the small
//	                   tables and where each array is)
//
// Loading checks the length, both CRCs and every array's bounds, then maps
// the file (mmap where there is one) and points the Matcher's slices and
// strings into it: no name is parsed or copied, so the cost does not grow
// with the number of names beyond reading the file once for its CRC.
const (
	snapshotMagic   = "scamsnap"
	snapshotVersion = 4 // 2: the consensus decisions are kept; 3: the name index Explain reads (snapDir.Listings); 4: the names' arena offsets beside the slots (snapDir.Names)
	snapshotHeader  = 64
)

// SnapshotVersion is the format version this build writes and reads.
const SnapshotVersion = snapshotVersion

// ErrSnapshot marks every reason a snapshot file is not used: missing,
// corrupt, truncated or written by another format version. The caller logs
// it and compiles from the feeds instead.
var ErrSnapshot = errors.New("snapshot not usable")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// SnapshotInfo describes a snapshot file.
type SnapshotInfo struct {
	Version int       `json:"version"`
	Written time.Time `json:"written"`
	// Inputs is the caller's fingerprint of what the matcher was compiled
	// from (sources and their content hashes, --allow names, options), so
	// that a loader can tell whether the feeds still say the same.
	Inputs string `json:"inputs,omitempty"`
	Names  int    `json:"names"`
	Bytes  int64  `json:"bytes"`
}

// span locates one array in the file: its offset and its length in
// elements.
type span struct {
	Off uint64 `json:"off"`
	N   uint64 `json:"n"`
}

// snapDir is the directory at the end of a snapshot: everything small, and
// where the arrays are.
type snapDir struct {
	Info      SnapshotInfo `json:"info"`
	Count     int          `json:"count"`
	TLDs      bool         `json:"tlds"`
	Slots     span         `json:"slots"`
	Names     span         `json:"names"` // beside the slots: where each slot's name starts in its Set's arena
	Subs      [][2]uint32  `json:"subs,omitempty"`
	Sets      []snapSet    `json:"sets"`
	Fuzzy     []snapFuzzy  `json:"fuzzy,omitempty"`
	URLs      span         `json:"urls"`
	Addresses span         `json:"addresses"`
	Guarded   span         `json:"guarded"`
	Dropped   span         `json:"dropped"`
	Listings  span         `json:"listings"`
	UserAllow []string     `json:"user_allow,omitempty"`
	// Consensus is every ranked name some Block entry listed, with who
	// listed it and whether that blocked it, so that check and EDE say
	// after a restart what they said after the compile.
	Consensus []Consensus `json:"consensus,omitempty"`
}

type snapSet struct {
	Source    string      `json:"source"`
	N         int         `json:"n"`
	Cats      []string    `json:"cats"`
	Chains    []string    `json:"chains"`
	Extras    []snapExtra `json:"extras,omitempty"`
	Arena     span        `json:"arena"` // bytes
	ChunkLens []uint32    `json:"chunk_lens"`
	Recs      span        `json:"recs"`
	PS        span        `json:"ps"` // entries that are public suffixes
}

type snapExtra struct {
	I         uint32   `json:"i"`
	Chain     string   `json:"chain,omitempty"`
	Links     []string `json:"links,omitempty"`
	Tolerance int      `json:"tolerance,omitempty"`
}

type snapFuzzy struct {
	Target string `json:"target"`
	Form   string `json:"form"`
	Labels int    `json:"labels"`
	Tol    int    `json:"tol"`
	Ref    uint32 `json:"ref"`
}

// WriteSnapshot writes m to path as a snapshot, atomically: a temporary
// file in the same directory, synced, then renamed over path. inputs is
// stored as SnapshotInfo.Inputs.
func WriteSnapshot(path string, m *Matcher, inputs string) (SnapshotInfo, error) {
	if m == nil {
		return SnapshotInfo{}, errors.New("snapshot: no matcher to write")
	}
	if !littleEndian() {
		return SnapshotInfo{}, errors.New("snapshot: this CPU is big-endian; snapshots are written on little-endian CPUs only")
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot: %w", err)
	}
	tmp := f.Name()
	info, err := writeSnapshot(f, m, inputs)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return SnapshotInfo{}, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return info, nil
}

// snapWriter writes the body: it counts the offset, pads sections to 8
// bytes and feeds the CRC.
type snapWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	off uint64
	err error
}

func (w *snapWriter) write(b []byte) {
	if w.err != nil || len(b) == 0 {
		return
	}
	w.crc.Write(b)
	_, w.err = w.w.Write(b)
	w.off += uint64(len(b))
}

func (w *snapWriter) align() {
	var zero [8]byte
	if r := w.off % 8; r != 0 {
		w.write(zero[:8-r])
	}
}

// array writes a slice as it lies in memory and returns where it went.
func writeArray[T any](w *snapWriter, a []T) span {
	w.align()
	sp := span{Off: w.off, N: uint64(len(a))}
	if len(a) > 0 {
		w.write(unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), len(a)*int(unsafe.Sizeof(a[0]))))
	}
	return sp
}

func writeSnapshot(f *os.File, m *Matcher, inputs string) (SnapshotInfo, error) {
	var zero [snapshotHeader]byte
	if _, err := f.Write(zero[:]); err != nil {
		return SnapshotInfo{}, err
	}
	w := &snapWriter{w: bufio.NewWriterSize(f, 1<<20), crc: crc32.New(crcTable), off: snapshotHeader}
	d := snapDir{
		Info:      SnapshotInfo{Version: snapshotVersion, Written: time.Now().UTC().Truncate(time.Second), Inputs: inputs, Names: m.count},
		Count:     m.count,
		TLDs:      m.tlds,
		Slots:     writeArray(w, m.slots),
		Names:     writeArray(w, m.names),
		URLs:      writeArray(w, m.urls),
		Addresses: writeArray(w, m.addresses),
		Guarded:   writeArray(w, m.guarded),
		Dropped:   writeArray(w, m.dropped),
		Listings:  writeArray(w, m.listings),
	}
	for full, sub := range m.subs {
		d.Subs = append(d.Subs, [2]uint32{full, sub})
	}
	slices.SortFunc(d.Subs, func(a, b [2]uint32) int { return int(int64(a[0]) - int64(b[0])) })
	for _, f := range m.fuzzy {
		d.Fuzzy = append(d.Fuzzy, snapFuzzy{Target: f.target, Form: f.form, Labels: f.labels, Tol: f.tol, Ref: f.ref})
	}
	for n := range m.userAllow {
		d.UserAllow = append(d.UserAllow, n)
	}
	slices.Sort(d.UserAllow)
	for _, c := range m.consensus {
		d.Consensus = append(d.Consensus, c)
	}
	slices.SortFunc(d.Consensus, func(a, b Consensus) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range m.sets {
		d.Sets = append(d.Sets, writeSet(w, s))
	}
	dir, err := json.Marshal(d)
	if err != nil {
		return SnapshotInfo{}, err
	}
	w.align()
	dirOff := w.off
	w.write(dir)
	w.align()
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err != nil {
		return SnapshotInfo{}, w.err
	}
	h := make([]byte, snapshotHeader)
	copy(h, snapshotMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], snapshotVersion)
	le.PutUint64(h[16:], w.off)
	le.PutUint64(h[24:], dirOff)
	le.PutUint64(h[32:], uint64(len(dir)))
	le.PutUint32(h[56:], w.crc.Sum32())
	le.PutUint32(h[60:], crc32.Checksum(h[:60], crcTable))
	if _, err := f.WriteAt(h, 0); err != nil {
		return SnapshotInfo{}, err
	}
	d.Info.Bytes = int64(w.off)
	return d.Info, nil
}

// writeSet writes one Set's arena, records and public-suffix memo.
func writeSet(w *snapWriter, s *Set) snapSet {
	if s.n > 0 {
		s.isPublicSuffix(0) // the memo is part of the snapshot
	}
	ss := snapSet{Source: s.source, N: s.n, Cats: s.cats, Chains: s.chains}
	w.align()
	ss.Arena.Off = w.off
	for _, c := range s.chunks {
		w.write(unsafe.Slice(unsafe.StringData(c), len(c)))
		ss.ChunkLens = append(ss.ChunkLens, uint32(len(c)))
		ss.Arena.N += uint64(len(c))
	}
	w.align()
	ss.Recs.Off, ss.Recs.N = w.off, uint64(s.n)
	for _, rc := range s.recs {
		if len(rc) > 0 {
			w.write(unsafe.Slice((*byte)(unsafe.Pointer(&rc[0])), len(rc)*int(unsafe.Sizeof(rc[0]))))
		}
	}
	ss.PS = writeArray(w, s.ps)
	for i, ex := range s.extras {
		ss.Extras = append(ss.Extras, snapExtra{I: i, Chain: ex.chain, Links: ex.links, Tolerance: ex.tolerance})
	}
	slices.SortFunc(ss.Extras, func(a, b snapExtra) int { return int(int64(a.I) - int64(b.I)) })
	return ss
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}
