package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
)

// AppealCommand is `scamblock appeal INDICATOR --reason R [--contact C]`:
// report a listing as wrong. It needs no token.
func AppealCommand() *cli.Command {
	return &cli.Command{
		Name:      "appeal",
		Usage:     "report a wrongly listed domain, URL or wallet address",
		ArgsUsage: "INDICATOR",
		Description: "Files an appeal that a reviewer reads; no token is needed. If they agree, the listing is\n" +
			"removed within a second and the decision is kept in the audit log.\n\n" +
			"Example: scamblock appeal my-bakery.com --reason 'this is our shop' --contact owner@my-bakery.com",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "reason", Usage: "why the listing is wrong (required)"},
			&cli.StringFlag{Name: "contact", Usage: "e-mail or URL where the reviewer can answer"},
		}, apiClientFlags()...),
		Action: func(c *cli.Context) error {
			args, err := positionalArgs(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return cli.Exit("give one indicator: scamblock appeal INDICATOR --reason WHY [--contact EMAIL]", exitUsage)
			}
			if err := apiRequire(c, "reason"); err != nil {
				return err
			}
			cl := apiClient(c)
			cl.Token = "" // appeals are public; do not send a token that is not needed
			ap, err := cl.Appeal(c.Context, api.AppealRequest{
				Indicator: args[0], Reason: c.String("reason"), Contact: c.String("contact"),
			})
			if err != nil {
				return apiExit(c, err, "appeal")
			}
			if apiWantJSON(c) {
				return apiPrintJSON(c, ap)
			}
			fmt.Fprintf(c.App.Writer, "appeal %d filed for %s; a reviewer will decide", ap.ID, ap.Indicator)
			if ap.SubmissionID == 0 {
				fmt.Fprintf(c.App.Writer, " (no submission lists it; if a feed does, the feed's maintainers decide)")
			}
			fmt.Fprintln(c.App.Writer)
			return nil
		},
	}
}
