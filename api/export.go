package api

import (
	"bufio"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// ExportFormats returns the formats GET /v1/export?format= accepts.
func ExportFormats() []string { return []string{"domains", "hosts", "rpz", "json", "csv", "stix"} }

// ExportItem is one published indicator in the json export.
type ExportItem struct {
	Indicator    string    `json:"indicator"`
	Kind         string    `json:"kind"`
	Chain        string    `json:"chain,omitempty"`
	Category     string    `json:"category"`
	Source       string    `json:"source"`
	SubmissionID uint64    `json:"submission_id"`
	Submitter    string    `json:"submitter"`
	Reviewer     string    `json:"reviewer"`
	Evidence     []string  `json:"evidence,omitempty"`
	Published    time.Time `json:"published"`
	Expires      time.Time `json:"expires"`
}

// ExportJSON is the json export.
type ExportJSON struct {
	Generated  time.Time    `json:"generated"`
	Serial     uint64       `json:"serial"`
	Count      int          `json:"count"`
	Indicators []ExportItem `json:"indicators"`
}

func (a *API) export(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "domains"
	}
	render, ctype := exporter(format)
	if render == nil {
		writeError(w, badField("format", "%q: use one of %s", format, strings.Join(ExportFormats(), ", ")))
		return
	}
	// Serial first: a change between the two reads shows up as a newer
	// serial next time, never as an old serial with new content.
	serial, err := a.store.Serial()
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	pub, err := a.store.Published()
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	// The serial grows with every change; the count changes when an
	// approval lapses before the expiry sweep records it.
	etag := fmt.Sprintf(`"%s-%d-%d"`, format, serial, len(pub))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	bw := bufio.NewWriter(w)
	if err := render(bw, pub, serial, a.now().UTC()); err != nil {
		a.log.WarnContext(r.Context(), "api: export failed", "format", format, "err", err)
		return
	}
	if err := bw.Flush(); err != nil {
		a.log.DebugContext(r.Context(), "api: export write", "err", err)
	}
}

type renderFunc func(w io.Writer, pub []store.Listing, serial uint64, now time.Time) error

func exporter(format string) (renderFunc, string) {
	switch format {
	case "domains":
		return exportDomains, "text/plain; charset=utf-8"
	case "hosts":
		return exportHosts, "text/plain; charset=utf-8"
	case "rpz":
		return exportRPZ, "text/dns; charset=utf-8"
	case "json":
		return exportJSON, "application/json"
	case "csv":
		return exportCSV, "text/csv; charset=utf-8"
	case "stix":
		return exportSTIX, "application/stix+json;version=2.1"
	}
	return nil, ""
}

func domainsOf(pub []store.Listing) []string {
	var out []string
	for _, l := range pub {
		if l.Entry.Kind == lists.KindDomain {
			out = append(out, l.Entry.Value)
		}
	}
	return out
}

// exportDomains writes one name a line.
func exportDomains(w io.Writer, pub []store.Listing, _ uint64, _ time.Time) error {
	for _, d := range domainsOf(pub) {
		if _, err := fmt.Fprintln(w, d); err != nil {
			return err
		}
	}
	return nil
}

// exportHosts writes a hosts file mapping each name to 0.0.0.0. A hosts
// file cannot block subdomains; use rpz or domains for that.
func exportHosts(w io.Writer, pub []store.Listing, serial uint64, now time.Time) error {
	fmt.Fprintf(w, "# scamblock published submissions, serial %d, generated %s\n", serial, now.Format(time.RFC3339))
	fmt.Fprintf(w, "# hosts files block exact names only; subdomains are not covered\n")
	for _, d := range domainsOf(pub) {
		if _, err := fmt.Fprintf(w, "0.0.0.0 %s\n", d); err != nil {
			return err
		}
	}
	return nil
}

// exportRPZ writes an RPZ zone (draft-vixie-dnsop-dns-rpz): every name and
// its subtree rewritten to NXDOMAIN ("CNAME ."). Owner names are relative,
// so the file loads under whatever zone name the consumer configures.
func exportRPZ(w io.Writer, pub []store.Listing, serial uint64, now time.Time) error {
	s := uint32(serial % (1 << 32))
	if s == 0 {
		s = 1
	}
	fmt.Fprintf(w, "; scamblock published submissions, generated %s\n", now.Format(time.RFC3339))
	fmt.Fprintf(w, "$TTL 300\n")
	fmt.Fprintf(w, "@ IN SOA localhost. hostmaster.localhost. ( %d 3600 600 604800 300 )\n", s)
	fmt.Fprintf(w, "@ IN NS localhost.\n")
	for _, l := range pub {
		if l.Entry.Kind != lists.KindDomain {
			continue
		}
		d := l.Entry.Value
		if _, err := fmt.Fprintf(w, "%s CNAME . ; %s %s\n*.%s CNAME .\n", d, l.Source, l.Entry.Category, d); err != nil {
			return err
		}
	}
	return nil
}

