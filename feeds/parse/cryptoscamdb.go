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
// keys, the fault in uris.yaml); the records are decoded by yaml.v3 in
// batches of recordBatch (one parse per batch, and memory bounded by the
// batch, not the file). A batch that does not decode into one mapping per
// record is decoded record by record, so a broken record loses only itself
// and is reported with its line.
//
// Each record gives one target from url (falling back to name when url is
// missing or not a host): a host entry, or a KindURL "host/path" (plus the
// host with Options.URLBlocksHost). category is lower-cased ("phishing",
// "scamming", "malware", "hacked"). Addresses become KindAddress entries
// with Chain = ticker lower-cased and Links = [host] when the record has one.
func (p *parser) cryptoScamDB(r io.Reader) error {
	return p.yamlBatches(r, recordBatch)
}

// yamlBatches reads the records of r, decoding size of them at a time.
func (p *parser) yamlBatches(r io.Reader, size int) error {
	b := recordBatcher{size: size, emit: p.emitRecord, reject: func(start int, text []byte, err error) {
		p.rep.Reject(start, firstLine(text), ReasonSyntax, err.Error())
	}}
	err := p.yamlRecords(r, b.add)
	b.flush()
	return err
}

// recordBatch is the number of records decoded in one yaml.v3 parse: enough
// to spread the parser's set-up (a record alone costs ~3× more per record),
// few enough that the node tree stays small (a whole 2 MB file at once
// takes seconds and tens of MB).
const recordBatch = 64

// recordBatcher gathers consecutive records and decodes them together.
type recordBatcher struct {
	size   int // records a batch holds
	emit   func(start int, rec csdbRecord)
	reject func(start int, text []byte, err error)

	text   []byte // the batch's records, one after the other
	starts []int  // first line of each record in the file
	ends   []int  // end of each record in text
	next   int    // the line that follows the batch
}

// add appends one record (text is copied); records that do not follow the
// batch's last line (a skipped over-long line between them) start a new one.
func (b *recordBatcher) add(start int, text []byte) {
	if len(b.starts) > 0 && start != b.next {
		b.flush()
	}
	b.text = append(b.text, text...)
	b.starts = append(b.starts, start)
	b.ends = append(b.ends, len(b.text))
	b.next = start + bytes.Count(text, []byte("\n"))
	if len(b.starts) >= b.size {
		b.flush()
	}
}

// flush decodes the batch and emits its records in order.
func (b *recordBatcher) flush() {
	if len(b.starts) == 0 {
		return
	}
	if items, ok := batchRecords(b.starts[0], b.text, len(b.starts)); ok {
		for i, rec := range items {
			b.emit(b.starts[i], rec)
		}
	} else {
		from := 0
		for i, start := range b.starts {
			text := b.text[from:b.ends[i]]
			from = b.ends[i]
			rec, err := nodeRecord(start, text)
			if err != nil {
				b.reject(start, text, err)
				continue
			}
			b.emit(start, rec)
		}
	}
	b.text, b.starts, b.ends = b.text[:0], b.starts[:0], b.ends[:0]
}

// batchRecords decodes n consecutive records whose text starts at the
// file's line start; false unless the text is one sequence of n mappings.
func batchRecords(start int, text []byte, n int) ([]csdbRecord, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, false
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != n {
		return nil, false
	}
	out := make([]csdbRecord, n)
	for i, m := range doc.Content[0].Content {
		if m.Kind != yaml.MappingNode {
			return nil, false
		}
		out[i] = recordOf(m, start)
	}
	return out, true
}

// yamlRecords splits a CryptoScamDB document into records and calls fn
// with each record's first line and text (reused after fn returns).
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

// nodeRecord decodes one record on its own.
func nodeRecord(start int, text []byte) (csdbRecord, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return csdbRecord{}, fmt.Errorf("invalid YAML record: %s", absYAMLError(err, start))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != 1 || doc.Content[0].Content[0].Kind != yaml.MappingNode {
		return csdbRecord{}, errors.New("record is not a single mapping")
	}
	return recordOf(doc.Content[0].Content[0], start), nil
}

// recordOf reads a record's mapping node; node lines count from the line
// start of the file.
func recordOf(m *yaml.Node, start int) csdbRecord {
	var rec csdbRecord
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
	return rec
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
