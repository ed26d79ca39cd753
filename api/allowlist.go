package api

import (
	"net/http"
	"strings"

	"github.com/scamblock/scamblock/store"
)

// AllowRequest is the body of POST /v1/allowlist.
type AllowRequest struct {
	Name   string `json:"name"`   // a host name: it and its subdomains are never blocked
	Reason string `json:"reason"` // why, for the audit log
}

// AllowlistResponse is the body of GET /v1/allowlist.
type AllowlistResponse struct {
	Entries []store.AllowEntry `json:"entries"`
}

// AllowName checks and normalizes a name for the allowlist and its
// reason. The web pages use it too, so both accept the same names.
func AllowName(name, reason string) (string, error) {
	n, err := normalizeHost(strings.TrimPrefix(strings.TrimSpace(name), "*."))
	if err != nil {
		return "", badField("name", "%v", err)
	}
	switch {
	case strings.TrimSpace(reason) == "":
		return "", badField("reason", "missing: say why the name must not be blocked (it goes in the audit log)")
	case len(reason) > maxReasonLen:
		return "", badField("reason", "%d bytes, the limit is %d", len(reason), maxReasonLen)
	}
	return n, nil
}

func (a *API) listAllow(w http.ResponseWriter, r *http.Request) {
	entries, err := a.store.Allowlist()
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if entries == nil {
		entries = []store.AllowEntry{}
	}
	writeJSON(w, http.StatusOK, AllowlistResponse{Entries: entries})
}

func (a *API) addAllow(w http.ResponseWriter, r *http.Request) {
	var req AllowRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	name, err := AllowName(req.Name, req.Reason)
	if err != nil {
		writeError(w, err.(*apiError))
		return
	}
	e, err := a.store.AddAllow(name, strings.TrimSpace(req.Reason), tokenFrom(r.Context()).Name)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.onAllowChange()
	writeJSON(w, http.StatusCreated, e)
}

func (a *API) removeAllow(w http.ResponseWriter, r *http.Request) {
	var req DecisionRequest
	if e := decodeJSON(r, &req, true); e != nil {
		writeError(w, e)
		return
	}
	if len(req.Reason) > maxReasonLen {
		writeError(w, badField("reason", "%d bytes, the limit is %d", len(req.Reason), maxReasonLen))
		return
	}
	e, err := a.store.RemoveAllow(strings.ToLower(r.PathValue("name")), req.Reason, tokenFrom(r.Context()).Name)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.onAllowChange()
	writeJSON(w, http.StatusOK, e)
}
