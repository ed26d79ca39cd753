package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
)

// ExportCommand is `scamblock export --format F [--output FILE]`: the
// published submissions in a format other tools read.
func ExportCommand() *cli.Command {
	formats := api.ExportFormats()
	return &cli.Command{
		Name:  "export",
		Usage: "export the published submissions (" + strings.Join(formats, ", ") + ")",
		Description: "domains: one name a line; hosts: 0.0.0.0 NAME; rpz: a zone file (load it under any zone name);\n" +
			"json and csv: with attribution and evidence; stix: a STIX 2.1 bundle.\n\n" +
			"Example: scamblock export --format rpz --output /etc/bind/scamblock.rpz",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Value: "domains", Usage: strings.Join(formats, ", ")},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to this file (atomically) instead of stdout"},
		}, apiClientFlags()...),
		Action: func(c *cli.Context) error {
			if args, err := positionalArgs(c); err != nil {
				return err
			} else if len(args) != 0 {
				return cli.Exit("export takes no arguments: scamblock export --format F [--output FILE]", exitUsage)
			}
			format := c.String("format")
			if !slices.Contains(formats, format) {
				return cli.Exit(fmt.Sprintf("--format %q: use one of %s", format, strings.Join(formats, ", ")), exitUsage)
			}
			var buf bytes.Buffer
			if err := apiClient(c).Export(c.Context, format, &buf); err != nil {
				return apiExit(c, err, "export")
			}
			out := c.String("output")
			if out == "" {
				if _, err := c.App.Writer.Write(buf.Bytes()); err != nil {
					return cli.Exit("write output: "+err.Error(), exitFailure)
				}
				return nil
			}
			if err := exportWriteFile(out, buf.Bytes()); err != nil {
				return cli.Exit(fmt.Sprintf("write %s: %v (check the directory exists and is writable)", out, err), exitFailure)
			}
			fmt.Fprintf(c.App.ErrWriter, "wrote %d bytes of %s to %s\n", buf.Len(), format, out)
			return nil
		},
	}
}

// exportWriteFile replaces path with data atomically: a reader (a DNS
// server reloading the zone) sees the old file or the new one, never half.
func exportWriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
