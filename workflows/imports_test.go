package workflows_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// forbiddenDeps are packages the workflows must not link: the SMTP client
// and server, the configuration loader, and the adapters built on them
// (package activities among them). Workflow code names emails, link
// purposes and activities through package domain and names.go instead.
var forbiddenDeps = []string{
	"github.com/wneessen/go-mail",
	"github.com/emersion/go-smtp",
	"github.com/spf13/viper",
	"careconnect/mail",
	"careconnect/links",
	"careconnect/config",
	"careconnect/activities",
}

// TestWorkflowsLinkNoAdapter checks the import rule with the go tool (go
// list -deps ./workflows, tests aside) and names the package that pulls
// each forbidden one in.
func TestWorkflowsLinkNoAdapter(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list -deps listed %d packages; want the workflows' dependencies", len(lines))
	}
	importers := map[string][]string{}
	for _, line := range lines {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			importers[imp] = append(importers[imp], f[0])
		}
	}
	for _, line := range lines {
		pkg := strings.Fields(line)[0]
		for _, bad := range forbiddenDeps {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("package workflows links %s (imported by %s)", pkg, strings.Join(importers[pkg], ", "))
			}
		}
	}
}
