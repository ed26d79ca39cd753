package wallet

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// Hash names a HashBL label form.
type Hash string

// The label forms a HashBL client may send, as SpamAssassin's HashBL plugin
// computes them (_hash in HashBL.pm): the hash of the address as written
// (option "case") or lower-cased (the default).
const (
	HashSHA1   Hash = "sha1"   // 40 lower-case hex digits
	HashMD5    Hash = "md5"    // 32 lower-case hex digits
	HashSHA256 Hash = "sha256" // 52 characters: RFC 4648 base32, lower case, no padding
	HashRaw    Hash = "raw"    // the address itself, as one DNS label
)

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// Label returns the HashBL label for value under hash h. Raw labels are
// lower-cased (DNS is case-insensitive).
func Label(h Hash, value string) string {
	switch h {
	case HashSHA1:
		sum := sha1.Sum([]byte(value))
		return hex.EncodeToString(sum[:])
	case HashMD5:
		sum := md5.Sum([]byte(value))
		return hex.EncodeToString(sum[:])
	case HashSHA256:
		sum := sha256.Sum256([]byte(value))
		return strings.ToLower(base32NoPad.EncodeToString(sum[:]))
	}
	return strings.ToLower(value)
}

// Spellings returns the ways a listed address is likely to be written in a
// message, each of which a HashBL client may hash case-preserved: the
// canonical form, its lower case (what SpamAssassin hashes by default), the
// EIP-55 form of EVM addresses, the upper case of bech32 and cashaddr (QR
// codes), cashaddr without its prefix, and the form the feed listed
// (extra, may be empty). The result has no duplicates.
func Spellings(a Address, extra ...string) []string {
	out := make([]string, 0, 6)
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(a.Canonical)
	add(strings.ToLower(a.Canonical))
	switch {
	case a.Chain == ChainEVM:
		add(EIP55(a.Canonical))
	case a.Check == "bech32" || a.Check == "bech32m":
		add(strings.ToUpper(a.Canonical))
	case a.Check == "cashaddr":
		add(strings.ToUpper(a.Canonical))
		if i := strings.IndexByte(a.Canonical, ':'); i >= 0 {
			add(a.Canonical[i+1:])
			add(strings.ToUpper(a.Canonical[i+1:]))
		}
	}
	for _, e := range extra {
		add(strings.TrimSpace(e))
	}
	return out
}

// Labels returns every HashBL label (sha1, md5, sha256 of each spelling,
// and the raw spelling where it is a valid DNS label) under which a listed
// address answers. Labels are lower case and unique.
func Labels(a Address, extra ...string) []string {
	sp := Spellings(a, extra...)
	seen := make(map[string]bool, len(sp)*4)
	out := make([]string, 0, len(sp)*4)
	add := func(l string) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, s := range sp {
		add(Label(HashSHA1, s))
		add(Label(HashMD5, s))
		add(Label(HashSHA256, s))
		if isRawLabel(s) {
			add(Label(HashRaw, s))
		}
	}
	return out
}

// isRawLabel reports whether s can be sent as one DNS label: at most 63
// letters, digits, '-' or '_'.
func isRawLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
