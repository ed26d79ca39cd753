package parse

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Detect guesses the format of a feed from its first bytes (a few KiB are
// plenty) and its file name or URL. Content decides; the name is a hint
// that only chooses between formats the content cannot tell apart (a
// plain name list under wildcard/ is a wildcard list, a .csv file is CSV,
// "config.json" of MetaMask vs another JSON object), never one whose
// syntax the content lacks: a plain domain list saved under rpz/ is a
// domain list, not an RPZ zone. It returns an error saying what it saw
// when it cannot tell; callers then need an explicit format.
func Detect(name string, head []byte) (Format, error) {
	byName, nameOK := detectByName(name)
	byContent, contentOK := detectByContent(head)
	switch {
	case contentOK && nameOK && byName != byContent:
		if nameRefines(byName, byContent) {
			return byName, nil
		}
		return byContent, nil
	case contentOK:
		return byContent, nil
	case nameOK && (!hasMarkers(byName) || len(bytes.TrimSpace(head)) == 0):
		return byName, nil // nothing to read yet: the name is all there is
	}
	return "", fmt.Errorf("cannot detect the format of %q from its name or first %d bytes; set the format explicitly (one of %s)", name, len(head), formatNames())
}

func formatNames() string {
	s := make([]string, len(formats))
	for i, f := range formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// baseName strips a URL's query and fragment and returns the lower-case
// path and its last element.
func baseName(name string) (full, base string) {
	full = strings.ToLower(strings.TrimSpace(name))
	if i := strings.IndexAny(full, "?#"); i >= 0 {
		full = full[:i]
	}
	full = strings.ReplaceAll(full, `\`, "/")
	return full, path.Base(full)
}

// isSDNRecord reports whether l looks like a record of OFAC's sdn.csv:
// an entity number, a quoted name, and OFAC's "-0-" empty marker.
func isSDNRecord(l []byte) bool {
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	return i > 0 && bytes.HasPrefix(l[i:], []byte(`,"`)) && bytes.Contains(l, []byte(`"-0-`))
}

// hasMarkers reports whether a format has syntax of its own that content
// detection recognises ($TTL/CNAME ., ||host^, 0.0.0.0 host, local-zone:,
// address=/): when the content lacks it, the name cannot make it so.
func hasMarkers(f Format) bool {
	switch f {
	case FormatRPZ, FormatAdblock, FormatHosts, FormatUnbound, FormatDnsmasq, FormatOFACAdvanced, FormatOFACEnhanced:
		return true
	}
	return false
}

// nameRefines reports whether the name's format is a reading of content
// that detection by content alone classified as content: a line list
// voted "domains" or "address-list" may be a wildcard list, a CSV or an
// OFAC address list; a JSON document of one shape may be one of several
// feeds of that shape.
func nameRefines(byName, byContent Format) bool {
	if hasMarkers(byName) {
		return false
	}
	switch byContent {
	case FormatDomains, FormatAddressList:
		return byName != FormatCryptoScamDB && !isJSONFormat(byName)
	}
	return isJSONFormat(byName) && isJSONFormat(byContent)
}

func isJSONFormat(f Format) bool {
	switch f {
	case FormatMetaMask, FormatPolkadot, FormatPolkadotAddress, FormatScamSnifferDomains,
		FormatScamSnifferCombined, FormatScamSnifferArchive, FormatSpmediaJSON, FormatAddressJSON:
		return true
	}
	return false
}

func detectByName(name string) (Format, bool) {
	full, base := baseName(name)
	if base == "" || base == "." || base == "/" {
		return "", false
	}
	switch {
	case base == "config.json" && strings.Contains(full, "phishing"), base == "config.json" && strings.Contains(full, "metamask"):
		return FormatMetaMask, true
	case strings.HasPrefix(base, "sanctioned_addresses_") && strings.HasSuffix(base, ".txt"):
		return FormatAddressList, true
	case strings.HasPrefix(base, "sanctioned_addresses_") && strings.HasSuffix(base, ".json"):
		return FormatAddressJSON, true
	case base == "all.json" && strings.Contains(full, "polkadot"):
		return FormatPolkadot, true
	case base == "address.json" && strings.Contains(full, "polkadot"):
		return FormatPolkadotAddress, true
	case base == "combined.json" && strings.Contains(full, "scamsniffer"):
		return FormatScamSnifferCombined, true
	case base == "domains.json" && strings.Contains(full, "scamsniffer"):
		return FormatScamSnifferDomains, true
	case base == "address.json" && strings.Contains(full, "scamsniffer"):
		return FormatAddressJSON, true
	case strings.Contains(full, "scamsniffer") && strings.Contains(full, "/archive/") && strings.HasSuffix(base, ".json"):
		return FormatScamSnifferArchive, true
	case strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"):
		return FormatCryptoScamDB, true
	case base == "sdn.csv" || base == "sdn_enhanced.csv":
		return FormatOFACSDN, true
	case strings.HasSuffix(base, "_advanced.xml"):
		return FormatOFACAdvanced, true
	case strings.HasSuffix(base, "_enhanced.xml"):
		return FormatOFACEnhanced, true
	case strings.HasSuffix(base, ".csv"):
		return FormatCSV, true
	case strings.HasSuffix(base, ".rpz"), strings.Contains(full, "/rpz/"), strings.Contains(base, "rpz"):
		return FormatRPZ, true
	case strings.Contains(full, "/adblock/"), strings.Contains(full, "/adguard/"):
		return FormatAdblock, true
	case strings.Contains(full, "/dnsmasq/"):
		return FormatDnsmasq, true
	case strings.Contains(full, "/unbound/"):
		return FormatUnbound, true
	case strings.Contains(full, "/wildcard"):
		return FormatWildcard, true
	}
	return "", false
}

func detectByContent(head []byte) (Format, bool) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(head)
	if len(trimmed) == 0 {
		return "", false
	}
	switch trimmed[0] {
	case '<':
		return detectXML(trimmed)
	case '{':
		return detectJSONObject(trimmed)
	case '[':
		if bytes.HasPrefix(trimmed, []byte("[Adblock")) || bytes.HasPrefix(trimmed, []byte("[AdGuard")) || bytes.HasPrefix(trimmed, []byte("[uBlock")) {
			return FormatAdblock, true
		}
		return detectJSONArray(trimmed)
	}
	if bytes.HasPrefix(trimmed, []byte("---")) || bytes.HasPrefix(trimmed, []byte("- name:")) {
		return FormatCryptoScamDB, true
	}
	// Vote over the first non-comment lines.
	var votes = map[Format]int{}
	lines := 0
	for _, l := range bytes.Split(head, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		switch {
		case bytes.HasPrefix(l, []byte("$TTL")), bytes.HasPrefix(l, []byte("$ORIGIN")), bytes.Contains(l, []byte(" SOA ")), bytes.Contains(l, []byte("\tSOA\t")), bytes.HasSuffix(l, []byte("CNAME .")), bytes.HasSuffix(l, []byte("rpz-passthru.")):
			return FormatRPZ, true
		case bytes.HasPrefix(l, []byte("local-zone:")), bytes.HasPrefix(l, []byte("server:")) && len(l) == 7, bytes.HasPrefix(l, []byte("local-data:")):
			return FormatUnbound, true
		case bytes.HasPrefix(l, []byte("address=/")), bytes.HasPrefix(l, []byte("local=/")), bytes.HasPrefix(l, []byte("server=/")):
			return FormatDnsmasq, true
		case bytes.HasPrefix(l, []byte("||")), bytes.HasPrefix(l, []byte("@@||")):
			return FormatAdblock, true
		case l[0] == '!':
			votes[FormatAdblock]++
			continue
		case l[0] == '#' || l[0] == ';':
			continue
		case bytes.HasPrefix(l, []byte("0.0.0.0 ")), bytes.HasPrefix(l, []byte("127.0.0.1 ")), bytes.HasPrefix(l, []byte("0.0.0.0\t")), bytes.HasPrefix(l, []byte("127.0.0.1\t")), bytes.HasPrefix(l, []byte("::1 ")), bytes.HasPrefix(l, []byte(":: ")):
			return FormatHosts, true
		case bytes.HasPrefix(l, []byte("*.")):
			return FormatWildcard, true
		case isSDNRecord(l):
			return FormatOFACSDN, true
		case isAddressLike(string(l)):
			votes[FormatAddressList]++
		default:
			votes[FormatDomains]++
		}
		lines++
		if lines >= 20 {
			break
		}
	}
	if votes[FormatAddressList] > 0 && votes[FormatDomains] == 0 {
		return FormatAddressList, true
	}
	if votes[FormatDomains] > 0 {
		return FormatDomains, true
	}
	return "", false
}

// isAddressLike reports whether s looks like a wallet address rather than a
// host: an 0x EVM address, or a long base58/bech32 string without dots.
func isAddressLike(s string) bool {
	if strings.ContainsAny(s, ". /,") {
		return false
	}
	if len(s) == 42 && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) {
		return true
	}
	return len(s) >= 25 && len(s) <= 110
}

func detectJSONObject(b []byte) (Format, bool) {
	key := firstJSONKey(b)
	switch key {
	case "version", "tolerance", "fuzzylist", "whitelist", "blacklist":
		return FormatMetaMask, true
	case "allow", "deny", "denySub":
		return FormatPolkadot, true
	case "domains", "address":
		return FormatScamSnifferArchive, true
	case "metadata", "detected_urls":
		return FormatSpmediaJSON, true
	}
	if key == "" {
		return "", false
	}
	// {"host": ["0x..."]} or {"label": ["SS58..."]}
	rest := b[bytes.IndexByte(b, ':')+1:]
	rest = bytes.TrimSpace(rest)
	if bytes.HasPrefix(rest, []byte("[")) {
		v := bytes.TrimSpace(rest[1:])
		if bytes.HasPrefix(v, []byte(`"0x`)) {
			return FormatScamSnifferCombined, true
		}
		return FormatPolkadotAddress, true
	}
	return "", false
}

// firstJSONKey returns the first key of a JSON object given its first bytes.
func firstJSONKey(b []byte) string {
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return ""
	}
	return string(b[i+1 : i+1+j])
}

