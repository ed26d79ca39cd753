package lists

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Reason names why an input was rejected. Reasons are stable, short and
// used as report keys and metric labels.
type Reason string

// Reasons NormalizeHost rejects a name for. Parsers add their own (syntax, ...).
const (
	ReasonEmpty        Reason = "empty"
	ReasonIPAddress    Reason = "ip-address"
	ReasonSingleLabel  Reason = "single-label"
	ReasonTooLong      Reason = "too-long"
	ReasonInvalidLabel Reason = "invalid-label"
	ReasonInvalidChar  Reason = "invalid-character"
	ReasonSoftHyphen   Reason = "soft-hyphen"
	ReasonIDNA         Reason = "invalid-idn"
	// ReasonUnknownTLD is no longer a reject: a name whose top-level domain
	// the compiled-in Public Suffix List does not know is still a name (the
	// next ICANN round delegates new TLDs). It names the count ClassifyTLD
	// feeds into reports.
	ReasonUnknownTLD Reason = "unknown-tld"
	// ReasonSpecialUse names names under a special-use TLD (RFC 6761,
	// RFC 8375, .internal, household habits): accepted from local files,
	// --allow and check, counted separately from downloaded public feeds.
	ReasonSpecialUse Reason = "special-use"
)

// RejectError is returned for an input that is not a usable indicator.
type RejectError struct {
	Reason Reason
	Input  string
	Detail string
}

func (e *RejectError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%q: %s", e.Input, e.Reason)
	}
	return fmt.Sprintf("%q: %s: %s", e.Input, e.Reason, e.Detail)
}

// ReasonOf returns the rejection reason carried by err, or "" if none.
func ReasonOf(err error) Reason {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason
	}
	return ""
}

func reject(input string, r Reason, detail string) error {
	return &RejectError{Reason: r, Input: input, Detail: detail}
}

var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.StrictDomainName(false), // underscores occur in real host names
)

// NormalizeHost returns the canonical form of a host name: lower case,
// without the trailing dot, IDN labels in punycode. Syntax alone decides
// (RFC 1035 §2.3.1 and §2.3.4 for lengths and letters-digits-hyphen labels,
// RFC 3696 §2 for the all-numeric top-level label, IDNA 2008 via
// golang.org/x/net/idna for non-ASCII and "xn--" labels; underscores are
// allowed, as real host names carry them). It rejects, with a *RejectError
// naming the reason, the label and the rule, IP addresses, single labels,
// invalid labels and characters. Whether the TLD exists is not its
// business: see ClassifyTLD.
//
// Wildcards ("*.") and URL syntax are the parsers' business, not this one's.
func NormalizeHost(raw string) (string, error) {
	if IsNormalHost(raw) {
		return raw, nil // most names in a list: nothing to change or reject
	}
	return normalizeHost(raw)
}

// normalizeHost is NormalizeHost without its fast path.
func normalizeHost(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", reject(raw, ReasonEmpty, "")
	}
	if strings.Contains(s, "\u00ad") {
		return "", reject(raw, ReasonSoftHyphen, "U+00AD would be silently dropped by IDNA mapping")
	}
	if isIP(s) {
		return "", reject(raw, ReasonIPAddress, "IP addresses are not host names")
	}
	if isASCII(s) {
		s = strings.ToLower(s) // before the punycode test: "Xn--" is punycode too
	}
	if !isASCII(s) || strings.Contains(s, "xn--") {
		if !utf8.ValidString(s) {
			return "", reject(raw, ReasonInvalidChar, "not valid UTF-8")
		}
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", reject(raw, ReasonIDNA, err.Error()+" (IDNA 2008, RFC 5891)")
		}
		s = a
	}
	s = strings.ToLower(s)
	if len(s) > 253 {
		return "", reject(raw, ReasonTooLong, fmt.Sprintf("%d bytes, the limit is 253", len(s)))
	}
	labels := 0
	for label := range strings.SplitSeq(s, ".") {
		labels++
		if err := checkLabel(raw, label); err != nil {
			return "", err
		}
	}
	if labels < 2 {
		return "", reject(raw, ReasonSingleLabel, "a single label is a TLD or a local name")
	}
	if tld := s[strings.LastIndexByte(s, '.')+1:]; isDigits(tld) {
		return "", reject(raw, ReasonInvalidLabel, fmt.Sprintf("top-level label %q is all digits (RFC 3696 §2)", tld))
	}
	return s, nil
}

// IsNormalHost reports whether s is already a normalized host name that
// NormalizeHost returns unchanged: lower-case ASCII letters, digits,
// hyphens and underscores in 2 or more valid labels, at most 253 bytes, a
// top-level label not all digits, no punycode ("xn--"). One pass over s,
// no allocation: the fast path for most names of a list. false says
// nothing about s; NormalizeHost decides (and names the reason).
func IsNormalHost(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels, start := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if labelBytes[c] { // most bytes: one table read, no state
			continue
		}
		switch c {
		case '-':
			if i == start || i+1 == len(s) || s[i+1] == '.' {
				return false // a label starts or ends with a hyphen
			}
			if i >= 3 && s[i-1] == '-' && s[i-2] == 'n' && s[i-3] == 'x' {
				return false // punycode: IDNA checks it
			}
		case '.':
			if i == start || i-start > 63 {
				return false
			}
			labels++
			start = i + 1
		default:
			return false
		}
	}
	if start == len(s) || len(s)-start > 63 || labels == 0 {
		return false
	}
	for i := start; i < len(s); i++ { // the top-level label is not all digits
		if c := s[i]; c < '0' || c > '9' {
			return true
		}
	}
	return false
}

// labelBytes marks the bytes a normalized label is made of besides the
// hyphen: lower-case ASCII letters, digits and the underscore. Never
// written after its initialization.
var labelBytes = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['_'] = true
	return t
}()

func checkLabel(raw, label string) error {
	if label == "" {
		return reject(raw, ReasonInvalidLabel, "empty label (RFC 1035 §3.1: only the root label is empty)")
	}
	if len(label) > 63 {
		return reject(raw, ReasonInvalidLabel, fmt.Sprintf("label %q has %d bytes, the limit is 63 (RFC 1035 §2.3.4)", label[:20]+"…", len(label)))
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '-':
			if i == 0 || i == len(label)-1 {
				return reject(raw, ReasonInvalidLabel, fmt.Sprintf("label %q starts or ends with a hyphen (RFC 1035 §2.3.1)", label))
			}
		default:
			return reject(raw, ReasonInvalidChar, fmt.Sprintf("%q in label %q is not a letter, digit, hyphen or underscore (RFC 1035 §2.3.1)", rune(c), label))
		}
	}
	return nil
}

// isIP reports whether s is an IPv4 or IPv6 address. Host names (almost
// every input) are told apart without netip.ParseAddr, which allocates an
// error for each of them.
func isIP(s string) bool {
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '%') {
			return false // a character no IP address has (zone names aside): a host name
		}
	}
	if !strings.Contains(s, ":") && strings.ContainsAny(s, "abcdefABCDEF") {
		return false // hex letters without a colon: a name such as "cafe.be"
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