func exportJSON(w io.Writer, pub []store.Listing, serial uint64, now time.Time) error {
	out := ExportJSON{Generated: now, Serial: serial, Count: len(pub), Indicators: make([]ExportItem, 0, len(pub))}
	for _, l := range pub {
		out.Indicators = append(out.Indicators, ExportItem{
			Indicator: l.Entry.Value, Kind: l.Entry.Kind.String(), Chain: l.Entry.Chain, Category: l.Entry.Category,
			Source: l.Source, SubmissionID: l.SubmissionID, Submitter: l.Submitter, Reviewer: l.Reviewer,
			Evidence: l.Evidence, Published: l.Published, Expires: l.Expires,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// exportCSV writes a header row and one row per indicator; evidence URLs
// are space-separated in one column.
func exportCSV(w io.Writer, pub []store.Listing, _ uint64, _ time.Time) error {
	cw := csv.NewWriter(w)
	header := []string{"indicator", "kind", "chain", "category", "source", "submitter", "reviewer", "published", "expires", "evidence"}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, l := range pub {
		rec := []string{l.Entry.Value, l.Entry.Kind.String(), l.Entry.Chain, l.Entry.Category, l.Source,
			l.Submitter, l.Reviewer, l.Published.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339),
			strings.Join(l.Evidence, " ")}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// STIX 2.1 export.
//
// Object ids are UUIDv5 in a scamblock namespace, derived from the
// submission, so an indicator keeps its id across exports and consumers
// can update rather than duplicate it.
const stixNamespace = "\x73\xcf\x4e\xea\x3b\x6f\x40\x4f\x80\x7f\xdf\x67\xfa\xe3\x0a\x27"

func uuid5(name string) string {
	h := sha1.New()
	h.Write([]byte(stixNamespace))
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	b := hex.EncodeToString(u)
	return b[0:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:32]
}

const stixTime = "2006-01-02T15:04:05.000Z"

type stixExternalRef struct {
	SourceName  string `json:"source_name"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
	Description string `json:"description,omitempty"`
}

type stixObject struct {
	Type               string            `json:"type"`
	SpecVersion        string            `json:"spec_version"`
	ID                 string            `json:"id"`
	CreatedByRef       string            `json:"created_by_ref,omitempty"`
	Created            string            `json:"created"`
	Modified           string            `json:"modified"`
	Name               string            `json:"name,omitempty"`
	Description        string            `json:"description,omitempty"`
	IdentityClass      string            `json:"identity_class,omitempty"`
	IndicatorTypes     []string          `json:"indicator_types,omitempty"`
	Pattern            string            `json:"pattern,omitempty"`
	PatternType        string            `json:"pattern_type,omitempty"`
	PatternVersion     string            `json:"pattern_version,omitempty"`
	ValidFrom          string            `json:"valid_from,omitempty"`
	ValidUntil         string            `json:"valid_until,omitempty"`
	Labels             []string          `json:"labels,omitempty"`
	ExternalReferences []stixExternalRef `json:"external_references,omitempty"`
}

type stixBundle struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Objects []stixObject `json:"objects"`
}

// stixQuote escapes a value for a single-quoted STIX pattern string.
func stixQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// stixPattern is the STIX 2.1 pattern for an indicator. Wallet addresses
// use the cryptocurrency-wallet SCO (property "address") of the published
// STIX extension definition for crypto wallets, since STIX 2.1 itself has
// no wallet object; URL indicators match both schemes.
func stixPattern(e lists.Entry) string {
	switch e.Kind {
	case lists.KindAddress:
		return "[cryptocurrency-wallet:address = " + stixQuote(e.Value) + "]"
	case lists.KindURL:
		return "[url:value = " + stixQuote("https://"+e.Value) + " OR url:value = " + stixQuote("http://"+e.Value) + "]"
	default:
		return "[domain-name:value = " + stixQuote(e.Value) + "]"
	}
}

func exportSTIX(w io.Writer, pub []store.Listing, serial uint64, now time.Time) error {
	identity := "identity--" + uuid5("identity:scamblock")
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(stixTime)
	b := stixBundle{
		Type: "bundle",
		ID:   "bundle--" + uuid5(fmt.Sprintf("bundle:%d:%s", serial, now.Format(time.RFC3339Nano))),
		Objects: []stixObject{{
			Type: "identity", SpecVersion: "2.1", ID: identity, Created: epoch, Modified: epoch,
			Name: "scamblock", IdentityClass: "system",
			Description: "scamblock researcher submissions, each approved by a reviewer other than its submitter",
		}},
	}
	for _, l := range pub {
		published := l.Published.UTC().Format(stixTime)
		refs := []stixExternalRef{{SourceName: "scamblock", ExternalID: l.Source,
			Description: fmt.Sprintf("submitted by %s, approved by %s", l.Submitter, l.Reviewer)}}
		for _, ev := range l.Evidence {
			refs = append(refs, stixExternalRef{SourceName: "evidence", URL: ev})
		}
		name := l.Entry.Value
		if l.Entry.Chain != "" {
			name = l.Entry.Chain + " address " + name
		}
		b.Objects = append(b.Objects, stixObject{
			Type: "indicator", SpecVersion: "2.1", ID: "indicator--" + uuid5(l.Source), CreatedByRef: identity,
			Created: published, Modified: published, Name: name,
			Description:    fmt.Sprintf("%s %s listed by scamblock (%s)", l.Entry.Category, l.Entry.Kind, l.Source),
			IndicatorTypes: []string{"malicious-activity"}, Pattern: stixPattern(l.Entry), PatternType: "stix",
			PatternVersion: "2.1", ValidFrom: published, ValidUntil: l.Expires.UTC().Format(stixTime),
			Labels: []string{l.Entry.Category}, ExternalReferences: refs,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}
