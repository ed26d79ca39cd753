package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scamblock/scamblock/lists"
)

// cryptoScamDB parses CryptoScamDB urls.yaml / uris.yaml: a YAML sequence
// of records {name, url, category, subcategory, description, addresses:
// {TICKER: [...]}, reporter}. The document is split into records at each
// top-level "- " item (and at a "- name:" that is indented like a record's
// keys, the fault in uris.yaml) and each record is decoded on its own, so a
// broken record loses only itself and is reported with its line.
//
// Each record gives one target from url (falling back to name when url is
// missing or not a host): a host entry, or a KindURL "host/path" (plus the
// host with Options.URLBlocksHost). category is lower-cased ("phishing",
// "scamming", "malware", "hacked"). Addresses become KindAddress entries
// with Chain = ticker lower-cased and Links = [host] when the record has one.
func (p *parser) cryptoScamDB(r io.Reader) error {
	return p.yamlRecords(r, p.yamlRecord)
}

// yamlRecords splits a CryptoScamDB document into records and calls fn
// with each record's first line and text.
func (p *parser) yamlRecords(r io.Reader, fn func(start int, text []byte)) error {
	var rec bytes.Buffer
	start := 0
	flush := func() {
		if rec.Len() > 0 {
			fn(start, rec.Bytes())
			rec.Reset()
		}
	}
	err := p.rawLines(r, func(n int, b []byte) {
		if isRecordStart(b) {
			flush()
			start = n
		} else if rec.Len() == 0 {
			t := bytes.TrimSpace(b)
			if len(t) == 0 || t[0] == '#' || bytes.Equal(t, []byte("---")) || bytes.Equal(t, []byte("...")) {
				return
			}
			p.rep.Reject(n, string(t), ReasonSyntax, "text outside any record")
			return
		}
		rec.Write(b)
		rec.WriteByte('\n')
	})
	flush()
	return err
}

// isRecordStart reports whether a line begins a record: "- " at column 0,
// or "- name:" indented at most two blanks (a misindented record).
func isRecordStart(b []byte) bool {
	if bytes.HasPrefix(b, []byte("- ")) || bytes.Equal(b, []byte("-")) {
		return true
	}
	t := bytes.TrimLeft(b, " ")
	return len(b)-len(t) <= 2 && bytes.HasPrefix(t, []byte("- name:"))
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// absYAMLError rewrites "line N" in a yaml error to the file's line.
func absYAMLError(err error, start int) string {
	return yamlLineRE.ReplaceAllStringFunc(err.Error(), func(m string) string {
		k, _ := strconv.Atoi(m[5:])
		return "line " + strconv.Itoa(start+k-1)
	})
}

// scalar is one scalar value of a record, with its file line.
type scalar struct {
	value string
	line  int
	ok    bool // present and a scalar
}

// tickerList is one "TICKER: [addresses]" member of a record's addresses.
type tickerList struct {
	ticker string
	line   int
	kind   yaml.Kind // SequenceNode, ScalarNode, or other (rejected)
	items  []scalar  // for a sequence; ok=false for a non-scalar item
}

// csdbRecord is what this package reads from one CryptoScamDB record.
type csdbRecord struct {
	name, url, category scalar
	addresses           bool // the record has an addresses key
	addressesLine       int
	addressesMap        bool // and it is a mapping
	tickers             []tickerList
}

func (p *parser) yamlRecord(start int, text []byte) {
	rec, ok := fastRecord(start, text)
	if !ok {
		var err error
		rec, err = nodeRecord(start, text)
		if err != nil {
			p.rep.Reject(start, firstLine(text), ReasonSyntax, err.Error())
			return
		}
	}
	p.emitRecord(start, rec)
}

// nodeRecord decodes one record with yaml.v3.
func nodeRecord(start int, text []byte) (csdbRecord, error) {
	var rec csdbRecord
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return rec, fmt.Errorf("invalid YAML record: %s", absYAMLError(err, start))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != 1 || doc.Content[0].Content[0].Kind != yaml.MappingNode {
		return rec, errors.New("record is not a single mapping")
	}
	m := doc.Content[0].Content[0]
	line := func(nd *yaml.Node) int { return start + nd.Line - 1 }
	sc := func(nd *yaml.Node) scalar {
		return scalar{value: nd.Value, line: line(nd), ok: nd.Kind == yaml.ScalarNode}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := m.Content[i+1]
		switch m.Content[i].Value {
		case "name":
			rec.name = sc(v)
		case "url":
			rec.url = sc(v)
		case "category":
			rec.category = sc(v)
		case "addresses":
			rec.addresses, rec.addressesLine, rec.addressesMap = true, line(v), v.Kind == yaml.MappingNode
			rec.tickers = nil
			if !rec.addressesMap {
				continue
			}
			for k := 0; k+1 < len(v.Content); k += 2 {
				t, list := v.Content[k], v.Content[k+1]
				tl := tickerList{ticker: t.Value, line: line(list), kind: list.Kind}
				switch list.Kind {
				case yaml.SequenceNode:
					for _, a := range list.Content {
						tl.items = append(tl.items, sc(a))
					}
				case yaml.ScalarNode:
					tl.items = []scalar{sc(list)}
				}
				rec.tickers = append(rec.tickers, tl)
			}
		}
	}
	return rec, nil
}

// emitRecord turns a record into entries.
func (p *parser) emitRecord(start int, rec csdbRecord) {
	base := lists.Entry{}
	if rec.category.ok {
		base.Category = strings.ToLower(strings.TrimSpace(rec.category.value))
	}
	// The target: url first, name as the fallback.
	var links []string
	var t target
	var terr error = &lists.RejectError{Reason: lists.ReasonEmpty, Input: "", Detail: "record without name or url"}
	tline, tinput := start, ""
	for _, sv := range []scalar{rec.url, rec.name} {
		if !sv.ok || strings.TrimSpace(sv.value) == "" {
			continue
		}
		tt, err := splitTarget(sv.value)
		if err == nil {
			t, terr, tline = tt, nil, sv.line
			break
		}
		if tinput == "" {
			terr, tline, tinput = err, sv.line, sv.value
		}
	}
	if terr != nil {
		p.rep.RejectErr(tline, tinput, terr)
	} else {
		p.emitTarget(tline, t, base)
		links = []string{t.host}
	}
	if !rec.addresses {
		return
	}
	if !rec.addressesMap {
		p.rep.Reject(rec.addressesLine, "addresses", ReasonSyntax, "addresses is not a mapping of ticker to list")
		return
	}
	for _, tl := range rec.tickers {
		chain := strings.ToLower(strings.TrimSpace(tl.ticker))
		switch tl.kind {
		case yaml.SequenceNode, yaml.ScalarNode:
			for _, a := range tl.items {
				if !a.ok {
					p.rep.Reject(a.line, tl.ticker, ReasonSyntax, "address is not a string")
					continue
				}
				p.address(a.line, a.value, chain, links, base)
			}
		default:
			p.rep.Reject(tl.line, tl.ticker, ReasonSyntax, "addresses of a ticker must be a list")
		}
	}
}

func firstLine(b []byte) string {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimSpace(string(first))
}
