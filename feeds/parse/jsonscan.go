package parse

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// jsonScanner is a streaming JSON tokenizer with the interface of
// json.Decoder.Token (Delim, string, float64, bool, nil; commas and colons
// are checked and consumed) that also counts lines. It exists because
// json.Decoder.Token costs about half of a domains.json parse (each element
// is decoded as a top-level value through reflection, allocating an error
// message per value); this one allocates only the strings it returns.
// FuzzJSONScanner checks it against encoding/json.
type jsonScanner struct {
	br   *bufio.Reader
	line int // line of the last byte read
	// stack of open containers: '{' or '['
	stack []byte
	// state within the innermost container
	state   scanState
	done    bool // the top-level value is complete
	buf     []byte
	tokLine int // line on which the last token ended
}

type scanState uint8

const (
	stValue      scanState = iota // a value is expected (top level, after ':' or '[' or ',' in an array)
	stFirstValue                  // after '[': a value or ']'
	stKey                         // after ',' in an object: a key
	stFirstKey                    // after '{': a key or '}'
	stColon                       // after a key
	stComma                       // after a value in a container: ',' or the closer
)

var errScanEOF = io.ErrUnexpectedEOF

func newJSONScanner(r io.Reader) *jsonScanner {
	return &jsonScanner{br: bufio.NewReaderSize(r, 64<<10), line: 1, tokLine: 1}
}

func (s *jsonScanner) syntax(format string, a ...any) error {
	return fmt.Errorf("line %d: invalid JSON: %s", s.line, fmt.Sprintf(format, a...))
}

// skipSpace returns the next non-blank byte, or io.EOF.
func (s *jsonScanner) skipSpace() (byte, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r':
		case '\n':
			s.line++
		default:
			return c, nil
		}
	}
}

// Token returns the next token. At the end of the top-level value it
// returns io.EOF if only blanks follow.
func (s *jsonScanner) Token() (json.Token, error) {
	for {
		c, err := s.skipSpace()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if s.done {
					return nil, io.EOF
				}
				return nil, errScanEOF
			}
			return nil, err
		}
		if s.done {
			return nil, s.syntax("data after the top-level value")
		}
		switch s.state {
		case stColon:
			if c != ':' {
				return nil, s.syntax("want ':' after an object key, found %q", c)
			}
			s.state = stValue
			continue
		case stComma:
			top := s.stack[len(s.stack)-1]
			switch {
			case c == ',' && top == '{':
				s.state = stKey
				continue
			case c == ',':
				s.state = stValue
				continue
			case c == '}' && top == '{', c == ']' && top == '[':
				return s.close(c), nil
			}
			return nil, s.syntax("want ',' or the end of the %s, found %q", containerName(top), c)
		case stFirstKey, stKey:
			if c == '}' && s.state == stFirstKey {
				return s.close(c), nil
			}
			if c != '"' {
				return nil, s.syntax("want an object key, found %q", c)
			}
			str, err := s.str()
			if err != nil {
				return nil, err
			}
			s.state = stColon
			s.tokLine = s.line
			return str, nil
		case stFirstValue:
			if c == ']' {
				return s.close(c), nil
			}
		}
		return s.value(c)
	}
}

func containerName(c byte) string {
	if c == '{' {
		return "object"
	}
	return "array"
}

func (s *jsonScanner) close(c byte) json.Token {
	s.stack = s.stack[:len(s.stack)-1]
	s.afterValue()
	s.tokLine = s.line
	return json.Delim(c)
}

func (s *jsonScanner) afterValue() {
	if len(s.stack) == 0 {
		s.done = true
		return
	}
	s.state = stComma
}

// value reads a value that starts with c.
func (s *jsonScanner) value(c byte) (json.Token, error) {
	switch c {
	case '{', '[':
		s.stack = append(s.stack, c)
		if c == '{' {
			s.state = stFirstKey
		} else {
			s.state = stFirstValue
		}
		s.tokLine = s.line
		return json.Delim(c), nil
	case '"':
		str, err := s.str()
		if err != nil {
			return nil, err
		}
		s.afterValue()
		s.tokLine = s.line
		return str, nil
	case 't', 'f', 'n':
		want := map[byte]string{'t': "true", 'f': "false", 'n': "null"}[c]
		for i := 1; i < len(want); i++ {
			b, err := s.br.ReadByte()
			if err != nil {
				return nil, errScanEOF
			}
			if b != want[i] {
				return nil, s.syntax("invalid literal")
			}
		}
		if err := s.delimited(); err != nil {
			return nil, err
		}
		s.afterValue()
		s.tokLine = s.line
		switch c {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
		return nil, nil
	}
	if c == '-' || (c >= '0' && c <= '9') {
		s.buf = append(s.buf[:0], c)
		for {
			b, err := s.br.ReadByte()
			if err != nil {
				break
			}
			if (b >= '0' && b <= '9') || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-' {
				s.buf = append(s.buf, b)
				continue
			}
			s.br.UnreadByte()
			break
		}
		if !validNumber(s.buf) {
			return nil, s.syntax("invalid number %q", s.buf)
		}
		f, err := strconv.ParseFloat(string(s.buf), 64)
		if err != nil {
			return nil, s.syntax("number %q: %v", s.buf, err)
		}
		s.afterValue()
		s.tokLine = s.line
		return f, nil
	}
	return nil, s.syntax("unexpected %q", c)
}

// delimited checks that a literal is followed by a delimiter or the end.
func (s *jsonScanner) delimited() error {
	b, err := s.br.ReadByte()
	if err != nil {
		return nil
	}
	s.br.UnreadByte()
	switch b {
	case ' ', '\t', '\r', '\n', ',', ']', '}', ':':
		return nil
	}
	return s.syntax("invalid character %q after a literal", b)
}

// validNumber checks the JSON number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

// str reads a string whose opening quote was consumed. Strings without
// escapes are copied as they are (invalid UTF-8 becomes U+FFFD as in
// encoding/json); others are decoded by encoding/json.
func (s *jsonScanner) str() (string, error) {
	s.buf = append(s.buf[:0], '"')
	escaped, ascii := false, true
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return "", errScanEOF
		}
		switch {
		case b == '"':
			s.buf = append(s.buf, b)
			if !escaped && (ascii || utf8.Valid(s.buf)) {
				return string(s.buf[1 : len(s.buf)-1]), nil
			}
			var out string
			if err := json.Unmarshal(s.buf, &out); err != nil {
				return "", s.syntax("string: %v", err)
			}
			return out, nil
		case b == '\\':
			escaped = true
			s.buf = append(s.buf, b)
			n, err := s.br.ReadByte()
			if err != nil {
				return "", errScanEOF
			}
			if n == '\n' {
				s.line++
			}
			s.buf = append(s.buf, n)
		case b < 0x20:
			if b == '\n' {
				s.line++
			}
			return "", s.syntax("control character %q in a string", b)
		default:
			if b >= utf8.RuneSelf {
				ascii = false
			}
			s.buf = append(s.buf, b)
		}
	}
}
