package web

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/verdict"
)

func TestPaged(t *testing.T) {
	items := make([]int, 45)
	for i := range items {
		items[i] = i + 1
	}
	tests := []struct {
		query      string
		first, n   int
		prev, next string
	}{
		{"", 1, 20, "", "/review?page=2&state=x"},
		{"page=2", 21, 20, "/review?page=1&state=x", "/review?page=3&state=x"},
		{"page=3", 41, 5, "/review?page=2&state=x", ""},
		{"page=99", 41, 5, "/review?page=2&state=x", ""},
		{"page=nonsense", 1, 20, "", "/review?page=2&state=x"},
		{"page=-1&done=Approved", 1, 20, "", "/review?page=2&state=x"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/review/approve?state=x&"+tt.query, nil)
		got, p := paged(r, "/review", "page", "Pages", items, 20)
		if len(got) != tt.n || got[0] != tt.first || p.Prev != tt.prev || p.Next != tt.next ||
			p.Total != 45 || p.From != tt.first || p.To != tt.first+tt.n-1 || !p.Paged() {
			t.Errorf("%q: %d items from %d, %+v", tt.query, len(got), got[0], p)
		}
	}
	r := httptest.NewRequest("GET", "/allowlist", nil)
	if got, p := paged(r, "/allowlist", "page", "Pages", []int(nil), 20); len(got) != 0 || p.Paged() || p.Total != 0 || p.From != 0 {
		t.Errorf("empty list: %v, %+v", got, p)
	}
	if got, p := paged(r, "/allowlist", "page", "Pages", items[:20], 20); len(got) != 20 || p.Paged() {
		t.Errorf("one full page: %d items, %+v", len(got), p)
	}
}

// TestReviewPageStaysSmall renders the review page with a long queue of
// large submissions: it shows one page of it, with links to the others,
// and stays under the 100 KB every page must fit in.
func TestReviewPageStaysSmall(t *testing.T) {
	ps, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	var subs []store.Submission
	for i := range 500 {
		subs = append(subs, store.Submission{ID: uint64(i + 1), Indicator: fmt.Sprintf("claim-%d-airdrop.top", i), Kind: "domain",
			Category: "investment-scam", Submitter: "alice", Submitters: []string{"alice"}, Created: time.Now(),
			Evidence: []string{"https://web.archive.org/web/2026/https://claim-airdrop.top/" + strings.Repeat("x", 200)},
			Notes:    []string{strings.Repeat("seen in a Telegram group ", 8)}})
	}
	var appeals []store.Appeal
	for i := range 300 {
		appeals = append(appeals, store.Appeal{ID: uint64(i + 1), Indicator: fmt.Sprintf("shop-%d.example", i), Reason: strings.Repeat("this is my shop ", 10), Created: time.Now()})
	}
	r := httptest.NewRequest("GET", "/review?page=2", nil)
	p := reviewPage{Me: "bob"}
	p.Pending, p.PendingPager = paged(r, "/review", "page", "Pages of the review queue", subs, perPageReview)
	p.Appeals, p.AppealsPager = paged(r, "/review", "appeals", "Pages of the open appeals", appeals, perPageReview)
	var buf bytes.Buffer
	if err := ps.byName["review"].ExecuteTemplate(&buf, "layout", view{Page: "review", Title: p.PageTitle(), Data: p}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"Submissions waiting (500)", "21–40 of 500", `href="/review?page=3"`, `href="/review?page=1"`, "#40 ", "Open appeals (300)", `href="/review?appeals=2&amp;page=2"`} {
		if !strings.Contains(page, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	if strings.Contains(page, "#41 ") || strings.Contains(page, "#20 ") {
		t.Error("review page shows submissions of other pages")
	}
	if buf.Len() >= 100_000 {
		t.Errorf("review page is %d bytes, over 100 KB", buf.Len())
	}
	t.Logf("review page: %d bytes", buf.Len())
}

// TestLookupPageListsAFewURLs renders the lookup page of a host that a
// phishing feed lists thousands of pages on: it names the first maxURLs,
// counts the rest, and stays under 100 KB.
func TestLookupPageListsAFewURLs(t *testing.T) {
	ps, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	ex := lists.Explanation{Query: "sites.google.com", Name: "sites.google.com"}
	for i := range 5000 {
		ex.URLs = append(ex.URLs, lists.Listing{Name: fmt.Sprintf("sites.google.com/view/claim-airdrop-%d", i), Source: "openphish", Line: i + 1, Kind: "url", Category: "phishing", Action: "block", Status: "indicator"})
	}
	v := verdict.Verdict{Indicator: "sites.google.com", Kind: verdict.KindDomain, Domain: &ex}
	p := lookupPage{Query: v.Indicator, Verdict: &v, Name: ex.Name}
	p.URLs, p.MoreURLs = shownURLs(ex.URLs)
	var buf bytes.Buffer
	if err := ps.byName["lookup"].ExecuteTemplate(&buf, "layout", view{Page: "lookup", Title: p.PageTitle(), Data: p}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := strings.Count(page, "<li>sites.google.com/view/"); n != maxURLs {
		t.Errorf("the page lists %d URLs, want %d", n, maxURLs)
	}
	if !strings.Contains(page, "And 4,950 more on this host") || buf.Len() >= 100_000 {
		t.Errorf("%d bytes; no count of the URLs left out", buf.Len())
	}
	if got, more := shownURLs(ex.URLs[:3]); len(got) != 3 || more != 0 {
		t.Errorf("3 URLs: %d shown, %d more", len(got), more)
	}
}
