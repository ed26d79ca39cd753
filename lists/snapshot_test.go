package lists

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// snapshotFixture compiles a matcher with every kind of entry and state:
// allow and block, exact, a sub-entry, a guarded name, a --allow drop,
// URLs (one blocking its host), an address, a look-alike target, a chain
// beyond the per-Set table, links.
func snapshotFixture(t *testing.T) *Matcher {
	t.Helper()
	feed := buildSet("feed",
		Entry{Value: "evil.example", Category: "scam"},
		Entry{Value: "exact.example", Exact: true},
		Entry{Value: "ok.evil.example", Action: Allow},
		Entry{Value: "com"},            // guarded: public suffix
		Entry{Value: "coinbase.com"},   // guarded: popular
		Entry{Value: "x.corp.example"}, // dropped: --allow corp.example
		Entry{Value: "twitter.com/scammer", Kind: KindURL},
		Entry{Value: "0x8589427373d6d84e98730d7795d8f6f8731fda16", Kind: KindAddress, Chain: "eth", Links: []string{"evil.example"}},
		Entry{Value: "TXyz", Kind: KindAddress, Chain: "trx"},
	)
	phish := buildSet("phish",
		Entry{Value: "exact.example"}, // decides for the subtree below the exact entry
		Entry{Value: "phish.example/login", Kind: KindURL},
	)
	fuzzy := buildSet("metamask", Entry{Value: "metamask.io", Kind: KindLookalike, Tolerance: 1})
	m, _ := Compile([]*Set{feed, phish, fuzzy}, CompileOptions{
		Allow:   []string{"corp.example"},
		Sources: map[string]SourceOptions{"phish": {URLBlocksHost: true}},
	})
	return m
}

var snapshotQueries = []string{
	"evil.example", "A.B.EVIL.EXAMPLE.", "ok.evil.example", "a.ok.evil.example", "exact.example", "a.exact.example",
	"com", "coinbase.com", "x.corp.example", "corp.example", "phish.example", "www.phish.example", "twitter.com",
	"metamask.io", "metamaks.io", "app.metamsk.io", "never.example.org", "example",
}

func writeTestSnapshot(t *testing.T, m *Matcher) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lists.snapshot")
	info, err := WriteSnapshot(path, m, "inputs-v1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Names != m.Len() || info.Version != SnapshotVersion || info.Inputs != "inputs-v1" {
		t.Fatalf("info %+v", info)
	}
	return path
}

