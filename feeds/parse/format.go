package parse

import (
	"fmt"
	"io"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// Format names a feed file format. The string values are what --format flags
// and config files use ("hosts", "adblock", "metamask", ...).
type Format string

// The formats Parse understands. See README.md for how each maps to entries.
const (
	FormatDomains             Format = "domains"              // one host (or URL) per line
	FormatHosts               Format = "hosts"                // /etc/hosts style: "0.0.0.0 name [name...]"
	FormatWildcard            Format = "wildcard"             // "*.example" = example and its subdomains
	FormatAdblock             Format = "adblock"              // "||example^", "@@||x^", "!" comments
	FormatRPZ                 Format = "rpz"                  // DNS response policy zone file
	FormatDnsmasq             Format = "dnsmasq"              // address=/x/..., local=/x/, server=/x/
	FormatUnbound             Format = "unbound"              // local-zone: "x" always_nxdomain
	FormatMetaMask            Format = "metamask"             // eth-phishing-detect config.json
	FormatPolkadot            Format = "polkadot"             // polkadot-js/phishing all.json
	FormatPolkadotAddress     Format = "polkadot-address"     // polkadot-js/phishing address.json
	FormatScamSnifferDomains  Format = "scamsniffer-domains"  // ScamSniffer domains.json (array of hosts)
	FormatScamSnifferCombined Format = "scamsniffer-combined" // ScamSniffer combined.json {host: [0x...]}
	FormatScamSnifferArchive  Format = "scamsniffer-archive"  // ScamSniffer archive/YYYY-MM-DD.json delta
	FormatCryptoScamDB        Format = "cryptoscamdb"         // CryptoScamDB urls.yaml / uris.yaml
	FormatSpmediaJSON         Format = "spmedia-json"         // spmedia detected_urls.json
	FormatCSV                 Format = "csv"                  // CSV with a configurable column
	FormatAddressList         Format = "address-list"         // one wallet address per line
	FormatAddressJSON         Format = "address-json"         // JSON array of wallet addresses
	FormatOFACSDN             Format = "ofac-sdn"             // OFAC sdn.csv: addresses in the remarks column
	FormatOFACAdvanced        Format = "ofac-sdn-advanced"    // OFAC sdn_advanced.xml: Digital Currency Address features
	FormatOFACEnhanced        Format = "ofac-sdn-enhanced"    // OFAC SDN_ENHANCED.xml: Digital Currency Address features
)

var formats = []Format{
	FormatDomains, FormatHosts, FormatWildcard, FormatAdblock, FormatRPZ, FormatDnsmasq,
	FormatUnbound, FormatMetaMask, FormatPolkadot, FormatPolkadotAddress,
	FormatScamSnifferDomains, FormatScamSnifferCombined, FormatScamSnifferArchive,
	FormatCryptoScamDB, FormatSpmediaJSON, FormatCSV, FormatAddressList, FormatAddressJSON, FormatOFACSDN,
	FormatOFACAdvanced, FormatOFACEnhanced,
}

// Formats returns every format Parse understands, in a stable order.
func Formats() []Format { return append([]Format(nil), formats...) }

// ParseFormat returns the Format named s (case-insensitive). The error lists
// the valid names.
func ParseFormat(s string) (Format, error) {
	want := strings.ToLower(strings.TrimSpace(s))
	for _, f := range formats {
		if string(f) == want {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown feed format %q; valid formats: %s", s, strings.Join(names, ", "))
}

// Options tune a parse. The zero value suits most feeds.
type Options struct {
	// Column is, for CSV, the header name (or 1-based index) of the column
	// holding the URL, domain or address. Empty picks a known column name.
	Column string
	// URLBlocksHost makes entries that are URLs with a path also emit their
	// host as a KindDomain entry (phishing URL feeds). The guard, not the
	// parser, keeps twitter.com or sites.google.com from being blocked.
	URLBlocksHost bool
	// Category is the default category for entries ("phishing", "scam",
	// "sanctioned", ...). Formats that carry their own category override it.
	Category string
	// Chain is the chain hint for address lists ("btc", "eth", ...). When
	// empty it may be derived from the file name by the caller (see ChainFromName).
	Chain string
	// Downloaded marks a public feed fetched over the network. Names under
	// a special-use TLD (printer.lan, nas.home.arpa, a.test) mean nothing
	// in such a feed and blocking them could break a household's own
	// network: they are counted as "special-use" rejects. From local files
	// they are accepted (a household may block printer.lan) and counted.
	Downloaded bool
}

// Parse reads a whole feed in format f from r and calls emit for every
// accepted entry, in file order. Bad lines and records are counted in the
// Report by reason, never fatal; the error is only for I/O failures and
// for a file that is unusable as a whole (e.g. a JSON document of the wrong
// shape, or cut short). The Report is valid (counts so far) even when
// err != nil, but entries before the failure have already been emitted: a
// caller keeping the last good copy of a feed should discard them.
// A nil emit discards the entries (for counting).
func Parse(f Format, r io.Reader, opts Options, emit Emit) (Report, error) {
	rep := Report{Format: f}
	if emit == nil {
		emit = func(lists.Entry) {}
	}
	p := &parser{rep: &rep, opts: opts, emit: emit}
	if err := p.format(f, r); err != nil {
		if _, bad := ParseFormat(string(f)); bad != nil {
			return rep, err
		}
		return rep, fmt.Errorf("%s feed: %w", f, err)
	}
	return rep, nil
}

// format runs the parser of format f over r.
func (p *parser) format(f Format, r io.Reader) error {
	var err error
	switch f {
	case FormatDomains:
		err = p.domains(r, false)
	case FormatWildcard:
		err = p.domains(r, true)
	case FormatHosts:
		err = p.hosts(r)
	case FormatAdblock:
		err = p.adblock(r)
	case FormatRPZ:
		err = p.rpz(r)
	case FormatDnsmasq:
		err = p.dnsmasq(r)
	case FormatUnbound:
		err = p.unbound(r)
	case FormatMetaMask:
		err = p.metamask(r)
	case FormatPolkadot:
		err = p.polkadot(r)
	case FormatPolkadotAddress:
		err = p.polkadotAddress(r)
	case FormatScamSnifferDomains:
		err = p.hostArray(r)
	case FormatScamSnifferCombined:
		err = p.scamSnifferCombined(r)
	case FormatScamSnifferArchive:
		err = p.scamSnifferArchive(r)
	case FormatCryptoScamDB:
		err = p.cryptoScamDB(r)
	case FormatSpmediaJSON:
		err = p.spmediaJSON(r)
	case FormatCSV:
		err = p.csvFeed(r)
	case FormatAddressList:
		err = p.addressLines(r)
	case FormatAddressJSON:
		err = p.addressArray(r)
	case FormatOFACSDN:
		err = p.sdnCSV(r)
	case FormatOFACAdvanced:
		err = p.sdnAdvanced(r)
	case FormatOFACEnhanced:
		err = p.sdnEnhanced(r)
	default:
		_, err := ParseFormat(string(f))
		return err
	}
	return err
}
