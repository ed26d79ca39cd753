package web

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/store"
)

// appealPage is the public form for site owners, and the page that shows
// an appeal to whoever holds its follow code.
type appealPage struct {
	Indicator, Reason, Contact string
	Error                      string
	Filed                      *store.Appeal
	Code                       string        // shown once, right after filing
	Followed                   *store.Appeal // looked up by code
}

func (appealPage) PageTitle() string { return "Appeal a listing" }

func (s *Site) appealForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "appeal", appealPage{Indicator: r.URL.Query().Get("indicator")})
}

// fileAppeal is public and rate limited per client address (the same
// limiter type and defaults as POST /v1/appeals).
func (s *Site) fileAppeal(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if _, err := s.checkForm(r); err != nil {
		s.render(w, r, http.StatusForbidden, "appeal", appealPage{Error: err.Error()})
		return
	}
	f := r.PostForm
	p := appealPage{Indicator: f.Get("indicator"), Reason: strings.TrimSpace(f.Get("reason")), Contact: strings.TrimSpace(f.Get("contact"))}
	if ip, ok := clientAddr(r); ok {
		if allowed, wait := s.appeals.Reserve(ip, s.now()); !allowed {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			p.Error = "Too many appeals from your address; please try again in a few minutes."
			s.render(w, r, http.StatusTooManyRequests, "appeal", p)
			return
		}
	}
	ind, err := s.opts.Validator.Appeal(api.AppealRequest{Indicator: p.Indicator, Reason: p.Reason, Contact: p.Contact})
	if err != nil {
		p.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "appeal", p)
		return
	}
	ap, code, err := s.opts.Store.FileAppeal(ind, p.Reason, p.Contact)
	if err != nil {
		s.fail(w, r, "file the appeal", err)
		return
	}
	s.render(w, r, http.StatusCreated, "appeal", appealPage{Filed: &ap, Code: code})
}

// followAppeal shows an appeal by its code. The code comes in a POST
// body, so it never appears in a URL, a history or a log.
func (s *Site) followAppeal(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if _, err := s.checkForm(r); err != nil {
		s.render(w, r, http.StatusForbidden, "appeal", appealPage{Error: err.Error()})
		return
	}
	ap, err := s.opts.Store.AppealByCode(r.PostForm.Get("code"))
	if err != nil {
		s.render(w, r, http.StatusNotFound, "appeal", appealPage{Error: "No appeal has that code. Check it and try again."})
		return
	}
	s.render(w, r, http.StatusOK, "appeal", appealPage{Followed: &ap})
}

// clientAddr is the client's address as the connection shows it (proxy
// headers are not trusted).
func clientAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return ip.Unmap(), err == nil
}
