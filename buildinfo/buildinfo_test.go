package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestLinkerValuesWin(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	if got := fromBuild("v1.2.0", "deadbeef", "2026-12-01", read); got.Version != "v1.2.0" || got.Commit != "deadbeef" || got.Date != "2026-12-01" {
		t.Errorf("ldflags values: %+v", got)
	}
	got := fromBuild("", "", "", read)
	if got.Version != "(devel)" || got.Commit != "abc123+dirty" || got.Date != "2026-01-02T03:04:05Z" || got.GoVersion != "go1.26.0" {
		t.Errorf("build info values: %+v", got)
	}
	none := fromBuild("", "", "", func() (*debug.BuildInfo, bool) { return nil, false })
	if none.Version != "unknown" || none.Commit != "unknown" || none.Date != "unknown" {
		t.Errorf("nothing known: %+v", none)
	}
}

// TestLdflagsReachTheBinary builds scamblock with -ldflags -X and runs
// `scamblock version`.
func TestLdflagsReachTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "scamblock")
	pkg := "github.com/scamblock/scamblock/buildinfo"
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X "+pkg+".version=v9.8.7 -X "+pkg+".commit=0123abcd -X "+pkg+".date=2026-12-02T00:00:00Z", "../cmd/scamblock")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("scamblock version: %v\n%s", err, out)
	}
	for _, want := range []string{"scamblock v9.8.7", "commit 0123abcd", "built 2026-12-02T00:00:00Z"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}
