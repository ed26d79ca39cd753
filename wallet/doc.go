// Package wallet detects the chain of a crypto wallet address, validates it
// with that chain's own checksum (EIP-55, base58check, bech32/bech32m,
// cashaddr, SS58, ...), gives it a canonical form for lookups, checks it
// against the chain a feed listed it under, computes the HashBL labels mail
// filters query, and keeps an immutable Index of listed addresses.
//
// It knows no storage and does no I/O; see README.md for the chains, the
// checks and the numbers.
package wallet
