package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/store"
)

// ReviewCommand is `scamblock review list|approve|reject|appeals|delist|dismiss`,
// the reviewer's side of submissions and appeals.
func ReviewCommand() *cli.Command {
	flags := func(extra ...cli.Flag) []cli.Flag { return append(extra, apiClientFlags()...) }
	reason := func(required bool) cli.Flag {
		usage := "why, for the submitter and the audit log"
		if required {
			usage += " (required)"
		}
		return &cli.StringFlag{Name: "reason", Usage: usage}
	}
	return &cli.Command{
		Name:  "review",
		Usage: "review submissions and appeals (reviewer token)",
		Description: "scamblock review list                      pending submissions\n" +
			"scamblock review approve ID [--ttl-days N]  publish (blocks within a second)\n" +
			"scamblock review reject ID --reason R\n" +
			"scamblock review appeals                    open appeals\n" +
			"scamblock review delist APPEAL_ID           uphold an appeal: unpublish the indicator\n" +
			"scamblock review dismiss APPEAL_ID          keep the listing",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list submissions",
				Flags:  flags(&cli.StringFlag{Name: "state", Value: "pending", Usage: "pending, approved, rejected, expired, delisted or all"}),
				Action: reviewList,
			},
			{
				Name: "approve", Usage: "approve a submission (not your own)", ArgsUsage: "ID",
				Flags:  flags(reason(false), &cli.IntFlag{Name: "ttl-days", Usage: "publish for this many days (default 180)"}),
				Action: reviewDecide("approve"),
			},
			{Name: "reject", Usage: "reject a submission", ArgsUsage: "ID", Flags: flags(reason(true)), Action: reviewDecide("reject")},
			{
				Name: "appeals", Usage: "list appeals",
				Flags:  flags(&cli.StringFlag{Name: "state", Value: "open", Usage: "open, delisted, dismissed or all"}),
				Action: reviewAppeals,
			},
			{Name: "delist", Usage: "uphold an appeal and unpublish its indicator", ArgsUsage: "APPEAL_ID", Flags: flags(reason(false)), Action: reviewDecide("delist")},
			{Name: "dismiss", Usage: "dismiss an appeal", ArgsUsage: "APPEAL_ID", Flags: flags(reason(false)), Action: reviewDecide("dismiss")},
		},
	}
}

func reviewState(c *cli.Context) string {
	if s := c.String("state"); s != "all" {
		return s
	}
	return ""
}

func reviewList(c *cli.Context) error {
	if _, err := positionalArgs(c); err != nil {
		return err
	}
	subs, err := apiClient(c).Submissions(c.Context, reviewState(c))
	if err != nil {
		return apiExit(c, err, "list submissions")
	}
	if apiWantJSON(c) {
		if subs == nil {
			subs = []store.Submission{}
		}
		return apiPrintJSON(c, api.SubmissionsResponse{Submissions: subs})
	}
	if len(subs) == 0 {
		fmt.Fprintf(c.App.Writer, "no %s submissions\n", c.String("state"))
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tINDICATOR\tCATEGORY\tSUBMITTERS\tCREATED\tEVIDENCE")
	for _, s := range subs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, s.Kind, s.Indicator, s.Category,
			strings.Join(s.Submitters, ","), s.Created.Format("2006-01-02 15:04"), reviewFirst(s.Evidence))
	}
	return tw.Flush()
}

func reviewFirst(ev []string) string {
	switch len(ev) {
	case 0:
		return "-"
	case 1:
		return ev[0]
	}
	return fmt.Sprintf("%s (+%d)", ev[0], len(ev)-1)
}

func reviewAppeals(c *cli.Context) error {
	if _, err := positionalArgs(c); err != nil {
		return err
	}
	aps, err := apiClient(c).Appeals(c.Context, reviewState(c))
	if err != nil {
		return apiExit(c, err, "list appeals")
	}
	if apiWantJSON(c) {
		if aps == nil {
			aps = []store.Appeal{}
		}
		return apiPrintJSON(c, api.AppealsResponse{Appeals: aps})
	}
	if len(aps) == 0 {
		fmt.Fprintf(c.App.Writer, "no %s appeals\n", c.String("state"))
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tINDICATOR\tSUBMISSION\tCREATED\tCONTACT\tREASON")
	for _, a := range aps {
		sub := "-" // not published by a submission (a feed may list it)
		if a.SubmissionID != 0 {
			sub = strconv.FormatUint(a.SubmissionID, 10)
		}
		contact := a.Contact
		if contact == "" {
			contact = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.Indicator, sub,
			a.Created.Format("2006-01-02 15:04"), contact, a.Reason)
	}
	return tw.Flush()
}

func reviewDecide(action string) cli.ActionFunc {
	return func(c *cli.Context) error {
		what := "submission"
		if action == "delist" || action == "dismiss" {
			what = "appeal"
		}
		args, err := positionalArgs(c)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return cli.Exit(fmt.Sprintf("give one %s id: scamblock review %s ID (see scamblock review list)", what, action), exitUsage)
		}
		if action == "reject" {
			if err := apiRequire(c, "reason"); err != nil {
				return err
			}
		}
		id, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil || id == 0 {
			return cli.Exit(fmt.Sprintf("%q is not a %s id (a positive number from scamblock review list)", args[0], what), exitUsage)
		}
		req := api.DecisionRequest{Reason: c.String("reason")}
		if c.Command.Name == "approve" {
			req.TTLDays = c.Int("ttl-days")
		}
		cl := apiClient(c)
		var out any
		var line string
		switch action {
		case "approve", "reject":
			call := cl.Approve
			if action == "reject" {
				call = cl.Reject
			}
			sub, err := call(c.Context, id, req)
			if err != nil {
				return apiExit(c, err, action+" submission "+strconv.FormatUint(id, 10))
			}
			out, line = sub, fmt.Sprintf("submission %d %s: %s", sub.ID, sub.Indicator, sub.State)
			if sub.State == store.StateApproved {
				line += " until " + sub.Expires.Format("2006-01-02")
			}
		case "delist":
			res, err := cl.DelistAppeal(c.Context, id, req)
			if err != nil {
				return apiExit(c, err, "delist appeal "+strconv.FormatUint(id, 10))
			}
			out, line = res, fmt.Sprintf("appeal %d upheld: %s delisted (submission %d)", res.Appeal.ID, res.Appeal.Indicator, res.Submission.ID)
		case "dismiss":
			ap, err := cl.DismissAppeal(c.Context, id, req)
			if err != nil {
				return apiExit(c, err, "dismiss appeal "+strconv.FormatUint(id, 10))
			}
			out, line = ap, fmt.Sprintf("appeal %d dismissed: %s stays listed", ap.ID, ap.Indicator)
		}
		if apiWantJSON(c) {
			return apiPrintJSON(c, out)
		}
		fmt.Fprintln(c.App.Writer, line)
		return nil
	}
}
