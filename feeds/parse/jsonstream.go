package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scamblock/scamblock/lists"
)

// jsonStream walks a JSON document token by token with jsontext (from
// github.com/go-json-experiment/json, the proposed encoding/json/v2, which
// builds without GOEXPERIMENT) and knows the line of every token: the input
// passes through a lineCounter that counts the newlines before the
// decoder's offset. Duplicate object names are allowed (as encoding/json
// does) and invalid UTF-8 in a string becomes U+FFFD.
type jsonStream struct {
	dec   *jsontext.Decoder
	lines *lineCounter
}

func newJSONStream(r io.Reader) *jsonStream {
	lc := &lineCounter{r: r, line: 1}
	return &jsonStream{
		lines: lc,
		dec:   jsontext.NewDecoder(lc, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)),
	}
}

// line is the line on which the last token or value ended.
func (j *jsonStream) line() int { return j.lines.at(j.dec.InputOffset()) }

// fail turns a decoder error into one that names the line.
func (j *jsonStream) fail(err error) error {
	var se *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: unexpected end of JSON input: %w", j.lines.at(math.MaxInt64), io.ErrUnexpectedEOF)
	case errors.As(err, &se):
		return fmt.Errorf("line %d: invalid JSON: %w", j.lines.at(se.ByteOffset), se.Err)
	}
	return err // the reader's
}

func (j *jsonStream) token() (jsontext.Token, error) {
	tok, err := j.dec.ReadToken()
	if err != nil {
		return tok, j.fail(err)
	}
	return tok, nil
}

// value reads the next whole value (an object or array with all it holds).
func (j *jsonStream) value() (jsontext.Value, error) {
	v, err := j.dec.ReadValue()
	if err != nil {
		return nil, j.fail(err)
	}
	return v, nil
}

// skip consumes the next value.
func (j *jsonStream) skip() error {
	if err := j.dec.SkipValue(); err != nil {
		return j.fail(err)
	}
	return nil
}

// expect reads the next token and fails unless it is of kind k.
func (j *jsonStream) expect(k jsontext.Kind, what string) error {
	if got := j.dec.PeekKind(); got != k && got != 0 {
		v, err := j.value()
		if err != nil {
			return err
		}
		return fmt.Errorf("line %d: %s: want %q, found %s", j.line(), what, k.String(), describe(v))
	}
	_, err := j.token()
	return err
}

// describe names a value for a reject or an error: its kind, and the text
// of a scalar (cut at 80 bytes).
func describe(v jsontext.Value) string {
	switch v.Kind() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'n':
		return "null"
	case '"':
		return "string " + clip(string(v))
	case '0':
		return "number " + clip(string(v))
	}
	return "bool " + string(v)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// end checks that nothing but blanks follows the top-level value.
func (j *jsonStream) end() error {
	if j.dec.PeekKind() == 0 {
		_, err := j.dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return j.fail(err)
		}
	}
	return fmt.Errorf("line %d: data after the end of the JSON document", j.line())
}

// stringArray reads the elements of an array whose '[' has been consumed,
// calling fn for every string with its line. Other values are rejected as
// syntax with their line, and skipped.
func (j *jsonStream) stringArray(rep *Report, fn func(line int, s string)) error {
	for {
		switch j.dec.PeekKind() {
		case ']':
			_, err := j.token()
			return err
		case '"':
			tok, err := j.token()
			if err != nil {
				return err
			}
			fn(j.line(), tok.String())
		case 0:
			_, err := j.token() // the error, with its line
			return err
		default:
			v, err := j.value()
			if err != nil {
				return err
			}
			rep.Reject(j.line(), describe(v), ReasonSyntax, "array element is not a string")
		}
	}
}

// object reads the members of an object whose '{' has been consumed; fn gets
// each key with its line and must consume the value (through j).
func (j *jsonStream) object(fn func(line int, key string) error) error {
	for {
		tok, err := j.token()
		if err != nil {
			return err
		}
		if tok.Kind() == '}' {
			return nil
		}
		if err := fn(j.line(), tok.String()); err != nil {
			return err
		}
	}
}

// arrayValue consumes the value of a member that should be an array of
// strings; anything else is rejected (one reject with the key) and skipped.
func (j *jsonStream) arrayValue(rep *Report, key string, fn func(line int, s string)) error {
	if k := j.dec.PeekKind(); k != '[' && k != 0 {
		v, err := j.value()
		if err != nil {
			return err
		}
		rep.Reject(j.line(), key, ReasonSyntax, "value is "+describe(v)+", want an array of strings")
		return nil
	}
	if _, err := j.token(); err != nil {
		return err
	}
	return j.stringArray(rep, fn)
}

// wholeNumber reads a member's value that should be a non-negative integer;
// ok is false (and the value consumed) for anything else.
func (j *jsonStream) wholeNumber() (n int, v jsontext.Value, err error) {
	v, err = j.value()
	if err != nil {
		return 0, nil, err
	}
	if v.Kind() != '0' {
		return -1, v, nil
	}
	f, perr := strconv.ParseFloat(string(v), 64)
	if perr != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return -1, v, nil
	}
	return int(f), v, nil
}

// lineCounter passes the decoder's reads through and keeps the bytes it has
// not counted yet, so that at can count the newlines up to any offset at or
// after the last one asked for. It keeps only what the decoder has read
// ahead of the last token, not the document.
type lineCounter struct {
	r     io.Reader
	buf   []byte // buf[start:] is the input from offset base on
	start int
	base  int64
	line  int // the line at offset base
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.start > 0 && c.start >= len(c.buf)/2 {
		c.buf = c.buf[:copy(c.buf, c.buf[c.start:])]
		c.start = 0
	}
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// at returns the line of the byte at off (the line count past the end of
// what was read, for an offset beyond it).
func (c *lineCounter) at(off int64) int {
	if k := off - c.base; k > 0 {
		k = min(k, int64(len(c.buf)-c.start))
		c.line += bytes.Count(c.buf[c.start:c.start+int(k)], []byte{'\n'})
		c.start += int(k)
		c.base += k
	}
	return c.line
}

// rejectEmpty records an empty string value; it returns true when s is blank.
func rejectEmpty(rep *Report, line int, s string) bool {
	if len(s) == 0 || isBlank(s) {
		rep.Reject(line, s, lists.ReasonEmpty, "empty string")
		return true
	}
	return false
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}
