// Package cli holds scamblock's commands: one file per command, each parsing
// its flags, calling a package that does the work, and returning cli.Exit
// with a message that says what was wrong and how to fix it.
package cli

import (
	"github.com/urfave/cli/v2"
)

// Exit codes shared by the commands.
const (
	exitOK      = 0
	exitListed  = 1 // check: something is listed
	exitUsage   = 2 // bad input or configuration
	exitFailure = 3 // the work itself failed (I/O, network, database)
)

// App builds the scamblock command-line application.
func App() *cli.App {
	return &cli.App{
		Name:  "scamblock",
		Usage: "a DNS resolver that blocks scam investment sites and knows scam crypto wallets",
		Description: "scamblock answers DNS through upstream resolvers and answers names on public scam\n" +
			"feeds (and their subdomains) with a block response that says why (EDE 15, RFC 8914).",
		Commands: []*cli.Command{
			serveCommand(),
			checkCommand(),
			importCommand(),
			feedsCommand(),
			TokenCommand(),
			SubmitCommand(),
			ReviewCommand(),
			AppealCommand(),
			ExportCommand(),
			configCommand(),
			healthCommand(),
			versionCommand(),
		},
		EnableBashCompletion: true,
		// main decides exit codes and prints the message once.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}
