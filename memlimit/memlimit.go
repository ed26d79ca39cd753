// Package memlimit sets the Go runtime's soft memory limit for the server
// (debug.SetMemoryLimit), so that the garbage collector works harder as the
// heap nears what the machine or container allows, instead of the process
// forcing collections after each list rebuild. The limit is, in order: the
// configured one (server.memory_limit, --memory-limit,
// SCAMBLOCK_MEMORY_LIMIT); else GOMEMLIMIT, which the runtime has already
// applied; else CgroupShare of the cgroup's memory limit (v2 or v1, read
// with github.com/KimMachineGun/automemlimit); else none.
package memlimit

import (
	"errors"
	"math"
	"os"
	"runtime/debug"

	cgroup "github.com/KimMachineGun/automemlimit/memlimit"
)

// CgroupShare is the part of the cgroup's limit given to the Go runtime;
// the rest is for what the kernel also counts against the cgroup (page
// cache of the feed files, thread stacks, the binary).
const CgroupShare = 0.9

// Source says where a limit came from.
type Source string

const (
	Configured Source = "setting"    // server.memory_limit, --memory-limit, SCAMBLOCK_MEMORY_LIMIT
	GoEnv      Source = "GOMEMLIMIT" // the runtime's own variable
	Cgroup     Source = "cgroup"     // CgroupShare of the cgroup's limit
	None       Source = "none"       // no limit
)

// Choice is the limit chosen and why. Limit is math.MaxInt64 for none.
type Choice struct {
	Limit  int64
	Source Source
}

// Choose picks the limit without applying it. configured is the setting
// (0 = automatic); goMemLimit reports whether GOMEMLIMIT is set; cgroupLimit
// returns the cgroup's limit, or an error (automemlimit's ErrNoLimit when
// there is none). An error from cgroupLimit other than "no limit" is
// returned with the None choice, for the log.
func Choose(configured int64, goMemLimit bool, cgroupLimit func() (uint64, error)) (Choice, error) {
	switch {
	case configured > 0:
		return Choice{configured, Configured}, nil
	case goMemLimit:
		return Choice{debug.SetMemoryLimit(-1), GoEnv}, nil
	}
	limit, err := cgroupLimit()
	switch {
	case errors.Is(err, cgroup.ErrNoLimit), errors.Is(err, cgroup.ErrNoCgroup), errors.Is(err, cgroup.ErrCgroupsNotSupported):
		return Choice{math.MaxInt64, None}, nil
	case err != nil:
		return Choice{math.MaxInt64, None}, err
	case limit == 0 || limit >= math.MaxInt64/2: // cgroup v1 writes "no limit" as a huge number
		return Choice{math.MaxInt64, None}, nil
	}
	return Choice{int64(float64(limit) * CgroupShare), Cgroup}, nil
}

// Apply chooses the limit for this process and sets it. The error, if any,
// is why the cgroup could not be read (the choice is then None): worth a
// warning, not a failure.
func Apply(configured int64) (Choice, error) {
	_, goMemLimit := os.LookupEnv("GOMEMLIMIT")
	c, err := Choose(configured, goMemLimit, cgroup.FromCgroup)
	if c.Source == Configured || c.Source == Cgroup {
		debug.SetMemoryLimit(c.Limit)
	}
	return c, err
}
