package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
	"github.com/scamblock/scamblock/verdict"
)

// lookupPage is the home page, with a verdict when q was given.
type lookupPage struct {
	Query   string
	Error   string
	Verdict *verdict.Verdict
	Summary string // one sentence: blocked, allowed, listed, not listed
	Tone    string // "bad", "good", "info": the summary's colour
	// Fetched is each listing source's last good fetch (feeds only).
	Fetched map[string]time.Time
	// Allow is the admin allowlist entry covering the name, if any.
	Allow *store.AllowEntry
	// CanAllow is true when the visitor may add Name to the allowlist.
	CanAllow bool
	Name     string // the canonical name to allow or appeal
	// URLs are the host's URL indicators the page shows (those matching
	// the path first), at most maxURLs; MoreURLs counts the rest, which
	// only the JSON lists: a shared host can carry thousands.
	URLs     []lists.Listing
	MoreURLs int
}

func (p lookupPage) PageTitle() string {
	if p.Query == "" {
		return "Look up a domain, URL or wallet"
	}
	return p.Query + " — lookup"
}

const maxQuery = 2048

// maxURLs is how many URL indicators of one host the lookup page lists,
// so that it stays far under 100 KB for hosts that phishing feeds list
// thousands of pages on.
const maxURLs = 50

// lookup serves / and /lookup?q=INDICATOR: the verdict `scamblock check`
// gives, for people.
func (s *Site) lookup(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := lookupPage{Query: q}
	if q == "" {
		s.render(w, r, http.StatusOK, "lookup", p)
		return
	}
	if len(q) > maxQuery {
		p.Error = "That is longer than any domain, URL or address (2048 characters at most)."
		s.render(w, r, http.StatusBadRequest, "lookup", p)
		return
	}
	v, err := s.opts.Checker.Check(q)
	if err != nil {
		p.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "lookup", p)
		return
	}
	p.Verdict = &v
	p.Summary, p.Tone = summary(v)
	p.Fetched = s.fetched()
	if v.Domain != nil {
		p.URLs, p.MoreURLs = shownURLs(v.Domain.URLs)
		p.Name = v.Domain.Name
		if e, ok, err := s.opts.Store.AllowEntryFor(v.Domain.Name); err != nil {
			s.log.Error("web: allowlist lookup", "err", err)
		} else if ok {
			p.Allow = &e
		}
	} else if v.Address != nil {
		p.Name = v.Address.Canonical
	}
	if sess := s.session(r); sess != nil && sess.Role.Allows(store.RoleAdmin) && v.Domain != nil && p.Allow == nil {
		p.CanAllow = true
	}
	s.render(w, r, http.StatusOK, "lookup", p)
}

// shownURLs returns the URL indicators the page lists and how many more
// there are.
func shownURLs(urls []lists.Listing) ([]lists.Listing, int) {
	if len(urls) > maxURLs {
		return urls[:maxURLs], len(urls) - maxURLs
	}
	return urls, 0
}

// summary is the verdict in one sentence.
func summary(v verdict.Verdict) (string, string) {
	switch {
	case v.Address != nil && v.Listed:
		return "This wallet address is listed as used by scammers. Do not send money to it.", "bad"
	case v.Address != nil:
		return "This wallet address is not on any list scamblock uses. That alone does not make it safe.", "info"
	case v.Domain == nil:
		return "", "info"
	case v.Domain.Blocked:
		d := v.Domain.Decision
		return "Blocked: " + d.Name + " is listed by " + d.Source + category(d.Category) + ".", "bad"
	case v.Domain.Decision != nil && v.Domain.Decision.Action == lists.Allow:
		d := v.Domain.Decision
		return "Not blocked: the allow rule " + d.Name + " (" + d.Source + ") lets it through.", "good"
	case v.Kind == verdict.KindURL && len(v.Domain.URLs) > 0:
		return "This URL is listed as a scam page; its host is not blocked as a whole.", "bad"
	case len(v.Domain.Listings) > 0:
		return "Not blocked, although some list names it: see why below.", "info"
	}
	return "Not listed: no list scamblock uses names it. That alone does not make it safe.", "good"
}

func category(c string) string {
	if c == "" {
		return ""
	}
	return " as " + c
}

// fetched maps each feed to its last good fetch.
func (s *Site) fetched() map[string]time.Time {
	out := map[string]time.Time{}
	if s.opts.Feeds == nil {
		return out
	}
	for _, st := range s.opts.Feeds() {
		out[st.Name] = st.LastGood
	}
	return out
}

// feedStatus is kept here so the dashboard and lookup agree on the type.
type feedStatus = feeds.Status
