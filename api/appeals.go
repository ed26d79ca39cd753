package api

import (
	"net/http"

	"github.com/scamblock/scamblock/store"
)

// AppealRequest is the body of POST /v1/appeals.
type AppealRequest struct {
	Indicator string `json:"indicator"`
	Reason    string `json:"reason"`
	Contact   string `json:"contact,omitempty"` // e-mail or URL for the reviewer's answer
}

// AppealsResponse is the body of GET /v1/appeals.
type AppealsResponse struct {
	Appeals []store.Appeal `json:"appeals"`
}

// DelistResponse is the body of POST /v1/appeals/{id}/delist.
type DelistResponse struct {
	Appeal     store.Appeal     `json:"appeal"`
	Submission store.Submission `json:"submission"`
}

const maxContactLen = 256

// AppealFiled is the reply to POST /v1/appeals: the appeal and the code
// its filer follows it with (shown once; only its hash is kept).
type AppealFiled struct {
	store.Appeal
	FollowCode string `json:"follow_code"`
}

// FollowRequest is the body of POST /v1/appeals/follow.
type FollowRequest struct {
	Code string `json:"code"`
}

func (a *API) validateAppeal(req AppealRequest) (string, *apiError) {
	ind, err := a.parseIndicator(req.Indicator, false)
	if err != nil {
		return "", &apiError{Status: http.StatusBadRequest, Field: "indicator", Message: indicatorMessage("indicator", req.Indicator, err)}
	}
	switch {
	case req.Reason == "":
		return "", badField("reason", "missing: say why the listing is wrong")
	case len(req.Reason) > maxReasonLen:
		return "", badField("reason", "%d bytes, the limit is %d", len(req.Reason), maxReasonLen)
	case len(req.Contact) > maxContactLen:
		return "", badField("contact", "%d bytes, the limit is %d", len(req.Contact), maxContactLen)
	}
	return ind.Value, nil
}

func (a *API) fileAppeal(w http.ResponseWriter, r *http.Request) {
	var req AppealRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	ind, e := a.validateAppeal(req)
	if e != nil {
		writeError(w, e)
		return
	}
	ap, code, err := a.store.FileAppeal(ind, req.Reason, req.Contact)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, AppealFiled{Appeal: ap, FollowCode: code})
}

// followAppeal shows an appeal to whoever holds its follow code (the code
// travels in the body, never in a URL).
func (a *API) followAppeal(w http.ResponseWriter, r *http.Request) {
	var req FollowRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	ap, err := a.store.AppealByCode(req.Code)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ap)
}

func (a *API) listAppeals(w http.ResponseWriter, r *http.Request) {
	state, err := store.ParseAppealState(r.URL.Query().Get("state"))
	if err != nil {
		writeError(w, badField("state", "%v", err))
		return
	}
	aps, err := a.store.Appeals(state)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if aps == nil {
		aps = []store.Appeal{}
	}
	writeJSON(w, http.StatusOK, AppealsResponse{Appeals: aps})
}

func (a *API) delistAppeal(w http.ResponseWriter, r *http.Request) {
	id, e := pathID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	d, e := a.decision(r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	ap, sub, err := a.store.DelistAppeal(id, d)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.onChange()
	writeJSON(w, http.StatusOK, DelistResponse{Appeal: ap, Submission: sub})
}

func (a *API) dismissAppeal(w http.ResponseWriter, r *http.Request) {
	id, e := pathID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	d, e := a.decision(r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	ap, err := a.store.DismissAppeal(id, d)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ap)
}
