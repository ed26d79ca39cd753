package verdict

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/internal/feedstest"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

func importSet(t *testing.T, name, rel string) *lists.Set {
	t.Helper()
	res, err := feeds.Import(context.Background(), feeds.NewFetcher(nil), feeds.Feed{Name: name, URL: feedstest.Path(t, rel), Enabled: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Set
}

func TestCheckExplainsEveryKindOfIndicator(t *testing.T) {
	bl, err := blocklist.New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checker := New(bl, nil)
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
			v, err := checker.Check(tt.in)
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

// A published submission is named in the verdict with its provenance, and
// the JSON keeps the field names `check --json` and /v1/check have always
// used.
func TestCheckNamesTheSubmission(t *testing.T) {
	bl, err := blocklist.New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	bl.SetPublished([]store.Listing{{
		Entry:  lists.Entry{Value: "fake-exchange.com", Kind: lists.KindDomain, Category: "scam", Action: lists.Block},
		Source: "submission:7", SubmissionID: 7, Evidence: []string{"https://evidence.example/7"},
		Submitter: "alice", Reviewer: "bob", Published: published, Expires: published.AddDate(0, 6, 0),
	}})
	v, err := New(bl, nil).Check("www.Fake-Exchange.com")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Listed || v.Kind != KindDomain || v.Domain.Decision == nil || v.Domain.Decision.Source != "submission:7" {
		t.Fatalf("verdict %+v", v)
	}
	if len(v.Submissions) != 1 || v.Submissions[0].Submitter != "alice" {
		t.Fatalf("submissions %+v", v.Submissions)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"indicator":`, `"kind":"domain"`, `"listed":true`, `"domain":`, `"submissions":`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON lacks %s: %s", key, raw)
		}
	}
}

func TestCheckRejectsBadInputWithAReason(t *testing.T) {
	bl, err := blocklist.New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := New(bl, nil)
	for _, in := range []string{"", "  ", "bad name!", "https://bad host/x", "0x8589427373D6D84E98730D7795D8f6f8731FDA17"} {
		if _, err := c.Check(in); lists.ReasonOf(err) == "" {
			t.Errorf("Check(%q) = %v; want an input error with a reason", in, err)
		}
	}
}
