package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scamblock/scamblock/ratelimit"
	"github.com/scamblock/scamblock/store"
)

// ErrorResponse is the body of every 4xx and 5xx reply.
type ErrorResponse struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"` // the JSON field (or query parameter) at fault
}

type apiError struct {
	Status  int
	Message string
	Field   string
}

func (e *apiError) Error() string { return e.Message }

func badField(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, ErrorResponse{Error: shorten(e.Message), Field: e.Field})
}

// maxEcho is how much of a client's input an error may quote.
const maxEcho = 200

// shorten cuts the middle out of a message longer than maxEcho plus a
// reason's worth, so a huge input is not echoed back whole: the start (which
// quotes the input) and the end (which says what is wrong) are kept.
func shorten(msg string) string {
	const tail = 120
	if len(msg) <= maxEcho+tail+40 {
		return msg
	}
	head, end := validPrefix(msg[:maxEcho]), msg[len(msg)-tail:]
	for len(end) > 0 && !utf8.RuneStart(end[0]) {
		end = end[1:]
	}
	return fmt.Sprintf("%s… (%d bytes cut) …%s", head, len(msg)-len(head)-len(end), end)
}

// echo returns at most maxEcho bytes of s, marked when cut.
func echo(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", validPrefix(s[:maxEcho]), len(s))
}

// validPrefix drops a rune cut in half at the end of s.
func validPrefix(s string) string {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || n > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// storeError maps a store error to a reply; unexpected errors are logged
// and become a 500 that does not leak internals.
func (a *API) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, &apiError{Status: http.StatusNotFound, Message: err.Error()})
	case errors.Is(err, store.ErrOwnRecord):
		writeError(w, &apiError{Status: http.StatusForbidden, Message: err.Error() + ": ask another reviewer"})
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNameTaken):
		writeError(w, &apiError{Status: http.StatusConflict, Message: err.Error()})
	default:
		a.log.ErrorContext(r.Context(), "api: store failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, &apiError{Status: http.StatusInternalServerError, Message: "internal error: the server log has details"})
	}
}

// decodeJSON reads exactly one JSON value into v, rejecting unknown fields,
// trailing data and bodies over the limit (413). An empty body is allowed
// only when emptyOK.
func decodeJSON(r *http.Request, v any, emptyOK bool) *apiError {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var maxErr *http.MaxBytesError
	if err == nil {
		_, terr := dec.Token()
		switch {
		case terr == io.EOF:
			return nil
		case errors.As(terr, &maxErr):
			err = terr // reported as 413 below
		default:
			return &apiError{Status: http.StatusBadRequest, Message: "body: more than one JSON value; send exactly one"}
		}
	}
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return &apiError{Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("body: larger than %d bytes; split the request", maxErr.Limit)}
	case errors.Is(err, io.EOF):
		if emptyOK {
			return nil
		}
		return &apiError{Status: http.StatusBadRequest, Message: "body: empty; send a JSON object"}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return badField(field, "expected %s, got JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &synErr):
		return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf("body: invalid JSON at byte %d: %v", synErr.Offset, err)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badField(field, "unknown field; see the api README for the accepted fields")
	default:
		return &apiError{Status: http.StatusBadRequest, Message: "body: " + err.Error()}
	}
}

type ctxKey struct{}

// tokenFrom returns the authenticated token of the request (zero for public
// endpoints).
func tokenFrom(ctx context.Context) store.Token {
	t, _ := ctx.Value(ctxKey{}).(store.Token)
	return t
}

const authRealm = `Bearer realm="scamblock"`

// auth admits requests with an active bearer token of at least role need:
// 401 with WWW-Authenticate for a missing or unknown token, 403 for a token
// whose role is too low. Secrets are never logged.
func (a *API) auth(need store.Role, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h0 := r.Header.Get("Authorization")
		scheme, secret, ok := strings.Cut(h0, " ")
		secret = strings.TrimSpace(secret)
		if h0 == "" || !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			w.Header().Set("WWW-Authenticate", authRealm)
			writeError(w, &apiError{Status: http.StatusUnauthorized,
				Message: "authentication required: send 'Authorization: Bearer TOKEN' (create one with 'scamblock token create')"})
			return
		}
		tok, err := a.store.Authenticate(secret)
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", authRealm+`, error="invalid_token"`)
			writeError(w, &apiError{Status: http.StatusUnauthorized, Message: "unknown or revoked token"})
			return
		}
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		if !tok.Role.Allows(need) {
			writeError(w, &apiError{Status: http.StatusForbidden,
				Message: fmt.Sprintf("token %q has role %s; this needs %s or higher", tok.Name, tok.Role, need)})
			return
		}
		if rec, ok := w.(*recorder); ok {
			rec.tokenName = tok.Name
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes)
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, tok)))
	})
}

// public serves endpoints that need no token, rate limited per client
// address when lim is not nil (429 with Retry-After).
func (a *API) public(lim *ratelimit.Limiter, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip, known := clientAddr(r); lim != nil && known {
			if ok, wait := lim.Reserve(ip, a.now()); !ok {
				w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
				writeError(w, &apiError{Status: http.StatusTooManyRequests, Message: "too many requests from your address; retry later"})
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes)
		h(w, r)
	})
}

// recorder keeps the status for the access log.
type recorder struct {
	http.ResponseWriter
	status    int
	tokenName string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logged writes one debug line per request (method, path, status, token
// name, duration) and a warning for 5xx. It never logs headers or bodies.
func (a *API) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		a.log.Log(r.Context(), level, "api request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"token", rec.tokenName, "client", clientKey(r), "duration", time.Since(start))
	})
}
