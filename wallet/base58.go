package wallet

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/sha3"
)

// base58Version is what a one-byte base58check version means.
type base58Version struct {
	chain, kind, network string
}

// versions maps base58check version bytes (25-byte payloads) to chains. A
// byte shared by several chains names the first here; ParseHint re-reads it
// under the feed's chain (see reinterpret).
var versions = map[byte]base58Version{
	0x00: {ChainBitcoin, "p2pkh", ""}, // also Bitcoin Cash legacy, Bitcoin SV
	0x05: {ChainBitcoin, "p2sh", ""},  // also BCH/BSV, and Litecoin's old P2SH
	0x6f: {ChainBitcoin, "p2pkh", "testnet"},
	0xc4: {ChainBitcoin, "p2sh", "testnet"},
	0x30: {ChainLitecoin, "p2pkh", ""},
	0x32: {ChainLitecoin, "p2sh", ""},
	0x1e: {ChainDogecoin, "p2pkh", ""}, // also Verge
	0x16: {ChainDogecoin, "p2sh", ""},
	0x41: {ChainTron, "account", ""},
	0x4c: {ChainDash, "p2pkh", ""},
	0x10: {ChainDash, "p2sh", ""},
	0x26: {ChainBitcoinGold, "p2pkh", ""},
	0x17: {ChainNEO, "account", ""}, // also Bitcoin Gold P2SH
	0x35: {ChainNEO, "account", "n3"},
}

// zcashVersions are Zcash's two-byte transparent prefixes (26-byte payloads).
var zcashVersions = map[[2]byte]string{
	{0x1c, 0xb8}: "p2pkh", // t1
	{0x1c, 0xbd}: "p2sh",  // t3
}

func doubleSHA256(b []byte) [32]byte {
	h := sha256.Sum256(b)
	return sha256.Sum256(h[:])
}

// parseBase58 tries, in order: XRP (its own alphabet, leading 'r'),
// base58check (25 or 26 bytes), Waves, SS58, Solana (32 bytes), then the
// shape-only formats (Monero, Cardano Byron).
func parseBase58(s string) (Address, error) {
	if len(s) < 25 {
		return Address{}, reject(s, ReasonUnknownFormat, "%d base58 characters: shorter than any address (25+)", len(s))
	}
	if s[0] == 'r' && len(s) >= 25 && len(s) <= 35 {
		if a, err := parseXRP(s); err == nil {
			return a, nil
		}
	}
	if a, ok := shapeOnly(s); ok {
		return a, nil
	}
	raw := base58.Decode(s)
	switch {
	case len(raw) == 25:
		return parseBase58Check(s, raw)
	case len(raw) == 26 && raw[0] == 0x01:
		return parseWaves(s, raw)
	case len(raw) == 26 && raw[0] == 0x1c:
		return parseZcash(s, raw)
	case len(raw) == 32:
		if len(s) < 32 || len(s) > 44 {
			return Address{}, reject(s, ReasonBadLength, "decodes to 32 bytes but is %d characters", len(s))
		}
		return Address{Chain: ChainSolana, Kind: "account", Canonical: s,
			Check: "none: Solana addresses are bare 32-byte keys without a checksum"}, nil
	case len(raw) >= 35 && len(raw) <= 37:
		return parseSS58(s, raw)
	}
	if s[0] == 'r' {
		// An XRP-looking string that failed above: say why.
		if _, err := parseXRP(s); err != nil {
			return Address{}, err
		}
	}
	return Address{}, reject(s, ReasonBadLength, "base58 that decodes to %d bytes: no known address format (25 base58check, 26 Zcash/Waves, 32 Solana, 35-37 SS58)", len(raw))
}

func parseBase58Check(s string, raw []byte) (Address, error) {
	sum := doubleSHA256(raw[:21])
	if !bytes.Equal(sum[:4], raw[21:]) {
		v, ok := versions[raw[0]]
		chain := "base58check"
		if ok {
			chain = v.chain
		}
		return Address{}, reject(s, ReasonBadChecksum, "base58check (%s) checksum mismatch: double-SHA256 gives %x, address has %x", chain, sum[:4], raw[21:])
	}
	v, ok := versions[raw[0]]
	if !ok {
		return Address{}, reject(s, ReasonBadVersion, "base58check version byte 0x%02x belongs to no known chain", raw[0])
	}
	return Address{Chain: v.chain, Kind: v.kind, Network: v.network, Canonical: s, Validated: true, Check: "base58check"}, nil
}

func parseZcash(s string, raw []byte) (Address, error) {
	kind, ok := zcashVersions[[2]byte{raw[0], raw[1]}]
	sum := doubleSHA256(raw[:22])
	if !bytes.Equal(sum[:4], raw[22:]) {
		return Address{}, reject(s, ReasonBadChecksum, "base58check (26 bytes) checksum mismatch: double-SHA256 gives %x, address has %x", sum[:4], raw[22:])
	}
	if !ok {
		return Address{}, reject(s, ReasonBadVersion, "two-byte base58check version 0x%02x%02x belongs to no known chain", raw[0], raw[1])
	}
	return Address{Chain: ChainZcash, Kind: kind, Canonical: s, Validated: true, Check: "base58check"}, nil
}

// XRP uses base58 with its own alphabet; map it onto Bitcoin's and reuse
// the decoder.
const (
	rippleAlphabet  = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
	bitcoinAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
)

