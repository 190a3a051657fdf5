package buildinfo

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestLinkerValuesWin: the version and revision the image build passes
// (-X) are what Get reports; without them there is still a value.
func TestLinkerValuesWin(t *testing.T) {
	saved := [2]string{version, revision}
	t.Cleanup(func() { version, revision = saved[0], saved[1] })

	version, revision = "", ""
	if i := Get(); i.Version == "" || i.Revision == "" || i.GoVersion != runtime.Version() {
		t.Errorf("without linker values: %+v; want placeholders and %s", i, runtime.Version())
	}
	version, revision = "v1.4.0", "0123abc"
	i := Get()
	if i.Version != "v1.4.0" || i.Revision != "0123abc" {
		t.Errorf("Get() = %+v; want v1.4.0 and 0123abc from the linker", i)
	}
	if s := i.String(); !strings.Contains(s, "v1.4.0") || !strings.Contains(s, "0123abc") || !strings.Contains(s, runtime.Version()) {
		t.Errorf("String() = %q", s)
	}
}

// TestCollector: careconnect_build_info is 1 with the build in its labels.
func TestCollector(t *testing.T) {
	saved := [2]string{version, revision}
	t.Cleanup(func() { version, revision = saved[0], saved[1] })
	version, revision = "v1.4.0", "0123abc"
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collector())
	want := `# HELP careconnect_build_info The running build: version, VCS revision and Go version. Always 1.
# TYPE careconnect_build_info gauge
careconnect_build_info{go_version="` + runtime.Version() + `",revision="0123abc",version="v1.4.0"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "careconnect_build_info"); err != nil {
		t.Error(err)
	}
}
