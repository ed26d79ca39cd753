package catalogue

import (
	"os/exec"
	"strings"
	"testing"
)

// The query path and the packages it shares must not carry go-memdb: the
// catalogue is for people's questions, not for packets.
func TestQueryPathDoesNotImportTheCatalogue(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot list dependencies")
	}
	cmd := exec.Command(gobin, "list", "-deps", "./resolver/...", "./rpz/...", "./wallet/...", "./lists/...")
	cmd.Dir = ".." // the module root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/hashicorp/go-memdb" || pkg == "github.com/scamblock/scamblock/catalogue" {
			t.Errorf("resolver, rpz, wallet or lists depend on %s; keep the catalogue off the query path", pkg)
		}
	}
}
