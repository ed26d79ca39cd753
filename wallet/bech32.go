package wallet

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// bech32Reject turns a bech32 library error into a RejectError.
func bech32Reject(s string, err error) error {
	var (
		mixed    bech32.ErrMixedCase
		checksum bech32.ErrInvalidChecksum
		length   bech32.ErrInvalidLength
	)
	switch {
	case errors.As(err, &mixed):
		return reject(s, ReasonBadEncoding, "bech32 must be all lower or all upper case")
	case errors.As(err, &checksum):
		return reject(s, ReasonBadChecksum, "bech32 checksum mismatch: %v", err)
	case errors.As(err, &length):
		return reject(s, ReasonBadLength, "bech32: %v", err)
	}
	return reject(s, ReasonBadEncoding, "bech32: %v", err)
}

// parseSegwit validates a segwit address per BIP-173 (witness v0, bech32)
// and BIP-350 (v1+, bech32m).
func parseSegwit(s, hrp string) (Address, error) {
	_, data, ver, err := bech32.DecodeGeneric(s)
	if err != nil {
		return Address{}, bech32Reject(s, err)
	}
	if len(data) < 1 {
		return Address{}, reject(s, ReasonBadLength, "segwit address without a witness version")
	}
	wv := data[0]
	if wv > 16 {
		return Address{}, reject(s, ReasonBadVersion, "witness version %d > 16", wv)
	}
	prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return Address{}, reject(s, ReasonBadEncoding, "witness program: %v", err)
	}
	if len(prog) < 2 || len(prog) > 40 {
		return Address{}, reject(s, ReasonBadLength, "witness program of %d bytes (BIP-141: 2..40)", len(prog))
	}
	check := "bech32"
	switch {
	case wv == 0 && ver != bech32.Version0:
		return Address{}, reject(s, ReasonBadChecksum, "witness v0 must use the bech32 checksum (BIP-173), found bech32m")
	case wv != 0 && ver != bech32.VersionM:
		return Address{}, reject(s, ReasonBadChecksum, "witness v%d must use the bech32m checksum (BIP-350), found bech32", wv)
	case wv != 0:
		check = "bech32m"
	}
	var kind string
	switch {
	case wv == 0 && len(prog) == 20:
		kind = "p2wpkh"
	case wv == 0 && len(prog) == 32:
		kind = "p2wsh"
	case wv == 0:
		return Address{}, reject(s, ReasonBadLength, "witness v0 program of %d bytes (must be 20 or 32)", len(prog))
	case wv == 1 && len(prog) == 32:
		kind = "p2tr"
	default:
		kind = fmt.Sprintf("witness-v%d", wv)
	}
	a := Address{Kind: kind, Canonical: strings.ToLower(s), Validated: true, Check: check}
	switch hrp {
	case "bc":
		a.Chain = ChainBitcoin
	case "tb", "bcrt":
		a.Chain, a.Network = ChainBitcoin, "testnet"
	case "ltc":
		a.Chain = ChainLitecoin
	case "tltc":
		a.Chain, a.Network = ChainLitecoin, "testnet"
	}
	return a, nil
}

// parseBech32Other handles the non-segwit bech32 chains: Zilliqa and BNB
// Beacon (20-byte payloads), Cardano Shelley (longer than 90 characters),
// Zcash Sapling.
func parseBech32Other(s, hrp string) (Address, error) {
	_, data, ver, err := bech32.DecodeNoLimitWithVersion(s)
	if err != nil {
		return Address{}, bech32Reject(s, err)
	}
	if ver != bech32.Version0 {
		return Address{}, reject(s, ReasonBadChecksum, "%s addresses use the bech32 checksum, found bech32m", hrp)
	}
	payload, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return Address{}, reject(s, ReasonBadEncoding, "bech32 payload: %v", err)
	}
	a := Address{Canonical: strings.ToLower(s), Validated: true, Check: "bech32"}
	switch hrp {
	case "zil", "bnb":
		if len(payload) != 20 {
			return Address{}, reject(s, ReasonBadLength, "%s payload of %d bytes, want 20", hrp, len(payload))
		}
		a.Chain, a.Kind = ChainZilliqa, "account"
		if hrp == "bnb" {
			a.Chain = ChainBNBBeacon
		}
	case "addr", "addr_test", "stake":
		if len(payload) < 29 {
			return Address{}, reject(s, ReasonBadLength, "Cardano payload of %d bytes, want at least 29", len(payload))
		}
		a.Chain, a.Kind = ChainCardano, "shelley"
		if hrp == "stake" {
			a.Kind = "stake"
		}
		if hrp == "addr_test" {
			a.Network = "testnet"
		}
	case "zs":
		if len(payload) != 43 {
			return Address{}, reject(s, ReasonBadLength, "Zcash Sapling payload of %d bytes, want 43", len(payload))
		}
		a.Chain, a.Kind = ChainZcash, "sapling"
	}
	return a, nil
}

