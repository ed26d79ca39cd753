package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/config"
)

// configCommand is `scamblock config reference`: the reference of every
// setting, generated from the settings model. docs/configuration.md is its
// output (go test ./config fails when they differ). Hidden: it is for the
// docs, not for running scamblock.
func configCommand() *cli.Command {
	return &cli.Command{
		Name:   "config",
		Usage:  "about the settings model",
		Hidden: true,
		Subcommands: []*cli.Command{{
			Name:  "reference",
			Usage: "print docs/configuration.md: every flag, environment variable and YAML key with its default",
			Action: func(c *cli.Context) error {
				if err := config.WriteReference(c.App.Writer); err != nil {
					return cli.Exit(err.Error(), exitFailure)
				}
				return nil
			},
		}},
	}
}
