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
			"feeds), last fetch, last change (and how long ago), the staleness expectation\n" +
			"(STALE when the content has not changed for longer), next fetch and last error.\n\n" +
			"--check asks each enabled feed's URL instead (HEAD, or a GET made conditional with the\n" +
			"cached copy's ETag/Last-Modified where HEAD is refused; redirects followed and noted;\n" +
			"--check-timeout per feed) and prints per feed: ok, moved (a permanent redirect: the new\n" +
			"URL), missing (404/410), error, or stale (unchanged for longer than its stale_after).\n" +
			"Nothing is downloaded. Exit status: 0 all ok, 1 some feed is not ok, 2 bad configuration.\n" +
			"Run it where there is network.",
		Flags: append(settingFlags(config.ScopeLists),
			&cli.BoolFlag{Name: "json", Usage: "print the status as JSON"},
			&cli.BoolFlag{Name: "check", Usage: "ask each feed's URL whether it is still there and still changing (needs network); exit 1 when one is not ok"},
			&cli.DurationFlag{Name: "check-timeout", Value: feeds.DefaultCheckTimeout, Usage: "with --check, give up on a feed after `DURATION` (redirects and the fallback GET included)"},
		),
		Action: listFeeds,
	}
}

func listFeeds(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	if c.Bool("check") {
		return checkFeeds(c, cfg)
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
	fmt.Fprintln(tw, "NAME\tFORMAT\tENTRIES\tREJECTED\tUNKNOWN TLD\tSPECIAL-USE\tLAST FETCH\tLAST CHANGE\tSTALE AFTER\tNEXT FETCH\tLAST ERROR")
	for _, st := range sts {
		name := st.Name
		if !st.Enabled {
			name += " (disabled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", name, orDash(string(st.Format)), st.Entries, rejectedByReason(st),
			st.UnknownTLD, st.SpecialUse,
			when(cmp.Or(st.LastFetch, st.LastGood)), changed(st), staleAfter(st), when(st.NextFetch), orDash(st.LastError))
	}
	tw.Flush()
	for _, st := range sts {
		if st.Format == feeds.FormatRanking && st.Enabled && st.Entries == 0 {
			fmt.Fprintf(w, "%s: no copy fetched yet; the embedded Tranco top 10,000 snapshot guards until one is\n", st.Name)
		}
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

// changed writes the last change and its age: "2026-11-20 10:00 (12d ago)".
func changed(st feeds.Status) string {
	if st.LastChange.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s (%s ago)", when(st.LastChange), age(time.Duration(st.LastChangeAge*float64(time.Second))))
}

// staleAfter writes the expectation, flagged when it is exceeded: "3d",
// "3d STALE", "never" (a dormant feed) or "-".
func staleAfter(st feeds.Status) string {
	switch {
	case st.Stale:
		return st.StaleAfter + " STALE"
	case st.StaleAfter == "never":
		return "never (dormant)"
	}
	return orDash(st.StaleAfter)
}

// age writes a span as people read it: "40m", "5h", "12d", "3.4y".
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 365*24*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%.1fy", d.Hours()/24/365.25)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkFeeds is `feeds --check`: every enabled feed's URL asked, one line
// each; exit 1 when one is not ok.
func checkFeeds(c *cli.Context, cfg *config.Config) error {
	list, err := feeds.Resolve(cfg.Feeds, cfg.UsesDefaultFeeds())
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	results := feeds.Check(c.Context, list, feeds.CheckOptions{
		DataDir:    cfg.Server.DataDir,
		StaleAfter: time.Duration(cfg.Server.FeedStale),
		Timeout:    c.Duration("check-timeout"),
	})
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		printChecks(c.App.Writer, results)
	}
	bad := 0
	for _, r := range results {
		if r.State != feeds.CheckOK {
			bad++
		}
	}
	if bad > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d feeds are not ok", bad, len(results)), exitListed)
	}
	return nil
}

func printChecks(w io.Writer, results []feeds.CheckResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tHTTP\tLAST CHANGE\tSTALE AFTER\tDETAIL")
	for _, r := range results {
		status := "-"
		if r.HTTPStatus != 0 {
			status = fmt.Sprintf("%d", r.HTTPStatus)
		}
		detail := r.Detail
		if len(r.Redirects) > 0 {
			detail = strings.TrimPrefix(detail+"; redirects: "+strings.Join(r.Redirects, " -> "), "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.State, status, when(r.LastChange), orDash(r.StaleAfter), orDash(detail))
	}
	tw.Flush()
}
