// Package verdict says what scamblock knows about one indicator — a
// domain, a URL or a wallet address — and why: every listing with its
// source and file line, the allow or guard rule that let a name through,
// the catalogue's first and last seen times and the provenance of
// researchers' submissions. `scamblock check` and the API's /v1/check show
// a Verdict; a web lookup page is meant to show the same.
package verdict

import (
	"log/slog"
	"net/url"
	"strings"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/catalogue"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
)

// Kinds of indicator (Verdict.Kind).
const (
	KindDomain  = "domain"
	KindURL     = "url"
	KindAddress = "address"
)

// Verdict is what scamblock knows about one indicator. It marshals to JSON
// for `check --json` and /v1/check.
type Verdict struct {
	Indicator string `json:"indicator"` // as given
	Kind      string `json:"kind"`      // KindDomain, KindURL or KindAddress
	// Listed is true when a domain is blocked, a URL indicator is listed
	// or an address is listed.
	Listed bool `json:"listed"`
	// Domain explains a domain or a URL's host: the deciding listing, every
	// listing, allow and guard decisions (set for KindDomain and KindURL).
	Domain *lists.Explanation `json:"domain,omitempty"`
	// Address describes a wallet address and its listings (KindAddress).
	Address *Address `json:"address,omitempty"`
	// Catalogue holds the provenance rows (first and last seen) of the
	// indicator: URL indicators, addresses, guarded entries.
	Catalogue []catalogue.Indicator `json:"catalogue,omitempty"`
	// Submissions is the provenance of the researchers' published listings
	// among the above: evidence, submitter, reviewer, expiry.
	Submissions []store.Listing `json:"submissions,omitempty"`
}

// Address describes a wallet address and its listings.
type Address struct {
	Chain     string           `json:"chain"`
	Network   string           `json:"network,omitempty"`
	Canonical string           `json:"canonical"`
	Type      string           `json:"type,omitempty"`
	Validated bool             `json:"validated"` // the address carries a checksum and it matched
	Check     string           `json:"check"`     // which check was applied
	Listings  []wallet.Listing `json:"listings,omitempty"`
}

// Checker gives verdicts from the lists a Blocklist holds at the time of
// each call. It is safe for concurrent use.
type Checker struct {
	lists *blocklist.Blocklist
	log   *slog.Logger
}

// New returns a Checker reading bl. log (nil discards) is told when a
// catalogue lookup fails; the verdict then only lacks the provenance rows.
func New(bl *blocklist.Blocklist, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{lists: bl, log: log}
}

// Check classifies indicator (an address, a URL when it has a "/" or "://",
// else a domain) and explains every listing of it. Every error is about
// the input: a *lists.RejectError whose Reason (lists.ReasonOf) and
// message say what was wrong.
func (c *Checker) Check(indicator string) (Verdict, error) {
	v, err := c.classify(indicator)
	if err != nil {
		return v, err
	}
	return c.withSubmissions(v), nil
}

func (c *Checker) classify(indicator string) (Verdict, error) {
	s := strings.TrimSpace(indicator)
	v := Verdict{Indicator: indicator}
	if s == "" {
		return v, &lists.RejectError{Reason: lists.ReasonEmpty, Input: indicator, Detail: "give a domain, a URL or a wallet address"}
	}
	if looksLikeURL(s) {
		hostPath, err := urlIndicator(s)
		if err != nil {
			return v, err
		}
		ex := c.lists.Domains.Load().Explain(hostPath)
		v.Kind, v.Domain = KindURL, &ex
		v.Listed = ex.Blocked || len(ex.URLs) > 0
		v.Catalogue = c.rows(hostPath)
		return v, nil
	}
	if a, err := wallet.Parse(s); err == nil {
		av := &Address{Chain: a.Chain, Network: a.Network, Canonical: a.Canonical, Type: a.Kind, Validated: a.Validated, Check: a.Check}
		if r, ok := c.lists.Wallets.Lookup(a.Canonical); ok {
			av.Listings = r.Listings
		}
		v.Kind, v.Address, v.Listed = KindAddress, av, len(av.Listings) > 0
		v.Catalogue = c.rows(a.Canonical)
		return v, nil
	} else if looksLikeAddress(s) {
		return v, err
	}
	if _, err := lists.NormalizeHost(s); err != nil {
		return v, err
	}
	ex := c.lists.Domains.Load().Explain(s)
	v.Kind, v.Domain, v.Listed = KindDomain, &ex, ex.Blocked
	v.Catalogue = c.rows(ex.Name)
	return v, nil
}

// withSubmissions attaches the provenance of every published submission
// the verdict mentions.
func (c *Checker) withSubmissions(v Verdict) Verdict {
	var sources []string
	if v.Domain != nil {
		for _, l := range append(append([]lists.Listing{}, v.Domain.Listings...), v.Domain.URLs...) {
			sources = append(sources, l.Source)
		}
	}
	if v.Address != nil {
		for _, l := range v.Address.Listings {
			sources = append(sources, l.Source)
		}
	}
	for _, src := range sources {
		if l, ok := c.lists.Publication(src); ok {
			v.Submissions = append(v.Submissions, l)
		}
	}
	return v
}

// rows returns the catalogue's rows for value; a catalogue error only
// costs the provenance, never the verdict.
func (c *Checker) rows(value string) []catalogue.Indicator {
	rows, err := c.lists.Catalogue.Indicators(value)
	if err != nil {
		c.log.Error("catalogue lookup", "value", value, "err", err)
	}
	return rows
}

func looksLikeURL(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "/")
}

// looksLikeAddress says whether a string that failed wallet.Parse was meant
// as an address (so its wallet error is the useful one), not a host name.
func looksLikeAddress(s string) bool {
	if strings.Contains(s, ".") {
		return false
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "0x") || strings.HasPrefix(l, "bc1") || strings.HasPrefix(l, "ltc1") ||
		strings.HasPrefix(l, "bitcoincash:") || len(s) >= 25
}

// urlIndicator turns "https://Host/path?q" or "host/path" into "host/path".
func urlIndicator(s string) (string, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", &lists.RejectError{Reason: lists.ReasonInvalidChar, Input: raw, Detail: "not a URL: " + err.Error()}
	}
	host, err := lists.NormalizeHost(u.Hostname())
	if err != nil {
		return "", err
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path == "" {
		return host, nil
	}
	return host + path, nil
}
