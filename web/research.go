package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/store"
)

// submitPage is the researchers' form: many indicators at once, one
// category, evidence URLs and a note.
type submitPage struct {
	Indicators, Category, Evidence, Note string
	Error                                string
	Results                              []store.SubmitResult
}

func (submitPage) PageTitle() string { return "Submit indicators" }

func (s *Site) submitForm(w http.ResponseWriter, r *http.Request) {
	if s.need(w, r, store.RoleSubmitter) == nil {
		return
	}
	s.render(w, r, http.StatusOK, "submit", submitPage{Category: "scam"})
}

// lines splits a textarea into its non-empty lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *Site) submit(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.roleForm(w, r, store.RoleSubmitter)
	if !ok {
		return
	}
	f := r.PostForm
	p := submitPage{Indicators: f.Get("indicators"), Category: f.Get("category"), Evidence: f.Get("evidence"), Note: f.Get("note")}
	req := api.SubmitRequest{Indicators: lines(p.Indicators), Category: strings.TrimSpace(p.Category),
		Evidence: lines(p.Evidence), Note: strings.TrimSpace(p.Note)}
	items, err := s.opts.Validator.Submission(req, sess.TokenName)
	if err != nil {
		p.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "submit", p)
		return
	}
	res, err := s.opts.Store.Submit(items)
	if err != nil {
		s.log.Error("web: submit", "err", err)
		p.Error = "The submission could not be stored; the server log has details."
		s.render(w, r, http.StatusInternalServerError, "submit", p)
		return
	}
	s.render(w, r, http.StatusOK, "submit", submitPage{Category: p.Category, Results: res})
}

// submissionsPage lists the visitor's own submissions (reviewers: all).
type submissionsPage struct {
	Submissions []store.Submission
	Pager       pager
	State       string
}

func (submissionsPage) PageTitle() string { return "Submissions" }

func (s *Site) submissions(w http.ResponseWriter, r *http.Request) {
	sess := s.need(w, r, store.RoleSubmitter)
	if sess == nil {
		return
	}
	state, err := store.ParseState(r.URL.Query().Get("state"))
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "error", errorPage{Title: "Unknown state", Message: err.Error()})
		return
	}
	subs, err := s.opts.Store.Submissions(store.Filter{State: state, Submitter: sess.TokenName})
	if err != nil {
		s.fail(w, r, "read submissions", err)
		return
	}
	p := submissionsPage{State: string(state)}
	p.Submissions, p.Pager = paged(r, "/submissions", "page", "Pages of your submissions", subs, perPageTable)
	s.render(w, r, http.StatusOK, "submissions", p)
}

// reviewPage is the reviewers' queue and the open appeals.
type reviewPage struct {
	Pending      []store.Submission
	PendingPager pager
	Appeals      []store.Appeal
	AppealsPager pager
	Me           string
	Message      string
	Error        string
}

func (reviewPage) PageTitle() string { return "Review" }

func (s *Site) review(w http.ResponseWriter, r *http.Request) {
	sess := s.need(w, r, store.RoleReviewer)
	if sess == nil {
		return
	}
	s.renderReview(w, r, http.StatusOK, reviewPage{Me: sess.TokenName, Message: r.URL.Query().Get("done")})
}

func (s *Site) renderReview(w http.ResponseWriter, r *http.Request, status int, p reviewPage) {
	pending, err := s.opts.Store.Submissions(store.Filter{State: store.StatePending})
	if err != nil {
		s.fail(w, r, "read the review queue", err)
		return
	}
	appeals, err := s.opts.Store.Appeals(store.AppealOpen)
	if err != nil {
		s.fail(w, r, "read appeals", err)
		return
	}
	p.Pending, p.PendingPager = paged(r, "/review", "page", "Pages of the review queue", pending, perPageReview)
	p.Appeals, p.AppealsPager = paged(r, "/review", "appeals", "Pages of the open appeals", appeals, perPageReview)
	s.render(w, r, status, "review", p)
}

// decide applies a reviewer's button: approve or reject a submission,
// delist or dismiss an appeal.
func (s *Site) decide(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.roleForm(w, r, store.RoleReviewer)
	if !ok {
		return
	}
	f := r.PostForm
	id, err := strconv.ParseUint(f.Get("id"), 10, 64)
	reason := strings.TrimSpace(f.Get("reason"))
	d := store.Decision{Reviewer: sess.TokenName, Reason: reason}
	var done string
	published := false
	switch action := r.PathValue("action"); {
	case err != nil:
	case len(reason) > 2000:
		err = errorString("the reason is longer than 2000 characters")
	case action == "approve":
		_, err = s.opts.Store.Approve(id, d)
		done, published = "Submission "+f.Get("id")+" approved: it is blocked now.", true
	case action == "reject" && reason == "":
		err = errorString("say why you reject it: the submitter reads the reason")
	case action == "reject":
		_, err = s.opts.Store.Reject(id, d)
		done = "Submission " + f.Get("id") + " rejected."
	case action == "delist":
		_, _, err = s.opts.Store.DelistAppeal(id, d)
		done, published = "Appeal "+f.Get("id")+" upheld: the listing is removed.", true
	case action == "dismiss":
		_, err = s.opts.Store.DismissAppeal(id, d)
		done = "Appeal " + f.Get("id") + " dismissed."
	default:
		err = errorString("unknown action " + action)
	}
	if err != nil {
		s.renderReview(w, r, http.StatusBadRequest, reviewPage{Me: sess.TokenName, Error: err.Error()})
		return
	}
	if published {
		s.opts.OnPublishedChange()
	}
	http.Redirect(w, r, "/review?done="+strings.ReplaceAll(done, " ", "+"), http.StatusSeeOther)
}

type errorString string

func (e errorString) Error() string { return string(e) }

// fail logs an unexpected error and shows a page that does not leak it.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error("web: "+what, "err", err)
	s.render(w, r, http.StatusInternalServerError, "error", errorPage{Title: "Something went wrong",
		Message: "Could not " + what + "; the server log has details."})
}