func parseXRP(s string) (Address, error) {
	mapped := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		j := strings.IndexByte(rippleAlphabet, s[i])
		if j < 0 {
			return Address{}, reject(s, ReasonBadEncoding, "%q is not in the XRP base58 alphabet", s[i])
		}
		mapped[i] = bitcoinAlphabet[j]
	}
	raw := base58.Decode(string(mapped))
	if len(raw) != 25 {
		return Address{}, reject(s, ReasonBadLength, "XRP address decodes to %d bytes, want 25", len(raw))
	}
	if raw[0] != 0x00 {
		return Address{}, reject(s, ReasonBadVersion, "XRP account version byte 0x%02x, want 0x00", raw[0])
	}
	sum := doubleSHA256(raw[:21])
	if !bytes.Equal(sum[:4], raw[21:]) {
		return Address{}, reject(s, ReasonBadChecksum, "XRP base58check checksum mismatch: double-SHA256 gives %x, address has %x", sum[:4], raw[21:])
	}
	return Address{Chain: ChainXRP, Kind: "account", Canonical: s, Validated: true, Check: "base58check"}, nil
}

// parseWaves: version 1, chain id byte, 20-byte hash, checksum =
// first 4 bytes of Keccak-256(BLAKE2b-256(first 22 bytes)).
func parseWaves(s string, raw []byte) (Address, error) {
	b := blake2b.Sum256(raw[:22])
	k := sha3.NewLegacyKeccak256()
	k.Write(b[:])
	sum := k.Sum(nil)
	if !bytes.Equal(sum[:4], raw[22:]) {
		return Address{}, reject(s, ReasonBadChecksum, "Waves checksum (Keccak-256 of BLAKE2b-256) mismatch: want %x, address has %x", sum[:4], raw[22:])
	}
	network := "waves"
	switch raw[1] {
	case 'W':
	case 'T':
		network = "testnet"
	default:
		network = fmt.Sprintf("waves-%c", raw[1])
	}
	return Address{Chain: ChainWaves, Kind: "account", Network: network, Canonical: s, Validated: true, Check: "waves"}, nil
}

// ss58Networks names the well-known SS58 network prefixes.
var ss58Networks = map[uint16]string{0: "polkadot", 2: "kusama", 5: "astar", 42: "substrate", 6: "bifrost", 7: "edgeware", 10: "acala", 8: "karura"}

// parseSS58: prefix (1 or 2 bytes) + 32-byte account (or 33-byte key) +
// 2-byte checksum = BLAKE2b-512("SS58PRE" || prefix || payload)[:2].
func parseSS58(s string, raw []byte) (Address, error) {
	var prefix uint16
	plen := 1
	switch {
	case raw[0] < 64:
		prefix = uint16(raw[0])
	case raw[0] < 128:
		plen = 2
		prefix = uint16(raw[0]&0x3f)<<2 | uint16(raw[1]>>6) | uint16(raw[1]&0x3f)<<8
	default:
		return Address{}, reject(s, ReasonBadVersion, "SS58 prefix byte 0x%02x is reserved", raw[0])
	}
	payload := len(raw) - plen - 2
	if payload != 32 && payload != 33 {
		return Address{}, reject(s, ReasonBadLength, "SS58 payload of %d bytes; an account is 32 (or a 33-byte key)", payload)
	}
	h, _ := blake2b.New512(nil)
	h.Write([]byte("SS58PRE"))
	h.Write(raw[:len(raw)-2])
	sum := h.Sum(nil)
	if !bytes.Equal(sum[:2], raw[len(raw)-2:]) {
		return Address{}, reject(s, ReasonBadChecksum, "SS58 checksum (BLAKE2b-512 over \"SS58PRE\"+data) mismatch: want %x, address has %x", sum[:2], raw[len(raw)-2:])
	}
	network, ok := ss58Networks[prefix]
	if !ok {
		network = fmt.Sprintf("ss58-%d", prefix)
	}
	kind := "account"
	if payload == 33 {
		kind = "ecdsa-key"
	}
	return Address{Chain: ChainSubstrate, Kind: kind, Network: network, Canonical: s, Validated: true, Check: "ss58"}, nil
}

// shapeOnly accepts formats whose checksum this package does not verify:
// Monero (its own block-wise base58 and a Keccak checksum) and Cardano Byron
// (CBOR with CRC32).
func shapeOnly(s string) (Address, bool) {
	switch {
	case (s[0] == '4' || s[0] == '8') && len(s) == 95:
		kind := "standard"
		if s[0] == '8' {
			kind = "subaddress"
		}
		return Address{Chain: ChainMonero, Kind: kind, Canonical: s, Check: "none: Monero base58 checksum not verified (shape only)"}, true
	case s[0] == '4' && len(s) == 106:
		return Address{Chain: ChainMonero, Kind: "integrated", Canonical: s, Check: "none: Monero base58 checksum not verified (shape only)"}, true
	case (strings.HasPrefix(s, "Ae2") && len(s) >= 58 && len(s) <= 64) || (strings.HasPrefix(s, "DdzFF") && len(s) >= 100 && len(s) <= 130):
		return Address{Chain: ChainCardano, Kind: "byron", Canonical: s, Check: "none: Cardano Byron CBOR/CRC32 not verified (shape only)"}, true
	}
	return Address{}, false
}
