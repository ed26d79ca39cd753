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

func (a *API) fileAppeal(w http.ResponseWriter, r *http.Request) {
	var req AppealRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	ind, err := a.parseIndicator(req.Indicator, false)
	if err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Field: "indicator", Message: indicatorMessage("indicator", req.Indicator, err)})
		return
	}
	switch {
	case req.Reason == "":
		writeError(w, badField("reason", "missing: say why the listing is wrong"))
		return
	case len(req.Reason) > maxReasonLen:
		writeError(w, badField("reason", "%d bytes, the limit is %d", len(req.Reason), maxReasonLen))
		return
	case len(req.Contact) > maxContactLen:
		writeError(w, badField("contact", "%d bytes, the limit is %d", len(req.Contact), maxContactLen))
		return
	}
	ap, err := a.store.FileAppeal(ind.Value, req.Reason, req.Contact)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ap)
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