// cashaddr (Bitcoin Cash): prefix ":" base32 payload with a 40-bit BCH
// checksum computed over the lower 5 bits of the prefix, a zero, and the
// payload (https://github.com/bitcoincashorg/bitcoincash.org/blob/master/spec/cashaddr.md).
func cashPolymod(v []byte) uint64 {
	c := uint64(1)
	for _, d := range v {
		c0 := byte(c >> 35)
		c = ((c & 0x07ffffffff) << 5) ^ uint64(d)
		if c0&0x01 != 0 {
			c ^= 0x98f2bc8e61
		}
		if c0&0x02 != 0 {
			c ^= 0x79b76d99e2
		}
		if c0&0x04 != 0 {
			c ^= 0xf33e5fb3c4
		}
		if c0&0x08 != 0 {
			c ^= 0xae2eabe2a8
		}
		if c0&0x10 != 0 {
			c ^= 0x1e4f43e470
		}
	}
	return c ^ 1
}

func parseCashAddr(s string) (Address, error) {
	lower := strings.ToLower(s)
	if lower != s && strings.ToUpper(s) != s {
		return Address{}, reject(s, ReasonBadEncoding, "cashaddr must be all lower or all upper case")
	}
	prefix, payload := "bitcoincash", lower
	if i := strings.IndexByte(lower, ':'); i >= 0 {
		prefix, payload = lower[:i], lower[i+1:]
	}
	if len(payload) != 42 {
		return Address{}, reject(s, ReasonBadLength, "cashaddr payload of %d characters; a 160-bit hash needs 42", len(payload))
	}
	vals := make([]byte, 0, len(prefix)+1+len(payload))
	for i := 0; i < len(prefix); i++ {
		vals = append(vals, prefix[i]&0x1f)
	}
	vals = append(vals, 0)
	for i := 0; i < len(payload); i++ {
		j := strings.IndexByte(bech32Charset, payload[i])
		if j < 0 {
			return Address{}, reject(s, ReasonBadEncoding, "%q is not a cashaddr character", payload[i])
		}
		vals = append(vals, byte(j))
	}
	if cashPolymod(vals) != 0 {
		return Address{}, reject(s, ReasonBadChecksum, "cashaddr checksum (40-bit polymod over prefix %q) mismatch", prefix)
	}
	data, err := convertBitsLenient(vals[len(prefix)+1:len(vals)-8], 5, 8)
	if err != nil || len(data) != 21 {
		return Address{}, reject(s, ReasonBadEncoding, "cashaddr payload does not decode to a version byte and a 160-bit hash")
	}
	var kind string
	switch data[0] {
	case 0x00:
		kind = "p2pkh"
	case 0x08:
		kind = "p2sh"
	default:
		return Address{}, reject(s, ReasonBadVersion, "cashaddr version byte 0x%02x (want 0x00 P2PKH or 0x08 P2SH with a 160-bit hash)", data[0])
	}
	a := Address{Chain: ChainBitcoinCash, Kind: kind, Canonical: prefix + ":" + payload, Validated: true, Check: "cashaddr"}
	if prefix == "bchtest" || prefix == "bchreg" {
		a.Network = "testnet"
	} else if prefix != "bitcoincash" {
		return Address{}, reject(s, ReasonUnknownFormat, "cashaddr prefix %q is not bitcoincash", prefix)
	}
	return a, nil
}

// convertBitsLenient regroups bits without padding; cashaddr's 34 5-bit
// groups carry 170 bits for 168 bits of data, so up to 4 bits of zero
// padding are allowed, as in bech32.
func convertBitsLenient(data []byte, from, to uint8) ([]byte, error) {
	return bech32.ConvertBits(data, from, to, false)
}

// Stellar: "G" + 55 base32 characters = version byte (6<<3) + 32-byte
// ed25519 key + CRC16-XModem, little-endian.
func parseStellar(s string) (Address, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(raw) != 35 {
		return Address{}, reject(s, ReasonBadEncoding, "Stellar address is not 35 bytes of base32")
	}
	if raw[0] != 6<<3 {
		return Address{}, reject(s, ReasonBadVersion, "Stellar version byte 0x%02x, want 0x30 (account)", raw[0])
	}
	if crc16XModem(raw[:33]) != binary.LittleEndian.Uint16(raw[33:]) {
		return Address{}, reject(s, ReasonBadChecksum, "Stellar CRC16-XModem checksum mismatch")
	}
	return Address{Chain: ChainStellar, Kind: "account", Canonical: s, Validated: true, Check: "crc16"}, nil
}

func crc16XModem(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
