// Package lists holds scamblock's indicator model, host-name normalization,
// the guard that refuses to block the whole world, and the immutable
// compiled Matcher that the DNS query path reads (swapped by Live).
//
// It does no network I/O: feeds hand it entries, the resolver reads matchers.
package lists

import "fmt"

// Kind says what an indicator is.
type Kind uint8

const (
	// KindDomain is a host name. It blocks the name and its whole subtree
	// unless Entry.Exact is set.
	KindDomain Kind = iota + 1
	// KindURL is a host with a path ("twitter.com/scammer"), kept for lookups.
	// It never blocks its host by itself.
	KindURL
	// KindAddress is a crypto wallet address in its chain's canonical form.
	KindAddress
	// KindLookalike is a real site whose look-alikes are blocked (MetaMask's
	// fuzzylist): names whose registrable domain is within Entry.Tolerance
	// edits of Value. Value itself is not blocked.
	KindLookalike
)

func (k Kind) String() string {
	switch k {
	case KindDomain:
		return "domain"
	case KindURL:
		return "url"
	case KindAddress:
		return "address"
	case KindLookalike:
		return "lookalike"
	}
	return "unknown"
}

// Action says what a listing asks for.
type Action uint8

const (
	// Block asks for the indicator to be blocked.
	Block Action = iota
	// Allow asks for the indicator never to be blocked (feed allowlists,
	// Adblock "@@" exceptions, RPZ passthru, --allow).
	Allow
)

// MarshalText writes the action as "block" or "allow" (JSON, logs).
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// MarshalText writes the kind by name (JSON, logs).
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (a Action) String() string {
	if a == Allow {
		return "allow"
	}
	return "block"
}

// Entry is one indicator as a feed, a submission or the command line states it.
// Value is already canonical: a normalized host name (see NormalizeHost), a
// "host/path" URL indicator, or a canonical wallet address.
type Entry struct {
	Value    string
	Kind     Kind
	Action   Action
	Exact    bool     // for domains: the name only, not its subdomains
	Line     int      // 1-based line in the source file; 0 when unknown
	Category string   // "phishing", "scam", "drainer", "sanctioned", ...; empty means the source's default
	Chain    string   // for addresses: "eth", "btc", "trx", ... (see package wallet)
	Links    []string // related indicators, e.g. the domains that used an address
	// Tolerance is, for KindLookalike, the Levenshtein distance within which a
	// name counts as a look-alike of Value.
	Tolerance int
}

// UnmarshalText reads a kind written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	for _, c := range []Kind{KindDomain, KindURL, KindAddress, KindLookalike} {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown indicator kind %q: use domain, url, address or lookalike", b)
}

// UnmarshalText reads an action written by MarshalText.
func (a *Action) UnmarshalText(b []byte) error {
	switch string(b) {
	case "block":
		*a = Block
	case "allow":
		*a = Allow
	default:
		return fmt.Errorf("unknown action %q: use block or allow", b)
	}
	return nil
}
