package feeds

import (
	"strings"
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
)

const raw = "https://raw.githubusercontent.com/"

// day is the unit of the feeds' staleness expectations (Feed.StaleAfter):
// about three times the gap between the publisher's updates, so that one
// skipped run is not a warning; NeverStale for the feeds that stopped
// changing years ago (dormant upstream, kept for their old entries). See
// README.md, "Default feeds".
const day = 24 * time.Hour

// ofacAssets are the per-asset lists of 0xB10C's OFAC extraction, with the
// chain hint each is parsed with ("" where the code is a token that lives
// on several chains, so the address itself must tell).
var ofacAssets = []struct{ asset, chain string }{
	{"XBT", "btc"}, {"ETH", "eth"}, {"USDT", ""}, {"USDC", ""}, {"TRX", "trx"},
	{"LTC", "ltc"}, {"XMR", "xmr"}, {"ZEC", "zec"}, {"DASH", "dash"}, {"BCH", "bch"},
	{"BSV", "bsv"}, {"BTG", "btg"}, {"ETC", "etc"}, {"XRP", "xrp"}, {"XVG", "xvg"},
	{"ARB", "arb"}, {"BSC", "bsc"}, {"SOL", "sol"},
}

// DefaultFeeds returns the built-in feed set: real public sources by URL,
// each with its licence (see README.md for the table and the caveats). They
// are fetched at run time and never shipped with scamblock. Each call
// returns a fresh slice.
func DefaultFeeds() []Feed {
	feeds := []Feed{
		{
			Name: "metamask", URL: raw + "MetaMask/eth-phishing-detect/main/src/config.json",
			Format: parse.FormatMetaMask, Options: parse.Options{Category: "phishing"},
			StaleAfter: 2 * day,
			Licence:    "DBAD-1.1", Homepage: "https://github.com/MetaMask/eth-phishing-detect",
		},
		{
			Name: "scamsniffer-domains", URL: raw + "scamsniffer/scam-database/main/blacklist/domains.json",
			Format: parse.FormatScamSnifferDomains, Options: parse.Options{Category: "drainer"},
			StaleAfter: 3 * day,
			Licence:    "GPL-3.0", Homepage: "https://github.com/scamsniffer/scam-database",
		},
		{
			Name: "scamsniffer-addresses", URL: raw + "scamsniffer/scam-database/main/blacklist/address.json",
			Format: parse.FormatAddressJSON, Options: parse.Options{Category: "drainer", Chain: "eth"},
			StaleAfter: NeverStale,
			Licence:    "GPL-3.0", Homepage: "https://github.com/scamsniffer/scam-database",
		},
		{
			Name: "scamsniffer-combined", URL: raw + "scamsniffer/scam-database/main/blacklist/combined.json",
			Format: parse.FormatScamSnifferCombined, Options: parse.Options{Category: "drainer", Chain: "eth"},
			StaleAfter: NeverStale,
			Licence:    "GPL-3.0", Homepage: "https://github.com/scamsniffer/scam-database",
		},
		{
			Name: "polkadot", URL: "https://polkadot.js.org/phishing/all.json",
			Format: parse.FormatPolkadot, Options: parse.Options{Category: "phishing"},
			StaleAfter: 14 * day,
			Licence:    "Apache-2.0", Homepage: "https://github.com/polkadot-js/phishing",
		},
		{
			Name: "polkadot-addresses", URL: "https://polkadot.js.org/phishing/address.json",
			Format: parse.FormatPolkadotAddress, Options: parse.Options{Category: "scam"},
			StaleAfter: 90 * day,
			Licence:    "Apache-2.0", Homepage: "https://github.com/polkadot-js/phishing",
		},
		{
			Name: "cryptoscamdb", URL: raw + "CryptoScamDB/blacklist/master/data/urls.yaml",
			Format: parse.FormatCryptoScamDB, Options: parse.Options{URLBlocksHost: true},
			StaleAfter: NeverStale,
			Licence:    "none stated", Homepage: "https://github.com/CryptoScamDB/blacklist",
		},
		{
			Name: "hagezi-fake", URL: raw + "hagezi/dns-blocklists/main/adblock/fake.txt",
			Format: parse.FormatAdblock, Options: parse.Options{Category: "scam"},
			StaleAfter: 3 * day,
			Licence:    "GPL-3.0", Homepage: "https://github.com/hagezi/dns-blocklists",
		},
		{
			Name: "hagezi-tif", URL: raw + "hagezi/dns-blocklists/main/adblock/tif.medium.txt",
			Format: parse.FormatAdblock, Options: parse.Options{Category: "threat"},
			StaleAfter: 3 * day,
			Licence:    "GPL-3.0", Homepage: "https://github.com/hagezi/dns-blocklists",
		},
		{
			Name: "blocklistproject-scam", URL: "https://blocklistproject.github.io/Lists/scam.txt", // the published copy; raw URLs on the deleted master branch 404
			Format: parse.FormatHosts, Options: parse.Options{Category: "scam"},
			StaleAfter: 90 * day,
			Licence:    "Unlicense", Homepage: "https://github.com/blocklistproject/Lists",
		},
		{
			Name: "jarelllama-scams", URL: raw + "jarelllama/Scam-Blocklist/main/lists/adblock/scams.txt",
			Format: parse.FormatAdblock, Options: parse.Options{Category: "scam"},
			StaleAfter: 3 * day,
			Licence:    "GPL-3.0", Homepage: "https://github.com/jarelllama/Scam-Blocklist",
		},
		{
			Name: "spmedia", URL: raw + "spmedia/Crypto-Scam-and-Crypto-Phishing-Threat-Intel-Feed/main/detected_urls.txt",
			Format: parse.FormatDomains, Options: parse.Options{Category: "scam"},
			StaleAfter: 30 * day,
			Licence:    "MIT", Homepage: "https://github.com/spmedia/Crypto-Scam-and-Crypto-Phishing-Threat-Intel-Feed",
		},
		{
			Name: "forta-phishing-scams", URL: raw + "forta-network/labelled-datasets/main/labels/1/phishing_scams.csv",
			Format: parse.FormatCSV, Options: parse.Options{Column: "address", Category: "phishing", Chain: "eth"},
			StaleAfter: NeverStale,
			Licence:    "MIT", Homepage: "https://github.com/forta-network/labelled-datasets",
		},
		{
			Name: "forta-etherscan-malicious", URL: raw + "forta-network/labelled-datasets/main/labels/1/etherscan_malicious_labels.csv",
			Format: parse.FormatCSV, Options: parse.Options{Column: "banned_address", Category: "malicious", Chain: "eth"},
			StaleAfter: NeverStale,
			Licence:    "MIT", Homepage: "https://github.com/forta-network/labelled-datasets",
		},
	}
	// The official list: the Treasury's Sanctions List Service publishes
	// sdn.csv (the old www.treasury.gov/ofac/downloads/sdn.csv redirects
	// here); wallets are in its remarks column (parse.FormatOFACSDN).
	feeds = append(feeds, Feed{
		Name: "ofac-sdn", URL: "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV",
		Format: parse.FormatOFACSDN, Options: parse.Options{Category: "sanctioned"},
		StaleAfter: 30 * day,
		Licence:    "US government work (public domain)", Homepage: "https://ofac.treasury.gov/specially-designated-nationals-and-blocked-persons-list-sdn-human-readable-lists",
	})
	for _, a := range ofacAssets {
		feeds = append(feeds, Feed{
			Name:       "ofac-" + strings.ToLower(a.asset),
			URL:        raw + "0xB10C/ofac-sanctioned-digital-currency-addresses/lists/sanctioned_addresses_" + a.asset + ".txt",
			Format:     parse.FormatAddressList,
			Options:    parse.Options{Category: "sanctioned", Chain: a.chain},
			StaleAfter: 365 * day, // a chain's list changes only when OFAC designates a wallet on it
			Licence:    "MIT (data: OFAC SDN list, US government work)", Homepage: "https://github.com/0xB10C/ofac-sanctioned-digital-currency-addresses",
		})
	}
	// Listed for reference but off: it lists real exchanges and social
	// sites (coinbase.com, youtube.com) and non-host junk, and states no
	// licence. Turn it on in the config if the guard suits you.
	feeds = append(feeds, Feed{
		Name: "decripto", URL: raw + "Decripto-org/crypto-scam-blacklist/main/domini_scam.txt",
		Format: parse.FormatDomains, Options: parse.Options{Category: "scam"},
		StaleAfter: 180 * day,
		Licence:    "none stated", Homepage: "https://github.com/Decripto-org/crypto-scam-blacklist",
	})
	for i := range feeds {
		feeds[i].Enabled = feeds[i].Name != "decripto"
	}
	return feeds
}
