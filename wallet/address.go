package wallet

import (
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/scamblock/scamblock/lists"
)

// Chains: the address family an Address belongs to. Tokens (USDT, USDC) are
// not chains: their addresses are those of the chain they live on. Every EVM
// chain (Ethereum, BSC, Arbitrum, Ethereum Classic, Polygon, ...) shares one
// address space, so they are one Chain, "evm"; Address.Network keeps which
// one a feed said.
const (
	ChainEVM         = "evm"
	ChainBitcoin     = "btc"
	ChainLitecoin    = "ltc"
	ChainDogecoin    = "doge"
	ChainBitcoinCash = "bch"
	ChainBitcoinSV   = "bsv"
	ChainBitcoinGold = "btg"
	ChainVerge       = "xvg"
	ChainDash        = "dash"
	ChainZcash       = "zec"
	ChainTron        = "trx"
	ChainXRP         = "xrp"
	ChainSolana      = "sol"
	ChainSubstrate   = "substrate" // SS58: Polkadot, Kusama, any Substrate chain
	ChainMonero      = "xmr"
	ChainCardano     = "ada"
	ChainStellar     = "xlm"
	ChainZilliqa     = "zil"
	ChainWaves       = "waves"
	ChainNEO         = "neo"
	ChainBNBBeacon   = "bnb"
)

// Address is a detected and, where the chain has a checksum, validated
// crypto address.
type Address struct {
	// Chain is the address family (ChainEVM, ChainBitcoin, ...).
	Chain string
	// Network is the specific network: the feed's hint for EVM ("eth",
	// "bsc", "arb"), the SS58 network ("polkadot", "kusama", "substrate",
	// "ss58-N"), "testnet" for test networks; otherwise the Chain.
	Network string
	// Canonical is the form lookups use: EVM lower case, bech32 and
	// cashaddr lower case (cashaddr with its "bitcoincash:" prefix),
	// base58 as is.
	Canonical string
	// Kind is the address type: "eoa" (EVM: account or contract, the
	// string cannot tell), "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr",
	// "witness-vN", "account", "sapling", "standard", "integrated", ...
	Kind string
	// Validated is true when a checksum was verified. It is false for
	// formats without one (Solana, lower-case EVM) and for chains that
	// are accepted by shape only (Monero, Cardano Byron); Check says
	// which.
	Validated bool
	// Check names the check that was made: "eip-55", "base58check",
	// "bech32", "bech32m", "cashaddr", "ss58", "waves", "crc16",
	// or "none: <why>".
	Check string
}

// maxLen bounds the input: the longest address handled (a Cardano Shelley
// base address) is 103 characters, Byron ones up to ~130.
const maxLen = 200

// Parse detects the chain of s and validates it with the chain's own
// checksum. Leading and trailing white space is ignored. Errors are
// *lists.RejectError with one of the Reason* constants of this package and
// a Detail that names the check that failed.
//
// Where a string is valid on several chains (base58 version 0x00 is Bitcoin,
// Bitcoin Cash legacy and Bitcoin SV; 0x1e is Dogecoin and Verge; 0x17 is
// NEO legacy and Bitcoin Gold P2SH), Parse names the first and ParseHint
// lets the feed's chain decide.
func Parse(s string) (Address, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Address{}, reject(s, ReasonEmpty, "")
	}
	if len(in) > maxLen {
		return Address{}, reject(s, ReasonBadLength, "%d characters; no address format is longer than %d", len(in), maxLen)
	}
	a, err := detect(in)
	if err != nil {
		if re, ok := err.(*lists.RejectError); ok {
			re.Input = s // name what the caller passed, white space and all
		}
		return Address{}, err
	}
	if a.Network == "" {
		a.Network = a.Chain
	}
	return a, nil
}

func detect(s string) (Address, error) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "0x"):
		return parseHex0x(s)
	case isHex(s) && (len(s) == 64):
		return Address{}, reject(s, ReasonTxHash, "64 hex digits: a transaction hash or a key, not an address")
	case isHex(s) && len(s) == 40:
		return Address{}, reject(s, ReasonUnknownFormat, "40 hex digits without 0x: an EVM address needs the 0x prefix (or a list hint)")
	case strings.HasPrefix(lower, "bitcoincash:") || strings.HasPrefix(lower, "bchtest:"):
		return parseCashAddr(s)
	}
	if hrp, ok := bech32HRP(lower); ok {
		switch hrp {
		case "bc", "tb", "bcrt", "ltc", "tltc":
			return parseSegwit(s, hrp)
		case "zil", "bnb", "addr", "addr_test", "zs", "stake":
			return parseBech32Other(s, hrp)
		}
		if _, _, err := bech32.DecodeNoLimit(s); err == nil {
			return Address{}, reject(s, ReasonUnknownFormat, "bech32 with human-readable part %q: not a chain this package knows", hrp)
		}
	}
	if (lower[0] == 'q' || lower[0] == 'p') && len(s) == 42 && (isBech32Charset(lower[1:]) || s == lower && isAlnum(s)) {
		return parseCashAddr(s)
	}
	if isBase32Upper(s) && len(s) == 56 && (s[0] == 'G') {
		return parseStellar(s)
	}
	if isBase58(s) {
		return parseBase58(s)
	}
	if i := strings.IndexAny(s, " \t\n\r"); i >= 0 {
		return Address{}, reject(s, ReasonUnknownFormat, "white space inside: one address, nothing else, please")
	}
	if isAlnum(s) && len(s) >= 25 && len(s) <= 110 {
		i := strings.IndexAny(s, "0OIl")
		return Address{}, reject(s, ReasonBadEncoding, "%q at offset %d is not in the base58 alphabet (0, O, I and l are left out), and the string is not hex, bech32 or cashaddr either", s[i], i)
	}
	return Address{}, reject(s, ReasonUnknownFormat, "not hex, bech32, cashaddr or base58")
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func isBech32Charset(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(bech32Charset, s[i]) < 0 {
			return false
		}
	}
	return true
}

// bech32HRP returns the human-readable part of a string that looks like
// bech32: a known prefix, a '1' separator, then only bech32 characters.
func bech32HRP(lower string) (string, bool) {
	one := strings.LastIndexByte(lower, '1')
	if one < 1 || one+7 > len(lower) {
		return "", false
	}
	return lower[:one], true
}

func isBase58(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('1' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') || c == 'I' || c == 'O' || c == 'l' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

func isBase32Upper(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}
