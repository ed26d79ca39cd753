package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/wallet"
)

// Verdict is what scamblock knows about one indicator: a domain, a URL or a
// wallet address. It marshals to JSON for `check --json` and /v1/check.
type Verdict struct {
	Indicator string             `json:"indicator"`
	Kind      string             `json:"kind"` // "domain", "url" or "address"
	Listed    bool               `json:"listed"`
	Domain    *lists.Explanation `json:"domain,omitempty"`
	Address   *AddressVerdict    `json:"address,omitempty"`
	// Catalogue holds the provenance rows (first and last seen) of the
	// indicator: URL indicators, addresses, guarded entries.
	Catalogue []lists.Indicator `json:"catalogue,omitempty"`
	// Submissions is the provenance of the researchers' published listings
	// among the above: evidence, submitter, reviewer, expiry.
	Submissions []store.Listing `json:"submissions,omitempty"`
}

// AddressVerdict describes a wallet address and its listings.
type AddressVerdict struct {
	Chain     string           `json:"chain"`
	Network   string           `json:"network,omitempty"`
	Canonical string           `json:"canonical"`
	Type      string           `json:"type,omitempty"`
	Validated bool             `json:"validated"`
	Check     string           `json:"check"`
	Listings  []wallet.Listing `json:"listings,omitempty"`
}

// Check classifies indicator and explains every listing of it. Bad input is
// a *lists.RejectError (or wraps api.ErrBadIndicator) saying what was wrong.
func (b *Blocklists) Check(indicator string) (Verdict, error) {
	v, err := b.verdict(indicator)
	if err != nil {
		return v, err
	}
	return b.withSubmissions(v), nil
}

func (b *Blocklists) verdict(indicator string) (Verdict, error) {
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
		ex := b.Domains.Current().Explain(hostPath)
		v.Kind, v.Domain = "url", &ex
		v.Listed = ex.Blocked || len(ex.URLs) > 0
		v.Catalogue = b.rows(hostPath)
		return v, nil
	}
	if a, err := wallet.Parse(s); err == nil {
		av := &AddressVerdict{Chain: a.Chain, Network: a.Network, Canonical: a.Canonical, Type: a.Kind, Validated: a.Validated, Check: a.Check}
		if r, ok := b.Wallets.Lookup(a.Canonical); ok {
			av.Listings = r.Listings
		}
		v.Kind, v.Address, v.Listed = "address", av, len(av.Listings) > 0
		v.Catalogue = b.rows(a.Canonical)
		return v, nil
	} else if looksLikeAddress(s) {
		return v, err
	}
	if _, err := lists.NormalizeHost(s); err != nil {
		return v, err
	}
	ex := b.Domains.Current().Explain(s)
	v.Kind, v.Domain, v.Listed = "domain", &ex, ex.Blocked
	v.Catalogue = b.rows(ex.Name)
	return v, nil
}

// withSubmissions attaches the provenance of every published submission
// the verdict mentions.
func (b *Blocklists) withSubmissions(v Verdict) Verdict {
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
		if l, ok := b.publication(src); ok {
			v.Submissions = append(v.Submissions, l)
		}
	}
	return v
}

// rows returns the catalogue's rows for value; a catalogue error only
// costs the provenance, never the verdict.
func (b *Blocklists) rows(value string) []lists.Indicator {
	rows, err := b.Catalogue.Indicators(value)
	if err != nil {
		b.log.Error("catalogue lookup", "value", value, "err", err)
	}
	return rows
}

// APIChecker adapts Check to the api.Checker interface.
type APIChecker struct{ *Blocklists }

// Check implements api.Checker.
func (c APIChecker) Check(_ context.Context, indicator string) (any, error) {
	v, err := c.Blocklists.Check(indicator)
	if err != nil {
		if lists.ReasonOf(err) == "" {
			err = fmt.Errorf("%w: %w", api.ErrBadIndicator, err)
		}
		return nil, err
	}
	return v, nil
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
