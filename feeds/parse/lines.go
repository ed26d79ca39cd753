package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/scamblock/scamblock/lists"
)

// MaxLineBytes is the longest line the line-based parsers accept; a longer
// line is rejected (ReasonTooLongLine) and skipped, never fatal.
const MaxLineBytes = 64 << 10

// ReasonTooLongLine rejects a physical line longer than MaxLineBytes.
const ReasonTooLongLine lists.Reason = "line-too-long"

// lineReader yields lines without their terminator ("\n", "\r\n" or a lone
// final line), with a leading UTF-8 BOM removed from the first line.
type lineReader struct {
	br   *bufio.Reader
	n    int  // number of the line last returned
	long bool // the line last returned was cut at MaxLineBytes
	mid  bool // r starts in the middle of a file (a piece): no BOM to strip
	buf  []byte
	err  error
}

func newLineReader(r io.Reader, mid bool) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, MaxLineBytes), mid: mid}
}

// lineError is a read error with the number of the line being read.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// next returns the next line, or ok=false at the end or on an error (see Err).
// The returned slice is valid until the next call.
func (l *lineReader) next() (line []byte, ok bool) {
	l.long = false
	frag, err := l.br.ReadSlice('\n')
	if err == nil {
		line = frag // the whole line is in the read buffer (it holds MaxLineBytes): no copy
	} else {
		l.buf = l.buf[:0]
		for {
			if !l.long {
				if len(l.buf)+len(frag) > MaxLineBytes+2 {
					l.long = true
					l.buf = append(l.buf, frag[:min(len(frag), MaxLineBytes+2-len(l.buf))]...)
				} else {
					l.buf = append(l.buf, frag...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				frag, err = l.br.ReadSlice('\n')
				continue
			}
			if err != nil && err != io.EOF {
				l.err = &lineError{line: l.n + 1, err: err}
				return nil, false
			}
			if err == io.EOF && len(l.buf) == 0 && !l.long {
				return nil, false
			}
			break
		}
		line = l.buf
	}
	l.n++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if l.n == 1 && !l.mid {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, true
}

func (l *lineReader) Err() error { return l.err }

// rawLines calls fn with every line of r (its number and bytes, without the
// line end; b is reused after fn returns), counts the lines in the report,
// and rejects lines longer than MaxLineBytes instead of passing them on.
func (p *parser) rawLines(r io.Reader, fn func(n int, b []byte)) error {
	lr := newLineReader(r, p.piece)
	for {
		b, ok := lr.next()
		if !ok {
			return lr.Err()
		}
		p.rep.Lines = lr.n
		if lr.long {
			p.rep.Reject(lr.n, string(b[:min(len(b), 80)]), ReasonTooLongLine, "longer than MaxLineBytes")
			continue
		}
		fn(lr.n, b)
	}
}
