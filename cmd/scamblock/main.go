// Command scamblock is a DNS resolver that blocks scam investment sites and
// knows scam crypto wallets. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.App().RunContext(ctx, os.Args)
	os.Exit(exitCode(err))
}

// exitCode maps an error to the process exit status: the code a command
// chose with cli.Exit, 2 for anything else (usage or setup errors).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var coder ucli.ExitCoder
	if errors.As(err, &coder) {
		if msg := coder.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "scamblock:", msg)
		}
		return coder.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "scamblock:", err)
	return 2
}
