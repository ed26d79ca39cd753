package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// Items a page shows of each long list, so that a page stays well under
// the 100 KB budget however long the queue or the allowlist grows (a
// review box is about 1 KB, a table row a few hundred bytes).
const (
	perPageReview = 20
	perPageTable  = 100
)

// pager says which part of a long list a page shows and links to the
// pages beside it (?PARAM=N, from 1).
type pager struct {
	Label           string // what the list is, for the links' aria-label
	Total, From, To int    // items in all; the first and last shown (1-based; 0 when none)
	Prev, Next      string // the neighbouring pages; "" at the ends
}

// Paged reports whether the list takes more than one page.
func (p pager) Paged() bool { return p.Prev != "" || p.Next != "" }

// paged returns the part of items that the query parameter param of r
// asks for (a page past the last shows the last) and its pager. path is
// where the links point: the page's GET address, also when r is the POST
// of a form that shows the page again.
func paged[T any](r *http.Request, path, param, label string, items []T, perPage int) ([]T, pager) {
	total := len(items)
	pages := max(1, (total+perPage-1)/perPage)
	n, err := strconv.Atoi(r.URL.Query().Get(param))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	lo, hi := (n-1)*perPage, min(n*perPage, total)
	p := pager{Label: label, Total: total, From: lo + 1, To: hi}
	if total == 0 {
		p.From = 0
	}
	link := func(k int) string {
		q := url.Values{}
		for key, v := range r.URL.Query() {
			if key != "done" { // a one-shot message is not repeated on the next page
				q[key] = v
			}
		}
		q.Set(param, strconv.Itoa(k))
		return path + "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n < pages {
		p.Next = link(n + 1)
	}
	return items[lo:hi], p
}
