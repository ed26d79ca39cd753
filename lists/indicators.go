package lists

import (
	"sort"
	"strings"
)

// LookupURL reports the first URL indicator listed for host whose path is
// a prefix of path ("twitter.com/scammer" matches path "/scammer/status/1"
// and "scammer"). host may be in any case with a trailing dot. Hit.Name is
// the listed "host/path". URL indicators never block by themselves; the
// bool says only that one is listed. It does not allocate.
func (m *Matcher) LookupURL(host, path string) (Hit, bool) {
	if m == nil {
		return Hit{}, false
	}
	host = strings.TrimSuffix(host, ".")
	path = strings.TrimPrefix(path, "/")
	found := Hit{}
	ok := false
	m.eachHash(m.urls, hashName(host), func(ref uint32) bool {
		s, i := m.set(ref)
		v := s.value(i)
		j := strings.IndexByte(v, '/')
		if j < 0 || !equalFold(host, v[:j]) {
			return true
		}
		p := v[j+1:]
		if !strings.HasPrefix(path, p) {
			return true
		}
		if len(path) > len(p) && p != "" && !strings.HasSuffix(p, "/") {
			// "/scammer" must not match "/scammer2".
			if c := path[len(p)]; c != '/' && c != '?' && c != '#' {
				return true
			}
		}
		found, ok = m.hit(ref), true
		found.Name = v
		return false
	})
	return found, ok
}

// LookupAddress reports whether the canonical wallet address addr is
// listed, and by which entry (Hit.Name = the address). Listed addresses are
// reported as blocked unless the entry is an Allow entry.
func (m *Matcher) LookupAddress(addr string) (Hit, bool) {
	if m == nil {
		return Hit{}, false
	}
	found := Hit{}
	ok := false
	m.eachHash(m.addresses, hashName(addr), func(ref uint32) bool {
		s, i := m.set(ref)
		if s.value(i) != addr {
			return true
		}
		found = m.hit(ref)
		ok = found.Action == Block
		return false
	})
	return found, ok
}

// eachHash calls fn for every reference with hash h in the sorted index.
func (m *Matcher) eachHash(idx []hashRef, h uint64, fn func(ref uint32) bool) {
	i := sort.Search(len(idx), func(i int) bool { return idx[i].hash >= h })
	for ; i < len(idx) && idx[i].hash == h; i++ {
		if !fn(idx[i].ref) {
			return
		}
	}
}
