package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/scamblock/scamblock/store"
)

// Cookies. Both are HttpOnly and SameSite=Strict; Secure when the request
// came over TLS. The session cookie holds a random id whose hash is the
// store's key; the form cookie holds the form token of a signed-out
// visitor (double-submit), so sign-in and appeals are CSRF-protected too.
const (
	sessionCookie = "sb_session"
	formCookie    = "sb_form"
)

// Session is a signed-in visitor.
type Session = store.Session

func (s *Site) limits() store.SessionLimits {
	return store.SessionLimits{Idle: s.opts.SessionIdle, Max: s.opts.SessionMax}
}

// session returns the request's live session, or nil.
func (s *Site) session(r *http.Request) *Session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	sess, err := s.opts.Store.Session(c.Value, s.limits())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrSessionEnded) {
			s.log.Error("web: session lookup failed", "err", err)
		}
		return nil
	}
	return &sess
}

// visitor returns the session (nil when signed out) and the form token the
// page's forms must carry, setting the form cookie for a signed-out
// visitor who has none.
func (s *Site) visitor(w http.ResponseWriter, r *http.Request) (*Session, string) {
	if sess := s.session(r); sess != nil {
		return sess, sess.CSRF
	}
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) >= 20 {
		return nil, c.Value
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return nil, tok
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkForm verifies a POST: same origin (Origin, when the browser sends
// it), and a form token matching the session's or the form cookie. It
// returns the session (nil when signed out) or an error to show.
func (s *Site) checkForm(r *http.Request) (*Session, error) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return nil, errors.New("this form was sent from another site")
		}
	}
	if err := r.ParseForm(); err != nil {
		return nil, errors.New("the form could not be read")
	}
	got := r.PostForm.Get("csrf")
	sess := s.session(r)
	want := ""
	if sess != nil {
		want = sess.CSRF
	} else if c, err := r.Cookie(formCookie); err == nil {
		want = c.Value
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return nil, errors.New("this form has expired; reload the page and send it again")
	}
	return sess, nil
}

type signinPage struct {
	Next  string
	Error string
}

func (signinPage) PageTitle() string { return "Sign in" }

func (s *Site) signinForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", signinPage{Next: localPath(r.URL.Query().Get("next"))})
}

// signin exchanges a token for a session cookie. The token travels in the
// POST body only, is never logged, and is not kept.
func (s *Site) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if _, err := s.checkForm(r); err != nil {
		s.render(w, r, http.StatusForbidden, "signin", signinPage{Error: err.Error()})
		return
	}
	next := localPath(r.PostForm.Get("next"))
	tok, err := s.opts.Store.Authenticate(strings.TrimSpace(r.PostForm.Get("token")))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("web: sign-in failed", "err", err)
		}
		s.render(w, r, http.StatusUnauthorized, "signin", signinPage{Next: next,
			Error: "That token is unknown or revoked. Ask an admin for one (scamblock token create)."})
		return
	}
	id, _, err := s.opts.Store.CreateSession(tok)
	if err != nil {
		s.log.Error("web: create session", "err", err)
		s.render(w, r, http.StatusInternalServerError, "error", errorPage{Title: "Sign-in failed", Message: "The server log has details."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(s.opts.SessionMax.Seconds())})
	s.log.Info("web: signed in", "token", tok.Name, "role", tok.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Site) signout(w http.ResponseWriter, r *http.Request) {
	if _, err := s.checkForm(r); err != nil {
		s.render(w, r, http.StatusForbidden, "error", errorPage{Title: "Not signed out", Message: err.Error()})
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.opts.Store.DeleteSession(c.Value); err != nil {
			s.log.Error("web: sign-out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// localPath keeps a redirect target on this site: a path, never a URL or
// "//host".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

// need returns the session when it has at least role; otherwise it sends
// the visitor to sign in (or says the role is too low) and returns nil.
func (s *Site) need(w http.ResponseWriter, r *http.Request, role store.Role) *Session {
	sess := s.session(r)
	if sess == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if !sess.Role.Allows(role) {
		s.render(w, r, http.StatusForbidden, "error", errorPage{Title: "Not allowed",
			Message: "You are signed in as " + sess.TokenName + " (" + string(sess.Role) + "); this page needs " + string(role) + "."})
		return nil
	}
	return sess
}
