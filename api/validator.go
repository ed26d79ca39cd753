package api

import (
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// Validator checks submissions and appeals exactly as the API does, for
// the web pages: same limits, same canonical forms, same messages.
type Validator struct{ a *API }

// NewValidator returns a Validator with the API's default limits.
// addresses nil accepts only names and URLs; guard nil means
// lists.DefaultGuard().
func NewValidator(addresses AddressParser, guard *lists.Guard) *Validator {
	if guard == nil {
		guard = lists.DefaultGuard()
	}
	return &Validator{a: &API{addresses: addresses, guard: guard, opts: Options{MaxIndicators: 1000}}}
}

// Submission validates req whole: every indicator canonical and not
// guarded, category, evidence and note within their limits.
func (v *Validator) Submission(req SubmitRequest, submitter string) ([]store.NewSubmission, error) {
	items, e := v.a.validateSubmission(req, submitter)
	if e != nil {
		return nil, e
	}
	return items, nil
}

// Appeal validates an appeal and returns the indicator's canonical form.
func (v *Validator) Appeal(req AppealRequest) (string, error) {
	ind, e := v.a.validateAppeal(req)
	if e != nil {
		return "", e
	}
	return ind, nil
}
