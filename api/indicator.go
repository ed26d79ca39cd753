package api

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// AddressParser detects a wallet address's chain and returns its canonical
// form, or an error saying which check failed. The server passes package
// wallet's parser:
//
//	api.AddressParserFunc(func(s string) (string, string, error) {
//		a, err := wallet.Parse(s)
//		return a.Chain, a.Canonical, err
//	})
type AddressParser interface {
	ParseAddress(s string) (chain, canonical string, err error)
}

// AddressParserFunc adapts a function to AddressParser.
type AddressParserFunc func(s string) (chain, canonical string, err error)

// ParseAddress calls f.
func (f AddressParserFunc) ParseAddress(s string) (string, string, error) { return f(s) }

// Indicator is a validated, canonical indicator.
type Indicator struct {
	Value string
	Kind  lists.Kind
	Chain string
}

// maxIndicatorLen bounds one indicator (a host is at most 253 bytes; URL
// indicators keep a path).
const maxIndicatorLen = 2048

// guardedError is a valid name the guard refuses to block.
type guardedError struct{ name, rule string }

func (e *guardedError) Error() string {
	return fmt.Sprintf("%q is protected by the guard's %s rule: blocking it would take down a site or service that "+
		"many people use; submit the specific subdomain or URL instead", e.name, e.rule)
}

// parseIndicator classifies raw as a host name, a host/path URL indicator or
// a wallet address and returns its canonical form. Host names are checked
// against the guard when guard is true (submissions; appeals are about
// anything).
func (a *API) parseIndicator(raw string, guard bool) (Indicator, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Indicator{}, errors.New("empty: give a domain, a URL or a wallet address")
	}
	if len(s) > maxIndicatorLen {
		return Indicator{}, fmt.Errorf("%d bytes, the limit is %d", len(s), maxIndicatorLen)
	}
	if host, path, isURL, err := splitURL(s); err != nil {
		return Indicator{}, err
	} else if isURL || path != "" {
		name, err := normalizeHost(host)
		if err != nil {
			return Indicator{}, err
		}
		if path == "" {
			return a.domain(name, guard)
		}
		// A URL indicator never blocks its host, so the guard does not apply.
		return Indicator{Value: name + path, Kind: lists.KindURL}, nil
	}
	if !strings.Contains(s, ".") {
		if a.addresses == nil {
			return Indicator{}, fmt.Errorf("%q is not a host name, and this server has no wallet address parser", s)
		}
		chain, canonical, err := a.addresses.ParseAddress(s)
		if err != nil {
			return Indicator{}, fmt.Errorf("not a host name and not a valid wallet address: %w", err)
		}
		return Indicator{Value: canonical, Kind: lists.KindAddress, Chain: chain}, nil
	}
	name, err := normalizeHost(strings.TrimPrefix(s, "*."))
	if err != nil {
		return Indicator{}, err
	}
	return a.domain(name, guard)
}

// normalizeHost is lists.NormalizeHost, plus a check that the canonical
// form is itself canonical: NormalizeHost validates punycode only when it
// sees a lower-case "xn--", so "Xn--000.ac" would otherwise come out as an
// invalid "xn--000.ac" that later lookups reject.
func normalizeHost(raw string) (string, error) {
	name, err := lists.NormalizeHost(raw)
	if err != nil {
		return "", err
	}
	if again, err := lists.NormalizeHost(name); err != nil {
		return "", err
	} else if again != name {
		return "", &lists.RejectError{Reason: lists.ReasonIDNA, Input: raw, Detail: "name does not have a stable canonical form"}
	}
	return name, nil
}

func (a *API) domain(name string, guard bool) (Indicator, error) {
	if guard {
		// A ranked name may be submitted: a reviewer's approval is what
		// blocks it whole (lists.SourceOptions.Reviewed).
		if rule, guarded := a.guard.Check(name); guarded && rule != lists.RuleRanked {
			return Indicator{}, &guardedError{name: name, rule: rule}
		}
	}
	return Indicator{Value: name, Kind: lists.KindDomain}, nil
}

// splitURL splits "scheme://host/path?q" or "host/path" into host and a
// path ("" or "/..."); a trailing "/" alone is no path. Query and fragment
// are dropped: they vary per victim and would never match again.
func splitURL(s string) (host, path string, isURL bool, err error) {
	// A scheme comes before the first "/": in "host/a://b" the "://" is
	// part of the path.
	if i := strings.Index(s, "://"); i >= 0 && !strings.Contains(s[:i], "/") {
		u, err := url.Parse(s)
		if err != nil {
			return "", "", true, fmt.Errorf("not a valid URL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", "", true, fmt.Errorf("URL scheme %q: only http and https URLs are indicators", u.Scheme)
		}
		if u.User != nil {
			return "", "", true, errors.New("URL with user info: give the URL without the user:password@ part")
		}
		host, path = u.Hostname(), u.EscapedPath()
		if path == "/" {
			path = ""
		}
		return host, path, true, nil
	}
	host, rest, found := strings.Cut(s, "/")
	if !found {
		return s, "", false, nil
	}
	rest, _, _ = strings.Cut(rest, "?")
	rest, _, _ = strings.Cut(rest, "#")
	if rest == "" {
		return host, "", true, nil
	}
	return host, "/" + rest, true, nil
}
