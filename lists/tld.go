package lists

import (
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

// TLDClass says what is known about the top-level domain of a name.
type TLDClass uint8

const (
	// TLDKnown: a top-level domain of the compiled-in Public Suffix List.
	TLDKnown TLDClass = iota
	// TLDUnknown: not in the compiled-in list. Still a name: ICANN
	// delegates new TLDs (scammers favour them) and the list goes stale.
	TLDUnknown
	// TLDSpecialUse: a special-use name that never resolves in the public
	// DNS (RFC 6761, RFC 6762, RFC 7686, RFC 8375, RFC 9476, ICANN's
	// .internal) or a household habit (.lan, .home, .corp).
	TLDSpecialUse
)

func (c TLDClass) String() string {
	switch c {
	case TLDUnknown:
		return string(ReasonUnknownTLD)
	case TLDSpecialUse:
		return string(ReasonSpecialUse)
	}
	return "known"
}

// specialUse holds the special-use suffixes, with the document that
// reserves each.
var specialUse = map[string]string{
	"test":      "RFC 6761",
	"example":   "RFC 6761",
	"invalid":   "RFC 6761",
	"localhost": "RFC 6761",
	"local":     "RFC 6762 (mDNS)",
	"onion":     "RFC 7686",
	"alt":       "RFC 9476",
	"home.arpa": "RFC 8375",
	"internal":  "ICANN, 2024 (private use)",
	"lan":       "household habit",
	"home":      "household habit (ICANN will not delegate it)",
	"corp":      "corporate habit (ICANN will not delegate it)",
}

// SpecialUse returns the special-use suffix name is under ("lan",
// "home.arpa") and the document reserving it, or ok=false. name is a
// normalized host.
func SpecialUse(name string) (suffix, reservedBy string, ok bool) {
	tld := name[strings.LastIndexByte(name, '.')+1:]
	if tld == "arpa" {
		if name == "home.arpa" || strings.HasSuffix(name, ".home.arpa") {
			return "home.arpa", specialUse["home.arpa"], true
		}
		return "", "", false
	}
	if by, ok := specialUse[tld]; ok {
		return tld, by, true
	}
	return "", "", false
}

// ClassifyTLD says whether the TLD of a normalized host is known,
// unknown to the compiled-in Public Suffix List, or special-use. It is a
// fact to count and show, never a reason to drop a name.
func ClassifyTLD(name string) TLDClass {
	if _, _, ok := SpecialUse(name); ok {
		return TLDSpecialUse
	}
	if isKnownTLD(name) {
		return TLDKnown
	}
	return TLDUnknown
}

// knownTLDs remembers the top-level domains the public suffix list has
// confirmed: a memo of a pure function over the embedded list, bounded by
// the number of real TLDs (unknown ones are not remembered), so that the
// per-name TLD check is a map read instead of a PSL walk.
var knownTLDs sync.Map

// isKnownTLD reports whether the last label of s is a top-level domain of
// the public suffix list.
func isKnownTLD(s string) bool {
	tld := s[strings.LastIndexByte(s, '.')+1:]
	if _, ok := knownTLDs.Load(tld); ok {
		return true
	}
	// Probe a name under the TLD, not the bare label: TLDs the list only
	// names by wildcard ("*.np", "*.kh") are not rules of their own.
	if suffix, icann := publicsuffix.PublicSuffix("x." + tld); !icann && !strings.Contains(suffix, ".") {
		return false
	}
	knownTLDs.Store(strings.Clone(tld), struct{}{})
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
