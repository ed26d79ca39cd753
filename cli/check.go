package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/feeds"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/service"
	"github.com/scamblock/scamblock/verdict"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "say whether domains, URLs or wallet addresses are listed, and why",
		ArgsUsage: "INDICATOR...",
		Description: "Checks each indicator offline against the configured lists (the data directory's\n" +
			"last good feed copies, --feed files, published submissions) and explains every\n" +
			"listing: entry, source, file line, and which allow or guard rule let it through.\n" +
			"Exit status: 0 nothing listed, 1 something listed, 2 bad input.",
		Flags: append(settingFlags(config.ScopeLists),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object per indicator"},
		),
		Action: check,
	}
}

func check(c *cli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError("check needs at least one domain, URL or wallet address, e.g. scamblock check evil.example 0xd90e2f925da726b50c4ed8d0fb90ad053324f31b")
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	off, err := service.LoadOffline(c.Context, cfg, nil)
	if err != nil {
		return cli.Exit(err.Error(), exitFailure)
	}
	if failed := requestedFeedsNotLoaded(cfg, off.Feeds); len(failed) > 0 {
		return cli.Exit("a feed asked for with --feed did not load, so a verdict would be wrong:\n  "+strings.Join(failed, "\n  ")+
			"\nfix the file (scamblock import FILE shows what is wrong with it) or leave it out", exitUsage)
	}
	out := c.App.Writer
	if !c.Bool("json") {
		for _, n := range off.Notes {
			fmt.Fprintln(c.App.ErrWriter, "note:", n)
		}
	}
	if off.Entries == 0 && !off.StoreInUse {
		fmt.Fprintf(c.App.ErrWriter, "warning: no list was loaded: the data directory %s holds no fetched feed and no feed file was given, so nothing can be found listed; "+
			"run `scamblock serve` with network access once (it fetches the feeds), or give a list with --feed PATH\n", cfg.Server.DataDir)
	}
	checkOne := verdict.New(off.Lists, nil).Check
	if off.StoreInUse {
		checkOne = askServer(c, cfg.Server.HTTPListen, checkOne)
	}
	listed, bad := false, []string{}
	enc := json.NewEncoder(out)
	for _, arg := range args {
		v, err := checkOne(arg)
		if err != nil {
			bad = append(bad, err.Error())
			if c.Bool("json") {
				_ = enc.Encode(map[string]string{"indicator": arg, "error": err.Error()})
			}
			continue
		}
		listed = listed || v.Listed
		if c.Bool("json") {
			if err := enc.Encode(v); err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			continue
		}
		printVerdict(out, v)
	}
	switch {
	case len(bad) > 0:
		return usageError("not a domain, URL or wallet address: %s", strings.Join(bad, "; "))
	case listed:
		return cli.Exit("", exitListed)
	}
	return nil
}

// askServer returns a verdict function that asks the running server, whose
// view includes the published submissions, and falls back to the offline
// lists when it does not answer.
func askServer(c *cli.Context, httpListen string, offline func(string) (verdict.Verdict, error)) func(string) (verdict.Verdict, error) {
	if httpListen == "" {
		return offline
	}
	client := &api.Client{Server: "http://" + httpListen, HTTP: &http.Client{Timeout: 3 * time.Second}}
	return func(indicator string) (verdict.Verdict, error) {
		var v verdict.Verdict
		err := client.Check(c.Context, indicator, &v)
		if err == nil {
			return v, nil
		}
		if api.StatusOf(err) == http.StatusBadRequest {
			return offline(indicator) // the offline check words the input error
		}
		fmt.Fprintf(c.App.ErrWriter, "note: the running server at %s did not answer (%v); checking offline, without the published submissions it holds\n", httpListen, err)
		return offline(indicator)
	}
}

func printVerdict(w io.Writer, v verdict.Verdict) {
	switch {
	case v.Address != nil:
		printAddress(w, v)
	case v.Domain != nil:
		printDomain(w, v)
	}
	for _, l := range v.Submissions {
		fmt.Fprintf(w, "  %s: submitted by %s, approved by %s on %s, expires %s", l.Source, l.Submitter, l.Reviewer, l.Published.Format("2006-01-02"), l.Expires.Format("2006-01-02"))
		if len(l.Evidence) > 0 {
			fmt.Fprintf(w, ", evidence %s", strings.Join(l.Evidence, " "))
		}
		fmt.Fprintln(w)
	}
}

