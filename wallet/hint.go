package wallet

import (
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// hintRule says which detected chains a feed's chain hint accepts and what
// they become under it.
type hintRule struct {
	name string // what to call the list in messages ("BTC")
	// accept maps a detected Chain to the Chain it is under this hint; ""
	// keeps it. A detected chain that is not a key is wrong-chain.
	accept  map[string]string
	network string // Network to record for EVM hints ("bsc")
	// legacyOnly: a Bitcoin-detected address is accepted (re-read as this
	// chain) only in base58 form (P2PKH/P2SH), not bech32.
	legacyOnly bool
}

func evmRule(name, network string) hintRule {
	return hintRule{name: name, network: network, accept: map[string]string{ChainEVM: ""}}
}

// hints maps lower-case feed chain tickers (CryptoScamDB's ETH, BTC, ...,
// OFAC's XBT, USDT, ...) to rules. Tickers absent here are treated like no
// hint at all: Parse decides.
var hints = map[string]hintRule{
	"evm":      evmRule("EVM", ""),
	"eth":      evmRule("ETH", "eth"),
	"ethereum": evmRule("ETH", "eth"),
	"etc":      evmRule("ETC", "etc"),
	"bsc":      evmRule("BSC", "bsc"),
	"arb":      evmRule("ARB", "arb"),
	"matic":    evmRule("MATIC", "polygon"),
	"polygon":  evmRule("MATIC", "polygon"),
	"avax":     evmRule("AVAX", "avax"),
	"ftm":      evmRule("FTM", "ftm"),
	"op":       evmRule("OP", "optimism"),
	"base":     evmRule("BASE", "base"),
	"vet":      evmRule("VET", "vet"), // VeChain uses EVM-shaped addresses
	"bnb":      {name: "BNB", network: "bsc", accept: map[string]string{ChainEVM: "", ChainBNBBeacon: ""}},
	"btc":      {name: "BTC", accept: map[string]string{ChainBitcoin: ""}},
	"xbt":      {name: "XBT", accept: map[string]string{ChainBitcoin: ""}},
	"bitcoin":  {name: "BTC", accept: map[string]string{ChainBitcoin: ""}},
	"bch":      {name: "BCH", legacyOnly: true, accept: map[string]string{ChainBitcoinCash: "", ChainBitcoin: ChainBitcoinCash}},
	"bsv":      {name: "BSV", legacyOnly: true, accept: map[string]string{ChainBitcoin: ChainBitcoinSV}},
	"btg":      {name: "BTG", accept: map[string]string{ChainBitcoinGold: "", ChainNEO: ChainBitcoinGold}},
	// Litecoin's old P2SH addresses used Bitcoin's version byte 5 ("3...").
	"ltc":   {name: "LTC", legacyOnly: true, accept: map[string]string{ChainLitecoin: "", ChainBitcoin: ChainLitecoin}},
	"doge":  {name: "DOGE", accept: map[string]string{ChainDogecoin: ""}},
	"xvg":   {name: "XVG", accept: map[string]string{ChainDogecoin: ChainVerge}},
	"dash":  {name: "DASH", accept: map[string]string{ChainDash: ""}},
	"zec":   {name: "ZEC", accept: map[string]string{ChainZcash: ""}},
	"trx":   {name: "TRX", accept: map[string]string{ChainTron: ""}},
	"tron":  {name: "TRX", accept: map[string]string{ChainTron: ""}},
	"xrp":   {name: "XRP", accept: map[string]string{ChainXRP: ""}},
	"sol":   {name: "SOL", accept: map[string]string{ChainSolana: ""}},
	"dot":   {name: "DOT", accept: map[string]string{ChainSubstrate: ""}},
	"ksm":   {name: "KSM", accept: map[string]string{ChainSubstrate: ""}},
	"xmr":   {name: "XMR", accept: map[string]string{ChainMonero: ""}},
	"ada":   {name: "ADA", accept: map[string]string{ChainCardano: ""}},
	"xlm":   {name: "XLM", accept: map[string]string{ChainStellar: ""}},
	"zil":   {name: "ZIL", network: "zil", accept: map[string]string{ChainZilliqa: "", ChainEVM: ""}},
	"waves": {name: "WAVES", accept: map[string]string{ChainWaves: ""}},
	"neo":   {name: "NEO", accept: map[string]string{ChainNEO: ""}},
	// Tokens are not chains: USDT lives on Ethereum, TRON and (Omni) Bitcoin.
	"usdt": {name: "USDT", accept: map[string]string{ChainEVM: "", ChainTron: "", ChainBitcoin: "", ChainSolana: ""}},
	"usdc": {name: "USDC", accept: map[string]string{ChainEVM: "", ChainTron: "", ChainSolana: "", ChainStellar: ""}},
}

// chainNames says in messages what a detected chain is.
var chainNames = map[string]string{
	ChainEVM: "EVM", ChainBitcoin: "Bitcoin", ChainLitecoin: "Litecoin", ChainDogecoin: "Dogecoin",
	ChainBitcoinCash: "Bitcoin Cash", ChainBitcoinGold: "Bitcoin Gold", ChainDash: "Dash",
	ChainZcash: "Zcash", ChainTron: "TRON", ChainXRP: "XRP", ChainSolana: "Solana",
	ChainSubstrate: "Substrate (SS58)", ChainMonero: "Monero", ChainCardano: "Cardano",
	ChainStellar: "Stellar", ChainZilliqa: "Zilliqa", ChainWaves: "Waves", ChainNEO: "NEO",
	ChainBNBBeacon: "BNB Beacon",
}

// ParseHint parses s as Parse does, then checks it against the chain the
// feed listed it under (a ticker such as "eth", "btc", "xbt", "usdt",
// "trx", "bsc"; case-insensitive). An address of another chain is rejected
// with ReasonWrongChain; one whose bytes are shared by several chains is
// re-read as the hinted one (a Bitcoin legacy address in a BCH list is a
// Bitcoin Cash address; Dogecoin's version byte in an XVG list is Verge).
// In an EVM list, 40 hex digits without "0x" are accepted as an EVM
// address. Unknown tickers ("unknown", "") leave the decision to Parse.
func ParseHint(hint, s string) (Address, error) {
	orig := s
	h := strings.ToLower(strings.TrimSpace(hint))
	rule, known := hints[h]
	if known {
		if _, ok := rule.accept[ChainEVM]; ok {
			t := strings.TrimSpace(s)
			if len(t) == 40 && isHex(t) {
				s = "0x" + t
			}
		}
	}
	a, err := Parse(s)
	if err != nil {
		if re, ok := err.(*lists.RejectError); ok {
			re.Input = orig
		}
		return a, err
	}
	if !known {
		return a, nil
	}
	to, ok := rule.accept[a.Chain]
	if ok && rule.legacyOnly && a.Chain == ChainBitcoin && a.Kind != "p2pkh" && a.Kind != "p2sh" {
		ok = false
	}
	if ok && a.Chain == ChainBitcoin && rule.legacyOnly && h == "ltc" && a.Kind != "p2sh" {
		ok = false // only Litecoin's old P2SH shared Bitcoin's version byte
	}
	if !ok {
		name := chainNames[a.Chain]
		if name == "" {
			name = a.Chain
		}
		return Address{}, reject(orig, ReasonWrongChain, "a %s %s address in a %s list", name, a.Kind, rule.name)
	}
	if to != "" {
		a.Chain = to
		a.Network = to
	}
	if rule.network != "" && a.Chain == ChainEVM {
		a.Network = rule.network
	}
	return a, nil
}
