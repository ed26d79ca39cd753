package wallet

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/scamblock/scamblock/lists"
)

type valid struct {
	name, in                        string
	chain, network, kind, canonical string
	validated                       bool
}

func TestParseAcceptsValidAddresses(t *testing.T) {
	cases := []valid{
		// EIP-55's own examples: mixed case, verified.
		{"EIP-55 example 1", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", ChainEVM, ChainEVM, "eoa", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", true},
		{"EIP-55 example 2", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", ChainEVM, ChainEVM, "eoa", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", true},
		{"EIP-55 example 3", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", ChainEVM, ChainEVM, "eoa", "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", true},
		{"EIP-55 example 4", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", ChainEVM, ChainEVM, "eoa", "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb", true},
		{"EIP-55 all caps has no checksum to verify", "0x52908400098527886E0F7030069857D2E4169EE7", ChainEVM, ChainEVM, "eoa", "0x52908400098527886e0f7030069857d2e4169ee7", false},
		{"EIP-55 all lower has no checksum to verify", "0xde709f2102306220921060314715629080e2fb77", ChainEVM, ChainEVM, "eoa", "0xde709f2102306220921060314715629080e2fb77", false},
		{"upper-case 0X prefix", "0X27b1fdb04752bbc536007a920d24acb045561c26", ChainEVM, ChainEVM, "eoa", "0x27b1fdb04752bbc536007a920d24acb045561c26", false},
		{"surrounding white space is ignored", "  0xde709f2102306220921060314715629080e2fb77\n", ChainEVM, ChainEVM, "eoa", "0xde709f2102306220921060314715629080e2fb77", false},
		// BIP-350 valid segwit addresses (BIP-173's v0 ones are among them).
		{"BIP-350 v0 p2wpkh upper case", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", ChainBitcoin, ChainBitcoin, "p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", true},
		{"BIP-350 v0 p2wsh testnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", ChainBitcoin, "testnet", "p2wsh", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", true},
		{"BIP-350 v1 40-byte program", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", ChainBitcoin, ChainBitcoin, "witness-v1", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", true},
		{"BIP-350 v16 2-byte program", "BC1SW50QGDZ25J", ChainBitcoin, ChainBitcoin, "witness-v16", "bc1sw50qgdz25j", true},
		{"BIP-350 v2 16-byte program", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", ChainBitcoin, ChainBitcoin, "witness-v2", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", true},
		{"BIP-350 v0 testnet p2wsh", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", ChainBitcoin, "testnet", "p2wsh", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", true},
		{"BIP-350 v1 testnet taproot", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", ChainBitcoin, "testnet", "p2tr", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", true},
		{"BIP-350 taproot", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", ChainBitcoin, ChainBitcoin, "p2tr", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", true},
		// Base58check from the OFAC lists.
		{"bitcoin p2pkh", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", ChainBitcoin, ChainBitcoin, "p2pkh", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", true},
		{"bitcoin p2sh", "3E6ZCKRrsdPc35chA9Eftp1h3DLW18NFNV", ChainBitcoin, ChainBitcoin, "p2sh", "3E6ZCKRrsdPc35chA9Eftp1h3DLW18NFNV", true},
		{"litecoin L", "LNwgtMxcKUQ51dw7bQL1yPQjBVZh6QEqsd", ChainLitecoin, ChainLitecoin, "p2pkh", "LNwgtMxcKUQ51dw7bQL1yPQjBVZh6QEqsd", true},
		{"dogecoin D (also Verge's byte)", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", ChainDogecoin, ChainDogecoin, "p2pkh", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", true},
		{"dash X", "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2", ChainDash, ChainDash, "p2pkh", "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2", true},
		{"bitcoin gold G", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS", ChainBitcoinGold, ChainBitcoinGold, "p2pkh", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS", true},
		{"zcash t1 two-byte version", "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL", ChainZcash, ChainZcash, "p2pkh", "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL", true},
		{"tron T (version 0x41)", "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg", ChainTron, ChainTron, "account", "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg", true},
		{"NEO legacy A", "ATVMaR3SXKRBtwCNgPjV5k2YzEgzMDYeaf", ChainNEO, ChainNEO, "account", "ATVMaR3SXKRBtwCNgPjV5k2YzEgzMDYeaf", true},
		{"xrp ripple alphabet (OFAC)", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", ChainXRP, ChainXRP, "account", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", true},
		{"xrp genesis account", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", ChainXRP, ChainXRP, "account", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", true},
		// cashaddr, with and without prefix, either case.
		{"cashaddr with prefix", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", ChainBitcoinCash, ChainBitcoinCash, "p2pkh", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", true},
		{"cashaddr upper case", "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", ChainBitcoinCash, ChainBitcoinCash, "p2pkh", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", true},
		{"cashaddr without prefix (OFAC)", "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", ChainBitcoinCash, ChainBitcoinCash, "p2pkh", "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", true},
		{"cashaddr p2sh", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", ChainBitcoinCash, ChainBitcoinCash, "p2sh", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", true},
		// SS58 (polkadot-js address.json) and Kusama.
		{"ss58 polkadot prefix 0", "14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoA", ChainSubstrate, "polkadot", "account", "14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoA", true},
		{"ss58 kusama prefix 2", "DfcWKx1P9hXGYFg3Wef1Shd2eXzEq2zbCxNDj3ensKBbpgy", ChainSubstrate, "kusama", "account", "DfcWKx1P9hXGYFg3Wef1Shd2eXzEq2zbCxNDj3ensKBbpgy", true},
		// No checksum, or shape only: Validated is false.
		{"solana 32-byte key, no checksum", "So11111111111111111111111111111111111111112", ChainSolana, ChainSolana, "account", "So11111111111111111111111111111111111111112", false},
		{"monero shape only", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL", ChainMonero, ChainMonero, "standard", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL", false},
		{"cardano byron shape only", "Ae2tdPwUPEZGpHCMV2L7iMY4vUGX6Pzx5U2YgQD1wK7ZUzKVmgg5RRmp2dF", ChainCardano, ChainCardano, "byron", "Ae2tdPwUPEZGpHCMV2L7iMY4vUGX6Pzx5U2YgQD1wK7ZUzKVmgg5RRmp2dF", false},
		// Other checksummed chains (from CryptoScamDB).
		{"cardano shelley bech32 over 90 chars", "addr1qxmzd3np2kpyg6nxrjeeht4w6638xkg3azkas0xnurxzrtthn8xfcjphkne7ytdg2elppeawx8jcx2jcjj7n5xdnq7kszv8ud0", ChainCardano, ChainCardano, "shelley", "addr1qxmzd3np2kpyg6nxrjeeht4w6638xkg3azkas0xnurxzrtthn8xfcjphkne7ytdg2elppeawx8jcx2jcjj7n5xdnq7kszv8ud0", true},
		{"stellar crc16", "GBMQINMPPDXXL2RLYTTX5MO4SPJJBAYJTVNOD76XEWTF7QIQSBKXPVZ4", ChainStellar, ChainStellar, "account", "GBMQINMPPDXXL2RLYTTX5MO4SPJJBAYJTVNOD76XEWTF7QIQSBKXPVZ4", true},
		{"zilliqa bech32", "zil1d3adrcgd4yt9u52c0mzdm9w8eeqnmt08gkyh88", ChainZilliqa, ChainZilliqa, "account", "zil1d3adrcgd4yt9u52c0mzdm9w8eeqnmt08gkyh88", true},
		{"bnb beacon bech32", "bnb160943aa8wjfwzq52snqe3dpzq3mgcxlfjm2d7y", ChainBNBBeacon, ChainBNBBeacon, "account", "bnb160943aa8wjfwzq52snqe3dpzq3mgcxlfjm2d7y", true},
		{"waves keccak(blake2b)", "3P3RchRFHbmeyb4nuBWKnAHGNoAcjSQt3rZ", ChainWaves, "waves", "account", "3P3RchRFHbmeyb4nuBWKnAHGNoAcjSQt3rZ", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			want := Address{Chain: c.chain, Network: c.network, Kind: c.kind, Canonical: c.canonical, Validated: c.validated}
			got := a
			got.Check = ""
			if got != want {
				t.Errorf("Parse(%q) = %+v, want %+v", c.in, a, want)
			}
			if !a.Validated && !strings.HasPrefix(a.Check, "none: ") {
				t.Errorf("unvalidated address without a 'none: why' Check: %q", a.Check)
			}
			again, err := Parse(a.Canonical)
			if err != nil || again.Canonical != a.Canonical || again.Chain != a.Chain {
				t.Errorf("canonical form does not parse to itself: %+v, %v", again, err)
			}
		})
	}
}

func TestParseRejectsInvalidAddresses(t *testing.T) {
	cases := []struct {
		name, in string
		reason   lists.Reason
		detail   string // substring of Detail
	}{
		{"empty", "  ", ReasonEmpty, ""},
		{"EIP-55 with one letter in the wrong case", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", ReasonBadChecksum, "EIP-55 checksum mismatch: expected 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{"41 hex digits after 0x", "0x9cbb3edecdf8649f653ffe492d65bd777f4bc4f01", ReasonBadLength, "41 hex digits"},
		{"0x + 64 hex is a transaction hash", "0x11c058c3efbf53939fb6872b09a2b5cf2410a1e2c3f3c867664e43a626d878c0", ReasonTxHash, "transaction hash"},
		{"bare 64 hex is a transaction hash", "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", ReasonTxHash, ""},
		{"40 hex without 0x is not taken as EVM without a hint", "de709f2102306220921060314715629080e2fb77", ReasonUnknownFormat, "0x prefix"},
		{"0x then non-hex", "0xzz709f2102306220921060314715629080e2fb77", ReasonBadEncoding, "non-hex"},
		{"too long", strings.Repeat("1", 201), ReasonBadLength, ""},
		{"base58check with a wrong character", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX8", ReasonBadChecksum, "base58check"},
		{"base58 with an excluded letter", "13pisM9vRmrZCWs3EBSSDxOHdtPsmncpEx", ReasonBadEncoding, "'O'"},
		{"tron with a wrong character", "TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSh", ReasonBadChecksum, "trx"},
		{"xrp with a wrong character", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh67", ReasonBadChecksum, ""},
		{"cashaddr mixed case", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6A", ReasonBadEncoding, "case"},
		{"cashaddr wrong checksum", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6q", ReasonBadChecksum, "cashaddr"},
		{"cashaddr with non-bech32 letters", "qz576ee91a05b194fe37103d0a42899664267bd90c", ReasonBadEncoding, "cashaddr"},
		{"ss58 with a wrong character", "14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoB", ReasonBadChecksum, "SS58"},
		{"stellar with a wrong character", "GBMQINMPPDXXL2RLYTTX5MO4SPJJBAYJTVNOD76XEWTF7QIQSBKXPVZ5", ReasonBadChecksum, "CRC16"},
		{"litecoin with a wrong character", "LNwgtMxcKUQ51dw7bQL1yPQjBVZh6QEqse", ReasonBadChecksum, "ltc"},
		{"dogecoin with a wrong character", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Y", ReasonBadChecksum, "doge"},
		{"dash with a wrong character", "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz3", ReasonBadChecksum, "dash"},
		{"zcash with a wrong character", "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWM", ReasonBadChecksum, "26 bytes"},
		{"waves with a wrong character", "3P3RchRFHbmeyb4nuBWKnAHGNoAcjSQt3rY", ReasonBadChecksum, "Waves"},
		{"zilliqa with a wrong character", "zil1d3adrcgd4yt9u52c0mzdm9w8eeqnmt08gkyh89", ReasonBadChecksum, "bech32"},
		{"cardano shelley with a wrong character", "addr1qxmzd3np2kpyg6nxrjeeht4w6638xkg3azkas0xnurxzrtthn8xfcjphkne7ytdg2elppeawx8jcx2jcjj7n5xdnq7kszv8ud2", ReasonBadChecksum, "bech32"},
		{"base58 of 26 bytes that is no known format", "1Mn386ue8o3mW9866octLNP8HFqcYsphJCV", ReasonBadLength, "26 bytes"},
		{"bech32 of an unknown chain", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", ReasonUnknownFormat, "abcdef"},
		{"white space inside", "1PSHt9agWavn4mf44d8rH6HPfaVpkdV75A (btc)", ReasonUnknownFormat, "white space"},
		{"punctuation", "not-an-address!", ReasonUnknownFormat, ""},
		{"a short word", "scamblock", ReasonUnknownFormat, ""},
		{"short base58", "abc", ReasonUnknownFormat, "shorter than any address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse(c.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want %s", c.in, a, c.reason)
			}
			var re *lists.RejectError
			if !errors.As(err, &re) {
				t.Fatalf("error %T is not a *lists.RejectError", err)
			}
			if re.Reason != c.reason || !strings.Contains(re.Detail, c.detail) || re.Input != c.in {
				t.Errorf("Parse(%q) = %q %q (input %q), want %q containing %q", c.in, re.Reason, re.Detail, re.Input, c.reason, c.detail)
			}
		})
	}
}

// Litecoin's segwit addresses are BIP-173/350 with the "ltc" prefix; the
// address is made with the library's encoder, whose checksum the BIP
// vectors above already hold to account.
func TestParseLitecoinSegwit(t *testing.T) {
	prog := bytes.Repeat([]byte{0x75}, 20)
	data, err := bech32.ConvertBits(prog, 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bech32.Encode("ltc", append([]byte{0}, data...))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseHint("LTC", strings.ToUpper(s))
	if err != nil || a.Chain != ChainLitecoin || a.Kind != "p2wpkh" || a.Canonical != s {
		t.Errorf("ParseHint(LTC, %q) = %+v, %v", strings.ToUpper(s), a, err)
	}
	if _, err := ParseHint("BTC", s); lists.ReasonOf(err) != ReasonWrongChain {
		t.Errorf("Litecoin segwit in a BTC list: %v", err)
	}
}

// BIP-350's invalid segwit addresses, and BIP-173's (whose v1+ "valid"
// examples with a bech32 checksum are invalid since BIP-350).
func TestParseRejectsBIP173AndBIP350InvalidVectors(t *testing.T) {
	for _, s := range []string{
		// BIP-350
		"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", // invalid HRP
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", // bech32 instead of bech32m
		"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", // bech32 instead of bech32m
		"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", // bech32 instead of bech32m
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",                     // bech32m instead of bech32
		"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", // bech32m instead of bech32
		"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", // invalid character in checksum
		"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", // witness version 17
		"bc1pw5dgrnzv", // 1-byte program
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", // 41-byte program
		"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",                                         // v0 16-byte program
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",               // mixed case
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",             // zero padding > 4 bits
		"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",               // non-zero padding
		"bc1gmk9yu", // empty data
		// BIP-173
		"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
		"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
		"bc1rw5uspcuh",
		"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
		"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
		// BIP-173's v1+ examples with a bech32 checksum, invalid under BIP-350
		"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
		"BC1SW50QA3JX3S",
		"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
	} {
		if a, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", s, a)
		} else if lists.ReasonOf(err) == "" {
			t.Errorf("Parse(%q): %v has no reason", s, err)
		}
	}
}

// The cashaddr spec's examples: each cashaddr carries the same hash as the
// legacy address beside it, checked here by decoding both independently.
func TestCashAddrSpecExamplesMatchLegacy(t *testing.T) {
	pairs := [][2]string{
		{"1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{"1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy"},
		{"16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"},
		{"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"},
		{"3LDsS579y7sruadqu11beEJoTjdFiFCdX4", "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e"},
		{"31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw", "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37"},
	}
	for _, p := range pairs {
		legacy, cash := p[0], p[1]
		la, err := ParseHint("bch", legacy)
		if err != nil || la.Chain != ChainBitcoinCash {
			t.Fatalf("ParseHint(bch, %q) = %+v, %v", legacy, la, err)
		}
		ca, err := Parse(cash)
		if err != nil {
			t.Fatalf("Parse(%q): %v", cash, err)
		}
		if la.Kind != ca.Kind {
			t.Errorf("%s is %s, %s is %s", legacy, la.Kind, cash, ca.Kind)
		}
		hash, _, err := base58.CheckDecode(legacy)
		if err != nil {
			t.Fatal(err)
		}
		payload := cash[len("bitcoincash:") : len(cash)-8]
		vals := make([]byte, len(payload))
		for i := range payload {
			vals[i] = byte(strings.IndexByte(bech32Charset, payload[i]))
		}
		data, err := bech32.ConvertBits(vals, 5, 8, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data[1:], hash) {
			t.Errorf("%s and %s carry different hashes: %x vs %x", legacy, cash, hash, data[1:])
		}
	}
}

func TestEIP55ReturnsTheChecksumForm(t *testing.T) {
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		if got := EIP55(strings.ToLower(want)); got != want {
			t.Errorf("EIP55(%q) = %q, want %q", strings.ToLower(want), got, want)
		}
	}
	if got := EIP55("not an address"); got != "not an address" {
		t.Errorf("EIP55 changed a non-address: %q", got)
	}
}

func TestParseHintChecksTheListedChain(t *testing.T) {
	cases := []struct {
		name, hint, in string
		chain, network string // when accepted
		reason         lists.Reason
	}{
		{"ETH list: 41 hex digits", "ETH", "0x9cbb3edecdf8649f653ffe492d65bd777f4bc4f01", "", "", ReasonBadLength},
		{"ETH list: a Bitcoin address", "ETH", "16FVNrp2nfsRH9cWRidV6ZVZf4mDPBnJG9", "", "", ReasonWrongChain},
		{"ETH list: a transaction hash", "eth", "0x11c058c3efbf53939fb6872b09a2b5cf2410a1e2c3f3c867664e43a626d878c0", "", "", ReasonTxHash},
		{"ETH list: 40 hex without 0x is an EVM address", "eth", "de709f2102306220921060314715629080e2fb77", ChainEVM, "eth", ""},
		{"ETH list: EVM address", "eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", ChainEVM, "eth", ""},
		{"BSC list keeps the network", "BSC", "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c", ChainEVM, "bsc", ""},
		{"ARB list keeps the network", "ARB", "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c", ChainEVM, "arb", ""},
		{"BTC list: a TRON address", "XBT", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", "", "", ReasonWrongChain},
		{"BTC list: a Dogecoin address", "BTC", "D9FJGn7mLu54D4S6BuBye6rBYe42TFDqNf", "", "", ReasonWrongChain},
		{"BTC list: an EVM address", "btc", "0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c", "", "", ReasonWrongChain},
		{"XBT list: bech32", "XBT", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ChainBitcoin, ChainBitcoin, ""},
		{"XRP list: a Bitcoin P2SH address", "XRP", "36PnmArrW8fX1FhHmPwKZUsQWtH7U9MyAt", "", "", ReasonWrongChain},
		{"BCH list: legacy address is re-read as BCH", "BCH", "18M8bJWMzWHDBMxoLqjHHAffdRy4SrzkfB", ChainBitcoinCash, ChainBitcoinCash, ""},
		{"BCH list: a segwit address is Bitcoin only", "BCH", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "", "", ReasonWrongChain},
		{"BSV list: legacy address is re-read as BSV", "BSV", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", ChainBitcoinSV, ChainBitcoinSV, ""},
		{"XVG list: Dogecoin's version byte is re-read as Verge", "XVG", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", ChainVerge, ChainVerge, ""},
		{"LTC list: an old P2SH 3-address is Litecoin", "LTC", "3E6ZCKRrsdPc35chA9Eftp1h3DLW18NFNV", ChainLitecoin, ChainLitecoin, ""},
		{"LTC list: a Bitcoin 1-address is not", "LTC", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", "", "", ReasonWrongChain},
		{"USDT list: a TRON address", "USDT", "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR", ChainTron, ChainTron, ""},
		{"USDT list: an Omni (Bitcoin) address", "USDT", "16iWn2J1McqjToYLHSsAyS6En3QA8YQ91H", ChainBitcoin, ChainBitcoin, ""},
		{"USDT list: an EVM address", "USDT", "0x19aa5fe80d33a56d56c78e82ea5e50e5d80b4dff", ChainEVM, ChainEVM, ""},
		{"USDT list: a Polkadot address", "USDT", "14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoA", "", "", ReasonWrongChain},
		{"DOT list: a Kusama address keeps its network", "DOT", "DfcWKx1P9hXGYFg3Wef1Shd2eXzEq2zbCxNDj3ensKBbpgy", ChainSubstrate, "kusama", ""},
		{"TRX list: a Bitcoin address", "trx", "12sjrrhoFEsedNRhtgwvvRqjFTh8fZTDX9", "", "", ReasonWrongChain},
		{"XMR list: 64 hex digits", "XMR", "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", "", "", ReasonTxHash},
		{"UNKNOWN list: Parse decides", "UNKNOWN", "rvVUo33K92NVdUVxhVVhBbo1rArwEDGTW", ChainXRP, ChainXRP, ""},
		{"no hint: Parse decides", "", "XrE5MMmXD1ShEKh9jBbhEiTGCLg2BLsd5r", ChainDash, ChainDash, ""},
		{"BTG list: the shared 0x17 byte is Bitcoin Gold", "BTG", "ATVMaR3SXKRBtwCNgPjV5k2YzEgzMDYeaf", ChainBitcoinGold, ChainBitcoinGold, ""},
		{"VET list: EVM-shaped", "VET", "0x91b99dab2aaa6c87606924e1112c952276cb1b58", ChainEVM, "vet", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseHint(c.hint, c.in)
			if c.reason != "" {
				if lists.ReasonOf(err) != c.reason {
					t.Fatalf("ParseHint(%q, %q) = %+v, %v; want %s", c.hint, c.in, a, err, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHint(%q, %q): %v", c.hint, c.in, err)
			}
			if a.Chain != c.chain || a.Network != c.network {
				t.Errorf("ParseHint(%q, %q) = %+v, want chain %s network %s", c.hint, c.in, a, c.chain, c.network)
			}
		})
	}
}

func TestWrongChainSaysWhatAndWhere(t *testing.T) {
	_, err := ParseHint("XBT", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq")
	var re *lists.RejectError
	if !errors.As(err, &re) || re.Detail != "a TRON account address in a XBT list" {
		t.Errorf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
		"BC1SW50QGDZ25J", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq",
		"TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", "So11111111111111111111111111111111111111112",
		"14FscqFT8S8W8emC5294cEpDctgAucJW7C99mpxS4cucpHoA", "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL",
		"GBMQINMPPDXXL2RLYTTX5MO4SPJJBAYJTVNOD76XEWTF7QIQSBKXPVZ4", "3P3RchRFHbmeyb4nuBWKnAHGNoAcjSQt3rZ",
		"addr1qxmzd3np2kpyg6nxrjeeht4w6638xkg3azkas0xnurxzrtthn8xfcjphkne7ytdg2elppeawx8jcx2jcjj7n5xdnq7kszv8ud0",
		"", "0x", "bc1", "1", "r", "bitcoincash:", "q", "zil1", "G",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			if lists.ReasonOf(err) == "" {
				t.Fatalf("Parse(%q): error without a reason: %v", s, err)
			}
			return
		}
		if a.Canonical == "" || a.Chain == "" || a.Kind == "" || a.Check == "" {
			t.Fatalf("Parse(%q) = %+v: empty field", s, a)
		}
		b, err := Parse(a.Canonical)
		if err != nil || b.Canonical != a.Canonical || b.Chain != a.Chain {
			t.Fatalf("Parse(%q) = %+v, but its canonical form parses to %+v, %v", s, a, b, err)
		}
	})
}

func FuzzParseHint(f *testing.F) {
	for _, h := range []string{"eth", "XBT", "usdt", "bch", "unknown", ""} {
		f.Add(h, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
		f.Add(h, "18M8bJWMzWHDBMxoLqjHHAffdRy4SrzkfB")
		f.Add(h, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq")
	}
	f.Fuzz(func(t *testing.T, hint, s string) {
		a, err := ParseHint(hint, s)
		if err != nil {
			if lists.ReasonOf(err) == "" {
				t.Fatalf("ParseHint(%q, %q): error without a reason: %v", hint, s, err)
			}
			return
		}
		b, err := ParseHint(hint, a.Canonical)
		// Validated may differ (EIP-55 is lost in the lower-case form).
		if err != nil || b.Canonical != a.Canonical || b.Chain != a.Chain || b.Network != a.Network || b.Kind != a.Kind {
			t.Fatalf("ParseHint(%q, %q) = %+v, but its canonical form gives %+v, %v", hint, s, a, b, err)
		}
	})
}
