package service

import (
	"context"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
)

func importSet(t *testing.T, name, rel string) *lists.Set {
	t.Helper()
	res, err := feeds.ImportWith(context.Background(), feeds.NewFetcher(nil), feeds.Feed{Name: name, URL: sharedFeed(t, rel), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.Set
}

func TestCheckExplainsEveryKindOfIndicator(t *testing.T) {
	bl, err := NewBlocklists(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bl.SetFeeds([]*lists.Set{
		importSet(t, "polkadot", "polkadot-js-phishing/all.json"),
		importSet(t, "decripto", "decripto-crypto-scam-blacklist/domini_scam.txt"),
		importSet(t, "ofac-eth", "ofac-sanctioned-addresses-0xb10c/sanctioned_addresses_ETH.txt"),
	}, nil)

	tests := []struct {
		name      string
		in        string
		kind      string
		listed    bool
		reason    lists.Reason // bad input
		catalogue string       // a Reason expected among the catalogue rows
	}{
		{"listed scam domain", "2okextw.com", "domain", true, "", ""},
		{"guarded exchange is explained, not blocked", "coinbase.com", "domain", false, "", "guarded:popular"},
		{"URL indicator is listed without blocking its host", "https://twitter.com/AcalaNetworks", "url", true, "", "url"},
		{"unlisted domain", "example.org", "domain", false, "", ""},
		{"sanctioned address in any case", "0x8589427373D6D84E98730D7795D8f6f8731FDA16", "address", true, "", "address"},
		{"unlisted valid address", "0x0000000000000000000000000000000000000000", "address", false, "", ""},
		{"bad checksum says which check failed", "0x8589427373D6D84E98730D7795D8f6f8731FDA17", "", false, "bad-checksum", ""},
		{"not an indicator", "bad name!", "", false, lists.ReasonInvalidChar, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := bl.Check(tt.in)
			if tt.reason != "" {
				if got := lists.ReasonOf(err); got != tt.reason {
					t.Fatalf("reason %q (err %v), want %q", got, err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tt.kind || v.Listed != tt.listed {
				t.Fatalf("kind %s listed %v, want %s %v", v.Kind, v.Listed, tt.kind, tt.listed)
			}
			if tt.catalogue == "" {
				return
			}
			var reasons []string
			for _, row := range v.Catalogue {
				reasons = append(reasons, row.Reason)
				if row.FirstSeen.IsZero() {
					t.Errorf("catalogue row %+v has no first-seen time", row)
				}
			}
			if !strings.Contains(strings.Join(reasons, ","), tt.catalogue) {
				t.Fatalf("catalogue rows %v lack %q", reasons, tt.catalogue)
			}
		})
	}
}
