package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/service"
)

func feedsCommand() *cli.Command {
	return &cli.Command{
		Name:  "feeds",
		Usage: "list the configured feeds and the state of their last good copies",
		Description: "Reads the data directory offline (a running server's live view is GET /v1/feeds on\n" +
			"its HTTP listener). Columns: entries in use, rejected lines by reason, accepted names\n" +
			"with a TLD the compiled-in Public Suffix List lacks (kept: new gTLDs are real), accepted\n" +
			"special-use names (.lan, .home.arpa, .test; rejected as special-use from downloaded\n" +
			"feeds), last fetch, last change, next fetch and last error.",
		Flags: append(settingFlags(config.ScopeLists),
			&cli.BoolFlag{Name: "json", Usage: "print the status as JSON"},
		),
		Action: listFeeds,
	}
}

func listFeeds(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	off, err := service.LoadOffline(c.Context, cfg, nil)
	if err != nil {
		return cli.Exit(err.Error(), exitFailure)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(off.Feeds)
	}
	printFeeds(c.App.Writer, off.Feeds)
	return nil
}

func printFeeds(w io.Writer, sts []feeds.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFORMAT\tENTRIES\tREJECTED\tUNKNOWN TLD\tSPECIAL-USE\tLAST FETCH\tLAST CHANGE\tNEXT FETCH\tLAST ERROR")
	for _, st := range sts {
		name := st.Name
		if !st.Enabled {
			name += " (disabled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", name, orDash(string(st.Format)), st.Entries, rejectedByReason(st),
			st.UnknownTLD, st.SpecialUse,
			when(cmp.Or(st.LastFetch, st.LastGood)), when(st.LastChange), when(st.NextFetch), orDash(st.LastError))
	}
	tw.Flush()
	for _, st := range sts {
		for _, ex := range st.Examples {
			fmt.Fprintf(w, "%s: rejected %s: %s %q", st.Name, ex.Reason, ex.Where, ex.Input)
			if ex.Detail != "" {
				fmt.Fprintf(w, " (%s)", ex.Detail)
			}
			fmt.Fprintln(w)
		}
	}
}

// rejectedByReason writes "264 (unknown-tld 264)" or "-".
func rejectedByReason(st feeds.Status) string {
	if len(st.Rejected) == 0 {
		return "-"
	}
	reasons := make([]string, 0, len(st.Rejected))
	total := 0
	for r, n := range st.Rejected {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		total += n
	}
	sort.Strings(reasons)
	return fmt.Sprintf("%d (%s)", total, strings.Join(reasons, ", "))
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
