package parse

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/scamblock/scamblock/lists"
)

// Splittable reports whether format f is read one line at a time with
// nothing carried from one line to the next (plain domain and wildcard
// lists, hosts files, Adblock rules, dnsmasq lines), so that a file can be
// cut at line ends and its pieces parsed at the same time (ParsePieces).
func Splittable(f Format) bool {
	switch f {
	case FormatDomains, FormatWildcard, FormatHosts, FormatAdblock, FormatDnsmasq:
		return true
	}
	return false
}

// ParsePieces parses the consecutive pieces of one file in a Splittable
// format f, each on a goroutine of its own: a large list is parsed on
// every CPU instead of one. Every piece but the last must end with a line
// end. Piece i's entries go to emits[i] (called from that piece's
// goroutine only), with line numbers counted from the piece's first line:
// lineBases[i] is the number of lines before the piece, to add to them.
// An entry's values may share the memory of the piece's read buffer: an
// emit function must copy what it keeps past its return (lists.SetBuilder.Add
// copies the value into its arena); the Report keeps copies.
//
// The Report is the whole file's, the same as Parse's over the pieces
// read one after the other: counts summed, the first examples of each
// reason in file order, every line number the file's. On a read error the
// first failing piece's error is returned (with the file's line number)
// and the Report covers the pieces before it and that piece's lines read.
func ParsePieces(f Format, pieces []io.Reader, opts Options, emits []Emit) (rep Report, lineBases []int, err error) {
	if !Splittable(f) {
		return Report{Format: f}, nil, fmt.Errorf("format %s cannot be parsed in pieces", f)
	}
	if len(emits) != len(pieces) {
		return Report{Format: f}, nil, fmt.Errorf("%d pieces, %d emit functions", len(pieces), len(emits))
	}
	reps := make([]Report, len(pieces))
	errs := make([]error, len(pieces))
	var wg sync.WaitGroup
	for i, r := range pieces {
		wg.Go(func() {
			reps[i] = Report{Format: f}
			emit := emits[i]
			if emit == nil {
				emit = func(lists.Entry) {}
			}
			p := &parser{rep: &reps[i], opts: opts, emit: emit, piece: i > 0, borrow: true}
			errs[i] = p.format(f, r)
		})
	}
	wg.Wait()
	rep = Report{Format: f}
	lineBases = make([]int, len(pieces))
	for i := range pieces {
		lineBases[i] = rep.Lines
		rep.add(&reps[i], lineBases[i])
		if errs[i] != nil {
			var le *lineError
			if errors.As(errs[i], &le) {
				le.line += lineBases[i]
			}
			return rep, lineBases, fmt.Errorf("%s feed: %w", f, errs[i])
		}
	}
	return rep, lineBases, nil
}

// add adds the counts and examples of o, the report of the lines after
// the base lines r covered so far, to r.
func (r *Report) add(o *Report, base int) {
	r.Lines += o.Lines
	r.Accepted += o.Accepted
	r.UnknownTLD += o.UnknownTLD
	r.SpecialUse += o.SpecialUse
	for reason, n := range o.Rejected {
		for _, ex := range o.Examples[reason] {
			r.Reject(ex.Line+base, ex.Input, reason, ex.Detail)
		}
		r.Rejected[reason] += n - len(o.Examples[reason])
	}
	for reason, n := range o.Notes {
		for _, ex := range o.NoteExamples[reason] {
			r.Note(ex.Line+base, ex.Input, reason, ex.Detail)
		}
		r.Notes[reason] += n - len(o.NoteExamples[reason])
	}
}
