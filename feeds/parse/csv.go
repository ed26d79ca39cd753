package parse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/scamblock/scamblock/lists"
)

// csvValueColumns are tried, in order, when Options.Column is empty.
var csvValueColumns = []string{"url", "domain", "host", "hostname", "address", "banned_address", "wallet", "indicator", "value"}

// csvTagColumns are tried, in order, for an entry's category.
var csvTagColumns = []string{"category", "etherscan_labels", "data_source", "label", "labels", "tag", "type"}

// csvFeed parses a CSV file with a header row. The value column is
// Options.Column (a header name, case-insensitive, or a 1-based index), or
// the first of csvValueColumns present. Values with a dot or a slash are
// hosts or URLs; others are wallet addresses (raw, Chain = Options.Chain).
// The category comes from a tag column when one exists (see categoryOfTag).
func (p *parser) csvFeed(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("CSV file is empty: %w", io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("CSV header: %w", err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\xef\xbb\xbf")
	}
	col, err := csvColumn(header, p.opts.Column)
	if err != nil {
		return err
	}
	hostCol := -1 // a host column naming each row's URL host (issue 16.3)
	if p.opts.Column == "" && strings.EqualFold(strings.TrimSpace(header[col]), "url") {
		for _, name := range []string{"domain", "host", "hostname"} {
			if i := indexFold(header, name); i >= 0 {
				hostCol = i
				break
			}
		}
	}
	tag := -1
	for _, name := range csvTagColumns {
		if i := indexFold(header, name); i >= 0 && i != col {
			tag = i
			break
		}
	}
	chain := strings.ToLower(p.opts.Chain)
	p.rep.Lines = 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.rep.Lines = pe.Line
				p.rep.Reject(pe.StartLine, "", ReasonSyntax, pe.Err.Error())
				continue
			}
			return fmt.Errorf("CSV after line %d: %w", p.rep.Lines, err)
		}
		line, _ := cr.FieldPos(0)
		p.rep.Lines = line
		if col >= len(rec) {
			p.rep.Reject(line, strings.Join(rec, ","), ReasonSyntax, fmt.Sprintf("only %d fields, the value column is %d", len(rec), col+1))
			continue
		}
		v := strings.TrimSpace(rec[col])
		base := lists.Entry{}
		if tag >= 0 && tag < len(rec) {
			base.Category = categoryOfTag(rec[tag])
		}
		switch {
		case v == "":
			p.rep.Reject(line, strings.Join(rec, ","), lists.ReasonEmpty, "empty value column")
		case hostCol >= 0 && hostCol < len(rec) && p.hostAndURL(line, strings.TrimSpace(rec[hostCol]), v, base):
		case strings.ContainsAny(v, "./"):
			p.target(line, v, base)
		default:
			p.address(line, v, chain, nil, base)
		}
	}
	return nil
}

// hostAndURL handles a row with both a URL and a host column: when the
// host names the URL's host, the host is the indicator (a Block domain
// entry) and the URL, when it has a path, is kept as the evidence (a URL
// entry). It reports false, leaving the row to the URL alone, when the
// columns disagree or either does not parse.
func (p *parser) hostAndURL(line int, host, rawURL string, base lists.Entry) bool {
	u, err := splitTarget(rawURL)
	if err != nil {
		return false
	}
	h, err := lists.NormalizeHost(host)
	if err != nil || h != u.host {
		if err == nil {
			p.rep.Note(line, host, ReasonHostMismatch, fmt.Sprintf("the host column says %s, the URL's host is %s: the URL alone is used", h, u.host))
		}
		return false
	}
	d := base
	d.Value, d.Kind, d.Line = h, lists.KindDomain, line
	p.put(d)
	if u.path != "" {
		e := base
		e.Value, e.Kind, e.Line = u.host+u.path, lists.KindURL, line
		p.put(e)
	}
	return true
}

// ReasonHostMismatch notes a CSV row whose host column is not its URL's host.
const ReasonHostMismatch lists.Reason = "host-mismatch"

func indexFold(header []string, name string) int {
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			return i
		}
	}
	return -1
}

func csvColumn(header []string, want string) (int, error) {
	if want != "" {
		if i := indexFold(header, want); i >= 0 {
			return i, nil
		}
		if k, err := strconv.Atoi(want); err == nil && k >= 1 && k <= len(header) {
			return k - 1, nil
		}
		return 0, fmt.Errorf("CSV has no column %q; columns: %s", want, strings.Join(header, ", "))
	}
	for _, name := range csvValueColumns {
		if i := indexFold(header, name); i >= 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("CSV has none of the known value columns (%s); set the column: columns are %s",
		strings.Join(csvValueColumns, ", "), strings.Join(header, ", "))
}

// categoryOfTag maps a tag such as "phish-hack" or
// "etherscan-exploit-list" to a category; unknown tags give "" (the
// feed's default category).
func categoryOfTag(tag string) string {
	t := strings.ToLower(tag)
	for _, c := range []struct{ sub, cat string }{
		{"phish", "phishing"}, {"drain", "drainer"}, {"exploit", "exploit"}, {"heist", "heist"},
		{"hack", "hack"}, {"scam", "scam"}, {"malware", "malware"}, {"sanction", "sanctioned"},
	} {
		if strings.Contains(t, c.sub) {
			return c.cat
		}
	}
	return ""
}
