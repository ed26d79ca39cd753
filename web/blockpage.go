package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// blockPage answers any request whose Host is a blocked name with a page
// that says, in plain words and the browser's language where a translation
// exists, what was blocked, why, and what to do. With --block-mode
// ip:ADDR pointing at this listener (or a port-80 forward to it), a
// plain-HTTP visit to a scam site lands here. Over HTTPS no valid
// certificate can exist for the blocked name: the browser shows a
// certificate error, and the DNS answer's EDE carries the reason.
func (s *Site) blockPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostOnly(r.Host)
		if host == "" || host == "localhost" || strings.IndexByte(host, '.') < 0 {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := netip.ParseAddr(host); err == nil {
			next.ServeHTTP(w, r)
			return
		}
		hit, blocked := s.opts.Lists.Lookup(host)
		if !blocked {
			next.ServeHTTP(w, r)
			return
		}
		s.render(w, r, http.StatusForbidden, "blocked", blockedView(host, hit, r.Header.Get("Accept-Language")))
	})
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

// blockedPage is what the block page shows.
type blockedPage struct {
	Lang                   string
	T                      blockText
	Host, Listed, Source   string
	Category, CategoryText string
	LookupURL, AppealURL   string
}

func (p blockedPage) PageTitle() string { return p.T.Title }

func blockedView(host string, hit lists.Hit, acceptLanguage string) blockedPage {
	lang := pickLanguage(acceptLanguage)
	t := blockTexts[lang]
	cat := hit.Category
	what, ok := t.Categories[cat]
	if !ok {
		what = t.Categories[""]
	}
	return blockedPage{Lang: lang, T: t, Host: host, Listed: hit.Name, Source: hit.Source, Category: cat, CategoryText: what,
		LookupURL: "/lookup?q=" + host, AppealURL: "/appeal?indicator=" + hit.Name}
}

// pickLanguage returns the first language of Accept-Language that has a
// translation (quality values are honoured by order: browsers send them
// in order), else English.
func pickLanguage(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := blockTexts[base]; ok {
			return base
		}
	}
	return "en"
}
