package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/store"
)

// runAPICommand runs one of the API commands the way main does and returns
// stdout, stderr and the exit code (0 on success).
func runAPICommand(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{
		Name:           "scamblock",
		Commands:       []*cli.Command{TokenCommand(), SubmitCommand(), ReviewCommand(), AppealCommand(), ExportCommand()},
		Reader:         strings.NewReader(stdin),
		Writer:         &out,
		ErrWriter:      &errOut,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.Run(append([]string{"scamblock"}, args...))
	code := 0
	if err != nil {
		code = 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func TestTokenCreateOfflinePrintsTheTokenLast(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, errOut, code := runAPICommand(t, "", "token", "create", "--data-dir", dir, "--role", "admin", "--name", "alice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "sbk_") || strings.Contains(secret, " ") {
		t.Fatalf("last line %q is not the token alone", secret)
	}
	if !strings.Contains(errOut, "shown only this once") {
		t.Errorf("no warning that the token is shown once: %q", errOut)
	}

	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Authenticate(secret)
	s.Close()
	if err != nil || tok.Role != store.RoleAdmin {
		t.Fatalf("printed token does not authenticate as admin: %+v %v", tok, err)
	}

	out, _, code = runAPICommand(t, "", "token", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "alice") || strings.Contains(out, secret) {
		t.Fatalf("list (exit %d): %s", code, out)
	}
	if _, errOut, code := runAPICommand(t, "", "token", "create", "--data-dir", dir, "--role", "admin", "--name", "alice"); code != exitUsage || !strings.Contains(errOut, "revoke it first") {
		t.Fatalf("duplicate name: exit %d %s", code, errOut)
	}
	if _, errOut, code := runAPICommand(t, "", "token", "create", "--data-dir", dir, "--role", "root", "--name", "bob"); code != exitUsage || !strings.Contains(errOut, "submitter, reviewer or admin") {
		t.Fatalf("bad role: exit %d %s", code, errOut)
	}
	if out, _, code := runAPICommand(t, "", "token", "revoke", "--data-dir", dir, "alice"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: exit %d %s", code, out)
	}
	if _, errOut, code := runAPICommand(t, "", "token", "revoke", "--data-dir", dir, "alice"); code != exitUsage || !strings.Contains(errOut, "token list") {
		t.Fatalf("revoke twice: exit %d %s", code, errOut)
	}
}

func TestTokenCreateWhileTheServerRunsSaysHow(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, errOut, code := runAPICommand(t, "", "token", "create", "--data-dir", dir, "--role", "admin", "--name", "x")
	if code != exitFailure || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, "--server") ||
		!strings.Contains(errOut, "pid "+itoa(os.Getpid())) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// apiServer serves the real API over a store with tokens for sam
// (submitter), rita and ray (reviewers) and ada (admin).
func apiServer(t *testing.T) (string, map[string]string, *store.Store) {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tokens := map[string]string{}
	for name, role := range map[string]store.Role{"sam": store.RoleSubmitter, "rita": store.RoleReviewer, "ray": store.RoleReviewer, "ada": store.RoleAdmin} {
		secret, _, err := s.CreateToken(name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = secret
	}
	srv := httptest.NewServer(api.New(api.Options{Store: s}))
	t.Cleanup(srv.Close)
	return srv.URL, tokens, s
}

func TestReviewFlowThroughTheCLI(t *testing.T) {
	url, tok, s := apiServer(t)
	as := func(user string, args ...string) (string, string, int) {
		t.Helper()
		full := append(args, "--server", url)
		if user != "" {
			full = append(full, "--token", tok[user])
		}
		return runAPICommand(t, "", full...)
	}
	steps := []struct {
		name     string
		user     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"submit needs a token", "", []string{"submit", "evil-exchange.com"}, exitUsage, "SCAMBLOCK_TOKEN"},
		{"submit two indicators", "sam", []string{"submit", "evil-exchange.com", "https://phish.net/login", "--category", "phishing",
			"--evidence", "https://archive.org/x"}, 0, "domain evil-exchange.com: submitted submission 1 (pending, 1 evidence URL(s))"},
		{"invalid indicator names the field", "sam", []string{"submit", "192.0.2.1"}, exitUsage, "indicators[0]"},
		{"guarded name is refused", "sam", []string{"submit", "google.com"}, exitUsage, "popular"},
		{"submitter cannot list pending as reviewer sees it", "sam", []string{"review", "approve", "1"}, exitUsage, "not allowed"},
		{"reviewer lists pending", "rita", []string{"review", "list"}, 0, "evil-exchange.com"},
		{"reviewer approves", "rita", []string{"review", "approve", "1", "--ttl-days", "30"}, 0, "submission 1 evil-exchange.com: approved until"},
		{"reject needs a reason", "rita", []string{"review", "reject", "2"}, exitUsage, "reason"},
		{"reviewer rejects", "ray", []string{"review", "reject", "2", "--reason", "dead link"}, 0, "rejected"},
		{"approve twice is a conflict", "ray", []string{"review", "approve", "1"}, exitUsage, "conflict"},
		{"bad id says where to find one", "ray", []string{"review", "approve", "x1"}, exitUsage, "review list"},
		{"export lists the approved name", "", []string{"export", "--format", "domains"}, 0, "evil-exchange.com\n"},
		{"export refuses an unknown format", "", []string{"export", "--format", "xml"}, exitUsage, "use one of"},
		{"anyone appeals", "", []string{"appeal", "evil-exchange.com", "--reason", "my shop", "--contact", "me@shop.com"}, 0, "appeal 1 filed"},
		{"reviewer lists appeals", "rita", []string{"review", "appeals"}, 0, "my shop"},
		{"reviewer delists", "rita", []string{"review", "delist", "1", "--reason", "verified owner"}, 0, "evil-exchange.com delisted"},
		{"export is empty again", "", []string{"export"}, 0, ""},
	}
	for _, st := range steps {
		out, errOut, code := as(st.user, st.args...)
		if code != st.wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", st.name, code, st.wantCode, out, errOut)
		}
		got := out
		if code != 0 {
			got = errOut
		}
		if !strings.Contains(got, st.wantOut) || (st.wantOut == "" && got != "") {
			t.Fatalf("%s: output %q does not contain %q", st.name, got, st.wantOut)
		}
	}
	if pub, _ := s.Published(); len(pub) != 0 {
		t.Fatalf("published after delist: %+v", pub)
	}
}

func TestCLIJSONOutputParses(t *testing.T) {
	url, tok, _ := apiServer(t)
	out, errOut, code := runAPICommand(t, "a-scam.com\n# comment\nb-scam.com\n", "submit", "-", "--json", "--server", url, "--token", tok["sam"])
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res api.SubmitResponse
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 2 {
		t.Fatalf("submit --json: %v %s", err, out)
	}
	out, _, _ = runAPICommand(t, "", "review", "list", "--json", "--server", url, "--token", tok["rita"])
	var subs api.SubmissionsResponse
	if err := json.Unmarshal([]byte(out), &subs); err != nil || len(subs.Submissions) != 2 {
		t.Fatalf("review list --json: %v %s", err, out)
	}
	out, _, code = runAPICommand(t, "", "token", "create", "--json", "--server", url, "--token", tok["ada"], "--role", "submitter", "--name", "new")
	var created api.TokenCreated
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil || !strings.HasPrefix(created.Token, "sbk_") {
		t.Fatalf("token create through the API --json: exit %d %v %s", code, err, out)
	}
}

func TestUnreachableServerSaysHowToFix(t *testing.T) {
	_, errOut, code := runAPICommand(t, "", "submit", "a-scam.com", "--server", "http://127.0.0.1:1", "--token", "x")
	if code != exitFailure || !strings.Contains(errOut, "cannot reach the scamblock API") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestExportToFileIsAtomic(t *testing.T) {
	url, tok, _ := apiServer(t)
	runAPICommand(t, "", "submit", "zone-scam.com", "--server", url, "--token", tok["sam"])
	runAPICommand(t, "", "review", "approve", "1", "--server", url, "--token", tok["rita"])
	path := filepath.Join(t.TempDir(), "scam.rpz")
	if _, errOut, code := runAPICommand(t, "", "export", "--format", "rpz", "-o", path, "--server", url); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "*.zone-scam.com CNAME .") {
		t.Fatalf("%v %s", err, b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}
