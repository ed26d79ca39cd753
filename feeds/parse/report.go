// Package parse turns feed files into indicator entries. Parsers are pure:
// an io.Reader in, entries out through a callback, and a Report that counts
// what was accepted and what was rejected (by reason, with file:line examples).
// No network, no globals; fetching and scheduling live in package feeds.
package parse

import (
	"fmt"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// Emit receives each accepted entry, in file order.
type Emit func(lists.Entry)

// ExamplesPerReason is how many rejected lines a Report keeps for each reason.
const ExamplesPerReason = 3

// Reject is one input line that did not become an entry.
type Reject struct {
	Line   int          `json:"line"`
	Input  string       `json:"input"`
	Reason lists.Reason `json:"reason"`
	Detail string       `json:"detail,omitempty"`
}

func (r Reject) String() string {
	if r.Detail == "" {
		return fmt.Sprintf("line %d: %q: %s", r.Line, r.Input, r.Reason)
	}
	return fmt.Sprintf("line %d: %q: %s: %s", r.Line, r.Input, r.Reason, r.Detail)
}

// Report summarizes one parse.
type Report struct {
	Format   Format                    `json:"format"`
	Lines    int                       `json:"lines"`    // physical lines (or records) read
	Accepted int                       `json:"accepted"` // entries emitted
	Rejected map[lists.Reason]int      `json:"rejected,omitempty"`
	Examples map[lists.Reason][]Reject `json:"examples,omitempty"` // first ExamplesPerReason per reason
	// Accepted names whose TLD the compiled-in Public Suffix List does not
	// know (a new gTLD, a typo, a file name), and accepted names under a
	// special-use TLD: facts to show, not reasons to drop (lists.ClassifyTLD).
	UnknownTLD int `json:"unknown_tld,omitempty"`
	SpecialUse int `json:"special_use,omitempty"`
	// Notes count accepted entries with something to report (an address
	// filed under the wrong chain), with the first examples.
	Notes        map[lists.Reason]int      `json:"notes,omitempty"`
	NoteExamples map[lists.Reason][]Reject `json:"note_examples,omitempty"`
}

// Note records something to report about an accepted entry at line.
func (r *Report) Note(line int, input string, reason lists.Reason, detail string) {
	if r.Notes == nil {
		r.Notes = make(map[lists.Reason]int)
		r.NoteExamples = make(map[lists.Reason][]Reject)
	}
	r.Notes[reason]++
	if len(r.NoteExamples[reason]) < ExamplesPerReason {
		r.NoteExamples[reason] = append(r.NoteExamples[reason], Reject{Line: line, Input: strings.Clone(input), Reason: reason, Detail: detail})
	}
}

// Accept counts an emitted entry.
func (r *Report) Accept() { r.Accepted++ }

// Reject records a rejected input under reason, keeping the first examples.
func (r *Report) Reject(line int, input string, reason lists.Reason, detail string) {
	if r.Rejected == nil {
		r.Rejected = make(map[lists.Reason]int)
		r.Examples = make(map[lists.Reason][]Reject)
	}
	r.Rejected[reason]++
	if len(r.Examples[reason]) < ExamplesPerReason {
		if len(input) > 200 {
			input = input[:200] + "…"
		} else {
			input = strings.Clone(input) // the input may be a view of a read buffer (ParsePieces)
		}
		r.Examples[reason] = append(r.Examples[reason], Reject{Line: line, Input: input, Reason: reason, Detail: detail})
	}
}

// RejectErr records err (normally a *lists.RejectError) for the input at line.
func (r *Report) RejectErr(line int, input string, err error) {
	var detail string
	reason := lists.ReasonOf(err)
	if reason == "" {
		reason = ReasonSyntax
		detail = err.Error()
	} else if re, ok := err.(*lists.RejectError); ok {
		detail = re.Detail
	}
	r.Reject(line, input, reason, detail)
}

// TotalRejected is the sum of rejects over all reasons.
func (r *Report) TotalRejected() int {
	n := 0
	for _, c := range r.Rejected {
		n += c
	}
	return n
}

// Reasons parsers reject for, in addition to those of lists.NormalizeHost.
const (
	ReasonSyntax      lists.Reason = "syntax"
	ReasonUnsupported lists.Reason = "unsupported-rule" // e.g. Adblock modifiers, cosmetic filters
)
