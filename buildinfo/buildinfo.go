// Package buildinfo says which scamblock this is: version, commit and
// build date, from -ldflags when the build set them, else from what the Go
// toolchain recorded (debug.ReadBuildInfo: the module version and, in a
// git checkout, vcs.revision and vcs.time).
//
//	go build -ldflags "-X github.com/scamblock/scamblock/buildinfo.version=v1.2.0 \
//	  -X github.com/scamblock/scamblock/buildinfo.commit=$(git rev-parse HEAD) \
//	  -X github.com/scamblock/scamblock/buildinfo.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/scamblock
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X); never written at run time.
var (
	version string
	commit  string
	date    string
)

// Info is what Get reports.
type Info struct {
	Version   string `json:"version"`    // "v1.2.0", "(devel)" for a local build
	Commit    string `json:"commit"`     // full revision, "+dirty" when the tree had changes; "unknown" without VCS
	Date      string `json:"date"`       // build date, else the commit's date (RFC 3339); "unknown"
	GoVersion string `json:"go_version"` // the toolchain
}

// Get returns the build's Info.
func Get() Info {
	return fromBuild(version, commit, date, debug.ReadBuildInfo)
}

func fromBuild(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version()}
	if bi, ok := read(); ok {
		if info.Version == "" {
			info.Version = bi.Main.Version
		}
		var rev, when string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if info.Commit == "" && rev != "" {
			info.Commit = rev
			if dirty {
				info.Commit += "+dirty"
			}
		}
		if info.Date == "" {
			info.Date = when
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
	}
	for _, f := range []*string{&info.Version, &info.Commit, &info.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	return info
}

// String is the one line `scamblock version` prints.
func (i Info) String() string {
	return fmt.Sprintf("scamblock %s (commit %s, built %s, %s)", i.Version, i.Commit, i.Date, i.GoVersion)
}
