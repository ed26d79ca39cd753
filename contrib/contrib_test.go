// Package contrib holds the packaging: the systemd unit (systemd/), and
// tests of it and of the Dockerfile, .dockerignore and compose.yaml at the
// repository root. The tests build the real binary and check the unit
// with systemd's own tools (systemd-analyze verify and security), and the
// system calls and socket families of a real serving process (strace)
// against the unit's SystemCallFilter and RestrictAddressFamilies.
package contrib

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scamblock/scamblock/config"
)

const unitPath = "systemd/scamblock.service"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// binary builds cmd/scamblock once for the package's tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scamblock-contrib-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "scamblock")
		buildOut, buildErr = exec.Command("go", "build", "-o", binPath, "github.com/scamblock/scamblock/cmd/scamblock").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// unit is a systemd unit file read as section → key → values (a key may
// repeat).
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: line %q is not KEY=VALUE in a section", path, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// installedUnit is the unit with ExecStart pointing at the built binary,
// as systemd-analyze checks that the command exists.
func installedUnit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scamblock.service")
	text := strings.ReplaceAll(string(b), "/usr/local/bin/scamblock", binary(t))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (package systemd): the unit is not verified here")
	}
	return p
}

// TestSystemdUnitVerifies: systemd's own parser accepts the unit with no
// warning (an unknown or misspelt key, a bad value, a missing command).
func TestSystemdUnitVerifies(t *testing.T) {
	sa := systemdAnalyze(t)
	out, err := exec.Command(sa, "verify", installedUnit(t)).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitExposure: systemd's own rating of the hardening is at
// most 2.0 ("OK"; 10 is a service with no protection).
func TestSystemdUnitExposure(t *testing.T) {
	sa := systemdAnalyze(t)
	out, err := exec.Command(sa, "security", "--offline=true", "--threshold=20", installedUnit(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
	if m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out); m != nil {
		t.Logf("exposure %s (systemd-analyze security)", m[1])
	}
}

// TestSystemdUnitSettings: the unit is Type=notify, keeps the Go runtime's
// memory limit below MemoryHigh (and that below MemoryMax), carries the
// hardening the issue asks for, and starts serve with flags of the
// settings model and both wildcard DNS listeners.
func TestSystemdUnitSettings(t *testing.T) {
	u := readUnit(t, unitPath)
	svc := "Service"
	for key, want := range map[string]string{
		"Type": "notify", "NotifyAccess": "main", "NoNewPrivileges": "yes", "ProtectKernelTunables": "yes",
		"ProtectKernelModules": "yes", "ProtectSystem": "strict", "SystemCallFilter": "@system-service",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "DynamicUser": "yes", "StateDirectory": "scamblock",
		"CapabilityBoundingSet": "CAP_NET_BIND_SERVICE", "ExecReload": "/bin/kill -HUP $MAINPID",
	} {
		if got := u.get(svc, key); got != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
	var gomem int64
	for _, e := range u[svc]["Environment"] {
		if v, ok := strings.CutPrefix(e, "GOMEMLIMIT="); ok {
			gomem = parseSize(t, "GOMEMLIMIT", v)
		}
	}
	high, maxMem := parseSize(t, "MemoryHigh", u.get(svc, "MemoryHigh")), parseSize(t, "MemoryMax", u.get(svc, "MemoryMax"))
	if gomem <= 0 || gomem >= high || high >= maxMem {
		t.Errorf("want 0 < GOMEMLIMIT (%d) < MemoryHigh (%d) < MemoryMax (%d)", gomem, high, maxMem)
	}

	args := strings.Fields(u.get(svc, "ExecStart"))
	if len(args) < 2 || args[0] != "/usr/local/bin/scamblock" || args[1] != "serve" {
		t.Fatalf("ExecStart %q: want /usr/local/bin/scamblock serve ...", args)
	}
	flags := map[string]bool{}
	for _, s := range config.Settings() {
		flags[s.Flag] = true
	}
	var listens []string
	for i := 2; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok || !flags[name] {
			t.Errorf("ExecStart argument %q is not a flag of the settings model", args[i])
			continue
		}
		if name == "dns-listen" && i+1 < len(args) {
			listens = append(listens, args[i+1])
		}
		i++
	}
	if !slices.Equal(listens, []string{"0.0.0.0:53", "[::]:53"}) {
		t.Errorf("DNS listeners %q; want 0.0.0.0:53 and [::]:53 (they coexist: service.TestWildcardListenersShareAPort)", listens)
	}
}

// parseSize reads systemd's and Go's sizes: 256M, 200MiB, 1G, 1GiB, bytes.
func parseSize(t *testing.T, what, s string) int64 {
	t.Helper()
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q is not a size", what, s)
	}
	return n * mult
}
