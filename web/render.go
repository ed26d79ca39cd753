package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// pages holds one template set per page: the layout plus the page.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"ago":    ago,
	"status": statusText,
	"categories": func() []string {
		return []string{"scam", "phishing", "investment-scam", "pig-butchering", "drainer", "fake-exchange", "impersonation", "giveaway-scam", "malware"}
	},
	"states":  func() []string { return []string{"pending", "approved", "rejected", "expired", "delisted"} },
	"join":    strings.Join,
	"query":   url.QueryEscape,
	"comma":   comma,
	"percent": percent,
	"ms": func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	},
}

// parsePages reads every page template with the layout.
func parsePages() (*pages, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// view is what every page template receives: the page's own data and the
// visitor's session (nil when signed out).
type view struct {
	Page    string
	Title   string
	Session *Session
	CSRF    string
	Data    any
}

// Title is implemented by page data that names its page.
type titled interface{ PageTitle() string }

func (e errorPage) PageTitle() string { return e.Title }

// render executes page into a buffer (so a template error never leaves a
// half-written page) and writes it. Pages are never cached: they may show
// a session's data.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t := s.pages.byName[page]
	if t == nil {
		s.log.Error("web: no such template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{Page: page, Data: data}
	if tt, ok := data.(titled); ok {
		v.Title = tt.PageTitle()
	}
	v.Session, v.CSRF = s.visitor(w, r)
	var buf bytes.Buffer
	name := "layout"
	if strings.HasSuffix(page, "_fragment") {
		name = page
	}
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("web: render failed", "page", page, "err", err)
		http.Error(w, "internal error: the server log has details", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		s = strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		s = strconv.Itoa(int(d/time.Hour)) + " h"
	default:
		s = strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// comma formats n with thousands separators.
func comma(n any) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(part, whole uint64) string {
	if whole == 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// statusText says in words what became of a listing (lists.Listing.Status).
func statusText(st string) string {
	switch {
	case st == "applied":
		return "decides"
	case st == "shadowed":
		return "also listed (another entry decides)"
	case st == "not-applicable":
		return "covers that name only, not this one"
	case st == "indicator":
		return "indicator (does not block by itself)"
	case strings.HasPrefix(st, "guarded:"):
		return "not applied: protected (" + strings.TrimPrefix(st, "guarded:") + ")"
	case strings.HasPrefix(st, "allowed:"):
		return "not applied: an allow rule covers it"
	}
	return st
}
