package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// SubmitRequest is the body of POST /v1/submissions: one indicator
// ("indicator") or many ("indicators"), with the category, evidence and
// note that apply to all of them.
type SubmitRequest struct {
	Indicator  string   `json:"indicator,omitempty"`
	Indicators []string `json:"indicators,omitempty"`
	Category   string   `json:"category,omitempty"` // default "scam"
	Evidence   []string `json:"evidence,omitempty"` // http(s) URLs
	Note       string   `json:"note,omitempty"`
}

// SubmitResponse lists one result per indicator, in request order.
type SubmitResponse struct {
	Results []store.SubmitResult `json:"results"`
}

// DecisionRequest is the (optional) body of approve, reject, renew, delist
// and dismiss. Reject requires a reason.
type DecisionRequest struct {
	Reason  string `json:"reason,omitempty"`
	TTLDays int    `json:"ttl_days,omitempty"` // approve, renew: publication lifetime (default 180)
}

// SubmissionsResponse is the body of GET /v1/submissions.
type SubmissionsResponse struct {
	Submissions []store.Submission `json:"submissions"`
}

// Limits on submission fields.
const (
	maxEvidence    = 20
	maxEvidenceLen = 2048
	maxNoteLen     = 4000
	maxReasonLen   = 2000
	maxCategoryLen = 32
)

func validCategory(c string) bool {
	if c == "" || len(c) > maxCategoryLen {
		return false
	}
	for _, ch := range []byte(c) {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') && ch != '-' {
			return false
		}
	}
	return true
}

func (a *API) submit(w http.ResponseWriter, r *http.Request) {
	var req SubmitRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	items, e := a.validateSubmission(req, tokenFrom(r.Context()).Name)
	if e != nil {
		writeError(w, e)
		return
	}
	res, err := a.store.Submit(items)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	status := http.StatusOK // everything merged into existing records
	for _, sr := range res {
		if !sr.Merged {
			status = http.StatusCreated
		}
	}
	writeJSON(w, status, SubmitResponse{Results: res})
}

// validateSubmission checks every field before anything is stored: a
// request is accepted whole or not at all.
func (a *API) validateSubmission(req SubmitRequest, submitter string) ([]store.NewSubmission, *apiError) {
	type raw struct{ field, value string }
	var in []raw
	if req.Indicator != "" {
		in = append(in, raw{"indicator", req.Indicator})
	}
	for i, s := range req.Indicators {
		in = append(in, raw{fmt.Sprintf("indicators[%d]", i), s})
	}
	if len(in) == 0 {
		return nil, badField("indicators", "missing: give \"indicator\" or \"indicators\"")
	}
	if len(in) > a.opts.MaxIndicators {
		return nil, badField("indicators", "%d indicators, the limit is %d per request; split it", len(in), a.opts.MaxIndicators)
	}
	category := req.Category
	if category == "" {
		category = "scam"
	}
	if !validCategory(category) {
		return nil, badField("category", "%q: use 1-%d lower-case letters, digits or '-' (phishing, scam, drainer, pig-butchering, ...)",
			req.Category, maxCategoryLen)
	}
	if len(req.Evidence) > maxEvidence {
		return nil, badField("evidence", "%d URLs, the limit is %d", len(req.Evidence), maxEvidence)
	}
	for i, ev := range req.Evidence {
		if err := checkEvidenceURL(ev); err != nil {
			return nil, badField(fmt.Sprintf("evidence[%d]", i), "%v", err)
		}
	}
	if len(req.Note) > maxNoteLen {
		return nil, badField("note", "%d bytes, the limit is %d", len(req.Note), maxNoteLen)
	}
	out := make([]store.NewSubmission, 0, len(in))
	for _, it := range in {
		ind, err := a.parseIndicator(it.value, true)
		if err != nil {
			status := http.StatusBadRequest
			var ge *guardedError
			if errors.As(err, &ge) {
				status = http.StatusUnprocessableEntity
			}
			return nil, &apiError{Status: status, Field: it.field, Message: indicatorMessage(it.field, it.value, err)}
		}
		out = append(out, store.NewSubmission{
			Indicator: ind.Value, Kind: ind.Kind, Chain: ind.Chain, Category: category,
			Evidence: req.Evidence, Note: req.Note, Submitter: submitter,
		})
	}
	return out, nil
}