func printAddress(w io.Writer, v verdict.Verdict) {
	a := v.Address
	state := "not listed"
	if v.Listed {
		state = "LISTED"
	}
	checked := "checksum " + a.Check
	if !a.Validated {
		checked = "not checksummed (" + a.Check + ")"
	}
	fmt.Fprintf(w, "%s: %s — %s address (%s), %s\n", v.Indicator, state, a.Chain, a.Type, checked)
	if a.Canonical != strings.TrimSpace(v.Indicator) {
		fmt.Fprintf(w, "  canonical form: %s\n", a.Canonical)
	}
	for _, l := range a.Listings {
		fmt.Fprintf(w, "  listed by %s%s%s%s\n", l.Source, lineOf(l.Line), categoryOf(l.Category), linksOf(l.Links))
	}
}

func printDomain(w io.Writer, v verdict.Verdict) {
	ex := v.Domain
	state := "not blocked"
	if ex.Blocked {
		state = "BLOCKED"
	} else if v.Listed {
		state = "LISTED (URL indicator; its host is not blocked)"
	}
	fmt.Fprintf(w, "%s: %s\n", v.Indicator, state)
	if d := ex.Decision; d != nil {
		fmt.Fprintf(w, "  decided by: %s %s by %s%s%s\n", d.Action, d.Name, d.Source, lineOf(d.Line), categoryOf(d.Category))
	}
	if c := ex.Consensus; c != nil {
		verdict := "guarded: one voice is not enough to block a popular site whole"
		if c.Blocked {
			verdict = "blocked whole: consensus reached"
			if c.Reviewed {
				verdict = "blocked whole: a reviewer approved a submission"
			}
		}
		fmt.Fprintf(w, "  consensus: %s is ranked #%d; listed by %d independent feed(s) (%s), %d needed; %s\n",
			c.Name, c.Rank, len(c.Publishers), strings.Join(c.Publishers, ", "), c.Needed, verdict)
	}
	if ex.UserAllow != "" {
		fmt.Fprintf(w, "  allowed: --allow %s covers it\n", ex.UserAllow)
	}
	for _, l := range ex.Listings {
		what := l.Action
		if l.Kind == lists.KindLookalike.String() {
			what = "look-alike target"
		}
		fmt.Fprintf(w, "  %s %s by %s%s%s: %s\n", what, l.Name, l.Source, lineOf(l.Line), categoryOf(l.Category), statusText(l.Status))
	}
	for _, l := range ex.URLs {
		fmt.Fprintf(w, "  URL %s by %s%s%s: %s\n", l.Name, l.Source, lineOf(l.Line), categoryOf(l.Category), statusText(l.Status))
	}
}

// statusText turns lists.Listing.Status into words.
func statusText(s string) string {
	switch {
	case s == "applied":
		return "applied"
	case strings.HasPrefix(s, "guarded:"):
		return "not applied: guarded (" + strings.TrimPrefix(s, "guarded:") + "): never blocked as a whole"
	case strings.HasPrefix(s, "allowed:"):
		return "not applied: " + strings.TrimPrefix(s, "allowed:") + " allows it"
	case s == "shadowed":
		return "not applied: a more specific or allowing entry decides"
	case s == "not-applicable":
		return "not applied: exact entry of a parent name"
	case s == "indicator":
		return "indicator only (does not block its host)"
	}
	return s
}

func lineOf(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", n)
}

func categoryOf(c string) string {
	if c == "" {
		return ""
	}
	return " [" + c + "]"
}

func linksOf(links []string) string {
	if len(links) == 0 {
		return ""
	}
	return " used by " + strings.Join(links, ", ")
}

// requestedFeedsNotLoaded names the feeds given on this command (--feed,
// SCAMBLOCK_FEED) that did not load, with the reason: a "not listed" from
// a list that was never read would be a false all-clear.
func requestedFeedsNotLoaded(cfg *config.Config, status []feeds.Status) []string {
	requested := map[string]bool{}
	var dirs []string // a directory given as --feed loads every file under it
	for _, f := range cfg.Feeds {
		if f.Source == "--feed" || f.Source == "SCAMBLOCK_FEED" {
			requested[f.DisplayName()], requested[f.URL] = true, true
			dirs = append(dirs, strings.TrimSuffix(f.URL, "/")+"/")
		}
	}
	inDir := func(url string) bool {
		return slices.ContainsFunc(dirs, func(d string) bool { return strings.HasPrefix(url, d) })
	}
	var failed []string
	for _, st := range status {
		if !requested[st.Name] && !requested[st.URL] && !inDir(st.URL) {
			continue
		}
		switch {
		case st.LastError != "":
			failed = append(failed, fmt.Sprintf("%s (%s): %s", st.Name, st.URL, st.LastError))
		case st.LastGood.IsZero() && st.Entries == 0:
			failed = append(failed, fmt.Sprintf("%s (%s): not loaded", st.Name, st.URL))
		}
	}
	return failed
}
