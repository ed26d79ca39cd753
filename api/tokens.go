package api

import (
	"net/http"
	"strconv"

	"github.com/scamblock/scamblock/store"
)

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// TokenView is a token as the API shows it: never the secret or its hash.
type TokenView struct {
	ID      uint64     `json:"id"`
	Name    string     `json:"name"`
	Role    store.Role `json:"role"`
	Created string     `json:"created"`
	Revoked string     `json:"revoked,omitempty"`
}

// TokenCreated is the reply to POST /v1/tokens: the secret, shown once.
type TokenCreated struct {
	TokenView
	Token string `json:"token"`
}

// TokensResponse is the body of GET /v1/tokens.
type TokensResponse struct {
	Tokens []TokenView `json:"tokens"`
}

// ViewToken hides a token's hash.
func ViewToken(t store.Token) TokenView {
	v := TokenView{ID: t.ID, Name: t.Name, Role: t.Role, Created: t.Created.UTC().Format(timeFormat)}
	if !t.Active() {
		v.Revoked = t.Revoked.UTC().Format(timeFormat)
	}
	return v
}

const timeFormat = "2006-01-02T15:04:05Z"

func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if e := decodeJSON(r, &req, false); e != nil {
		writeError(w, e)
		return
	}
	if !store.ValidTokenName(req.Name) {
		writeError(w, badField("name", "%q: use 1-64 letters, digits, '.', '_', '@' or '-'", req.Name))
		return
	}
	role, err := store.ParseRole(req.Role)
	if err != nil {
		writeError(w, badField("role", "%v", err))
		return
	}
	secret, tok, err := a.store.CreateToken(req.Name, role, tokenFrom(r.Context()).Name)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, TokenCreated{TokenView: ViewToken(tok), Token: secret})
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := a.store.Tokens()
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := TokensResponse{Tokens: make([]TokenView, 0, len(toks))}
	for _, t := range toks {
		out.Tokens = append(out.Tokens, ViewToken(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	tok, err := a.store.RevokeToken(r.PathValue("token"), tokenFrom(r.Context()).Name)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ViewToken(tok))
}

// AuditResponse is the body of GET /v1/audit.
type AuditResponse struct {
	Events []store.Event `json:"events"`
	Next   uint64        `json:"next"` // pass as ?after= for the following page
}

func (a *API) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after uint64
	limit := 1000
	if s := q.Get("after"); s != "" {
		v, err := parseUint(s)
		if err != nil {
			writeError(w, badField("after", "%q: give the seq of the last event you have", s))
			return
		}
		after = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := parseUint(s)
		if err != nil || v == 0 || v > 10000 {
			writeError(w, badField("limit", "%q: use 1 to 10000", s))
			return
		}
		limit = int(v)
	}
	evs, err := a.store.Audit(after, limit)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	next := after
	if len(evs) > 0 {
		next = evs[len(evs)-1].Seq
	} else {
		evs = []store.Event{}
	}
	writeJSON(w, http.StatusOK, AuditResponse{Events: evs, Next: next})
}

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }
