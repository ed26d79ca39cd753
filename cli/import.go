package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "parse one feed file or URL and report what it holds, without a server",
		ArgsUsage: "FILE|URL",
		Description: "Parses the feed once, as the server would, and prints the entries accepted and the\n" +
			"lines rejected by reason (with file:line examples), the entries the guard refuses\n" +
			"to apply, and the wallet addresses that fail their checksum.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "feed `FORMAT`, detected when empty: " + formatNames()},
			&cli.StringFlag{Name: "column", Usage: "CSV: the header name or 1-based index of the indicator column"},
			&cli.BoolFlag{Name: "url-blocks-host", Usage: "URLs with a path also block their host (subject to the guard)"},
			&cli.StringFlag{Name: "category", Usage: "category for entries that carry none (phishing, scam, sanctioned, ...)"},
			&cli.StringFlag{Name: "chain", Usage: "chain of an address list (btc, eth, trx, ...)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: importFeed,
	}
}

// formatNames lists the formats --format takes.
func formatNames() string {
	var names []string
	for _, f := range parse.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func importFeed(c *cli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError("import takes one FILE or URL, e.g. scamblock import ./scam.txt --format hosts")
	}
	var format parse.Format
	if f := c.String("format"); f != "" {
		if format, err = parse.ParseFormat(f); err != nil {
			return usageError("--format: %v", err)
		}
	}
	opts := parse.Options{
		Column:        c.String("column"),
		URLBlocksHost: c.Bool("url-blocks-host"),
		Category:      c.String("category"),
		Chain:         c.String("chain"),
	}
	res, err := blocklist.Import(c.Context, args[0], format, opts, progressLine(c.App.ErrWriter, args[0]))
	if err != nil {
		return usageError("%v", err)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return cli.Exit(err.Error(), exitFailure)
		}
		return nil
	}
	printImport(c.App.Writer, res, opts.URLBlocksHost)
	return nil
}

func printImport(w io.Writer, res blocklist.ImportResult, urlBlocksHost bool) {
	r := res.Report
	fmt.Fprintf(w, "%s (%s, %d bytes)\n", res.Source, res.Format, res.Size)
	fmt.Fprintf(w, "  lines read:     %d\n", r.Lines)
	fmt.Fprintf(w, "  entries:        %d accepted, %d rejected\n", r.Accepted, r.TotalRejected())
	printRejects(w, "  ", r)
	if r.UnknownTLD > 0 {
		fmt.Fprintf(w, "  unknown TLD:    %d accepted names (TLD not in the compiled-in Public Suffix List; kept)\n", r.UnknownTLD)
	}
	if r.SpecialUse > 0 {
		fmt.Fprintf(w, "  special-use:    %d accepted names (.lan, .home.arpa, .test ...; kept from a local file)\n", r.SpecialUse)
	}
	cr := res.Compile
	fmt.Fprintf(w, "  domains:        %d (%d applied, %d duplicates)\n", cr.Domains, cr.Applied, cr.Duplicates)
	switch {
	case cr.URLs > 0 && urlBlocksHost:
		fmt.Fprintf(w, "  URL indicators: %d (each also lists its host, counted above as applied, duplicate or guarded)\n", cr.URLs)
	case cr.URLs > 0:
		fmt.Fprintf(w, "  URL indicators: %d (they never block their host unless --url-blocks-host)\n", cr.URLs)
	}
	if cr.Lookalikes > 0 {
		fmt.Fprintf(w, "  look-alike targets: %d\n", cr.Lookalikes)
	}
	for _, rule := range sortedKeys(cr.Guarded) {
		fmt.Fprintf(w, "  guarded (%s): %d — never blocked as a whole\n", rule, cr.Guarded[rule])
	}
	for _, g := range cr.GuardedExamples {
		fmt.Fprintf(w, "      line %d: %s (%s)\n", g.Line, g.Name, g.Rule)
	}
	if cr.Addresses > 0 || res.Addresses > 0 {
		fmt.Fprintf(w, "  addresses:      %d entries, %d valid and unique\n", cr.Addresses, res.Addresses)
	}
	if res.AddressReject != nil {
		fmt.Fprintf(w, "  addresses rejected: %d\n", res.AddressReject.TotalRejected())
		printRejects(w, "  ", *res.AddressReject)
	}
}

func printRejects(w io.Writer, indent string, r parse.Report) {
	printReasons(w, indent, "rejected (%s): %d", r.Rejected, r.Examples)
	printReasons(w, indent, "noted (%s): %d — accepted, with this to know", r.Notes, r.NoteExamples)
}

// printReasons writes one line per reason, in reason order, with its
// examples (file:line and the text) below it.
func printReasons(w io.Writer, indent, format string, counts map[lists.Reason]int, examples map[lists.Reason][]parse.Reject) {
	reasons := make([]string, 0, len(counts))
	for reason := range counts {
		reasons = append(reasons, string(reason))
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		fmt.Fprintf(w, "%s  "+format+"\n", indent, reason, counts[lists.Reason(reason)])
		for _, ex := range examples[lists.Reason(reason)] {
			fmt.Fprintf(w, "%s      %s\n", indent, ex)
		}
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// progressLine shows how far a parse got on one terminal line, at most ten
// times a second; it returns nil (no display) when w is not a terminal.
func progressLine(w io.Writer, what string) feeds.Progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	var last time.Time
	return func(parsed, total int64) {
		done := total > 0 && parsed >= total
		if !done && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(w, "\rparsing %s: %3d%% (%.1f of %.1f MB)", what, parsed*100/total, float64(parsed)/1e6, float64(total)/1e6)
		} else {
			fmt.Fprintf(w, "\rparsing %s: %.1f MB", what, float64(parsed)/1e6)
		}
		if done {
			fmt.Fprintln(w)
		}
	}
}
