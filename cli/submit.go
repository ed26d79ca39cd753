package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
)

// SubmitCommand is `scamblock submit INDICATOR...`: send indicators to the
// API for review.
func SubmitCommand() *cli.Command {
	return &cli.Command{
		Name:      "submit",
		Usage:     "submit domains, URLs or wallet addresses for review",
		ArgsUsage: "INDICATOR... (or - to read one a line from stdin)",
		Description: "Sends the indicators to a running scamblock (its HTTP API) with the category, evidence\n" +
			"and note given. A reviewer other than you approves them before they block.\n\n" +
			"Example: scamblock submit evil-exchange.com 0x52908400098527886E0F7030069857D2E4169EE7 \\\n" +
			"           --category pig-butchering --evidence https://web.archive.org/web/2026/evil-exchange.com",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "category", Value: "scam", Usage: "phishing, scam, drainer, pig-butchering, ..."},
			&cli.StringSliceFlag{Name: "evidence", Usage: "an http(s) URL showing the scam (repeat for more)"},
			&cli.StringFlag{Name: "note", Usage: "what you saw, for the reviewer"},
		}, apiClientFlags()...),
		Action: func(c *cli.Context) error {
			indicators, err := submitIndicators(c)
			if err != nil {
				return err
			}
			req := api.SubmitRequest{Indicators: indicators, Category: c.String("category"),
				Evidence: c.StringSlice("evidence"), Note: c.String("note")}
			res, err := apiClient(c).Submit(c.Context, req)
			if err != nil {
				return apiExit(c, err, "submit")
			}
			if apiWantJSON(c) {
				return apiPrintJSON(c, res)
			}
			for _, r := range res.Results {
				s := r.Submission
				verb := "submitted"
				if r.Merged {
					verb = "merged into existing"
				}
				fmt.Fprintf(c.App.Writer, "%s %s: %s submission %d (%s, %d evidence URL(s))\n",
					s.Kind, s.Indicator, verb, s.ID, s.State, len(s.Evidence))
			}
			return nil
		},
	}
}

func submitIndicators(c *cli.Context) ([]string, error) {
	args, err := positionalArgs(c)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, cli.Exit("give at least one indicator: scamblock submit evil.example [--category C --evidence URL]", exitUsage)
	}
	if !slices.Equal(args, []string{"-"}) {
		return args, nil
	}
	var out []string
	sc := bufio.NewScanner(c.App.Reader)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, cli.Exit("read indicators from stdin: "+err.Error(), exitFailure)
	}
	if len(out) == 0 {
		return nil, cli.Exit("stdin held no indicators (one a line; # starts a comment)", exitUsage)
	}
	return out, nil
}

// apiRequire fails with a usage message when a required flag is empty (the
// check runs after apiArgs, so the flag may follow the arguments).
func apiRequire(c *cli.Context, names ...string) error {
	for _, n := range names {
		if c.String(n) == "" {
			return cli.Exit(fmt.Sprintf("--%s is required (see scamblock %s --help)", n, c.Command.FullName()), exitUsage)
		}
	}
	return nil
}

// apiClientFlags are the flags of every command that talks to the API.
func apiClientFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", Value: api.DefaultServer, EnvVars: []string{"SCAMBLOCK_SERVER"},
			Usage: "base URL of the scamblock HTTP API (serve --http-listen)"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"SCAMBLOCK_TOKEN"},
			Usage: "API token (prefer the SCAMBLOCK_TOKEN environment variable: flags show in ps)"},
		&cli.BoolFlag{Name: "json", Usage: "print JSON for scripts"},
	}
}

// apiFlag reads a flag from the nearest command that set it, so a global
// flag of the same name (--data-dir, --json) counts as well as this
// command's own; unset everywhere, this command's default.
func apiFlag(c *cli.Context, name string) string {
	for _, cc := range c.Lineage() {
		if slices.Contains(cc.LocalFlagNames(), name) {
			return cc.String(name)
		}
	}
	return c.String(name)
}

func apiWantJSON(c *cli.Context) bool {
	for _, cc := range c.Lineage() {
		if slices.Contains(cc.LocalFlagNames(), "json") {
			return cc.Bool("json")
		}
	}
	return c.Bool("json")
}

func apiClient(c *cli.Context) *api.Client {
	return &api.Client{Server: apiFlag(c, "server"), Token: apiFlag(c, "token")}
}

func apiPrintJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return cli.Exit("write output: "+err.Error(), exitFailure)
	}
	return nil
}

// apiExit turns an API client error into a cli.Exit that says how to fix it.
func apiExit(c *cli.Context, err error, what string) error {
	server := apiFlag(c, "server")
	var apiErr *api.Error
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &apiErr):
		switch apiErr.Status {
		case 401:
			return cli.Exit(fmt.Sprintf("%s: the server does not accept the token (%s); set SCAMBLOCK_TOKEN or --token "+
				"to a token from 'scamblock token create'", what, apiErr.Message), exitUsage)
		case 403:
			return cli.Exit(fmt.Sprintf("%s: not allowed: %s", what, apiErr.Message), exitUsage)
		case 429:
			return cli.Exit(fmt.Sprintf("%s: rate limited by the server; wait a minute and retry", what), exitFailure)
		}
		if apiErr.Status >= 500 {
			return cli.Exit(fmt.Sprintf("%s: the server failed (%d): %s; see its log", what, apiErr.Status, apiErr.Message), exitFailure)
		}
		return cli.Exit(fmt.Sprintf("%s: %s", what, apiErr.Message), exitUsage)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &opErr), errors.As(err, &netErr):
		return cli.Exit(fmt.Sprintf("%s: cannot reach the scamblock API at %s (%v); is 'scamblock serve' running "+
			"with --http-listen? Use --server to point elsewhere", what, server, err), exitFailure)
	}
	return cli.Exit(fmt.Sprintf("%s: %v", what, err), exitFailure)
}
