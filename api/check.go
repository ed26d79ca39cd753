package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/scamblock/scamblock/lists"
)

// CheckResult is one item of the POST /v1/check reply: the checker's
// verdict, or why the indicator could not be checked.
type CheckResult struct {
	Indicator string `json:"indicator"`
	Result    any    `json:"result,omitempty"`
	Error     string `json:"error,omitempty"`
}

// CheckResponse is the body of POST /v1/check, in request order.
type CheckResponse struct {
	Results []CheckResult `json:"results"`
}

func (a *API) feedStatus(w http.ResponseWriter, r *http.Request) {
	if a.feeds == nil {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Message: "feed status is not available on this server"})
		return
	}
	writeJSON(w, http.StatusOK, a.feeds.Status())
}

func isInputError(err error) bool {
	return errors.Is(err, ErrBadIndicator) || lists.ReasonOf(err) != ""
}

func (a *API) checkOne(w http.ResponseWriter, r *http.Request) {
	if a.checker == nil {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Message: "checks are not available on this server"})
		return
	}
	ind := r.PathValue("indicator")
	if len(ind) > maxIndicatorLen {
		writeError(w, badField("indicator", "%d bytes, the limit is %d", len(ind), maxIndicatorLen))
		return
	}
	res, err := a.checker.Check(r.Context(), ind)
	if err != nil {
		if isInputError(err) {
			writeError(w, badField("indicator", "%v", err))
			return
		}
		a.log.ErrorContext(r.Context(), "api: check failed", "err", err)
		writeError(w, &apiError{Status: http.StatusInternalServerError, Message: "internal error: the server log has details"})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) checkBulk(w http.ResponseWriter, r *http.Request) {
	if a.checker == nil {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Message: "checks are not available on this server"})
		return
	}
	var in []string
	if e := decodeJSON(r, &in, false); e != nil {
		writeError(w, e)
		return
	}
	if len(in) == 0 {
		writeError(w, badField("body", "empty array: send a JSON array of indicators"))
		return
	}
	if len(in) > a.opts.MaxBulkCheck {
		writeError(w, &apiError{Status: http.StatusRequestEntityTooLarge, Field: "body",
			Message: fmt.Sprintf("body: %d indicators, the limit is %d per request; split it", len(in), a.opts.MaxBulkCheck)})
		return
	}
	out := CheckResponse{Results: make([]CheckResult, 0, len(in))}
	for i, ind := range in {
		if err := r.Context().Err(); err != nil {
			return // client gone
		}
		res := CheckResult{Indicator: ind}
		if len(ind) > maxIndicatorLen {
			res.Indicator = echo(ind)
			res.Error = fmt.Sprintf("[%d]: %d bytes, the limit is %d", i, len(ind), maxIndicatorLen)
		} else if v, err := a.checker.Check(r.Context(), ind); err == nil {
			res.Result = v
		} else if isInputError(err) {
			res.Error = err.Error()
		} else {
			a.log.ErrorContext(r.Context(), "api: check failed", "err", err)
			writeError(w, &apiError{Status: http.StatusInternalServerError, Message: "internal error: the server log has details"})
			return
		}
		out.Results = append(out.Results, res)
	}
	writeJSON(w, http.StatusOK, out)
}
