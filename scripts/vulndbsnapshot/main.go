// Command vulndbsnapshot is scripts/govulncheck.sh's helper for refreshing
// the vendored snapshot of the Go vulnerability database
// (testdata/vulndb). It does the two steps the database's own tooling
// (golang.org/x/vulndb/cmd/indexdb, which the script runs between them)
// does not:
//
//	vulndbsnapshot select -osv DIR -modules FILE -out DIR
//	    copies the OSV entries of DIR (x/vulndb's data/osv) that affect a
//	    module listed in FILE (one path a line: the module graph, stdlib and
//	    toolchain) to -out, so the snapshot holds what this module needs
//	    and not the whole database;
//	vulndbsnapshot install -db DIR -out DIR -modified TIME
//	    replaces -out's index/ and ID/ with indexdb's output in DIR,
//	    leaving out the .gz copies (govulncheck reads a file:// database
//	    uncompressed), and dates index/db.json with TIME, the x/vulndb
//	    commit's time: the OSV files in the module carry no dates (the
//	    official build takes them from git history).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vulndbsnapshot:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: vulndbsnapshot select|install [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	osvDir := fs.String("osv", "", "directory of OSV entries (select)")
	modules := fs.String("modules", "", "file of module paths, one a line (select)")
	dbDir := fs.String("db", "", "indexdb's output (install)")
	out := fs.String("out", "", "output directory")
	modified := fs.String("modified", "", "RFC 3339 time for index/db.json (install)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "select":
		return selectEntries(*osvDir, *modules, *out)
	case "install":
		return install(*dbDir, *out, *modified)
	}
	return fmt.Errorf("unknown command %q: want select or install", args[0])
}

// entry is the part of an OSV entry selection reads.
type entry struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// selectEntries copies the entries in osvDir that affect a module listed
// in modulesFile to out.
func selectEntries(osvDir, modulesFile, out string) error {
	if osvDir == "" || modulesFile == "" || out == "" {
		return errors.New("select needs -osv, -modules and -out")
	}
	want, err := readModules(modulesFile)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV entries in %s", osvDir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var kept []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" {
			return fmt.Errorf("%s: not an OSV entry", f)
		}
		for _, a := range e.Affected {
			if want[a.Package.Name] {
				if err := os.WriteFile(filepath.Join(out, filepath.Base(f)), b, 0o644); err != nil {
					return err
				}
				kept = append(kept, e.ID)
				break
			}
		}
	}
	fmt.Fprintf(os.Stderr, "vulndbsnapshot: %d of %d entries affect the %d modules listed\n", len(kept), len(files), len(want))
	return nil
}

// readModules reads one module path a line.
func readModules(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := strings.TrimSpace(sc.Text()); m != "" {
			want[m] = true
		}
	}
	if !want["stdlib"] || !want["toolchain"] {
		return nil, fmt.Errorf("%s must list stdlib and toolchain", path)
	}
	return want, sc.Err()
}

// install replaces out's index/ and ID/ with those of dbDir, without the
// gzipped copies, and dates index/db.json.
func install(dbDir, out, modified string) error {
	if dbDir == "" || out == "" || modified == "" {
		return errors.New("install needs -db, -out and -modified")
	}
	at, err := time.Parse(time.RFC3339, modified)
	if err != nil {
		return fmt.Errorf("-modified: %w", err)
	}
	for _, sub := range []string{"index", "ID"} {
		if err := os.RemoveAll(filepath.Join(out, sub)); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(out, sub), 0o755); err != nil {
			return err
		}
		files, err := filepath.Glob(filepath.Join(dbDir, sub, "*.json"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, sub, filepath.Base(f)), b, 0o644); err != nil {
				return err
			}
		}
	}
	db, err := json.Marshal(struct {
		Modified time.Time `json:"modified"`
	}{at.UTC()})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index", "db.json"), db, 0o644)
}
