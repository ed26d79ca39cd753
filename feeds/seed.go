package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/scamblock/scamblock/buildinfo"
	"github.com/scamblock/scamblock/lists"
)

// A feed's provenance says what its Set was parsed from: the feed's
// configuration, the build that parsed it, and the content (SHA-256, size,
// format, parse report). The lists' snapshot stores it beside the Set, so
// that a restart whose copy of the feed is unchanged takes the Set from the
// snapshot (mapped from the file) instead of parsing the feed again: the
// check costs one SHA-256 of the file, which loading a cached copy or
// reading a local file computes anyway, instead of a parse, a compile and a
// heap as large as a cold load's.
type provenance struct {
	Config string    `json:"config"` // configKey of the feed and build
	Meta   cacheMeta `json:"meta"`
}

// configKey fingerprints what, besides the content, decides the Set a
// parse yields: the feed's configuration and this build's parsers.
func configKey(f Feed) string {
	f.StaleAfter = 0 // when to warn, not what the parse yields
	b, err := json.Marshal(struct {
		Feed  Feed   `json:"feed"`
		Build string `json:"build"`
	}{f, buildinfo.Get().String()})
	if err != nil {
		return "" // never matches
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Provenance returns the provenance of s as text for the lists' snapshot
// (blocklist.Blocklist.RecordProvenance), when s is the current Set of one
// of the feeds and its content hash is known; "", false otherwise (the
// snapshot then holds s without it, and a restart parses that feed).
func (m *Updater) Provenance(s *lists.Set) (string, bool) {
	if s == nil {
		return "", false
	}
	m.mu.Lock()
	var p provenance
	found := false
	for _, fs := range m.feeds {
		if fs.set == s && fs.meta.SHA256 != "" {
			p, found = provenance{Config: configKey(fs.feed), Meta: fs.meta}, true
			break
		}
	}
	m.mu.Unlock()
	if !found {
		return "", false
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Seed offers Sets read from the lists' snapshot, each with the provenance
// Provenance gave it when the snapshot was written. The next LoadCached
// takes a feed's Set from them instead of parsing when the feed's
// configuration and this build are the ones recorded and its cached copy
// (or local file) has the recorded SHA-256; the offers are dropped after
// that LoadCached.
func (m *Updater) Seed(sets map[*lists.Set]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fs := range m.feeds {
		fs.seed = nil
		for s, text := range sets {
			var p provenance
			if s == nil || s.Source() != fs.feed.DisplayName() || json.Unmarshal([]byte(text), &p) != nil {
				continue
			}
			if p.Config == configKey(fs.feed) && p.Meta.SHA256 != "" && p.Meta.Entries == s.Len() && p.Meta.URL == fs.feed.URL {
				fs.seed = &seed{set: s, meta: p.Meta}
			}
		}
	}
}

// seed is a Set offered by Seed for one feed.
type seed struct {
	set  *lists.Set
	meta cacheMeta
}

// takeSeed returns the Set offered for fs when its content hash is sum,
// and drops the offer either way.
func (m *Updater) takeSeed(fs *feedState, sum string) (*lists.Set, cacheMeta, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sd := fs.seed
	fs.seed = nil
	if sd == nil || sum == "" || sd.meta.SHA256 != sum {
		return nil, cacheMeta{}, false
	}
	return sd.set, sd.meta, true
}

// dropSeeds forgets the offers LoadCached did not take, so that they do
// not keep the snapshot they came from mapped.
func (m *Updater) dropSeeds() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fs := range m.feeds {
		fs.seed = nil
	}
}
