package wallet

import (
	"fmt"

	"github.com/scamblock/scamblock/lists"
)

// Reasons Parse and ParseHint reject an address for. They are report keys and
// metric labels, like the lists.Reason values of lists.NormalizeHost.
const (
	// ReasonEmpty: nothing but white space.
	ReasonEmpty lists.Reason = lists.ReasonEmpty
	// ReasonBadChecksum: the string has a chain's shape but its checksum
	// (EIP-55, base58check, bech32/bech32m, cashaddr, SS58, ...) is wrong.
	ReasonBadChecksum lists.Reason = "bad-checksum"
	// ReasonBadLength: the right alphabet, the wrong length (a 41-hex
	// "ETH" address, a base58check payload that is not 20 bytes, ...).
	ReasonBadLength lists.Reason = "bad-length"
	// ReasonWrongChain: a valid address of another chain than the list
	// says (a TRON address in a BTC list).
	ReasonWrongChain lists.Reason = "wrong-chain"
	// ReasonTxHash: 64 hex digits (with or without 0x): a transaction hash
	// or a key, not an address.
	ReasonTxHash lists.Reason = "transaction-hash"
	// ReasonUnknownFormat: no chain this package knows has that shape.
	ReasonUnknownFormat lists.Reason = "unknown-format"
	// ReasonBadEncoding: a chain's shape with an invalid character, mixed
	// case where the encoding forbids it, or bad padding bits.
	ReasonBadEncoding lists.Reason = "bad-encoding"
	// ReasonBadVersion: a valid checksum over an unknown version byte,
	// witness version or program length.
	ReasonBadVersion lists.Reason = "bad-version"
)

func reject(input string, r lists.Reason, format string, args ...any) error {
	return &lists.RejectError{Reason: r, Input: input, Detail: fmt.Sprintf(format, args...)}
}
