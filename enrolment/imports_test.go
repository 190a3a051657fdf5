package enrolment_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImports: the application layer reaches the store, Temporal and the
// HTTP framework only through its ports. It imports none of them (the
// Temporal adapter is package enrolment/temporal), and links no store.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	list := func(args ...string) []string {
		out, err := exec.Command(goTool, append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	matches := func(pkg, bad string) bool { return pkg == bad || strings.HasPrefix(pkg, bad+"/") }
	imports := list("-f", `{{join .Imports " "}}`, ".")
	if len(imports) < 5 {
		t.Fatalf("go list: %d imports; want the package's", len(imports))
	}
	for _, imp := range imports {
		for _, bad := range []string{"careconnect/store", "careconnect/api", "careconnect/activities", "go.temporal.io", "github.com/gin-gonic"} {
			if matches(imp, bad) {
				t.Errorf("package enrolment imports %s; it reaches it through a port", imp)
			}
		}
	}
	for _, dep := range list("-deps", ".") {
		if matches(dep, "careconnect/store") || matches(dep, "gorm.io") {
			t.Errorf("package enrolment links %s", dep)
		}
	}
}