func detectJSONArray(b []byte) (Format, bool) {
	v := bytes.TrimSpace(b[1:])
	if len(v) == 0 || v[0] == ']' {
		return "", false
	}
	if v[0] != '"' {
		return "", false
	}
	s := firstJSONString(v)
	if isAddressLike(s) {
		return FormatAddressJSON, true
	}
	return FormatScamSnifferDomains, true
}

func firstJSONString(b []byte) string {
	j := bytes.IndexByte(b[1:], '"')
	if j < 0 {
		return ""
	}
	return string(b[1 : 1+j])
}

// detectXML recognises OFAC's XML files by their root element (after the
// XML declaration, comments and a doctype): <Sanctions> is
// sdn_advanced.xml, <sanctionsData> SDN_ENHANCED.xml, with or without a
// namespace prefix. Other XML is no feed format.
func detectXML(b []byte) (Format, bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 || i+1 >= len(b) {
			return "", false
		}
		b = b[i+1:]
		if b[0] == '?' || b[0] == '!' {
			continue // declaration, comment, doctype
		}
		end := bytes.IndexAny(b, " \t\r\n/>")
		if end < 0 {
			return "", false
		}
		name := string(b[:end])
		if j := strings.IndexByte(name, ':'); j >= 0 {
			name = name[j+1:]
		}
		switch name {
		case "Sanctions":
			return FormatOFACAdvanced, true
		case "sanctionsData":
			return FormatOFACEnhanced, true
		}
		return "", false
	}
	return "", false
}
