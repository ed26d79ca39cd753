package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// positionalArgs returns the command's positional arguments after applying the
// flags written among or after them ("submit evil.example --category
// phishing"): urfave/cli v2, like package flag, stops parsing flags at the
// first argument. "--" ends flag parsing.
func positionalArgs(c *cli.Context) ([]string, error) {
	known := map[string]bool{} // name → is a bool flag
	for _, f := range c.Command.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			known[n] = isBool
		}
	}
	in := c.Args().Slice()
	var pos []string
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			pos = append(pos, in[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		isBool, ok := known[name]
		if !ok {
			return nil, cli.Exit(fmt.Sprintf("unknown flag %s (see scamblock %s --help)", a, c.Command.FullName()), exitUsage)
		}
		if !hasVal {
			if isBool {
				val = "true"
			} else if i+1 < len(in) {
				i++
				val = in[i]
			} else {
				return nil, cli.Exit(fmt.Sprintf("flag %s needs a value", a), exitUsage)
			}
		}
		if err := c.Set(name, val); err != nil {
			return nil, cli.Exit(fmt.Sprintf("flag %s: %v", a, err), exitUsage)
		}
	}
	return pos, nil
}
