package memlimit

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	cgroup "github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryMax reads a cgroup v2 memory.max file at path, as the cgroup
// provider does on a real machine: "max" is no limit.
func memoryMax(path string) func() (uint64, error) {
	return func() (uint64, error) {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return 0, cgroup.ErrNoLimit
		}
		if err != nil {
			return 0, err
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, cgroup.ErrNoLimit
		}
		return strconv.ParseUint(s, 10, 64)
	}
}

func TestChoose(t *testing.T) {
	dir := t.TempDir()
	limited := filepath.Join(dir, "limited", "memory.max")
	unlimited := filepath.Join(dir, "unlimited", "memory.max")
	broken := filepath.Join(dir, "broken", "memory.max")
	for path, text := range map[string]string{limited: "1073741824\n", unlimited: "max\n", broken: "lots\n"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runtimeLimit := debug.SetMemoryLimit(-1)
	tests := []struct {
		name       string
		configured int64
		goMemLimit bool
		cgroupFile string
		want       Choice
		wantErr    bool
	}{
		{"the setting wins over everything", 512 << 20, true, limited, Choice{512 << 20, Configured}, false},
		{"GOMEMLIMIT is left as the runtime applied it", 0, true, limited, Choice{runtimeLimit, GoEnv}, false},
		{"90% of the cgroup limit", 0, false, limited, Choice{966367641, Cgroup}, false},
		{"cgroup without a limit", 0, false, unlimited, Choice{math.MaxInt64, None}, false},
		{"no cgroup file", 0, false, filepath.Join(dir, "none", "memory.max"), Choice{math.MaxInt64, None}, false},
		{"unreadable cgroup limit is reported, no limit set", 0, false, broken, Choice{math.MaxInt64, None}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.configured, tt.goMemLimit, memoryMax(tt.cgroupFile))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("Choose = %+v, %v; want %+v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestApplySetsTheConfiguredLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	c, err := Apply(768 << 20)
	if err != nil || c != (Choice{768 << 20, Configured}) {
		t.Fatalf("Apply = %+v, %v", c, err)
	}
	if got := debug.SetMemoryLimit(-1); got != 768<<20 {
		t.Fatalf("runtime limit %d, want %d", got, 768<<20)
	}
}
