package api_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goList runs go list with format f on the package in this directory (its
// own files, tests aside) and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// matches reports whether the import path pkg is bad or below it.
func matches(pkg, bad string) bool { return pkg == bad || strings.HasPrefix(pkg, bad+"/") }

// temporalProtocol is the one package of Temporal's the HTTP layer may
// import: the codec endpoint (codec.go) speaks the Temporal Web UI's
// remote codec protocol, whose messages are these payloads.
const temporalProtocol = "go.temporal.io/api/common/v1"

// TestImports checks the layering rule with the go tool. The HTTP layer
// decodes, calls the application layer (package enrolment) and encodes:
// it imports neither the store nor the workflows nor the Temporal SDK
// (nor any of Temporal but the codec protocol's payloads), and links no
// store at all (the use cases' ports are in domain types). The workflows'
// argument types reach it only through enrolment.
func TestImports(t *testing.T) {
	imports := goList(t, "-f", `{{join .Imports "\n"}}`, ".")
	if len(imports) < 5 {
		t.Fatalf("go list: %d imports; want the package's", len(imports))
	}
	for _, imp := range imports {
		if imp == temporalProtocol {
			continue
		}
		for _, bad := range []string{"careconnect/store", "careconnect/workflows", "careconnect/activities", "go.temporal.io"} {
			if matches(imp, bad) {
				t.Errorf("package api imports %s; it calls package enrolment instead", imp)
			}
		}
	}
	for _, line := range goList(t, "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			for _, bad := range []string{"careconnect/store", "gorm.io"} {
				if matches(imp, bad) {
					t.Errorf("package api links %s, imported by %s", imp, f[0])
				}
			}
		}
	}
}
