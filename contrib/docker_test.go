package contrib

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scamblock/scamblock/cli"
)

// dockerfile is the root Dockerfile as instructions: keyword → arguments,
// continuation lines joined.
func dockerfile(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	ins := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		ins[strings.ToUpper(kw)] = append(ins[strings.ToUpper(kw)], strings.TrimSpace(rest))
	}
	return ins
}

// TestDockerfile: base images pinned by digest, a non-root user, state on
// the /data volume, a HEALTHCHECK running `scamblock health` with flags the
// command has, and serve started with flags of the settings model on the
// port the image exposes.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	pinned := regexp.MustCompile(`^\S+:\S+@sha256:[0-9a-f]{64}( AS \w+)?$`)
	if len(ins["FROM"]) < 2 {
		t.Fatalf("FROM %q: want a build stage and a runtime stage", ins["FROM"])
	}
	for _, from := range ins["FROM"] {
		if !pinned.MatchString(from) {
			t.Errorf("FROM %s is not pinned by digest (name:tag@sha256:...)", from)
		}
	}
	if got := ins["VOLUME"]; !slices.Equal(got, []string{"/data"}) {
		t.Errorf("VOLUME %q, want /data", got)
	}
	if got := ins["USER"]; len(got) != 1 || strings.HasPrefix(got[0], "0") || strings.HasPrefix(got[0], "root") {
		t.Errorf("USER %q: want a non-root user", got)
	}
	if !slices.Contains(ins["EXPOSE"], "5335/udp 5335/tcp 8335/tcp") {
		t.Errorf("EXPOSE %q: want DNS on 5335 (UDP and TCP) and HTTP on 8335", ins["EXPOSE"])
	}
	var cmd []string
	if c := ins["CMD"]; len(c) != 1 || yaml.Unmarshal([]byte(c[0]), &cmd) != nil {
		t.Fatalf("CMD %q: want one JSON array", c)
	}
	want := []string{"serve", "--dns-listen", "0.0.0.0:5335", "--http-listen", "0.0.0.0:8335", "--data-dir", "/data"}
	if !slices.Equal(cmd, want) {
		t.Errorf("CMD %q, want %q", cmd, want)
	}

	hc := ins["HEALTHCHECK"]
	if len(hc) != 1 {
		t.Fatalf("HEALTHCHECK %q: want one", hc)
	}
	_, exec, ok := strings.Cut(hc[0], "CMD ")
	var args []string
	if !ok || yaml.Unmarshal([]byte(exec), &args) != nil || len(args) < 2 || args[0] != "/usr/local/bin/scamblock" || args[1] != "health" {
		t.Fatalf("HEALTHCHECK %q: want CMD [\"/usr/local/bin/scamblock\", \"health\", ...]", hc[0])
	}
	checkHealthFlags(t, args[2:])
}

// checkHealthFlags parses the HEALTHCHECK's arguments with the health
// command's own flags (without running it).
func checkHealthFlags(t *testing.T, args []string) {
	t.Helper()
	var health bool
	for _, c := range cli.App().Commands {
		health = health || c.Name == "health"
	}
	if !health {
		t.Skip("`scamblock health` is not a command of this build yet: HEALTHCHECK flags not checked")
	}
	for _, c := range cli.App().Commands {
		if c.Name != "health" {
			continue
		}
		flags := map[string]bool{}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				flags[n] = true
			}
		}
		for _, a := range args {
			if name, ok := strings.CutPrefix(a, "--"); ok && !flags[name] {
				t.Errorf("HEALTHCHECK flag %s is not a flag of `scamblock health`", a)
			}
		}
	}
}

// TestDockerignore: the build context leaves out the repository's history,
// state and test data, and keeps every Go source and embedded file.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for _, want := range []string{".git", "scamblock-data", "**/testdata"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, ".go") || strings.Contains(l, ".txt") || l == "*" || l == "lists" || l == "cmd" {
			t.Errorf(".dockerignore line %q would leave out sources or embedded lists", l)
		}
	}
}

// TestComposePublishesDNS: compose.yaml publishes port 53 over UDP and TCP
// to the container's DNS port, keeps the state in a named volume at /data
// and builds this Dockerfile.
func TestComposePublishesDNS(t *testing.T) {
	b, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build   string            `yaml:"build"`
			Ports   []string          `yaml:"ports"`
			Volumes []string          `yaml:"volumes"`
			Env     map[string]string `yaml:"environment"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	s, ok := c.Services["scamblock"]
	if !ok {
		t.Fatal("compose.yaml has no service scamblock")
	}
	for _, want := range []string{"53:5335/udp", "53:5335/tcp"} {
		if !slices.Contains(s.Ports, want) {
			t.Errorf("ports %q lack %s", s.Ports, want)
		}
	}
	if !slices.Contains(s.Volumes, "scamblock-data:/data") {
		t.Errorf("volumes %q: want scamblock-data:/data", s.Volumes)
	}
	if _, ok := c.Volumes["scamblock-data"]; !ok {
		t.Error("the named volume scamblock-data is not declared")
	}
	if s.Build != "." {
		t.Errorf("build %q, want . (this Dockerfile)", s.Build)
	}
	for k := range s.Env {
		if !strings.HasPrefix(k, "SCAMBLOCK_") && k != "GOMEMLIMIT" {
			t.Errorf("environment %s is not a setting", k)
		}
	}
}

// TestDockerBuild builds the image where a Docker daemon answers (and can
// reach the registry for the pinned base images).
func TestDockerBuild(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: the image is not built here")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, docker, "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon answers here (%v): the image is not built\n%s", err, lastLine(out))
	}
	if testing.Short() {
		t.Skip("-short: the image build is long")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, docker, "build", "-t", "scamblock:test", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
