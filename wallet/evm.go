package wallet

import (
	"strings"

	"golang.org/x/crypto/sha3"
)

// parseHex0x handles "0x" + hex: an EVM address (40 digits) or a
// transaction hash (64 digits).
func parseHex0x(s string) (Address, error) {
	h := s[2:]
	if !isHex(h) {
		return Address{}, reject(s, ReasonBadEncoding, "0x followed by non-hex characters")
	}
	switch len(h) {
	case 40:
	case 64:
		return Address{}, reject(s, ReasonTxHash, "0x + 64 hex digits: a transaction hash, not an address")
	default:
		return Address{}, reject(s, ReasonBadLength, "0x + %d hex digits; an EVM address has 40", len(h))
	}
	a := Address{Chain: ChainEVM, Kind: "eoa", Canonical: "0x" + strings.ToLower(h)}
	if h == strings.ToLower(h) || h == strings.ToUpper(h) {
		a.Check = "none: all one case, no EIP-55 checksum to verify"
		return a, nil
	}
	want := EIP55(a.Canonical)
	if "0x"+h != want {
		return Address{}, reject(s, ReasonBadChecksum, "EIP-55 checksum mismatch: expected %s", want)
	}
	a.Validated = true
	a.Check = "eip-55"
	return a, nil
}

// EIP55 returns the EIP-55 mixed-case checksum form of an EVM address given
// as "0x" + 40 hex digits in any case. Other input is returned unchanged.
func EIP55(addr string) string {
	if len(addr) != 42 || addr[0] != '0' || (addr[1] != 'x' && addr[1] != 'X') || !isHex(addr[2:]) {
		return addr
	}
	low := strings.ToLower(addr[2:])
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(low))
	var sum [32]byte
	hash := k.Sum(sum[:0])
	out := []byte("0x" + low)
	for i := 0; i < 40; i++ {
		c := out[2+i]
		if c < 'a' {
			continue
		}
		nibble := hash[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0xf >= 8 {
			out[2+i] = c - 'a' + 'A'
		}
	}
	return string(out)
}
