package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/resolver/spec"
)

// A check tests one string value (a string setting, or each item of a
// List) and returns it in canonical form ("NXDOMAIN" → "nxdomain"). Its
// error says what is wrong with the value and how to fix it; the caller
// prefixes where the value came from. The tag `check:"NAME"` picks one;
// `check:"NAME,optional"` also lets "" through (a setting that is off).
type check func(string) (string, error)

// checkNamed returns the check a `check` tag names.
func checkNamed(name string) (check, bool) {
	switch name {
	case "listen":
		return checkListen, true
	case "hostport":
		return checkHostPort, true
	case "upstream":
		return checkUpstream, true
	case "blockmode":
		return checkBlockMode, true
	case "loglevel":
		return checkLogLevel, true
	case "cidr":
		return checkCIDR, true
	case "zone":
		return checkZone, true
	case "name":
		return checkName, true
	case "base64":
		return checkBase64, true
	case "nonempty":
		return checkNonEmpty, true
	case "feedurl":
		return checkFeedURL, true
	case "tsigalg":
		return checkTSIGAlgorithm, true
	}
	return nil, false
}

// optional lets "" through to c.
func optional(c check) check {
	return func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		return c(s)
	}
}

func checkListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		err = checkPort(port, 0)
	}
	if err == nil && strings.ContainsAny(host, " /") {
		err = fmt.Errorf("bad host %q", host)
	}
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT (e.g. 127.0.0.1:5335, [::1]:53 or 0.0.0.0:53; port 0 picks a free one): %v", s, unwrapAddrErr(err))
	}
	return s, nil
}

func checkHostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		err = checkPort(port, 1)
	}
	if err == nil && host == "" {
		err = errors.New("no host")
	}
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT (e.g. 192.0.2.53:53): %v", s, unwrapAddrErr(err))
	}
	return s, nil
}

func checkPort(port string, lowest int) error {
	n, err := strconv.Atoi(port)
	if err != nil || n < lowest || n > 65535 {
		return fmt.Errorf("port %q is not a number from %d to 65535", port, lowest)
	}
	return nil
}

// unwrapAddrErr drops the address net.SplitHostPort repeats in its error.
func unwrapAddrErr(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err.Error()
}

// checkUpstream is the resolver's own parser (resolver/spec).
func checkUpstream(s string) (string, error) {
	if _, err := spec.ParseUpstream(s); err != nil {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// checkBlockMode is the resolver's own parser (resolver/spec); the
// canonical form is lower case.
func checkBlockMode(s string) (string, error) {
	m, err := spec.ParseBlockMode(s)
	if err != nil {
		return "", err
	}
	return m.String(), nil
}

func checkLogLevel(s string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "debug", "info", "warn", "error":
		return l, nil
	}
	return "", fmt.Errorf("%q is not a log level; use debug, info, warn or error", s)
}

func checkCIDR(s string) (string, error) {
	if _, err := netip.ParsePrefix(strings.TrimSpace(s)); err != nil {
		return "", fmt.Errorf("%q is not a CIDR prefix (e.g. 192.0.2.0/24 or 2001:db8::/32; one address is 192.0.2.1/32)", s)
	}
	return strings.TrimSpace(s), nil
}

// checkZone accepts a domain name other than the root.
func checkZone(s string) (string, error) {
	z := strings.TrimSpace(s)
	if _, ok := dns.IsDomainName(z); !ok || z == "" || z == "." || strings.ContainsAny(z, " /:@") {
		return "", fmt.Errorf("%q is not a domain name (e.g. hashbl.scamblock.local)", s)
	}
	return z, nil
}

// checkName accepts a host name to allow (a domain, not a URL).
func checkName(s string) (string, error) {
	n := strings.TrimSpace(s)
	if strings.Contains(n, "://") || strings.Contains(n, "/") {
		return "", fmt.Errorf("%q is a URL; give the host name alone (e.g. example.org)", s)
	}
	if _, ok := dns.IsDomainName(n); !ok || n == "" || n == "." || strings.ContainsAny(n, " :@") {
		return "", fmt.Errorf("%q is not a host name (e.g. example.org)", s)
	}
	return n, nil
}

func checkBase64(s string) (string, error) {
	if _, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err != nil {
		return "", errors.New("not valid base64 (e.g. the secret line of `tsig-keygen -a hmac-sha256 NAME`)")
	}
	return strings.TrimSpace(s), nil
}

func checkNonEmpty(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("is empty; give a value")
	}
	return s, nil
}

// checkFeedURL accepts http(s)://HOST/..., file://... or a file path.
func checkFeedURL(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("is empty: give an http(s):// URL, a file:// URL or a file path")
	}
	if !strings.Contains(s, "://") {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %v", s, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("%q has no host", s)
		}
	case "file":
	default:
		return "", fmt.Errorf("%q: scheme %q is not supported: use http, https, file or a plain path", s, u.Scheme)
	}
	return s, nil
}

// checkTSIGAlgorithm accepts the HMAC algorithms of RFC 8945 that BIND,
// Knot and miekg/dns share; the canonical form is lower case without the
// trailing dot.
func checkTSIGAlgorithm(s string) (string, error) {
	a := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	switch a {
	case "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1":
		return a, nil
	}
	return "", fmt.Errorf("%q is not a TSIG algorithm; use hmac-sha256 (or hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1)", s)
}