// indicatorMessage names the field and the input once (a
// lists.RejectError already quotes the input).
func indicatorMessage(field, value string, err error) string {
	var ge *guardedError
	if lists.ReasonOf(err) != "" || errors.As(err, &ge) {
		return field + ": " + err.Error() // already quotes the input
	}
	return fmt.Sprintf("%s: %q: %v", field, value, err)
}

func checkEvidenceURL(s string) error {
	if len(s) > maxEvidenceLen {
		return fmt.Errorf("%d bytes, the limit is %d", len(s), maxEvidenceLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: evidence must be an absolute http(s) URL (a screenshot, an archive.org capture, a report)", s)
	}
	return nil
}

func pathID(r *http.Request) (uint64, *apiError) {
	s := r.PathValue("id")
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, &apiError{Status: http.StatusBadRequest, Field: "id", Message: fmt.Sprintf("id: %q is not a record id (a positive integer)", s)}
	}
	return id, nil
}

func (a *API) listSubmissions(w http.ResponseWriter, r *http.Request) {
	state, err := store.ParseState(r.URL.Query().Get("state"))
	if err != nil {
		writeError(w, badField("state", "%v", err))
		return
	}
	f := store.Filter{State: state}
	if tok := tokenFrom(r.Context()); !tok.Role.Allows(store.RoleReviewer) {
		f.Submitter = tok.Name // submitters see their own
	}
	subs, err := a.store.Submissions(f)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if subs == nil {
		subs = []store.Submission{}
	}
	writeJSON(w, http.StatusOK, SubmissionsResponse{Submissions: subs})
}

func (a *API) getSubmission(w http.ResponseWriter, r *http.Request) {
	id, e := pathID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	sub, err := a.store.Submission(id)
	if err == nil {
		if tok := tokenFrom(r.Context()); !tok.Role.Allows(store.RoleReviewer) && !slices.Contains(sub.Submitters, tok.Name) {
			err = fmt.Errorf("submission %d: %w", id, store.ErrNotFound) // do not reveal others' records
		}
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// decision reads the optional decision body.
func (a *API) decision(r *http.Request, reasonRequired bool) (store.Decision, *apiError) {
	var req DecisionRequest
	if e := decodeJSON(r, &req, !reasonRequired); e != nil {
		return store.Decision{}, e
	}
	if reasonRequired && req.Reason == "" {
		return store.Decision{}, badField("reason", "missing: say why, for the submitter and the audit log")
	}
	if len(req.Reason) > maxReasonLen {
		return store.Decision{}, badField("reason", "%d bytes, the limit is %d", len(req.Reason), maxReasonLen)
	}
	if req.TTLDays < 0 || time.Duration(req.TTLDays)*24*time.Hour > a.opts.MaxTTL {
		return store.Decision{}, badField("ttl_days", "%d: use 1 to %d days (0 or absent means the default)",
			req.TTLDays, int(a.opts.MaxTTL/(24*time.Hour)))
	}
	return store.Decision{
		Reviewer: tokenFrom(r.Context()).Name, Reason: req.Reason, TTL: time.Duration(req.TTLDays) * 24 * time.Hour,
	}, nil
}

func (a *API) decide(w http.ResponseWriter, r *http.Request, reasonRequired, published bool,
	fn func(uint64, store.Decision) (store.Submission, error)) {
	id, e := pathID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	d, e := a.decision(r, reasonRequired)
	if e != nil {
		writeError(w, e)
		return
	}
	sub, err := fn(id, d)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if published {
		a.onChange()
	}
	writeJSON(w, http.StatusOK, sub)
}

func (a *API) approve(w http.ResponseWriter, r *http.Request) {
	a.decide(w, r, false, true, a.store.Approve)
}

func (a *API) reject(w http.ResponseWriter, r *http.Request) {
	a.decide(w, r, true, false, a.store.Reject)
}

func (a *API) renew(w http.ResponseWriter, r *http.Request) {
	a.decide(w, r, false, true, a.store.Renew)
}

// delist unpublishes an approved submission: a reviewer's own correction,
// with a reason, without an appeal.
func (a *API) delist(w http.ResponseWriter, r *http.Request) {
	a.decide(w, r, true, true, a.store.Delist)
}