// A matcher loaded from its snapshot answers every question exactly as the
// compiled one: lookups, look-alikes, URLs, addresses, Explain, Guarded.
func TestSnapshotAnswersLikeTheCompiledMatcher(t *testing.T) {
	m := snapshotFixture(t)
	path := writeTestSnapshot(t, m)
	got, info, err := OpenSnapshot(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Inputs != "inputs-v1" || info.Names != m.Len() || got.Len() != m.Len() {
		t.Fatalf("info %+v, Len %d; want %d names", info, got.Len(), m.Len())
	}
	for _, q := range snapshotQueries {
		wh, wb := m.Lookup(q)
		gh, gb := got.Lookup(q)
		if wh != gh || wb != gb {
			t.Errorf("Lookup(%q) = %+v, %v; compiled %+v, %v", q, gh, gb, wh, wb)
		}
		if w, g := m.Explain(q), got.Explain(q); !reflect.DeepEqual(w, g) {
			t.Errorf("Explain(%q) =\n%+v\ncompiled\n%+v", q, g, w)
		}
	}
	for _, u := range [][2]string{{"twitter.com", "scammer/1"}, {"phish.example", "login"}, {"twitter.com", "other"}} {
		wh, wb := m.LookupURL(u[0], u[1])
		gh, gb := got.LookupURL(u[0], u[1])
		if wh != gh || wb != gb {
			t.Errorf("LookupURL(%q) = %+v, %v; compiled %+v, %v", u, gh, gb, wh, wb)
		}
	}
	for _, a := range []string{"0x8589427373d6d84e98730d7795d8f6f8731fda16", "TXyz", "nope"} {
		wh, wb := m.LookupAddress(a)
		gh, gb := got.LookupAddress(a)
		if wh != gh || wb != gb {
			t.Errorf("LookupAddress(%q) = %+v, %v; compiled %+v, %v", a, gh, gb, wh, wb)
		}
	}
	if !reflect.DeepEqual(m.Guarded(), got.Guarded()) || len(got.Guarded()) != 2 {
		t.Errorf("Guarded = %+v; compiled %+v", got.Guarded(), m.Guarded())
	}
	for i, s := range got.Sets() {
		var want, have []Entry
		m.Sets()[i].Entries(func(e Entry) bool { want = append(want, e); return true })
		s.Entries(func(e Entry) bool { have = append(have, e); return true })
		if !reflect.DeepEqual(want, have) || s.Source() != m.Sets()[i].Source() {
			t.Errorf("set %d entries differ:\n%+v\n%+v", i, have, want)
		}
	}
	// A loaded matcher compiles again with the others (a feed changed).
	re, _ := Compile(got.Sets()[1:], CompileOptions{Allow: []string{"corp.example"}, Sources: map[string]SourceOptions{"phish": {URLBlocksHost: true}}})
	for _, q := range snapshotQueries {
		if wh, wb := m.Lookup(q); func() bool { gh, gb := re.Lookup(q); return gh != wh || gb != wb }() {
			t.Errorf("recompiled from the snapshot's Sets: Lookup(%q) differs", q)
		}
	}
}

func TestSnapshotOfAnEmptyMatcher(t *testing.T) {
	m, _ := Compile(nil, CompileOptions{})
	got, _, err := OpenSnapshot(writeTestSnapshot(t, m), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, blocked := got.Lookup("evil.example"); blocked || got.Len() != 0 {
		t.Fatal("an empty snapshot blocks")
	}
}

// rewriteHeader changes the header with fn and recomputes its CRC, so that
// only what fn changed is wrong.
func rewriteHeader(t *testing.T, path string, fn func(h []byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fn(b[:snapshotHeader])
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], crcTable))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every damage is detected, reported with its reason, and loads nothing.
func TestSnapshotDamageIsDetected(t *testing.T) {
	m := snapshotFixture(t)
	good, err := os.ReadFile(writeTestSnapshot(t, m))
	if err != nil {
		t.Fatal(err)
	}
	dirOff := binary.LittleEndian.Uint64(good[24:])
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"a flipped byte in the header", func(t *testing.T, p string) { flipByte(t, p, 20) }, "header checksum"},
		{"a flipped byte in the slots", func(t *testing.T, p string) { flipByte(t, p, snapshotHeader+3) }, "body checksum"},
		{"a flipped byte in the names", func(t *testing.T, p string) { flipByte(t, p, int(dirOff)-40) }, "body checksum"},
		{"a flipped byte in the directory", func(t *testing.T, p string) { flipByte(t, p, int(dirOff)+5) }, "body checksum"},
		{"truncated by one byte", func(t *testing.T, p string) { truncate(t, p, int64(len(good)-1)) }, "truncated"},
		{"truncated to half", func(t *testing.T, p string) { truncate(t, p, int64(len(good)/2)) }, "truncated"},
		{"truncated inside the header", func(t *testing.T, p string) { truncate(t, p, 10) }, "truncated"},
		{"empty", func(t *testing.T, p string) { truncate(t, p, 0) }, "truncated"},
		{"another format version", func(t *testing.T, p string) {
			rewriteHeader(t, p, func(h []byte) { binary.LittleEndian.PutUint32(h[8:], SnapshotVersion+1) })
		}, fmt.Sprintf("format version %d", SnapshotVersion+1)},
		{"not a snapshot", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(strings.Repeat("evil.example\n", 10)), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "not a scamblock snapshot"},
		{"missing", func(t *testing.T, p string) { os.Remove(p) }, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lists.snapshot")
			if err := os.WriteFile(path, good, 0o644); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, path)
			got, _, err := OpenSnapshot(path, nil)
			if got != nil || !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenSnapshot = %v, %v; want ErrSnapshot saying %q", got, err, tc.want)
			}
		})
	}
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// A snapshot that passed its CRC but refers past its entries is refused
// rather than trusted by the query path.
func TestSnapshotOutOfRangeReferenceIsRefused(t *testing.T) {
	m := snapshotFixture(t)
	path := writeTestSnapshot(t, m)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	for p := snapshotHeader; ; p += 8 {
		if s := le.Uint64(b[p:]); s != 0 {
			le.PutUint64(b[p:], s|0xffffff)
			break
		}
	}
	le.PutUint32(b[56:], crc32.Checksum(b[snapshotHeader:], crcTable))
	le.PutUint32(b[60:], crc32.Checksum(b[:60], crcTable))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenSnapshot(path, nil); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "slot refers") {
		t.Fatalf("err = %v", err)
	}
}

