package deploy_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.yaml.in/yaml/v3"

	"careconnect/devtemporal"
	"careconnect/devtemporal/devtemporaltest"
	"careconnect/workflows"
)

// The compose Temporal server runs with the dynamic configuration the dev
// server gets (devtemporal.DynamicConfig): mounted where
// DYNAMIC_CONFIG_FILE_PATH says, with the same settings.
func TestTemporalDynamicConfig(t *testing.T) {
	p := mustLoad(t)
	tsvc := service(t, p, "temporal")
	path := env(tsvc)["DYNAMIC_CONFIG_FILE_PATH"]
	var source string
	for _, v := range tsvc.Volumes {
		if v.Target == path {
			source = v.Source
			if !v.ReadOnly {
				t.Errorf("the dynamic config at %s is mounted writable; want read-only", path)
			}
		}
	}
	if path == "" || source == "" {
		t.Fatalf("temporal: DYNAMIC_CONFIG_FILE_PATH=%q, mounted from %q; want a file mounted at that path", path, source)
	}
	b, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string][]struct {
		Value any `yaml:"value"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	got := map[string]string{}
	for k, vs := range file {
		if len(vs) != 1 {
			t.Errorf("%s: %s has %d values; want one, for every namespace", source, k, len(vs))
			continue
		}
		got[k] = fmt.Sprint(vs[0].Value)
	}
	if want := devtemporal.DynamicConfig(); !maps.Equal(got, want) {
		t.Errorf("%s sets %v; the dev server runs with %v", source, got, want)
	}
}

// typeNames are the CLI's names of the search attribute types.
var typeNames = map[enums.IndexedValueType]string{
	enums.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
	enums.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
	enums.INDEXED_VALUE_TYPE_TEXT:         "Text",
	enums.INDEXED_VALUE_TYPE_INT:          "Int",
	enums.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
	enums.INDEXED_VALUE_TYPE_BOOL:         "Bool",
	enums.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
}

// wantAttributes is workflows.SearchAttributes() as Name=Type.
func wantAttributes() map[string]string {
	out := map[string]string{}
	for name, typ := range workflows.SearchAttributes() {
		out[name] = typeNames[typ]
	}
	return out
}

// TestSearchAttributeCommands: the namespace job's script and README's
// operator commands create exactly the attributes the workflows use, with
// their types.
func TestSearchAttributeCommands(t *testing.T) {
	script, err := os.ReadFile("temporal-namespace.sh")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(CareConnect\w+)=(\w+)`).FindAllStringSubmatch(string(script), -1) {
		got[m[1]] = m[2]
	}
	if want := wantAttributes(); !maps.Equal(got, want) {
		t.Errorf("temporal-namespace.sh creates %v; the workflows use %v", got, want)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]string{}
	cmd := regexp.MustCompile(`temporal operator search-attribute create[^\n]*--name (CareConnect\w+) --type (\w+)`)
	for _, m := range cmd.FindAllStringSubmatch(string(readme), -1) {
		got[m[1]] = m[2]
	}
	if want := wantAttributes(); !maps.Equal(got, want) {
		t.Errorf("README's search-attribute commands create %v; the workflows use %v", got, want)
	}
}

// TestNamespaceJob runs deploy/temporal-namespace.sh, as the compose job
// does, with the pinned temporal CLI against the dev server: the
// namespace gets its retention and the search attributes; a second run
// (the next `up`) changes the retention and leaves the rest.
func TestNamespaceJob(t *testing.T) {
	bin := devtemporaltest.Binary(t)
	if filepath.Base(bin) != "temporal" {
		t.Skipf("the CLI at %s is not named temporal, as the script calls it", bin)
	}
	srv := devtemporaltest.Start(t, devtemporal.Options{})
	const ns = "careconnect-compose"
	run := func(retention string) {
		t.Helper()
		cmd := exec.Command("sh", "temporal-namespace.sh")
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
			"TEMPORAL_ADDRESS="+srv.Address(), "NAMESPACE="+ns, "RETENTION="+retention)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("temporal-namespace.sh: %v\n%s", err, out)
		}
	}
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(retention time.Duration) {
		t.Helper()
		d, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != retention {
			t.Errorf("retention = %v; want %v", got, retention)
		}
		sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		for name, typ := range workflows.SearchAttributes() {
			if got, ok := sa.GetCustomAttributes()[name]; !ok || got != typ {
				t.Errorf("search attribute %s: %v (present %v); want %v", name, got, ok, typ)
			}
		}
	}
	run("3d")
	check(72 * time.Hour)
	run("5d")
	check(120 * time.Hour)
}
