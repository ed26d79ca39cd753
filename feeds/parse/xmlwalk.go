package parse

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xmlWalker streams an XML document through encoding/xml's token reader
// and hands each element to a handler with the local names of the open
// elements (prefixes dropped; RawToken does no namespace work) and, at its end, the element's own text.
// Only the text of the element being read is kept, capped at
// maxXMLText; nothing else of the document is held, so a 100 MB
// sdn_advanced.xml costs the handler's state, not a tree.
type xmlWalker struct {
	dec   *xml.Decoder
	path  []string
	space []string // the prefixes of the open elements, for matching end tags
	text  []byte
	long  bool // the current element's text passed maxXMLText
	// rooted: the root element has been read
	rooted bool
	start  func(w *xmlWalker, el xml.StartElement)
	end    func(w *xmlWalker, name, text string)
}

// maxXMLText caps the text kept for one element (an address, a name part,
// a program); longer text is cut and reported by its reader.
const maxXMLText = 4096

// maxXMLDepth bounds the nesting of a document (OFAC's files nest about
// ten deep).
const maxXMLDepth = 128

func newXMLWalker(r io.Reader) *xmlWalker {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii", "utf8":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported (OFAC publishes UTF-8)", label)
	}
	return &xmlWalker{dec: d}
}

// line is the line the decoder has read up to (the end of the last token).
func (w *xmlWalker) line() int {
	l, _ := w.dec.InputPos()
	return l
}

// lines is the number of physical lines read (a final newline ends the
// last line; it does not start another).
func (w *xmlWalker) lines() int {
	l, c := w.dec.InputPos()
	if c == 1 && l > 1 {
		return l - 1
	}
	return l
}

// parent is the local name of the element n levels above the current one
// (0 is the current element itself), or "".
func (w *xmlWalker) parent(n int) string {
	if i := len(w.path) - 1 - n; i >= 0 {
		return w.path[i]
	}
	return ""
}

// within reports whether an element named name is open.
func (w *xmlWalker) within(name string) bool {
	for _, p := range w.path {
		if p == name {
			return true
		}
	}
	return false
}

// run reads the whole document. The root element's local name must be
// root. A malformed document is an error naming its line.
func (w *xmlWalker) run(root string) error {
	for {
		tok, err := w.dec.RawToken() // no namespace translation or copies; end tags matched below
		if errors.Is(err, io.EOF) {
			if len(w.path) > 0 {
				return fmt.Errorf("line %d: document ends inside <%s>: %w", w.line(), w.path[len(w.path)-1], io.ErrUnexpectedEOF)
			}
			if !w.rooted {
				return fmt.Errorf("no <%s> element: not an OFAC XML file", root)
			}
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				if se.Msg == "unexpected EOF" && len(w.path) > 0 {
					return fmt.Errorf("line %d: document ends inside <%s>: %w", se.Line, w.path[len(w.path)-1], io.ErrUnexpectedEOF)
				}
				return fmt.Errorf("line %d: invalid XML: %s", se.Line, se.Msg)
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case len(w.path) == 0 && w.rooted:
				return fmt.Errorf("line %d: <%s> after the root element", w.line(), t.Name.Local)
			case len(w.path) == 0 && t.Name.Local != root:
				return fmt.Errorf("line %d: root element <%s>, expected <%s>", w.line(), t.Name.Local, root)
			}
			w.rooted = true
			if len(w.path) >= maxXMLDepth {
				return fmt.Errorf("line %d: elements nested over %d deep", w.line(), maxXMLDepth)
			}
			w.path, w.space = append(w.path, t.Name.Local), append(w.space, t.Name.Space)
			w.text, w.long = w.text[:0], false
			w.start(w, t)
		case xml.CharData:
			if room := maxXMLText - len(w.text); room < len(t) {
				w.long = true
				t = t[:max(room, 0)]
			}
			w.text = append(w.text, t...)
		case xml.EndElement:
			if n := len(w.path); n == 0 || w.path[n-1] != t.Name.Local || w.space[n-1] != t.Name.Space {
				return fmt.Errorf("line %d: invalid XML: </%s> does not close <%s>", w.line(), t.Name.Local, w.parent(0))
			}
			text := string(bytes.TrimSpace(w.text)) // "" without an allocation for the containers' blanks
			if w.long {
				text += "…"
			}
			w.end(w, t.Name.Local, text)
			w.path, w.space = w.path[:len(w.path)-1], w.space[:len(w.space)-1]
			w.text, w.long = w.text[:0], false
		}
	}
}

// attr returns the value of the attribute with local name name.
func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}
