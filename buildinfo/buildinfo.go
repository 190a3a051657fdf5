// Package buildinfo says which build is running: `careconnect version`,
// and the careconnect_build_info metric on both admin listeners.
//
// The version and revision come from the linker when the image is built
// (the Dockerfile passes them):
//
//	go build -ldflags "-X careconnect/buildinfo.version=v1.4.0 -X careconnect/buildinfo.revision=$(git rev-parse HEAD)"
//
// and otherwise from what the Go toolchain records (debug.ReadBuildInfo):
// the module version and the VCS revision of a build from a checkout.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by the linker (-X); empty otherwise.
var (
	version  string
	revision string
)

// Info describes the running build.
type Info struct {
	// Version is the release ("v1.4.0"), or "devel".
	Version string
	// Revision is the VCS commit, with "-dirty" when built from a modified
	// checkout, or "unknown".
	Revision  string
	GoVersion string
}

// Get returns the running build's Info.
func Get() Info {
	i := Info{Version: version, Revision: revision, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if i.Revision == "" && rev != "" {
			i.Revision = rev
			if dirty {
				i.Revision += "-dirty"
			}
		}
	}
	if i.Version == "" {
		i.Version = "devel"
	}
	if i.Revision == "" {
		i.Revision = "unknown"
	}
	return i
}

// String is the one line `careconnect version` prints.
func (i Info) String() string {
	return fmt.Sprintf("careconnect %s (revision %s, %s)", i.Version, i.Revision, i.GoVersion)
}

// Collector is the careconnect_build_info gauge: always 1, with the
// build in its labels, so a dashboard can show which version each
// process runs and when it changed.
func Collector() prometheus.Collector {
	i := Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "careconnect_build_info",
		Help:        "The running build: version, VCS revision and Go version. Always 1.",
		ConstLabels: prometheus.Labels{"version": i.Version, "revision": i.Revision, "go_version": i.GoVersion}})
	g.Set(1)
	return g
}
