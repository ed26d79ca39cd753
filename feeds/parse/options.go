package parse

import (
	"strings"
)

// ofacChains maps OFAC currency codes that are not simply their chain's
// ticker. Every other code is lower-cased as it is ("eth", "trx", and the
// token codes "usdt", "usdc", which package wallet re-classifies by shape).
var ofacChains = map[string]string{"xbt": "btc"}

// ChainFromName derives a chain hint from a feed's file name or URL:
// "sanctioned_addresses_XBT.txt" → "btc", "..._ETH.json" → "eth",
// "..._TRX.txt" → "trx". It returns "" when the name carries none.
func ChainFromName(name string) string {
	_, base := baseName(name)
	rest, ok := strings.CutPrefix(base, "sanctioned_addresses_")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		return ""
	}
	if c, ok := ofacChains[rest]; ok {
		return c
	}
	return rest
}

// OptionsFor returns the options the file name or URL of a known feed
// implies: the chain and category "sanctioned" of OFAC address lists, the
// value column and chain of the forta CSVs, the chain of ScamSniffer's
// address.json. Callers override fields as configured.
func OptionsFor(name string) Options {
	var o Options
	_, base := baseName(name)
	if c := ChainFromName(name); c != "" {
		o.Chain = c
		o.Category = "sanctioned"
	}
	full, _ := baseName(name)
	switch {
	case base == "address.json" && strings.Contains(full, "scamsniffer"):
		o.Chain = "eth" // ScamSniffer lists EVM addresses
	}
	switch base {
	case "phishing_scams.csv":
		o.Column, o.Chain = "address", "eth"
	case "etherscan_malicious_labels.csv":
		o.Column, o.Chain = "banned_address", "eth"
	}
	return o
}
