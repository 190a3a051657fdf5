package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	Measure  string  `json:"measure"`
	Value    string  `json:"value"`
	Baseline string  `json:"baseline,omitempty"` // the floor or baseline it is compared with
	Ratio    string  `json:"ratio,omitempty"`
	Target   string  `json:"target,omitempty"`
	Result   string  `json:"result,omitempty"` // pass, FAIL, or empty when there is no target
	Number   float64 `json:"number"`           // Value as a number, in the unit of Unit
	Unit     string  `json:"unit"`
}

// report is the whole run: its settings, rows and notes.
type report struct {
	Started  time.Time         `json:"started"`
	Duration string            `json:"duration"`
	Machine  map[string]string `json:"machine"`
	Settings map[string]any    `json:"settings"`
	Rows     []row             `json:"rows"`
	Notes    []string          `json:"notes"`
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

func (r *report) add(x row) { r.Rows = append(r.Rows, x) }

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// markdown renders the table and notes.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# CareConnect benchmark results\n\n")
	fmt.Fprintf(&b, "Run %s, %s; %s.\n\n", r.Started.UTC().Format(time.RFC3339), r.Duration, machineLine(r.Machine))
	keys := make([]string, 0, len(r.Settings))
	for k := range r.Settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var set []string
	for _, k := range keys {
		set = append(set, fmt.Sprintf("%s=%v", k, r.Settings[k]))
	}
	fmt.Fprintf(&b, "Settings: %s.\n\n", strings.Join(set, ", "))
	b.WriteString("| measure | value | floor / baseline | ratio | target | result |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, x := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.Measure, x.Value, dash(x.Baseline), dash(x.Ratio), dash(x.Target), dash(x.Result))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func machineLine(m map[string]string) string {
	return fmt.Sprintf("%s CPUs (%s), %s memory, %s, %s", m["cpus"], m["cpu"], m["memory"], m["os"], m["go"])
}

// machine describes where the run happened.
func machine() map[string]string {
	m := map[string]string{"cpus": fmt.Sprint(runtime.NumCPU()), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				var kb int64
				fmt.Sscan(f[1], &kb)
				m["memory"] = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["loadavg_at_start"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// write saves the report as results.md and results.json in dir.
func (r *report) write(dir string) error {
	if err := os.WriteFile(dir+"/results.md", []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dir+"/results.json", append(js, '\n'), 0o644)
}
