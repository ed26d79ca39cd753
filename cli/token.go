package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/store"
)

// TokenCommand is `scamblock token create|list|revoke`. It works offline on
// the data directory (that is how the first admin token is made, with the
// server stopped) or, with --server, through the API with an admin token.
func TokenCommand() *cli.Command {
	flags := func(extra ...cli.Flag) []cli.Flag {
		extra = append(extra, settingFlags(config.ScopeData)...) // --config, --data-dir: offline mode
		return append(extra,
			&cli.StringFlag{Name: "server", EnvVars: []string{"SCAMBLOCK_SERVER"},
				Usage: "manage tokens through this API (e.g. " + api.DefaultServer + ") instead of the data directory"},
			&cli.StringFlag{Name: "token", EnvVars: []string{"SCAMBLOCK_TOKEN"}, Usage: "admin token, with --server"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON for scripts"},
		)
	}
	return &cli.Command{
		Name:  "token",
		Usage: "create, list and revoke API tokens",
		Description: "Tokens authenticate researchers (submitter), reviewers (reviewer) and administrators (admin).\n" +
			"Only a SHA-256 hash is stored; the token itself is printed once, on the last line.\n\n" +
			"First admin, with the server stopped:  scamblock token create --role admin --name alice\n" +
			"Later, through the running server:     scamblock token create --server " + api.DefaultServer + " --role submitter --name bob",
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create a token and print it once",
				Flags: flags(
					&cli.StringFlag{Name: "role", Usage: "submitter, reviewer or admin (required)"},
					&cli.StringFlag{Name: "name", Usage: "who holds it, unique among active tokens (required)"},
				),
				Action: tokenCreate,
			},
			{Name: "list", Usage: "list tokens (never their secrets)", Flags: flags(), Action: tokenList},
			{Name: "revoke", Usage: "revoke a token by name or id", ArgsUsage: "NAME|ID", Flags: flags(), Action: tokenRevoke},
		},
	}
}

// tokenOffline reports whether to work on the data directory.
func tokenOffline(c *cli.Context) bool { return apiFlag(c, "server") == "" }

func tokenOpenStore(c *cli.Context) (*store.Store, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	dir := cfg.Server.DataDir
	s, err := store.Open(dir, store.Options{})
	if errors.Is(err, store.ErrInUse) {
		return nil, cli.Exit(fmt.Sprintf("%v\nWhile the server runs, manage tokens through it: scamblock token %s --server %s "+
			"(with an admin token in SCAMBLOCK_TOKEN)", err, c.Command.Name, api.DefaultServer), exitFailure)
	}
	if err != nil {
		return nil, cli.Exit(fmt.Sprintf("%v (check --data-dir %q)", err, dir), exitFailure)
	}
	return s, nil
}

func tokenCreate(c *cli.Context) error {
	if args, err := positionalArgs(c); err != nil {
		return err
	} else if len(args) != 0 {
		return cli.Exit("token create takes no arguments: scamblock token create --role ROLE --name NAME", exitUsage)
	}
	if err := apiRequire(c, "role", "name"); err != nil {
		return err
	}
	role, err := store.ParseRole(c.String("role"))
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	name := c.String("name")
	if !store.ValidTokenName(name) {
		return cli.Exit(fmt.Sprintf("--name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", name), exitUsage)
	}
	var created api.TokenCreated
	if tokenOffline(c) {
		s, err := tokenOpenStore(c)
		if err != nil {
			return err
		}
		defer s.Close()
		secret, tok, err := s.CreateToken(name, role, "cli")
		if errors.Is(err, store.ErrNameTaken) {
			return cli.Exit(err.Error(), exitUsage)
		}
		if err != nil {
			return cli.Exit(err.Error(), exitFailure)
		}
		created = api.TokenCreated{TokenView: api.ViewToken(tok), Token: secret}
	} else {
		created, err = apiClient(c).CreateToken(c.Context, api.TokenRequest{Name: name, Role: string(role)})
		if err != nil {
			return apiExit(c, err, "create token")
		}
	}
	if apiWantJSON(c) {
		return apiPrintJSON(c, created)
	}
	fmt.Fprintf(c.App.ErrWriter, "created token %d %q with role %s; it is shown only this once, store it now:\n",
		created.ID, created.Name, created.Role)
	fmt.Fprintln(c.App.Writer, created.Token)
	return nil
}

func tokenList(c *cli.Context) error {
	if _, err := positionalArgs(c); err != nil {
		return err
	}
	var views []api.TokenView
	if tokenOffline(c) {
		s, err := tokenOpenStore(c)
		if err != nil {
			return err
		}
		defer s.Close()
		toks, err := s.Tokens()
		if err != nil {
			return cli.Exit(err.Error(), exitFailure)
		}
		for _, t := range toks {
			views = append(views, api.ViewToken(t))
		}
	} else {
		var err error
		if views, err = apiClient(c).Tokens(c.Context); err != nil {
			return apiExit(c, err, "list tokens")
		}
	}
	if apiWantJSON(c) {
		if views == nil {
			views = []api.TokenView{}
		}
		return apiPrintJSON(c, api.TokensResponse{Tokens: views})
	}
	if len(views) == 0 {
		fmt.Fprintln(c.App.Writer, "no tokens yet: scamblock token create --role admin --name NAME")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
	for _, v := range views {
		revoked := "-"
		if v.Revoked != "" {
			revoked = tokenDate(v.Revoked)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Role, tokenDate(v.Created), revoked)
	}
	return tw.Flush()
}

func tokenDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02 15:04")
}

func tokenRevoke(c *cli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return cli.Exit("give the token's name or id: scamblock token revoke NAME|ID (see scamblock token list)", exitUsage)
	}
	target := args[0]
	var view api.TokenView
	if tokenOffline(c) {
		s, err := tokenOpenStore(c)
		if err != nil {
			return err
		}
		defer s.Close()
		tok, err := s.RevokeToken(target, "cli")
		if errors.Is(err, store.ErrNotFound) {
			return cli.Exit(err.Error()+" (see scamblock token list)", exitUsage)
		}
		if err != nil {
			return cli.Exit(err.Error(), exitFailure)
		}
		view = api.ViewToken(tok)
	} else {
		if view, err = apiClient(c).RevokeToken(c.Context, target); err != nil {
			return apiExit(c, err, "revoke token")
		}
	}
	if apiWantJSON(c) {
		return apiPrintJSON(c, view)
	}
	fmt.Fprintf(c.App.Writer, "revoked token %d %q (%s)\n", view.ID, view.Name, view.Role)
	return nil
}
