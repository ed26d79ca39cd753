package parse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/scamblock/scamblock/lists"
)

// jsonStream walks a JSON document token by token, with line numbers.
type jsonStream struct {
	sc *jsonScanner
}

func newJSONStream(r io.Reader) *jsonStream {
	return &jsonStream{sc: newJSONScanner(r)}
}

// line is the line on which the last token ended.
func (j *jsonStream) line() int { return j.sc.tokLine }

func (j *jsonStream) token() (json.Token, error) {
	tok, err := j.sc.Token()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("line %d: unexpected end of JSON input: %w", j.sc.line, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	return tok, nil
}

// expect reads the next token and fails unless it is the delimiter d.
func (j *jsonStream) expect(d json.Delim, what string) error {
	tok, err := j.token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("line %d: %s: want %q, found %v", j.line(), what, d, describe(tok))
	}
	return nil
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", v.String())
	case string:
		return fmt.Sprintf("string %q", v)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T %v", v, v)
	}
}

// skip consumes the rest of a value whose first token was tok.
func (j *jsonStream) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	depth := 1
	for depth > 0 {
		t, err := j.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

// end checks that nothing but blanks follows the top-level value.
func (j *jsonStream) end() error {
	_, err := j.sc.Token()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		err = fmt.Errorf("line %d: data after the end of the JSON document", j.sc.line)
	}
	return err
}

// stringArray reads the elements of an array whose '[' has been consumed,
// calling fn for every string with its line. Other values are rejected as
// syntax with their line, and skipped.
func (j *jsonStream) stringArray(rep *Report, fn func(line int, s string)) error {
	for {
		tok, err := j.token()
		if err != nil {
			return err
		}
		if tok == json.Delim(']') {
			return nil
		}
		line := j.line()
		if s, ok := tok.(string); ok {
			fn(line, s)
			continue
		}
		rep.Reject(line, describe(tok), ReasonSyntax, "array element is not a string")
		if err := j.skip(tok); err != nil {
			return err
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
		if tok == json.Delim('}') {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("line %d: object key is %s", j.line(), describe(tok))
		}
		if err := fn(j.line(), key); err != nil {
			return err
		}
	}
}

// arrayValue consumes the value of a member that should be an array of
// strings; anything else is rejected (one reject with the key) and skipped.
func (j *jsonStream) arrayValue(rep *Report, key string, fn func(line int, s string)) error {
	tok, err := j.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		rep.Reject(j.line(), key, ReasonSyntax, "value is "+describe(tok)+", want an array of strings")
		return j.skip(tok)
	}
	return j.stringArray(rep, fn)
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