// A snapshot whose name offsets do not pair with its slots is refused.
func TestSnapshotNameOffsetsMustPairWithTheSlots(t *testing.T) {
	m := snapshotFixture(t)
	m.names = m.names[:len(m.names)-1]
	path := writeTestSnapshot(t, m)
	if _, _, err := OpenSnapshot(path, nil); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "name offsets") {
		t.Fatalf("err = %v", err)
	}
}

// The consensus decisions survive a restart: a matcher read back from its
// snapshot says, in the Hit (EDE) and in Explain (check), who listed a
// ranked name and whether that blocked it, as the compiled one did — also
// when the guard it is opened with has no ranking (the fetched ranking
// not loaded yet).
func TestSnapshotKeepsTheConsensus(t *testing.T) {
	rk, _, err := ParseRanking(strings.NewReader("5,bigsite.com\r\n9,othersite.com\r\n"), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	guard := NewGuard(nil, nil).WithRanking(rk)
	m, _ := Compile([]*Set{oneSet("a", "bigsite.com", "othersite.com"), oneSet("b", "www.bigsite.com"), oneSet("submission:3", "reviewed.example")},
		CompileOptions{Guard: guard, Sources: map[string]SourceOptions{"a": {Publisher: "pub-a"}, "b": {Publisher: "pub-b"}}})
	path := writeTestSnapshot(t, m)
	for _, g := range []*Guard{guard, NewGuard(nil, nil)} {
		got, _, err := OpenSnapshot(path, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"bigsite.com", "www.bigsite.com", "othersite.com", "www.othersite.com", "a.bigsite.com"} {
			wh, wb := m.Lookup(q)
			gh, gb := got.Lookup(q)
			if wh != gh || wb != gb {
				t.Errorf("ranking %d: Lookup(%q) = %+v, %v; compiled %+v, %v", g.Ranking().Len(), q, gh, gb, wh, wb)
			}
			if w, g := m.Explain(q), got.Explain(q); !reflect.DeepEqual(w.Consensus, g.Consensus) || w.Blocked != g.Blocked {
				t.Errorf("Explain(%q).Consensus = %+v; compiled %+v", q, g.Consensus, w.Consensus)
			}
		}
		h, blocked := got.Lookup("www.bigsite.com")
		c, ok := got.ConsensusFor("www.bigsite.com")
		if !blocked || h.Consensus != 2 || !ok || !c.Blocked || c.Rank != 5 || strings.Join(c.Publishers, ",") != "pub-a,pub-b" {
			t.Errorf("after the restart: hit %+v (blocked %v), consensus %+v", h, blocked, c)
		}
		if c, ok := got.ConsensusFor("othersite.com"); !ok || c.Blocked || len(c.Publishers) != 1 {
			t.Errorf("othersite.com (one publisher) after the restart: %+v, %v", c, ok)
		}
	}
}
