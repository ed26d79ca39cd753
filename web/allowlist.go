package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/store"
)

// allowlistPage lists the admin allowlist with who added each name, when
// and why, and forms to add and remove names.
type allowlistPage struct {
	Entries []store.AllowEntry
	Pager   pager
	Message string
	Error   string
	Name    string // prefilled in the add form
}

func (allowlistPage) PageTitle() string { return "Allowlist" }

func (s *Site) allowlist(w http.ResponseWriter, r *http.Request) {
	if s.need(w, r, store.RoleAdmin) == nil {
		return
	}
	s.renderAllowlist(w, r, http.StatusOK, allowlistPage{Name: r.URL.Query().Get("name"), Message: r.URL.Query().Get("done")})
}

func (s *Site) renderAllowlist(w http.ResponseWriter, r *http.Request, status int, p allowlistPage) {
	entries, err := s.opts.Store.Allowlist()
	if err != nil {
		s.log.Error("web: read allowlist", "err", err)
		p.Error = "The allowlist could not be read; the server log has details."
	}
	p.Entries, p.Pager = paged(r, "/allowlist", "page", "Pages of the allowlist", entries, perPageTable)
	s.render(w, r, status, "allowlist", p)
}

// allowAdd puts a name on the allowlist; it resolves again within a
// second (the matcher is rebuilt before the reply).
func (s *Site) allowAdd(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	name, err := api.AllowName(r.PostForm.Get("name"), r.PostForm.Get("reason"))
	if err == nil {
		_, err = s.opts.Store.AddAllow(name, strings.TrimSpace(r.PostForm.Get("reason")), sess.TokenName)
	}
	if err != nil {
		s.renderAllowlist(w, r, http.StatusBadRequest, allowlistPage{Error: err.Error(), Name: r.PostForm.Get("name")})
		return
	}
	s.opts.OnAllowChange()
	s.log.Info("web: allowlist", "action", "add", "name", name, "by", sess.TokenName)
	back := localPath(r.PostForm.Get("back"))
	if back == "/" {
		back = "/allowlist?done=" + name + "+is+allowed"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Site) allowRemove(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	name := r.PostForm.Get("name")
	if _, err := s.opts.Store.RemoveAllow(name, r.PostForm.Get("reason"), sess.TokenName); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		s.renderAllowlist(w, r, status, allowlistPage{Error: err.Error()})
		return
	}
	s.opts.OnAllowChange()
	s.log.Info("web: allowlist", "action", "remove", "name", name, "by", sess.TokenName)
	http.Redirect(w, r, "/allowlist?done="+name+"+is+blocked+again+if+a+list+names+it", http.StatusSeeOther)
}

// adminForm checks a POST from an admin.
func (s *Site) adminForm(w http.ResponseWriter, r *http.Request) (*Session, bool) {
	return s.roleForm(w, r, store.RoleAdmin)
}

// roleForm checks a POST (form token, origin) from a session with at
// least role, answering the request itself when the check fails.
func (s *Site) roleForm(w http.ResponseWriter, r *http.Request, role store.Role) (*Session, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	sess, err := s.checkForm(r)
	if err != nil {
		s.render(w, r, http.StatusForbidden, "error", errorPage{Title: "Form refused", Message: err.Error()})
		return nil, false
	}
	if sess == nil || !sess.Role.Allows(role) {
		s.render(w, r, http.StatusForbidden, "error", errorPage{Title: "Not allowed",
			Message: "This needs a " + string(role) + " signed in."})
		return nil, false
	}
	return sess, true
}
