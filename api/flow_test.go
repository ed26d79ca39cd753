package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func publishedValues(t *testing.T, s *store.Store) []string {
	t.Helper()
	pub, err := s.Published()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range pub {
		out = append(out, l.Entry.Value)
	}
	return out
}

// TestSubmissionToDelistFlow walks one indicator through its whole life
// over HTTP: submit → pending (not published) → self-approval refused →
// approved by another reviewer (published, change signalled) → appeal →
// delist (unpublished, signalled) → every step in the audit log.
func TestSubmissionToDelistFlow(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	sam, rita, ray, ada := f.client("sam"), f.client("rita"), f.client("ray"), f.client("ada")

	res, err := sam.Submit(ctx, SubmitRequest{Indicators: []string{"pig-butcher.com", "0x52908400098527886E0F7030069857D2E4169EE7"},
		Category: "pig-butchering", Evidence: []string{"https://archive.com/abc"}, Note: "WhatsApp investment group"})
	if err != nil {
		t.Fatal(err)
	}
	domainID, walletID := res.Results[0].Submission.ID, res.Results[1].Submission.ID

	pending, err := rita.Submissions(ctx, "pending")
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	if got := publishedValues(t, f.store); len(got) != 0 || f.changes.Load() != 0 {
		t.Fatalf("pending indicators are published: %v", got)
	}

	// A co-submitter (rita merges evidence) may no longer approve.
	if _, err := rita.Submit(ctx, SubmitRequest{Indicator: "pig-butcher.com", Evidence: []string{"https://archive.com/def"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rita.Approve(ctx, domainID, DecisionRequest{}); StatusOf(err) != 403 {
		t.Fatalf("co-submitter approval: %v, want 403", err)
	}
	if _, err := ray.Approve(ctx, domainID, DecisionRequest{Reason: "archive shows fake exchange"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ray.Approve(ctx, walletID, DecisionRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := publishedValues(t, f.store); !slices.Equal(got, []string{"pig-butcher.com", "0x52908400098527886e0f7030069857d2e4169ee7"}) {
		t.Fatalf("published = %v", got)
	}
	if f.changes.Load() != 2 {
		t.Fatalf("OnPublishedChange fired %d times, want 2 (one per approval)", f.changes.Load())
	}
	pub, _ := f.store.Published()
	if pub[0].Source != "submission:1" || pub[0].Entry.Category != "pig-butchering" || pub[0].Entry.Line != 0 {
		t.Fatalf("listing = %+v %+v", pub[0].Source, pub[0].Entry)
	}

	ap, err := f.client("").Appeal(ctx, AppealRequest{Indicator: "PIG-BUTCHER.com", Reason: "this is our real shop", Contact: "owner@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if ap.Indicator != "pig-butcher.com" || ap.SubmissionID != domainID {
		t.Fatalf("appeal = %+v", ap)
	}
	open, err := rita.Appeals(ctx, "open")
	if err != nil || len(open) != 1 {
		t.Fatalf("open appeals = %+v, %v", open, err)
	}
	if _, err := rita.DelistAppeal(ctx, ap.ID, DecisionRequest{Reason: "owner verified"}); err != nil {
		t.Fatal(err)
	}
	if got := publishedValues(t, f.store); !slices.Equal(got, []string{"0x52908400098527886e0f7030069857d2e4169ee7"}) {
		t.Fatalf("after delist published = %v", got)
	}
	if f.changes.Load() != 3 {
		t.Fatalf("OnPublishedChange fired %d times, want 3", f.changes.Load())
	}

	audit, err := ada.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range audit.Events {
		if strings.HasPrefix(e.Action, "token-") {
			continue
		}
		steps = append(steps, e.Actor+" "+e.Action+" "+e.Object+" "+e.To)
	}
	want := []string{
		"sam submit submission:1 pending",
		"sam submit submission:2 pending",
		"rita merge submission:1 ",
		"ray approve submission:1 approved",
		"ray approve submission:2 approved",
		"public appeal appeal:1 open",
		"rita delist appeal:1 delisted",
		"rita delist submission:1 delisted",
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("audit:\n got %q\nwant %q", steps, want)
	}
}

func TestExportFormats(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.published("evil.com")
	f.published("scam-two.com")
	f.published("twitter.com/scammer")
	res, err := f.client("sam").Submit(ctx, SubmitRequest{Indicator: "0x52908400098527886E0F7030069857D2E4169EE7", Category: "drainer",
		Evidence: []string{"https://etherscan.com/tx/1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client("ray").Approve(ctx, res.Results[0].Submission.ID, DecisionRequest{}); err != nil {
		t.Fatal(err)
	}
	f.pending("not-yet.com")

	export := func(format string) string {
		var b strings.Builder
		if err := f.client("").Export(ctx, format, &b); err != nil {
			t.Fatalf("export %s: %v", format, err)
		}
		return b.String()
	}

	t.Run("domains is one published name a line", func(t *testing.T) {
		if got := export("domains"); got != "evil.com\nscam-two.com\n" {
			t.Fatalf("%q", got)
		}
	})
	t.Run("hosts maps names to 0.0.0.0", func(t *testing.T) {
		got := export("hosts")
		if !strings.Contains(got, "\n0.0.0.0 evil.com\n") || strings.Contains(got, "twitter") {
			t.Fatalf("%s", got)
		}
	})
	t.Run("rpz is a zone miekg/dns loads, with name and wildcard", func(t *testing.T) {
		zp := dns.NewZoneParser(strings.NewReader(export("rpz")), "rpz.scamblock.", "export.rpz")
		var soa, ns int
		cnames := map[string]string{}
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			switch rr := rr.(type) {
			case *dns.SOA:
				soa++
				if rr.Serial == 0 {
					t.Error("SOA serial 0")
				}
			case *dns.NS:
				ns++
			case *dns.CNAME:
				cnames[rr.Hdr.Name] = rr.Target
			}
		}
		if err := zp.Err(); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"evil.com.rpz.scamblock.": ".", "*.evil.com.rpz.scamblock.": ".",
			"scam-two.com.rpz.scamblock.": ".", "*.scam-two.com.rpz.scamblock.": ".",
		}
		if soa != 1 || ns != 1 || len(cnames) != len(want) {
			t.Fatalf("soa %d ns %d cnames %v", soa, ns, cnames)
		}
		for k, v := range want {
			if cnames[k] != v {
				t.Errorf("%s CNAME %q, want %q", k, cnames[k], v)
			}
		}
	})
	t.Run("json carries attribution", func(t *testing.T) {
		var got ExportJSON
		if err := json.Unmarshal([]byte(export("json")), &got); err != nil {
			t.Fatal(err)
		}
		if got.Count != 4 || got.Indicators[3].Kind != "address" || got.Indicators[3].Submitter != "sam" ||
			got.Indicators[3].Reviewer != "ray" || got.Indicators[3].Evidence[0] != "https://etherscan.com/tx/1" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("csv has a header and one row per indicator", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(export("csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || rows[0][0] != "indicator" || rows[4][1] != "address" || rows[4][2] != "evm" {
			t.Fatalf("%q", rows)
		}
	})
	t.Run("stix is a 2.1 bundle with an identity and indicators", func(t *testing.T) {
		var b struct {
			Type    string           `json:"type"`
			ID      string           `json:"id"`
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal([]byte(export("stix")), &b); err != nil {
			t.Fatal(err)
		}
		idRE := regexp.MustCompile(`^[a-z-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
		tsRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
		if b.Type != "bundle" || !idRE.MatchString(b.ID) || len(b.Objects) != 5 || b.Objects[0]["type"] != "identity" {
			t.Fatalf("bundle %s %s with %d objects", b.Type, b.ID, len(b.Objects))
		}
		wantPatterns := []string{
			`[domain-name:value = 'evil.com']`,
			`[domain-name:value = 'scam-two.com']`,
			`[url:value = 'https://twitter.com/scammer' OR url:value = 'http://twitter.com/scammer']`,
			`[cryptocurrency-wallet:address = '0x52908400098527886e0f7030069857d2e4169ee7']`,
		}
		for i, o := range b.Objects[1:] {
			if o["type"] != "indicator" || o["spec_version"] != "2.1" || o["pattern_type"] != "stix" {
				t.Errorf("object %d: %v", i, o)
			}
			if o["pattern"] != wantPatterns[i] {
				t.Errorf("pattern %v, want %s", o["pattern"], wantPatterns[i])
			}
			for _, k := range []string{"id", "created_by_ref"} {
				if s, _ := o[k].(string); !idRE.MatchString(s) {
					t.Errorf("%s %q is not a STIX id", k, s)
				}
			}
			for _, k := range []string{"created", "modified", "valid_from", "valid_until"} {
				if s, _ := o[k].(string); !tsRE.MatchString(s) {
					t.Errorf("%s %q is not a STIX timestamp", k, s)
				}
			}
			if o["valid_until"].(string) <= o["valid_from"].(string) {
				t.Errorf("valid_until %v not after valid_from %v", o["valid_until"], o["valid_from"])
			}
		}
		// Ids are stable: the same submission keeps its id in the next export.
		var again struct{ Objects []map[string]any }
		json.Unmarshal([]byte(export("stix")), &again)
		if again.Objects[1]["id"] != b.Objects[1]["id"] {
			t.Error("indicator id changed between exports")
		}
	})
	t.Run("unchanged export answers 304 to its ETag", func(t *testing.T) {
		_, _, h := f.do("GET", "/v1/export?format=rpz", "", nil)
		req, _ := http.NewRequest("GET", f.srv.URL+"/v1/export?format=rpz", nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if h.Get("ETag") == "" || resp.StatusCode != http.StatusNotModified {
			t.Fatalf("ETag %q, status %d", h.Get("ETag"), resp.StatusCode)
		}
		f.published("newer-scam.com")
		req.Header.Set("If-None-Match", h.Get("ETag"))
		if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("after a change: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	})
	t.Run("unknown format names the parameter", func(t *testing.T) {
		st, body, _ := f.do("GET", "/v1/export?format=xml", "", nil)
		if st != 400 || errorOf(t, body).Field != "format" {
			t.Fatalf("%d %s", st, body)
		}
	})
}

func TestSTIXQuoteEscapes(t *testing.T) {
	if got, want := stixQuote(`o'brien\x`), `'o\'brien\\x'`; got != want {
		t.Fatalf("stixQuote = %s, want %s", got, want)
	}
}

func TestParseIndicatorKinds(t *testing.T) {
	a := &API{guard: lists.DefaultGuard(), addresses: stubAddresses()}
	tests := []struct {
		in   string
		kind lists.Kind
		ok   bool
	}{
		{"evil.com", lists.KindDomain, true},
		{"http://evil.com", lists.KindDomain, true},
		{"evil.com/", lists.KindDomain, true},
		{"evil.com/a/b", lists.KindURL, true},
		{"mailto:x@evil.com", 0, false},
		{"ftp://evil.com/x", 0, false},
		{"https://user:pw@evil.com/x", 0, false},
		{"0x52908400098527886E0F7030069857D2E4169EE7", lists.KindAddress, true},
		{"nodot", 0, false},
		{"", 0, false},
		{strings.Repeat("a", 3000) + ".com", 0, false},
	}
	for _, tt := range tests {
		got, err := a.parseIndicator(tt.in, true)
		if (err == nil) != tt.ok || (tt.ok && got.Kind != tt.kind) {
			t.Errorf("parseIndicator(%.40q) = %+v, %v", tt.in, got, err)
		}
	}
}

// FuzzParseIndicator feeds arbitrary submissions to the classifier: it
// never panics, and a canonical value parses to itself with the same kind.
func FuzzParseIndicator(f *testing.F) {
	for _, s := range []string{"evil.com", "https://Evil.COM/a?b#c", "twitter.com/x", "*.w.com", "0x52908400098527886E0F7030069857D2E4169EE7",
		"bücher.de", "xn--bcher-kva.de", "http://[::1]/", "a..b", "-a.com", "evil.com:8080/x", "mailto:a@b.com", "\u00ad.com"} {
		f.Add(s)
	}
	a := &API{guard: lists.DefaultGuard(), addresses: stubAddresses()}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := a.parseIndicator(s, true)
		if err != nil {
			return
		}
		again, err := a.parseIndicator(got.Value, true)
		if err != nil || again != got {
			t.Fatalf("%q → %+v, which parses to %+v, %v", s, got, again, err)
		}
	})
}

// BenchmarkSubmitOverHTTP measures one-indicator submissions through the
// loopback HTTP API, each committed (fsync) before its reply.
func BenchmarkSubmitOverHTTP(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	secret, _, err := s.CreateToken("bench", store.RoleSubmitter, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Store: s}))
	defer srv.Close()
	c := &Client{Server: srv.URL, Token: secret}
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("b%d.bench-scam.com", n.Add(1))
			if _, err := c.Submit(context.Background(), SubmitRequest{Indicator: name}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
