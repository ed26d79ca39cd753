package hashbl

import (
	"net/netip"
	"strings"
)

// Kind says whether a code is for an address or a domain listing.
type Kind uint8

const (
	KindAddress Kind = iota + 1
	KindDomain
)

// categories maps category names as feeds spell them to the last octet of
// the answer; "sanctioned" addresses get their own third octet.
var categories = map[string]uint8{
	"":               1, // the source gave no category: listed as a scam
	"scam":           1,
	"scamming":       1,
	"phishing":       2,
	"phish-hack":     2,
	"drainer":        3,
	"malware":        4,
	"hacked":         5,
	"hack":           5,
	"exploit":        5,
	"heist":          5,
	"pig-butchering": 6,
	"romance":        6,
	"investment":     6,
	"sanctioned":     1, // 127.0.2.1
}

// categoryNames is the name TXT records give each code.
var categoryNames = map[uint8]string{1: "scam", 2: "phishing", 3: "drainer", 4: "malware", 5: "hacked", 6: "pig-butchering", 255: "listed"}

// Code returns the A record a listing answers with:
//
//	127.0.1.1   address, scam (or no category)   127.0.3.1  domain, scam (or no category)
//	127.0.1.2   address, phishing                127.0.3.2  domain, phishing
//	127.0.1.3   address, drainer                 127.0.3.3  domain, drainer
//	127.0.1.4   address, malware                 127.0.3.4  domain, malware
//	127.0.1.5   address, hacked/exploit/heist    127.0.3.5  domain, hacked
//	127.0.1.6   address, pig-butchering          127.0.3.6  domain, pig-butchering
//	127.0.1.255 address, any other category      127.0.3.255 domain, any other category
//	127.0.2.1   address, sanctioned (OFAC)
//
// Category names are matched case-insensitively.
func Code(k Kind, category string) netip.Addr {
	c := strings.ToLower(strings.TrimSpace(category))
	last, ok := categories[c]
	if !ok {
		last = 255
	}
	switch {
	case k == KindDomain:
		return netip.AddrFrom4([4]byte{127, 0, 3, last})
	case c == "sanctioned":
		return netip.AddrFrom4([4]byte{127, 0, 2, 1})
	}
	return netip.AddrFrom4([4]byte{127, 0, 1, last})
}

func categoryName(category string) string {
	c := strings.ToLower(strings.TrimSpace(category))
	if c == "sanctioned" {
		return "sanctioned"
	}
	last, ok := categories[c]
	if !ok {
		if c == "" {
			return "listed"
		}
		return c
	}
	return categoryNames[last]
}
